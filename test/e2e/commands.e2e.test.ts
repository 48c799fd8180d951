import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { available, aws, aws_iam_login, bin, environment, type Home, initialisedHome } from "./moto.js"
import { motoForSuite } from "./suite.js"

describe.runIf(available)("the built CLI against moto: exec, list, logout, mfa_process", () => {
  const moto = motoForSuite()

  const run = (home: Home, args: ReadonlyArray<string>, input?: string) =>
    aws_iam_login(home, moto.endpoint, args, input === undefined ? {} : { input })

  const initialised = (name: string) => initialisedHome(moto, name)

  const sessionKey = (home: Home) => /\[work-sts\]\r\naws_access_key_id = (\w+)/.exec(home.read())?.[1]

  it("exec logs in, runs aws sts get-caller-identity signed with the session, and returns its exit status", async () => {
    const { user, home } = await initialised("erin")
    const started = Date.now()
    const ok = await run(home, [
      "exec",
      "work",
      "-t",
      "123456",
      "-d",
      "1h",
      "aws",
      "sts",
      "get-caller-identity",
    ])
    expect(ok.code).toBe(0)
    const expiration = Date.parse(/\[work-sts\][^[]*expiration = (\S+)/.exec(home.read())?.[1] ?? "")
    expect(Math.round((expiration - started) / 60_000)).toBe(60)
    expect(ok.stdout).toContain('"Account": "123456789012"')
    expect(ok.stderr).toContain("Logged in: [work-sts] refreshed.")
    const session = sessionKey(home)
    expect(session).toMatch(/^[A-Z0-9]{16,}$/)
    expect(session).not.toBe(user.accessKeyId)
    expect(moto.requests.filter((r) => r.action === "GetCallerIdentity").at(-1)?.accessKeyId).toBe(session)

    // The original order, the stored session, and the command's own failure as the exit status.
    const calls = moto.requests.length
    const failed = await run(home, [
      "work",
      "exec",
      "--",
      "aws",
      "iam",
      "get-user",
      "--user-name",
      "nobody-here",
    ])
    const direct = await aws(home, moto.endpoint, ["iam", "get-user", "--user-name", "nobody-here"])
    expect(direct.code).toBeGreaterThan(0)
    expect(failed.code).toBe(direct.code)
    expect(failed.stderr).toContain("NoSuchEntity")
    expect(moto.requests.slice(calls, calls + 1).map((r) => r.accessKeyId)).toEqual([session])
  })

  it("exec passes SIGTERM on to the command and exits with the command's status", async () => {
    const { home } = await initialised("finn")
    expect((await run(home, ["work", "-t", "123456"])).code).toBe(0)
    const ready = path.join(home.dir, "ready")
    const child = spawn(
      process.execPath,
      [
        bin,
        "exec",
        "work",
        "--",
        "sh",
        "-c",
        `trap 'exit 42' TERM; touch ${ready}; while :; do sleep 0.1; done`,
      ],
      {
        env: environment(home, moto.endpoint),
        stdio: ["ignore", "ignore", "pipe"],
      },
    )
    let stderr = ""
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    let code: number | null | undefined
    const exited = new Promise<void>((resolve) =>
      child.once("exit", (status) => {
        code = status
        resolve()
      }),
    )
    while (!fs.existsSync(ready) && code === undefined) await new Promise((r) => setTimeout(r, 50))
    expect(stderr).toBe("")
    child.kill("SIGTERM")
    await exited
    expect(code).toBe(42)
  }, 60_000)

  it("list shows the profiles from the file, and key ages with --keys", async () => {
    const { home } = await initialised("gina")
    expect((await run(home, ["work", "-t", "123456"])).code).toBe(0)
    const calls = moto.requests.length
    const plain = await run(home, ["list"])
    expect(plain.code).toBe(0)
    expect(plain.stdout).toMatch(
      /^work +file +gina +arn:aws:iam::123456789012:mfa\/gina-phone +until \S+Z \(11h 59m left\)$/m,
    )
    expect(moto.requests.length).toBe(calls)
    const json = JSON.parse((await run(home, ["list", "--keys", "--json"])).stdout)
    expect(json.find((p: { profile: string }) => p.profile === "work")).toMatchObject({
      username: "gina",
      sessionValid: true,
      keyAgeDays: 0,
    })
  })

  it("logout removes [work-sts] and nothing else", async () => {
    const { home } = await initialised("hugo")
    const before = home.read()
    expect((await run(home, ["work", "-t", "123456"])).code).toBe(0)
    expect(home.read()).toContain("[work-sts]")
    const out = await run(home, ["logout", "work"])
    expect(out).toMatchObject({ code: 0, stderr: "" })
    expect(home.read()).toBe(before)
  })

  it("mfa_process gives the code; its failure is one sentence", async () => {
    const { home } = await initialised("ines")
    const script = path.join(home.dir, "code.sh")
    fs.writeFileSync(script, "#!/bin/sh\necho 123456\n", { mode: 0o755 })
    fs.writeFileSync(
      home.credentials,
      home.read().replace("[other-tool]", `mfa_process = ${script}\r\n\r\n[other-tool]`),
    )
    const ok = await run(home, ["work"])
    expect(ok.code).toBe(0)
    expect(ok.stdout).toContain("Logged in: [work-sts]")
    fs.writeFileSync(script, "#!/bin/sh\necho 'no yubikey' >&2\nexit 1\n")
    const failed = await run(home, ["work", "--force"])
    expect(failed.code).toBe(1)
    expect(failed.stderr).toContain("no yubikey")
    expect(failed.stderr).toContain(
      `aws-iam-login: mfa_process \`${script}\` failed: it exited with status 1; fix it in the profile, or pass --token CODE.`,
    )
  })
})
