import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { addToWork, aws_iam_login, type FaultProxy, makeHome, seedUser } from "./moto.js"
import { motoForSuite } from "./suite.js"

// The launcher's login with a code (src/fastLogin.ts) where AWS or the machine behaves badly, held
// to the full program (AWS_IAM_LOGIN_NO_FAST=1) through the built CLI: each run starts in a fresh
// HOME at the same path with the same files, and must give the same output and exit code, leave the
// same credentials file and ~/.aws, and send the code no more often.

const moto = motoForSuite()

/** Runs `work -t 123456 --force` the full program's way, then the launcher's, from the same files; what each gave and left. */
const bothWays = async (
  proxy: FaultProxy,
  prepare: (home: ReturnType<typeof makeHome>) => void,
  env: Record<string, string>,
  around: () => { readonly after: () => void } = () => ({ after: () => {} }),
) => {
  const user = await seedUser(moto, `faults-${Math.random().toString(36).slice(2, 8)}`)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-faults-"))
  const run = async (extra: Record<string, string>) => {
    fs.rmSync(dir, { recursive: true, force: true })
    const home = makeHome(user, "work", dir)
    addToWork(home, `mfa_serial = ${user.serials[0]}\r`)
    prepare(home)
    const before = proxy.requests.length
    const fault = around()
    const result = await aws_iam_login(home, proxy.endpoint, ["work", "-t", "123456", "--force"], {
      env: { ...env, ...extra },
    })
    fault.after()
    return {
      ...result,
      credentials: home.read(),
      aws: fs.readdirSync(path.join(dir, ".aws")).sort(),
      calls: proxy.requests.slice(before).filter((r) => r.action === "GetSessionToken").length,
    }
  }
  const full = await run({ AWS_IAM_LOGIN_NO_FAST: "1" })
  const fast = await run({})
  fs.rmSync(dir, { recursive: true, force: true })
  return { full, fast }
}

describe("the launcher's login with a code, when things go wrong", () => {
  it("an STS call given a deadline shorter than the full program's start (AWS_IAM_LOGIN_TIMEOUT=0.2) that gets no answer says AWS did not answer in time, as the full program does", {
    timeout: 120_000,
  }, async () => {
    const proxy = await moto.proxy()
    const held: Array<() => void> = []
    const { full, fast } = await bothWays(
      proxy,
      () => {},
      { AWS_IAM_LOGIN_TIMEOUT: "0.2" },
      () => {
        const hold = proxy.inject("GetSessionToken", "hold")
        return { after: () => held.push(hold.release) }
      },
    )
    for (const release of held) release()
    expect(fast).toEqual(full)
    expect(fast).toMatchObject({
      code: 1,
      stdout: "",
      stderr: `aws-iam-login: AWS did not answer sts:GetSessionToken at ${proxy.endpoint} within 0.2 s: check the network, AWS_REGION and AWS_ENDPOINT_URL.\n`,
      aws: ["config", "credentials"],
      calls: 1,
    })
    await proxy.stop()
  })
})
