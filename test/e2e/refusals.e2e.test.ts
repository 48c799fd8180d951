import { describe, expect, it } from "vitest"
import { available, aws_iam_login, type Home, initialisedHome } from "./moto.js"
import { motoForSuite } from "./suite.js"

/** A value is refused only where the AWS CLI would read it otherwise than meant and the command needs it. */
describe.runIf(available)("the built CLI against moto: refusals only where they protect", () => {
  const moto = motoForSuite()

  const run = (home: Home, args: ReadonlyArray<string>) => aws_iam_login(home, moto.endpoint, args)

  const initialised = async (name: string) => (await initialisedHome(moto, name)).home
  /** `[work]` with `line` added (or its mfa_serial line replaced by it). */
  const withLine = (home: Home, line: string) => {
    const text = home.read()
    home.write(
      line.startsWith("mfa_serial")
        ? text.replace(/mfa_serial = [^\r\n]*/, line)
        : text.replace("[other-tool]", `${line}\r\n\r\n[other-tool]`),
    )
  }

  it.each([
    [
      "a quoted argument",
      (dir: string) => `mfa_process = sh -c "echo 123456 > '${dir}/gave'; cat '${dir}/gave'"`,
    ],
    ["single quotes and spaces", () => "mfa_process = printf '123 456'"],
    ["a `;` after a message on stderr", () => "mfa_process = echo touch your key >&2; echo 123456"],
  ])(
    "mfa_process with %s runs as botocore reads it, through a shell",
    async (_, line) => {
      const home = await initialised(`proc${Math.random().toString(36).slice(2, 8)}`)
      withLine(home, line(home.dir))
      const out = await run(home, ["work"])
      expect(out.stderr).not.toContain("in quotes")
      expect(out.code).toBe(0)
      expect(out.stdout).toContain("Logged in: [work-sts]")
    },
    90_000,
  )

  it("an empty or non-ARN mfa_serial: status and list show it invalid, export and -t login of a valid session run, login refuses it with its line", async () => {
    const home = await initialised("serena")
    expect((await run(home, ["work", "-t", "123456"])).code).toBe(0)
    for (const value of ["", "my-phone"]) {
      withLine(home, `mfa_serial = ${value}`)
      const status = await run(home, ["work", "status"])
      expect(status.code).toBe(0)
      expect(status.stdout).toMatch(
        new RegExp(`mfa_serial  "${value}" is invalid \\((empty|not an MFA device ARN)`),
      )
      expect(status.stdout).toContain("run aws-iam-login work init")
      expect(
        JSON.parse((await run(home, ["work", "status", "--json"])).stdout).mfaSerialProblem,
      ).not.toBeNull()

      const list = await run(home, ["list"])
      expect(list.code).toBe(0)
      expect(list.stdout).toMatch(/^work\s.*invalid mfa_serial \(see status\)/m)

      const exported = await run(home, ["work", "export"])
      expect(exported.code).toBe(0)
      expect(JSON.parse(exported.stdout).Version).toBe(1)
      expect((await run(home, ["work", "-t", "123456"])).code).toBe(0)

      const forced = await run(home, ["work", "-t", "123456", "--force"])
      expect(forced.code).toBe(1)
      expect(forced.stderr).toMatch(/line \d+ \[work\]: mfa_serial is (empty|not an MFA device ARN)/)
    }
    // init mends it without --force.
    const init = await run(home, ["work", "init"])
    expect(init.code).toBe(0)
    expect(init.stdout).toContain("Initialised [work]")
  }, 120_000)

  it("a key id in quotes is refused, with its line, before any call, by what needs it; a valid session is still used", async () => {
    const home = await initialised("quentin")
    expect((await run(home, ["work", "-t", "123456"])).code).toBe(0)
    const id = /\[work\]\r\naws_access_key_id=(\w+)/.exec(home.read())![1]!
    home.write(home.read().replace(`aws_access_key_id=${id}`, `aws_access_key_id="${id}"`))
    const calls = moto.requests.length
    const exported = await run(home, ["work", "export"])
    expect(exported.code).toBe(0)
    expect(JSON.parse(exported.stdout).Version).toBe(1)
    expect((await run(home, ["work", "-t", "123456"])).stdout).toContain("[work-sts] is still valid until")
    const out = await run(home, ["work", "-t", "123456", "--force"])
    expect(out.code).toBe(1)
    expect(out.stderr).toContain(
      "line 8 [work]: aws_access_key_id is in quotes, which the AWS CLI reads as part of the value",
    )
    expect(moto.requests.length).toBe(calls)
  }, 90_000)
})
