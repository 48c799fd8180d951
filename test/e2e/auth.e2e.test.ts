import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { available, aws_iam_login, type Moto, makeHome, seedUser, startMoto } from "./moto.js"

describe.runIf(available)("the built CLI against moto with signature and policy checks on", () => {
  let moto: Moto
  beforeAll(async () => {
    moto = await startMoto()
    await moto.enableAuth()
  })
  afterAll(() => moto?.stop())

  it("init derives mfa_serial, and says so, when the policy denies ListMFADevices", async () => {
    const user = await seedUser(moto, "erin", { devices: ["erins-phone"], deny: ["iam:ListMFADevices"] })
    const home = makeHome(user)
    const init = await aws_iam_login(home, moto.endpoint, ["work", "init"])
    expect(init.stderr).toContain("mfa_serial was derived from the user name")
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
