import * as fs from "node:fs"
import { describe, expect, it } from "vitest"
import { available, aws_iam_login, type Home, initialisedHome, seedUser } from "./moto.js"
import { motoForSuite } from "./suite.js"

describe.runIf(available)("the built CLI against moto: status and list as a person reads them", () => {
  const moto = motoForSuite()

  const run = (home: Home, args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
    aws_iam_login(home, moto.endpoint, args, { env })

  const initialised = (name: string) => initialisedHome(moto, name)

  /** A `[work-sts]` ending `minutes` from now (keys that only need to look right). */
  const sessionEnding = (home: Home, minutes: number) => {
    const end = new Date(Date.now() + minutes * 60_000).toISOString().slice(0, 19)
    home.write(
      home
        .read()
        .replace(
          "[other-tool]",
          `[work-sts]\r\naws_access_key_id = ASIAFAKEFAKEFAKE0000\r\naws_secret_access_key = s\r\naws_session_token = t\r\nexpiration = ${end}Z\r\n\r\n[other-tool]`,
        ),
    )
  }

  it("inside the 5-minute margin status, list and export agree, and say so", async () => {
    const { home } = await initialised("margo")
    sessionEnding(home, 3)
    const status = await run(home, ["work", "status"])
    expect(status.code).toBe(0)
    expect(status.stdout).toMatch(
      /session {5}\[work-sts\] valid until \S+Z, but only [23]m left: sessions are renewed 5m before they end, so the next aws-iam-login work \(or export, exec\) asks for a code/,
    )
    expect(JSON.parse((await run(home, ["work", "status", "--json"])).stdout).sessionValid).toBe(false)
    expect((await run(home, ["list"])).stdout).toMatch(/left: under 5m, renewed at next login\)/)
    const exported = await run(home, ["work", "export"])
    expect(exported.code).toBe(1)
    expect(exported.stderr).toContain("No session in [work-sts] valid for more than 5m")

    home.write(
      home
        .read()
        .replace(
          /expiration = \S+/,
          `expiration = ${new Date(Date.now() + 3_600_000).toISOString().slice(0, 19)}Z`,
        ),
    )
    expect(JSON.parse((await run(home, ["work", "status", "--json"])).stdout).sessionValid).toBe(true)
    expect((await run(home, ["work", "export"])).code).toBe(0)
  }, 90_000)

  it("times are shown in the person's time zone as well as UTC", async () => {
    const { home } = await initialised("tina")
    const login = await run(home, ["work", "-t", "123456"], { TZ: "Asia/Kolkata" })
    expect(login.code).toBe(0)
    const until = /valid until (\S+Z) \((\d{4}-\d\d-\d\d )?(\d\d:\d\d) GMT\+5:30\)/.exec(login.stdout)
    expect(until).not.toBeNull()
    const local = new Date(new Date(until![1]!).getTime() + 5.5 * 3_600_000).toISOString()
    expect(until![3]).toBe(local.slice(11, 16))
    expect((await run(home, ["work", "status"], { TZ: "Asia/Kolkata" })).stdout).toContain(`${until![1]} (`)
    expect((await run(home, ["list"], { TZ: "Asia/Kolkata" })).stdout).toContain("GMT+5:30)")
    // In UTC the time is shown once.
    expect((await run(home, ["work", "status"], { TZ: "UTC" })).stdout).toMatch(
      /valid until \S+Z \(\d+h \d+m left\)/,
    )
  }, 90_000)

  it("a key kept in ~/.aws/config is listed; status --json and list --json name the same things alike", async () => {
    const { home } = await initialised("carla")
    const other = await seedUser(moto, "conf", { devices: ["conf-phone"] })
    fs.appendFileSync(
      home.config,
      `\n[profile kept]\naws_access_key_id = ${other.accessKeyId}\naws_secret_access_key = ${other.secretAccessKey}\n`,
    )
    const list = await run(home, ["list"])
    expect(list.code).toBe(0)
    expect(list.stdout).toMatch(/^kept\s+config file\s+-\s+- \(run init\)\s+none$/m)
    expect((await run(home, ["kept", "init"])).code).toBe(0)
    expect((await run(home, ["list"])).stdout).toMatch(
      /^kept\s+config file\s+conf\s+arn:aws:iam::123456789012:mfa\/conf-phone\s+none$/m,
    )

    const status = JSON.parse((await run(home, ["kept", "status", "--json"])).stdout)
    const row = JSON.parse((await run(home, ["list", "--json"])).stdout).find(
      (r: { profile: string }) => r.profile === "kept",
    )
    const shared = [
      "profile",
      "keyLocation",
      "username",
      "mfaSerial",
      "mfaSerialProblem",
      "sessionProfile",
      "sessionExpiration",
      "sessionValid",
    ]
    for (const key of shared) {
      expect(status).toHaveProperty(key)
      expect(row).toHaveProperty(key, status[key])
    }
  }, 90_000)

  it("a profile that cannot be used: list shows a short cell and stays as wide as it was; status says the whole sentence", async () => {
    const { home } = await initialised("wanda")
    const widest = (stdout: string) => Math.max(...stdout.split("\n").map((line) => line.length))
    const before = await run(home, ["list"])
    fs.appendFileSync(
      home.credentials,
      "\r\n[broken]\r\naws_access_key_id = AKIAEXAMPLEKEY000001\r\naws_session_token = left-from-a-session\r\n",
    )
    const list = await run(home, ["list"])
    expect(list).toMatchObject({ code: 0, stderr: "" })
    expect(list.stdout).toMatch(/^broken\s+file\s+-\s+invalid \(see status\)\s+none$/m)
    expect(list.stdout).not.toContain("Fix it by hand")
    expect(widest(list.stdout)).toBe(widest(before.stdout))
    const status = await run(home, ["broken", "status"])
    expect(status.code).toBe(1)
    expect(status.stderr).toContain(
      "[broken]: aws_secret_access_key is missing. Fix it by hand; nothing was changed.",
    )
  }, 90_000)
})
