import * as fs from "node:fs"
import { ListAccessKeysCommand } from "@aws-sdk/client-iam"
import { describe, expect, it } from "vitest"
import { available, aws, aws_iam_login, type Home, keyOf, makeHome, seedUser } from "./moto.js"
import { motoForSuite } from "./suite.js"

describe.runIf(available)("the built CLI against moto with signature and policy checks on", () => {
  const moto = motoForSuite({ auth: true })

  it("init derives mfa_serial, and says so, when the policy denies ListMFADevices", async () => {
    const user = await seedUser(moto, "erin", { devices: ["erins-phone"], deny: ["iam:ListMFADevices"] })
    const home = makeHome(user)
    const init = await aws_iam_login(home, moto.endpoint, ["work", "init"])
    expect(init.code).toBe(0)
    expect(init.stderr).toContain("mfa_serial was derived from the user name")
    expect(home.read()).toContain("mfa_serial = arn:aws:iam::123456789012:mfa/erin\r\n")
  })

  it("a wrong secret is refused by AWS with one sentence that names the masked key", async () => {
    const user = await seedUser(moto, "frank")
    const home = makeHome({ ...user, secretAccessKey: "wrong/secret" })
    const init = await aws_iam_login(home, moto.endpoint, ["work", "init"])
    expect(init.code).toBe(1)
    expect(init.stderr).toBe(
      `aws-iam-login: AWS refused key ${user.accessKeyId.slice(0, 4)}…${user.accessKeyId.slice(-4)} for sts:GetCallerIdentity (SignatureDoesNotMatch): the key is wrong, inactive or deleted.\n`,
    )
  })
})

describe.runIf(available)("rotate, the built CLI against moto with signature checks on", () => {
  const moto = motoForSuite({ auth: true })

  const whoAmI = (home: Home, key: { id: string; secret: string }) => {
    const probe = { ...home, credentials: `${home.credentials}.probe` }
    fs.writeFileSync(
      probe.credentials,
      `[probe]\naws_access_key_id = ${key.id}\naws_secret_access_key = ${key.secret}\n`,
    )
    return aws(probe, moto.endpoint, ["sts", "get-caller-identity", "--profile", "probe"])
  }

  it("leaves exactly the new key Active, in the file and working; the old one is refused and never signed after deactivation", async () => {
    const user = await seedUser(moto, "grace", { path: "/eng/", devices: ["graces-phone"] })
    const home = makeHome(user)
    expect((await aws_iam_login(home, moto.endpoint, ["work", "init"])).code).toBe(0)
    const before = home.read()

    const dry = await aws_iam_login(home, moto.endpoint, ["work", "rotate", "--dry-run"])
    expect(dry.code).toBe(0)
    expect(dry.stdout).toContain("Dry run: nothing was changed.")
    expect(home.read()).toBe(before)

    const start = moto.requests.length
    const out = await aws_iam_login(home, moto.endpoint, ["work", "rotate", "--yes"])
    const rotation = moto.requests.slice(start)
    expect(out.stderr).toBe("")
    expect(out.code).toBe(0)
    const after = home.read()
    const fresh = keyOf(after, "work")
    expect(fresh.id).not.toBe(user.accessKeyId)
    expect(after).toBe(before.replace(user.accessKeyId, fresh.id).replace(user.secretAccessKey, fresh.secret))
    expect(out.stdout + out.stderr).not.toContain(fresh.secret)

    const keys = await moto.admin.send(new ListAccessKeysCommand({ UserName: "grace" }))
    expect(keys.AccessKeyMetadata?.map((k) => [k.AccessKeyId, k.Status])).toEqual([[fresh.id, "Active"]])
    expect((await whoAmI(home, fresh)).code).toBe(0)
    const old = await whoAmI(home, { id: user.accessKeyId, secret: user.secretAccessKey })
    expect(old.code).not.toBe(0)

    const deactivated = rotation.findIndex((r) => r.action === "UpdateAccessKey")
    expect(deactivated).toBeGreaterThan(0)
    expect(rotation.slice(deactivated).filter((r) => r.accessKeyId === user.accessKeyId)).toEqual([])
    expect(rotation.find((r) => r.action === "CreateAccessKey")?.accessKeyId).toBe(user.accessKeyId)
    expect(rotation.find((r) => r.action === "DeleteAccessKey")?.accessKeyId).toBe(fresh.id)
  })

  for (const denied of ["iam:UpdateAccessKey", "iam:DeleteAccessKey"]) {
    it(`a Deny on ${denied} leaves the old key Active, in the file and working`, async () => {
      const name = `deny-${denied.slice(4, 10).toLowerCase()}`
      const user = await seedUser(moto, name, { deny: [denied] })
      const home = makeHome(user)
      expect((await aws_iam_login(home, moto.endpoint, ["work", "init"])).code).toBe(0)
      const before = home.read()
      const out = await aws_iam_login(home, moto.endpoint, ["work", "rotate", "--yes"])
      expect(out.code).toBe(1)
      expect(out.stderr.trim().split("\n")).toHaveLength(1)
      expect(out.stderr).toContain("is still the one in [work], Active and working")
      expect(home.read()).toBe(before)
      const keys = await moto.admin.send(new ListAccessKeysCommand({ UserName: name }))
      const active = keys.AccessKeyMetadata?.filter((k) => k.Status === "Active").map((k) => k.AccessKeyId)
      expect(active).toEqual([user.accessKeyId])
      expect((await whoAmI(home, { id: user.accessKeyId, secret: user.secretAccessKey })).code).toBe(0)
    })
  }
})
