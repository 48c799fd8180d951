import * as fs from "node:fs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { available, aws, aws_iam_login, type Moto, makeHome, seedUser, startMoto } from "./moto.js"

/** Nothing listens here: a call sent to it fails. */
const nowhere = "http://127.0.0.1:9"

describe.runIf(available)("the built CLI against moto: the settings of the profile in use", () => {
  let moto: Moto
  beforeAll(async () => {
    moto = await startMoto()
  })
  afterAll(async () => {
    await moto?.stop()
  })

  /** No endpoint in the environment: only the config file says where AWS is. */
  const noEndpointInEnv = { AWS_ENDPOINT_URL: "", AWS_PROFILE: "default" }

  it("endpoint_url comes from [profile work], not from [default] or AWS_PROFILE, as the AWS CLI reads it", async () => {
    const user = await seedUser(moto, "erin")
    const home = makeHome(user)
    fs.writeFileSync(
      home.config,
      `[default]\nendpoint_url = ${nowhere}\n\n[profile work]\nendpoint_url = ${moto.endpoint}\nmax_attempts = 1\n`,
    )
    const calls = moto.requests.length
    const init = await aws_iam_login(home, "", ["work", "init"], { env: noEndpointInEnv })
    expect(init).toMatchObject({ code: 0, stderr: "" })
    const login = await aws_iam_login(home, "", ["work", "-t", "123456"], { env: noEndpointInEnv })
    expect(login.code).toBe(0)
    expect(login.stdout).toContain("Logged in: [work-sts]")
    expect(moto.requests.slice(calls).map((r) => r.action)).toEqual([
      "GetCallerIdentity",
      "ListMFADevices",
      "GetSessionToken",
    ])
    const identity = await aws(home, "", ["sts", "get-caller-identity", "--profile", "work"])
    expect(identity.code).toBe(0)
    expect(JSON.parse(identity.stdout).Arn).toBe("arn:aws:iam::123456789012:user/erin")
  })

  it("a profile's services section names each service's endpoint; the environment still wins", async () => {
    const user = await seedUser(moto, "frank")
    const home = makeHome(user)
    fs.writeFileSync(
      home.config,
      `[default]\nendpoint_url = ${nowhere}\n\n[profile work]\nservices = local\n\n` +
        `[services local]\nsts =\n  endpoint_url = ${moto.endpoint}\niam =\n  endpoint_url = ${moto.endpoint}\n`,
    )
    const init = await aws_iam_login(home, "", ["work", "init"], { env: noEndpointInEnv })
    expect(init).toMatchObject({ code: 0, stderr: "" })
    fs.writeFileSync(home.config, `[profile work]\nendpoint_url = ${nowhere}\nmax_attempts = 1\n`)
    const login = await aws_iam_login(home, "", ["work", "-t", "123456"], {
      env: { ...noEndpointInEnv, AWS_ENDPOINT_URL_STS: moto.endpoint },
    })
    expect(login.code).toBe(0)
    const unreachable = await aws_iam_login(home, "", ["work", "-t", "123456", "--force"], {
      env: noEndpointInEnv,
    })
    expect(unreachable.code).toBe(1)
    expect(unreachable.stderr).toContain("sts:GetSessionToken")
  })
})
