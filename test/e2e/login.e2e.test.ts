import * as fs from "node:fs"
import { afterAll, describe, expect, it } from "vitest"
import { available, aws, aws_iam_login, bin, makeHome, type Result, seedUser } from "./moto.js"
import { motoForSuite } from "./suite.js"

/** Every output of every run, to check that no secret was ever printed. */
const outputs: Array<string> = []
const secrets: Array<string> = []
const record = (result: Result) => {
  outputs.push(result.stdout, result.stderr)
  return result
}

describe.runIf(available)("the built CLI against moto: init and login", () => {
  const moto = motoForSuite()
  afterAll(() => {
    const printed = outputs.join("\n")
    for (const secret of secrets) expect(printed).not.toContain(secret)
  })

  const login = (home: ReturnType<typeof makeHome>, args: ReadonlyArray<string>, input?: string) =>
    aws_iam_login(home, moto.endpoint, args, input === undefined ? {} : { input }).then(record)

  it("init and login leave every other byte of a messy file as it was; aws assumes a role through it", async () => {
    const user = await seedUser(moto, "alice", { path: "/eng/team/", devices: ["yubikey-otp-17"] })
    secrets.push(user.secretAccessKey)
    const home = makeHome(user)
    const original = home.read()

    const init = await login(home, ["work", "init"])
    expect(init).toMatchObject({ code: 0, stderr: "" })
    expect(init.stdout).toContain("username alice, mfa_serial arn:aws:iam::123456789012:mfa/yubikey-otp-17")
    const afterInit = home.read()
    expect(afterInit).toBe(
      original.replace(
        "region   =   us-east-1\r\n",
        "region   =   us-east-1\r\nusername = alice\r\nmfa_serial = arn:aws:iam::123456789012:mfa/yubikey-otp-17\r\n",
      ),
    )

    const first = await login(home, ["work", "--token", "123456"])
    expect(first.code).toBe(0)
    expect(first.stdout).toContain("Logged in: [work-sts]")
    const text = home.read()
    expect(text.startsWith(afterInit)).toBe(true)
    const added = text.slice(afterInit.length)
    expect(added).toMatch(
      /^\r\n\r\n\[work-sts\]\r\naws_access_key_id = \w+\r\naws_secret_access_key = \S+\r\naws_session_token = \S+\r\nexpiration = \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    )
    secrets.push(
      /aws_secret_access_key = (\S+)/.exec(added)![1]!,
      /aws_session_token = (\S+)/.exec(added)![1]!,
    )
    expect(fs.statSync(home.credentials).mode & 0o777).toBe(0o600)

    fs.appendFileSync(
      home.config,
      "\n[profile my-role-1]\nrole_arn = arn:aws:iam::123456789012:role/my-role-1\nsource_profile = work-sts\nregion = us-east-1\n",
    )
    const role = await aws(home, moto.endpoint, ["sts", "get-caller-identity", "--profile", "my-role-1"])
    expect(role.code).toBe(0)
    expect(JSON.parse(role.stdout).Arn).toContain(":assumed-role/my-role-1/")

    const requests = moto.requests.length
    const offline = await aws_iam_login(home, "http://127.0.0.1:9", ["work"]).then(record)
    expect(offline.code).toBe(0)
    expect(offline.stdout).toContain("[work-sts] is still valid until")
    expect(moto.requests.length).toBe(requests)
    expect(home.read()).toBe(text)

    const status = await login(home, ["work", "status"])
    expect(status.code).toBe(0)
    expect(status.stdout).toMatch(/^key {9}AKIA…\w{4}, 0 days old$/m)
    expect(status.stdout).toMatch(/^session {5}\[work-sts\] valid until .* \(11h 59m left\)$/m)

    const forced = await login(home, ["work", "--force", "-t", "654321", "-d", "1h"])
    expect(forced.code).toBe(0)
    expect(home.read().startsWith(afterInit)).toBe(true)
  })

  it("logs in with the code piped on stdin, and the AWS CLI logs in by itself through credential_process", async () => {
    const user = await seedUser(moto, "bob", { devices: ["bobs-authenticator"] })
    secrets.push(user.secretAccessKey)
    const home = makeHome(user, "bob")
    expect((await login(home, ["init", "bob"])).code).toBe(0)
    const piped = await login(home, ["bob"], "123456\n")
    expect(piped.code).toBe(0)
    expect(piped.stdout).toContain("Logged in: [bob-sts]")

    fs.appendFileSync(
      home.config,
      `\n[profile bob-auto]\ncredential_process = ${process.execPath} ${bin} bob export\n`,
    )
    const viaProcess = await aws(home, moto.endpoint, ["sts", "get-caller-identity", "--profile", "bob-auto"])
    expect(viaProcess.code).toBe(0)
    expect(JSON.parse(viaProcess.stdout).Account).toBe("123456789012")
  })

  it("init with several devices takes the first only with --yes", async () => {
    const carol = await seedUser(moto, "carol", { devices: ["carol-a", "carol-b"] })
    const home = makeHome(carol)
    const refused = await login(home, ["work", "init"])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain("has 2 MFA devices")
    const yes = await login(home, ["work", "init", "--yes"])
    expect(yes.stdout).toContain("mfa_serial arn:aws:iam::123456789012:mfa/carol-a")
  })

  it("bad input: one sentence, the right exit code, the file untouched", async () => {
    const user = await seedUser(moto, "dave")
    const home = makeHome(user)
    const before = home.read()
    const cases: ReadonlyArray<[ReadonlyArray<string>, number, RegExp]> = [
      [
        ["nope"],
        1,
        /^aws-iam-login: No profile \[nope\] in ~\/\.aws\/credentials \(it has: default, work, other-tool\): add your IAM user's key with `aws configure --profile nope`, then run `aws-iam-login nope init`\.\n$/,
      ],
      [
        ["work"],
        1,
        /^aws-iam-login: Profile \[work\] has no mfa_serial: run `aws-iam-login work init` first\.\n$/,
      ],
      [["work", "-t", "12345"], 1, /^aws-iam-login: The MFA code must be exactly 6 digits\.\n$/],
      [["work", "-t", "123456", "-d", "40h"], 2, /outside AWS's limits for IAM users: 15m to 36h/],
      [["bad[name"], 2, /cannot be a profile name/],
      [
        ["work", "--no-such-flag"],
        2,
        /^--no-such-flag is not an option of login: `aws-iam-login login --help` lists its options\.\n/,
      ],
      [["--", "-weird"], 2, /^"-weird" cannot be a profile name: it starts with -\n/],
    ]
    for (const [args, code, message] of cases) {
      const result = await login(home, args)
      expect(result.code, args.join(" ")).toBe(code)
      expect(result.stderr).toMatch(message)
      expect(result.stderr).not.toMatch(/\n\s+at /)
      expect(result.stdout).toBe("")
    }
    expect(home.read()).toBe(before)
  })
})
