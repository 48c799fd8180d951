import { describe, expect, it } from "vitest"
import { available, aws_iam_login, makeHome, type Result, seedUser } from "./moto.js"
import { motoForSuite } from "./suite.js"

const secretsOf = (text: string, section: string) => {
  const body = text.split(`[${section}]`)[1]?.split(/\r?\n\[/)[0] ?? ""
  return [...body.matchAll(/^(?:aws_secret_access_key|aws_session_token)\s*=\s*(\S+)/gm)].map((m) => m[1]!)
}

describe.runIf(available)("--debug, the built CLI against moto", () => {
  const moto = motoForSuite({ auth: true })

  it("shows each AWS call, file access and session decision on stderr, and never a secret", async () => {
    const user = await seedUser(moto, "debugger", { devices: ["debugger-phone"] })
    const home = makeHome(user)
    const code = "246813"
    const results: Array<Result> = []
    const secrets = new Set([user.secretAccessKey, code])
    const run = async (args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
      const result = await aws_iam_login(home, moto.endpoint, args, { env })
      expect(result.code, args.join(" ")).toBe(0)
      results.push(result)
      for (const section of ["work", "work-sts"])
        for (const secret of secretsOf(home.read(), section)) secrets.add(secret)
      return result
    }
    const call = (operation: string) =>
      new RegExp(
        `^\\[debug\\] aws ${operation} http://127\\.0\\.0\\.1:\\d+ region=us-east-1 key=AKIA…\\w{4} status=200 duration=\\d+ms retries=0$`,
        "m",
      )

    const init = await run(["work", "init", "--debug"])
    expect(init.stderr).toMatch(call("sts:GetCallerIdentity"))
    expect(init.stderr).toMatch(call("iam:ListMFADevices"))
    expect(init.stderr).toMatch(/^\[debug\] read \S+\/\.aws\/credentials: \d+ characters$/m)
    expect(init.stderr).toMatch(/^\[debug\] lock \S+\/\.aws\/credentials\.lock: taken after \d+ms$/m)
    expect(init.stderr).toMatch(/^\[debug\] wrote \S+\/\.aws\/credentials: \d+ characters/m)
    expect(
      init.stderr
        .trim()
        .split("\n")
        .every((line) => line.startsWith("[debug] ")),
    ).toBe(true)

    const unreachable = await aws_iam_login(home, "http://127.0.0.1:9", [
      "work",
      "init",
      "--force",
      "--debug",
    ])
    expect(unreachable.code).toBe(1)
    expect(unreachable.stderr).toMatch(
      /^\[debug\] aws sts:GetCallerIdentity http:\/\/127\.0\.0\.1:9 region=us-east-1 key=AKIA…\w{4} status=none duration=\d+ms retries=\d+ error=Unreachable$/m,
    )
    results.push(unreachable)

    const login = await run(["work", "--debug", "--token", code])
    expect(login.stderr).toMatch(/^\[debug\] no session in \[work-sts\] valid past the margin: logging in$/m)
    expect(login.stderr).toMatch(call("sts:GetSessionToken"))
    const reused = await run(["work"], { AWS_IAM_LOGIN_DEBUG: "1" })
    expect(reused.stderr).toMatch(/^\[debug\] session in \[work-sts\] valid until \S+: reused, no AWS call$/m)
    expect(reused.stderr).not.toContain("[debug] aws ")
    const viaLogLevel = await run(["work", "status", "--log-level", "debug"])
    expect(viaLogLevel.stderr).toMatch(call("iam:ListAccessKeys"))

    await run(["work", "status", "--json", "--debug"])
    for (const format of ["credential-process", "env", "fish", "powershell", "json"])
      await run(["work", "export", "--format", format, "--debug"])
    await run(["work", "rotate", "--dry-run", "--debug"])
    const rotate = await run(["work", "rotate", "--yes", "--debug"])
    for (const operation of ["iam:CreateAccessKey", "iam:UpdateAccessKey", "iam:DeleteAccessKey"])
      expect(rotate.stderr).toMatch(call(operation))
    // The rotation's lock and journal, each step of it.
    expect(rotate.stderr).toMatch(
      /^\[debug\] lock \S+\/\.aws-iam-login\/credentials\.rotate\.lock: taken after \d+ms$/m,
    )
    for (const step of ["created for the rotation of \\[work\\]", "recorded the new key", "removed"])
      expect(rotate.stderr).toMatch(new RegExp(`^\\[debug\\] journal \\S+\\.json: ${step}$`, "m"))
    await run(["work", "--force", "--token", code, "--debug"])

    // the old and the new long-term secret, the code, and moto's one session (secret and token)
    expect(secrets.size).toBe(5)
    const logged = results.map((r) => r.stderr).join("\n")
    expect(logged.split("\n").filter((line) => line.startsWith("[debug] ")).length).toBeGreaterThan(30)
    const printed = results.filter(
      (r) => !r.stdout.includes("AWS_SESSION_TOKEN") && !r.stdout.includes("SessionToken"),
    )
    expect(printed.length).toBe(results.length - 5)
    for (const secret of secrets) {
      expect(logged).not.toContain(secret)
      for (const r of printed) expect(r.stdout).not.toContain(secret)
    }
  })
})
