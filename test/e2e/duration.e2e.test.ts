import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { addToWork, available, aws, aws_iam_login, bin, type Home, initialisedHome } from "./moto.js"
import { motoForSuite } from "./suite.js"

/** The profile's own session length (`duration_seconds`) for logins that nobody can give --duration to. */
describe.runIf(available)("the built CLI against moto: a session length per profile", () => {
  const moto = motoForSuite()

  const run = (home: Home, args: ReadonlyArray<string>) => aws_iam_login(home, moto.endpoint, args)

  /** An initialised [work] whose code comes from mfa_process, with `lines` added to [work]. */
  const initialised = async (name: string, lines: string) => {
    const { home } = await initialisedHome(moto, name)
    const script = path.join(home.dir, "code.sh")
    fs.writeFileSync(script, "#!/bin/sh\necho 123456\n", { mode: 0o755 })
    addToWork(home, `mfa_process = ${script}\r\n${lines}`)
    return home
  }
  const hoursLeft = (expiration: string) => (new Date(expiration).getTime() - Date.now()) / 3_600_000

  it("under credential_process the session lasts the profile's duration_seconds", async () => {
    const home = await initialised("dora", "duration_seconds = 3600\r\n")
    fs.appendFileSync(
      home.config,
      `\n[profile via]\ncredential_process = ${process.execPath} ${bin} export work\nregion = us-east-1\n`,
    )
    const identity = await aws(home, moto.endpoint, ["sts", "get-caller-identity", "--profile", "via"])
    expect(identity.code).toBe(0)
    const expiration = /\[work-sts\][^[]*expiration = (\S+)/.exec(home.read())?.[1]
    expect(hoursLeft(expiration!)).toBeGreaterThan(0.9)
    expect(hoursLeft(expiration!)).toBeLessThan(1.1)
  }, 90_000)

  it("duration_seconds in the config file's profile counts too; --duration wins over it", async () => {
    const home = await initialised("dina", "")
    fs.appendFileSync(home.config, "\n[profile work]\nduration_seconds = 900\n")
    const exported = JSON.parse((await run(home, ["work", "export"])).stdout)
    expect(hoursLeft(exported.Expiration)).toBeLessThan(0.3)
    const login = await run(home, ["work", "--force", "-d", "2h"])
    expect(login.code).toBe(0)
    const expiration = /\[work-sts\][^[]*expiration = (\S+)/.exec(home.read())?.[1]
    expect(hoursLeft(expiration!)).toBeGreaterThan(1.9)
  }, 90_000)

  it("a duration_seconds AWS would not take stops the login with its line, before any code is spent", async () => {
    const home = await initialised("dirk", "duration_seconds = 12h\r\n")
    const calls = moto.requests.filter((r) => r.action === "GetSessionToken").length
    const out = await run(home, ["work", "export"])
    expect(out.code).toBe(1)
    expect(out.stderr).toMatch(
      /line \d+ \[work\]: duration_seconds is "12h", not 900 to 129600 seconds \(15m to 36h, AWS's limits for IAM users\): fix it, or pass --duration/,
    )
    expect(moto.requests.filter((r) => r.action === "GetSessionToken").length).toBe(calls)
    expect((await run(home, ["work", "-d", "1h"])).code).toBe(0)
  }, 90_000)
})
