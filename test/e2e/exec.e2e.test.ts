import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { aws_iam_login, bin, environment, type Home, makeHome } from "./moto.js"

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
  home.write(
    home.read().replace("[work]\r\n", "[work]\r\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\r\n"),
  )
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

const run = (
  home: Home,
  PATH: string,
  args: ReadonlyArray<string>,
  options: { input?: string; env?: Record<string, string> } = {},
) => aws_iam_login(home, closedPort, args, { ...options, env: { PATH, ...options.env } })

/** The session in [work-sts] ended a while ago: exec has to log in. */
const expire = (home: Home) => home.write(home.read().replace("2099-01-01T00:00:00Z", "2000-01-01T00:00:00Z"))

const commands: ReadonlyArray<ReadonlyArray<string>> = [
  ["aws", "s3", "rm", "s3://b/p", "--recursive", "--exclude", "*", "--include", "*.log"],
  ["terraform", "apply", "-auto-approve", "-var", "env=prod"],
  ["aws", "--version"],
  ["aws", "s3", "ls", "--profile", "other", "--debug", "--help", "-t", "123456", "--", "x"],
  // Short flags with values, as `node -e CODE` or `terraform -var x` pass them, some of them ours.
  ["aws", "-e", "x", "-p", "3"],
  ["terraform", "-x", "y", "-t", "1", "-d", "1h", "-f"],
  // The command's own question, last on the line: its help, never this tool's page.
  ["aws", "s3", "cp", "--help"],
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

  it("starts $SHELL when no command is given, with AWS_IAM_LOGIN_PROFILE naming the profile", async () => {
    const { home, PATH } = setup()
    const shell = path.join(home.dir, "bin", "fake-shell")
    fs.writeFileSync(
      shell,
      '#!/bin/sh\necho "shell=$AWS_IAM_LOGIN_PROFILE key=$AWS_ACCESS_KEY_ID args=$#"\n',
      {
        mode: 0o755,
      },
    )
    for (const shape of [
      ["exec", "work"],
      ["work", "exec"],
      ["exec", "work", "--"],
    ]) {
      const out = await run(home, PATH, shape, { env: { SHELL: shell } })
      expect({ shape, code: out.code, stdout: out.stdout, stderr: out.stderr }).toEqual({
        shape,
        code: 0,
        stdout: "shell=work key=ASIAIOSFODNN7EXAMPLE args=0\n",
        stderr: "",
      })
    }
  }, 60_000)

  it("refuses an exec inside what an exec runs, with a sentence", async () => {
    const { home, PATH } = setup()
    const nested = `"${process.execPath}" "${bin}" exec work aws --version; echo "nested=$?"`
    const out = await run(home, PATH, ["exec", "work", "sh", "-c", nested])
    expect(out.code).toBe(0)
    expect(out.stdout).toBe("nested=1\n")
    expect(out.stderr).toBe(
      "aws-iam-login: Already inside `aws-iam-login exec` for [work] (AWS_IAM_LOGIN_PROFILE is set): exit that shell first, or unset AWS_IAM_LOGIN_PROFILE to run one inside it anyway.\n",
    )
  }, 60_000)

  it("leaves piped stdin to the command: passed on whole, and never read as an MFA code", async () => {
    const { home, PATH } = setup()
    const input = "123456\nline two\n"
    const passed = await run(home, PATH, ["exec", "work", "cat"], { input })
    expect(passed).toEqual({ code: 0, stdout: input, stderr: "" })
    expire(home)
    const before = home.read()
    const refused = await run(home, PATH, ["exec", "work", "cat"], { input })
    expect(refused.code).toBe(1)
    expect(refused.stdout).toBe("")
    expect(refused.stderr).toBe(
      "aws-iam-login: No session in [work-sts] valid for more than 5m: exec leaves stdin to the command, so give the MFA code with --token CODE, or run `aws-iam-login work` first.\n",
    )
    expect(home.read()).toBe(before)
  }, 60_000)
})

describe("the same mistake, the same answer, through the built CLI", () => {
  it("a malformed code is one sentence and exit 1, from -t or from stdin", async () => {
    const { home, PATH } = setup()
    expire(home)
    const before = home.read()
    const said = { code: 1, stdout: "", stderr: "aws-iam-login: The MFA code must be exactly 6 digits.\n" }
    expect(await run(home, PATH, ["work", "-t", "12345"])).toEqual(said)
    expect(await run(home, PATH, ["work", "--token=12345"])).toEqual(said)
    expect(await run(home, PATH, ["work"], { input: "12345\n" })).toEqual(said)
    expect(await run(home, PATH, ["exec", "work", "-t", "12345", "aws"])).toEqual(said)
    expect(home.read()).toBe(before)
  }, 60_000)

  it("a flag the command does not take is named as such, not taken for a profile", async () => {
    const { home, PATH } = setup()
    const hint = "\n\nRun `aws-iam-login --help` for usage.\n"
    for (const [args, says] of [
      [
        ["work", "export", "-t", "123456"],
        "-t is not an option of export: `aws-iam-login export --help` lists its options.",
      ],
      [
        ["status", "-f", "work"],
        "-f is not an option of status: `aws-iam-login status --help` lists its options.",
      ],
      [["work", "-f", "-f"], "-f is given twice."],
      [["work", "-ft", "123456"], "In -ft, -t takes a value: give it on its own, as -t VALUE."],
      [["--", "-f"], '"-f" cannot be a profile name: it starts with -'],
      [
        ["work", "status", "--profile", "bob"],
        "The profile is named twice, as work and as --profile bob: give one.",
      ],
    ] as const) {
      const out = await run(home, PATH, args)
      expect({ args, ...out }).toEqual({ args, code: 2, stdout: "", stderr: `${says}${hint}` })
    }
  }, 60_000)

  it("a mistyped profile gets the one it was meant to be", async () => {
    const { home, PATH } = setup()
    for (const args of [["wrok", "status"], ["Work"], ["exec", "wokr", "aws"]]) {
      const out = await run(home, PATH, args)
      expect(out.code, args.join(" ")).toBe(1)
      expect(out.stderr, args.join(" ")).toMatch(
        /^aws-iam-login: No profile \[\w+\] in .*: did you mean \[work\]\? Else add your IAM user's key/,
      )
    }
    const unlike = await run(home, PATH, ["xy", "status"])
    expect(unlike.stderr).not.toContain("did you mean")
  }, 60_000)
})
