import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { aws_iam_login, environment, type Home, makeHome } from "./moto.js"

/**
 * `exec` through the built CLI with a valid session stored, so no AWS call is made (the endpoint
 * is a closed port): the command it runs is a program that prints its name and arguments as JSON.
 */
const setup = () => {
  const home = makeHome({
    userName: "alice",
    accessKeyId: "AKIAIOSFODNN7EXAMPLE",
    secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    serials: [],
  })
  fs.appendFileSync(
    home.credentials,
    "\n[work-sts]\naws_access_key_id = ASIAIOSFODNN7EXAMPLE\naws_secret_access_key = session/secret\n" +
      "aws_session_token = session-token\nexpiration = 2099-01-01T00:00:00Z\n",
  )
  const bin = path.join(home.dir, "bin")
  fs.mkdirSync(bin)
  for (const name of ["aws", "terraform"])
    fs.writeFileSync(
      path.join(bin, name),
      `#!${process.execPath}\nconsole.log(JSON.stringify([require("path").basename(process.argv[1]), ...process.argv.slice(2)]))\n`,
      { mode: 0o755 },
    )
  return { home, PATH: `${bin}${path.delimiter}${environment(home, "").PATH}` }
}

const closedPort = "http://127.0.0.1:9"

const run = (home: Home, PATH: string, args: ReadonlyArray<string>) =>
  aws_iam_login(home, closedPort, args, { env: { PATH } })

const commands: ReadonlyArray<ReadonlyArray<string>> = [
  ["aws", "s3", "rm", "s3://b/p", "--recursive", "--exclude", "*", "--include", "*.log"],
  ["terraform", "apply", "-auto-approve", "-var", "env=prod"],
  ["aws", "--version"],
  ["aws", "s3", "ls", "--profile", "other", "--debug", "--help", "-t", "123456", "--", "x"],
]

describe("exec through the built CLI", () => {
  it("passes everything after the command's name on verbatim, with or without --, in both orders", async () => {
    const { home, PATH } = setup()
    for (const command of commands)
      for (const shape of [
        ["exec", "work", ...command],
        ["exec", "work", "--", ...command],
        ["work", "exec", ...command],
        ["work", "exec", "--", ...command],
        ["exec", "--profile", "work", ...command],
        ["exec", "-t", "123456", "work", ...command],
      ]) {
        const out = await run(home, PATH, shape)
        expect({ shape, code: out.code, argv: out.stdout }).toEqual({
          shape,
          code: 0,
          argv: `${JSON.stringify(command)}\n`,
        })
        expect(out.stderr, shape.join(" ")).toBe("")
      }
  }, 120_000)

  it("reads --debug before the command as its own, and leaves the command's --debug to it", async () => {
    const { home, PATH } = setup()
    const out = await run(home, PATH, ["exec", "--debug", "work", "aws", "--debug"])
    expect(out.code).toBe(0)
    expect(out.stdout).toBe(`${JSON.stringify(["aws", "--debug"])}\n`)
    expect(out.stderr).toContain("[debug] session in [work-sts] valid until 2099-01-01T00:00:00Z")
  }, 60_000)
})
