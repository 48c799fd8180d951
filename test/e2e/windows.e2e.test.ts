import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { available, keyOf, type Moto, makeHome, seedUser, startMoto } from "./moto.js"
import { startWine, type Wine, wineAvailable } from "./wine.js"

describe.runIf(available && wineAvailable)(
  "the built CLI under Node's Windows build (Wine), against moto with signature checks on",
  () => {
    let moto: Moto
    let wine: Wine
    beforeAll(async () => {
      ;[moto, wine] = await Promise.all([startMoto(), startWine()])
      await moto.enableAuth()
    }, 600_000)
    afterAll(async () => {
      await Promise.all([moto?.stop(), wine?.stop()])
    })

    it("status, list and export find the profile in %USERPROFILE%\\.aws, and export speaks PowerShell", async () => {
      const user = await seedUser(moto, "paula", { devices: ["paulas-phone"] })
      const home = makeHome(user, "work", wine.profile)
      const session = { id: "ASIAPAULASESSION0000", secret: "paula/session", token: "paula-token" }
      home.write(
        `${home
          .read()
          .replace(
            "region   =   us-east-1\r\n",
            "region   =   us-east-1\r\nusername = paula\r\nmfa_serial = arn:aws:iam::123456789012:mfa/paulas-phone\r\n",
          )}\r\n\r\n[work-sts]\r\naws_access_key_id = ${session.id}\r\naws_secret_access_key = ${session.secret}\r\naws_session_token = ${session.token}\r\nexpiration = 2099-01-01T00:00:00Z\r\n`,
      )
      const before = home.read()
      const env = { AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: "us-east-1" }

      const status = await wine.cli(["work", "status", "--json"], env)
      expect(status).toMatchObject({ code: 0, stderr: "" })
      expect(JSON.parse(status.stdout)).toMatchObject({
        username: "paula",
        keyStatus: "Active",
        keyAgeDays: 0,
        sessionValid: true,
      })
      expect(moto.requests.at(-1)).toEqual({ action: "ListAccessKeys", accessKeyId: user.accessKeyId })

      const list = await wine.cli(["list", "--json"], env)
      expect(list).toMatchObject({ code: 0, stderr: "" })
      expect(JSON.parse(list.stdout)).toContainEqual(
        expect.objectContaining({ profile: "work", username: "paula", valid: true }),
      )

      const exported = await wine.cli(["work", "export", "--format", "powershell"], env)
      expect(exported).toMatchObject({ code: 0, stderr: "" })
      expect(exported.stdout).toContain(`$Env:AWS_ACCESS_KEY_ID="${keyOf(before, "work-sts").id}"\n`)
      expect(exported.stdout).toContain(`$Env:AWS_SESSION_TOKEN="${session.token}"\n`)
      expect(home.read()).toBe(before)
    }, 120_000)
  },
)
