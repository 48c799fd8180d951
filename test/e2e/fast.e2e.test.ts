import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { bin } from "./moto.js"

// The launcher's fast path (src/fast.ts) against the full program (AWS_IAM_LOGIN_NO_FAST=1), through
// the built CLI, on generated files, environments and command lines: the same stdout bytes, stderr
// and exit code. A copy of the launcher without the full program shows which runs the fast path
// served on its own: those must be among the generated cases, or the comparison proves little.

interface Outcome {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const exec = (file: string, env: Record<string, string>) =>
  new Promise<Outcome>((resolve) => {
    const args = JSON.parse(env.ARGS!) as Array<string>
    const child = execFile(
      process.execPath,
      [file, ...args],
      { env: { ...env, ARGS: "" }, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr }),
    )
    child.stdin?.end()
  })

/** bin.js and texts.json alone: whatever needs main.cjs fails there. */
const fastOnly = (() => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-fast-"))
  for (const file of ["bin.js", "texts.json", "package.json"])
    fs.copyFileSync(path.join(path.dirname(bin), file), path.join(dir, file))
  return path.join(dir, "bin.js")
})()

const minute = 60_000
/** Mostly the first (what a login writes), sometimes one of the others. */
const mostly = <T>(usual: T, ...others: Array<T>) =>
  fc.oneof({ weight: 3, arbitrary: fc.constant(usual) }, { weight: 1, arbitrary: fc.constantFrom(...others) })
const rarely = <T>(...values: Array<T>) => mostly<T | undefined>(undefined, ...values)
const key = mostly<string | undefined>(
  "AKIAEXAMPLEKEY000001",
  "ASIASESSIONKEY000002",
  "akiaLowerCase0000003",
  "AKIA SHORT",
  undefined,
)
const secret = mostly<string | undefined>(
  "secretValue/With+Chars",
  "two words",
  '"quoted"',
  "x ; comment",
  "",
  undefined,
)

/** A credentials or config file, as lines; `at` is the session's expiration relative to now (minutes and a half). */
const profileArb = fc.record({
  name: mostly("work", "dev team", "a.b-c_d", "status", "__proto__", "-x", "lgin"),
  keyId: key,
  secret: secret,
  token: rarely("tok", "", '"tok"'),
  region: rarely("eu-west-1", "eu west", ""),
  session: fc.option(
    fc.record({
      keyId: key,
      secret: secret,
      token: mostly<string | undefined>("FwoGZXIvYXdzEBc/token+more==", "has space", "", undefined),
      at: mostly(719, -90, 2, 4, 5, 6, 60, 2161),
      form: mostly("iso", "python", "bad"),
    }),
    { nil: undefined, freq: 5 },
  ),
  extra: mostly(
    "",
    "[DEFAULT]\nexpiration = 2099-01-01T00:00:00Z\n",
    "[other]\nx = 1\n",
    "[work]\nx = 1\n",
    "\ufeff",
  ),
})

type Profile = typeof profileArb extends fc.Arbitrary<infer T> ? T : never

const expiration = (at: number, form: string, now: number) => {
  const date = new Date(now + at * minute + 30_000)
  const iso = `${date.toISOString().slice(0, 19)}Z`
  return form === "iso"
    ? iso
    : form === "python"
      ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}+00:00`
      : "tomorrow"
}

const line = (name: string, v: string | undefined) => (v === undefined ? "" : `${name} = ${v}\n`)

const credentialsText = (p: Profile, now: number) => {
  const s = p.session
  return (
    `${p.extra.startsWith("\ufeff") ? "\ufeff" : ""}[${p.name}]\n` +
    line("aws_access_key_id", p.keyId) +
    line("aws_secret_access_key", p.secret) +
    line("aws_session_token", p.token) +
    line("region", p.region) +
    (s === undefined
      ? ""
      : `[${p.name}-sts]\n` +
        line("aws_access_key_id", s.keyId) +
        line("aws_secret_access_key", s.secret) +
        line("aws_session_token", s.token) +
        line("expiration", expiration(s.at, s.form, now))) +
    (p.extra.startsWith("\ufeff") ? "" : p.extra)
  )
}

const caseArb = fc.record({
  profile: profileArb,
  args: fc.constantFrom(
    ["P"],
    ["P", "login"],
    ["login", "P"],
    ["P", "export"],
    ["export", "P"],
    ["P", "export", "--format", "credential-process"],
    ["export", "P", "--format=credential-process"],
    ["P", "export", "--format", "env"],
    ["P", "--debug"],
    ["P", "status", "--json"],
    ["--help"],
    ["-h"],
    ["help"],
    ["--version"],
    ["version"],
    ["export", "--help"],
  ),
  config: mostly<string | undefined>(
    undefined,
    "",
    "[profile work]\nregion = eu-north-1\n",
    "[default]\nregion = us-west-2\n",
    "[profile work]\nregion = not a region\n",
    "[a]\n[a]\n",
  ),
  env: fc.record({
    AWS_REGION: rarely("eu-central-1", "bad region", ""),
    AWS_PROFILE: rarely("work", "other"),
    TZ: fc.constantFrom("UTC", "Europe/Berlin", "Pacific/Auckland"),
    AWS_IAM_LOGIN_DEBUG: rarely("1", ""),
    NO_COLOR: rarely("1"),
  }),
  files: mostly("default", "explicit", "tilde"),
})

describe("the launcher's fast path", () => {
  it("gives what the full program gives: the same stdout, stderr and exit code", {
    timeout: 600_000,
  }, async () => {
    let served = 0
    let runs = 0
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        runs++
        const home = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-fast-home-"))
        fs.mkdirSync(path.join(home, ".aws"))
        const credentials = path.join(home, ".aws", "credentials")
        const config = path.join(home, ".aws", "config")
        fs.writeFileSync(credentials, credentialsText(c.profile, Date.now()), { mode: 0o600 })
        if (c.config !== undefined) fs.writeFileSync(config, c.config)
        const env: Record<string, string> = {
          PATH: process.env.PATH ?? "",
          HOME: home,
          XDG_CACHE_HOME: path.join(home, "cache"),
          ARGS: JSON.stringify(c.args.map((a) => (a === "P" ? c.profile.name : a))),
          ...(c.files === "explicit"
            ? { AWS_SHARED_CREDENTIALS_FILE: credentials, AWS_CONFIG_FILE: config }
            : {}),
          ...(c.files === "tilde" ? { AWS_SHARED_CREDENTIALS_FILE: "~/.aws/credentials" } : {}),
        }
        for (const [name, v] of Object.entries(c.env)) if (v !== undefined) env[name] = v
        const full = await exec(bin, { ...env, AWS_IAM_LOGIN_NO_FAST: "1" })
        const fast = await exec(bin, env)
        const alone = await exec(fastOnly, env)
        fs.rmSync(home, { recursive: true, force: true })
        expect(fast).toEqual(full)
        if (alone.code === 0) {
          served++
          expect(alone).toEqual(full)
        }
      }),
      { numRuns: 40 },
    )
    // A valid session found through the defaults is common enough among the cases to be served often.
    expect(served).toBeGreaterThan(runs / 10)
  })

  it("serves a valid session's export without loading the full program, and AWS_IAM_LOGIN_NO_FAST turns it off", async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-fast-home-"))
    fs.mkdirSync(path.join(home, ".aws"))
    const until = expiration(60, "iso", Date.now())
    fs.writeFileSync(
      path.join(home, ".aws", "credentials"),
      `[work]\naws_access_key_id = AKIAEXAMPLEKEY000001\naws_secret_access_key = s3cret\n[work-sts]\naws_access_key_id = ASIAEXAMPLEKEY000002\naws_secret_access_key = t3mp\naws_session_token = tok\nexpiration = ${until}\n`,
    )
    const env = { PATH: process.env.PATH ?? "", HOME: home, ARGS: JSON.stringify(["work", "export"]) }
    expect(await exec(fastOnly, env)).toEqual({
      code: 0,
      stdout: `{"Version":1,"AccessKeyId":"ASIAEXAMPLEKEY000002","SecretAccessKey":"t3mp","SessionToken":"tok","Expiration":"${until}"}\n`,
      stderr: "",
    })
    expect((await exec(fastOnly, { ...env, AWS_IAM_LOGIN_NO_FAST: "1" })).code).not.toBe(0)
  })

  it("answers without Node's streams, sockets, terminal or crypto modules, which would double its cost", async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-fast-home-"))
    fs.mkdirSync(path.join(home, ".aws"))
    fs.writeFileSync(
      path.join(home, ".aws", "credentials"),
      `[work]\naws_access_key_id = AKIAEXAMPLEKEY000001\naws_secret_access_key = s3cret\n[work-sts]\naws_access_key_id = ASIAEXAMPLEKEY000002\naws_secret_access_key = t3mp\naws_session_token = tok\nexpiration = ${expiration(60, "iso", Date.now())}\n`,
    )
    const log = path.join(home, "modules.json")
    const recorder = path.join(home, "recorder.cjs")
    fs.writeFileSync(
      recorder,
      `process.on("exit", () => require("node:fs").writeFileSync(${JSON.stringify(log)}, JSON.stringify(process.moduleLoadList)))\n`,
    )
    for (const args of [["work", "export"], ["work"], ["--version"], ["--help"]]) {
      const env = { PATH: process.env.PATH ?? "", HOME: home, ARGS: JSON.stringify(args) }
      const run = await exec(fastOnly, { ...env, NODE_OPTIONS: `--require ${recorder}` })
      expect(run.code, args.join(" ")).toBe(0)
      const loaded = JSON.parse(fs.readFileSync(log, "utf8")) as Array<string>
      expect(
        loaded.filter((m) => /^NativeModule (net|stream|tty|crypto|vm|child_process)$/.test(m)),
        args.join(" "),
      ).toEqual([])
    }
  })
})
