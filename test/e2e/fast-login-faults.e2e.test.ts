import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { deadPid } from "../support/programs.js"
import { canHold, type Held, holdOpens } from "./held.js"
import {
  addToWork,
  aws_iam_login,
  bin,
  environment,
  type FaultProxy,
  launch,
  makeHome,
  seedUser,
} from "./moto.js"
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
  around: (home: ReturnType<typeof makeHome>, full: boolean) => { readonly after: () => void } = () => ({
    after: () => {},
  }),
) => {
  const user = await seedUser(moto, `faults-${Math.random().toString(36).slice(2, 8)}`)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-faults-"))
  const run = async (extra: Record<string, string>) => {
    fs.rmSync(dir, { recursive: true, force: true })
    const home = makeHome(user, "work", dir)
    addToWork(home, `mfa_serial = ${user.serials[0]}\r`)
    prepare(home)
    const before = proxy.requests.length
    const fault = around(home, extra.AWS_IAM_LOGIN_NO_FAST !== undefined)
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

  it.runIf(canHold)(
    "a config file edited while the launcher waits for STS does not make the full program send the code again once it takes the call over",
    { timeout: 120_000 },
    async () => {
      const proxy = await moto.proxy()
      const { full, fast } = await bothWays(
        proxy,
        (home) => fs.writeFileSync(home.config, "[profile work]\nduration_seconds = 3600\n"),
        {},
        (home, unlaunched) => {
          const call = proxy.inject("GetSessionToken", "hold")
          let config: Held | undefined
          void call.reached.then(async () => {
            // Another tool changes how long the profile's sessions last as the code is on its way.
            fs.writeFileSync(home.config, "[profile work]\nduration_seconds = 7200\n")
            if (unlaunched) return call.release()
            // The launcher hands the call over after 2 s without an answer; the answer comes once the
            // full program, which then starts, reads the edited file.
            config = await holdOpens(home.config)
            await config.reached
            call.release()
            config.release()
          })
          return { after: () => config?.release() }
        },
      )
      const untimed = (text: string) =>
        text.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, "<time>").replace(/\(\d+h \d+m left\)/, "(<left>)")
      expect({ ...fast, stdout: untimed(fast.stdout), credentials: untimed(fast.credentials) }).toEqual({
        ...full,
        stdout: untimed(full.stdout),
        credentials: untimed(full.credentials),
      })
      expect(fast).toMatchObject({ code: 0, aws: ["config", "credentials"], calls: 1 })
      await proxy.stop()
    },
  )

  it("a login whose stdout is a pipe no one reads any more, or a full disk, writes the session and ends as the full program does: no stack trace", {
    timeout: 120_000,
  }, async () => {
    const proxy = await moto.proxy()
    const user = await seedUser(moto, "faults-stdout")
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-faults-"))
    /** The exit code, stderr and what is left, with stdout `/dev/full` or a pipe whose reader has gone. */
    const run = (stdout: "closed pipe" | "full disk", extra: Record<string, string>) => {
      fs.rmSync(dir, { recursive: true, force: true })
      const home = makeHome(user, "work", dir)
      addToWork(home, `mfa_serial = ${user.serials[0]}\r`)
      const full = fs.openSync("/dev/full", "w")
      const child = spawn(process.execPath, [bin, "work", "-t", "123456", "--force"], {
        env: { ...environment(home, proxy.endpoint), ...extra },
        stdio: ["ignore", stdout === "full disk" ? full : "pipe", "pipe"],
      })
      fs.closeSync(full)
      child.stdout?.destroy()
      let stderr = ""
      child.stderr?.on("data", (c: Buffer) => {
        stderr += c.toString()
      })
      return new Promise((resolve) =>
        child.on("close", (code) =>
          resolve({
            code,
            stderr,
            session: home.read().includes("[work-sts]"),
            aws: fs.readdirSync(path.join(dir, ".aws")).sort(),
          }),
        ),
      )
    }
    for (const stdout of ["closed pipe", "full disk"] as const) {
      const before = proxy.requests.length
      const full = await run(stdout, { AWS_IAM_LOGIN_NO_FAST: "1" })
      const fast = await run(stdout, {})
      expect(fast, stdout).toEqual(full)
      expect(fast, stdout).toEqual({ code: 0, stderr: "", session: true, aws: ["config", "credentials"] })
      expect(proxy.requests.slice(before).filter((r) => r.action === "GetSessionToken")).toHaveLength(2)
    }
    fs.rmSync(dir, { recursive: true, force: true })
    await proxy.stop()
  })

  it.runIf(canHold)(
    "a Ctrl-C while the launcher takes over a dead run's login lock leaves nothing beside the lock in ~/.aws, as the full program does",
    { timeout: 120_000 },
    async () => {
      const proxy = await moto.proxy()
      const user = await seedUser(moto, "faults-lock")
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-faults-"))
      const run = async (extra: Record<string, string>) => {
        fs.rmSync(dir, { recursive: true, force: true })
        const home = makeHome(user, "work", dir)
        addToWork(home, `mfa_serial = ${user.serials[0]}\r`)
        const lock = path.join(dir, ".aws", "credentials.work.login.lock")
        fs.writeFileSync(lock, `${deadPid()}\n`)
        // The run has written its own lock aside when it reads who holds this one: that read waits.
        const held = await holdOpens(lock)
        const { child, ended } = launch(home, proxy.endpoint, ["work", "-t", "123456", "--force"], {
          env: extra,
        })
        let stderr = ""
        child.stderr?.on("data", (c: Buffer) => {
          stderr += c.toString()
        })
        await held.reached
        child.kill("SIGINT")
        // Let go once the run has taken the signal in.
        while (!stderr.includes("interrupted") && child.exitCode === null)
          await new Promise((resolve) => setTimeout(resolve, 20))
        held.release()
        const { code, stdout } = await ended
        return {
          code,
          stdout,
          stderr,
          credentials: home.read(),
          aws: fs.readdirSync(path.join(dir, ".aws")).sort(),
        }
      }
      const full = await run({ AWS_IAM_LOGIN_NO_FAST: "1" })
      const fast = await run({})
      expect(fast).toEqual(full)
      expect(fast).toMatchObject({ code: 130, stdout: "", aws: ["config", "credentials"] })
      expect(proxy.requests.filter((r) => r.action === "GetSessionToken")).toEqual([])
      fs.rmSync(dir, { recursive: true, force: true })
      await proxy.stop()
    },
  )

  it("a second Ctrl-C while the launcher's login waits for STS ends it as it ends the full program: interrupted (130), the code said maybe spent, nothing written", {
    timeout: 120_000,
  }, async () => {
    const proxy = await moto.proxy()
    const user = await seedUser(moto, "faults-twice")
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-faults-"))
    const run = async (extra: Record<string, string>) => {
      fs.rmSync(dir, { recursive: true, force: true })
      const home = makeHome(user, "work", dir)
      addToWork(home, `mfa_serial = ${user.serials[0]}\r`)
      const before = home.read()
      const call = proxy.inject("GetSessionToken", "hold")
      const { child, ended } = launch(home, proxy.endpoint, ["work", "-t", "123456", "--force"], {
        env: extra,
      })
      let said = ""
      child.stderr?.on("data", (c: Buffer) => {
        said += c.toString()
      })
      await call.reached
      child.kill("SIGINT")
      // The second once the run has taken the first in, as a person presses Ctrl-C again.
      while (!said.includes("interrupted") && child.exitCode === null)
        await new Promise((resolve) => setTimeout(resolve, 5))
      child.kill("SIGINT")
      const { code, signal, stdout, stderr } = await ended
      call.release()
      // What a shell reports: 128 + the signal's number, whether the run exited so or was killed by it.
      return { status: signal === "SIGINT" ? 130 : code, stdout, stderr, unchanged: home.read() === before }
    }
    const full = await run({ AWS_IAM_LOGIN_NO_FAST: "1" })
    const fast = await run({})
    expect(fast).toEqual(full)
    expect(fast).toEqual({
      status: 130,
      stdout: "",
      stderr:
        "aws-iam-login: interrupted by Ctrl-C.\naws-iam-login: nothing was written; AWS may have used the MFA code: log in again with the next one.\n",
      unchanged: true,
    })
    expect(proxy.requests.filter((r) => r.action === "GetSessionToken")).toHaveLength(2)
    fs.rmSync(dir, { recursive: true, force: true })
    await proxy.stop()
  })
})
