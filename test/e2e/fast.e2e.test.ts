import { execFile, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { canHold, type Held, holdOpens, waitingOnThreads } from "./held.js"
import {
  bin,
  type Fault,
  type FaultProxy,
  type Injected,
  type Moto,
  type SeededUser,
  seedUser,
  startMoto,
} from "./moto.js"

// The launcher's fast path (src/fast.ts) against the full program (AWS_IAM_LOGIN_NO_FAST=1), through
// the built CLI, on generated files, environments and command lines: the same stdout bytes, stderr
// and exit code. A copy of the launcher without the full program shows which runs the fast path
// served on its own: those must be among the generated cases, or the comparison proves little.
// `status` calls IAM, a login with a code STS: moto, and the copy has both bundles too. Each run
// starts from the same files in a fresh HOME, and leaves the same credentials file and ~/.aws.

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

/** bin.js, texts.json and the IAM and STS bundles alone: whatever needs main.cjs fails there. */
const fastOnly = (() => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-fast-"))
  fs.mkdirSync(path.join(dir, "sdk"))
  for (const file of ["bin.js", "texts.json", "package.json", "fast.cjs", "sdk/iam.cjs", "sdk/sts.cjs"])
    fs.copyFileSync(path.join(path.dirname(bin), file), path.join(dir, file))
  return path.join(dir, "bin.js")
})()

/** Stand for the seeded IAM user's name, key id and MFA device, known once moto runs. */
const seededName = "SEEDED-USER"
const seededKey = "SEEDEDKEY"
const seededSerial = "SEEDED-SERIAL"

const minute = 60_000
/**
 * The generated cases: each value is the usual one (what a login writes, a plain profile) `usual`
 * times in `usual + 1`, else one of the others. For runs that call STS (a login with a code), the
 * usual profile is one `init` made: the seeded key and its MFA device.
 */
const arbitraries = (
  usual: number,
  args: fc.Arbitrary<ReadonlyArray<string>>,
  calls: "IAM" | "STS" = "IAM",
) => {
  const mostly = <T>(first: T, ...others: Array<T>) =>
    fc.oneof(
      { weight: usual, arbitrary: fc.constant(first) },
      { weight: 1, arbitrary: fc.constantFrom(...others) },
    )
  const rarely = <T>(...values: Array<T>) => mostly<T | undefined>(undefined, ...values)
  const [usualKey, otherKey] =
    calls === "STS" ? [seededKey, "AKIAEXAMPLEKEY000001"] : ["AKIAEXAMPLEKEY000001", seededKey]
  const key = mostly<string | undefined>(
    usualKey,
    otherKey,
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
  const profile = fc.record({
    name: mostly("work", "dev team", "a.b-c_d", "status", "__proto__", "-x", "lgin", "work-sts"),
    keyId: key,
    secret: secret,
    token: rarely("tok", "", '"tok"'),
    region: rarely("eu-west-1", "eu west", ""),
    username: mostly<string | undefined>(seededName, "nobody", undefined),
    mfaSerial:
      calls === "STS"
        ? mostly<string | undefined>(seededSerial, undefined, "not a serial", "", "GAHT12345678")
        : rarely("arn:aws:iam::123456789012:mfa/phone", "not a serial", ""),
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
  return fc.record({
    profile,
    args,
    config: mostly<string | undefined>(
      undefined,
      "",
      "[profile work]\nregion = eu-north-1\n",
      "[default]\nregion = us-west-2\n",
      "[profile work]\nregion = not a region\n",
      "[profile work]\nmax_attempts = 2\nretry_mode = standard\n",
      "[profile work]\nduration_seconds = 3600\n",
      "[profile work]\nduration_seconds = 60\n",
      "[a]\n[a]\n",
    ),
    env: fc.record({
      AWS_REGION: rarely("eu-central-1", "bad region", ""),
      AWS_PROFILE: rarely("work", "other"),
      TZ: fc.constantFrom("UTC", "Europe/Berlin", "Pacific/Auckland"),
      AWS_IAM_LOGIN_DEBUG: rarely("1", ""),
      NO_COLOR: rarely("1"),
      AWS_IAM_LOGIN_TIMEOUT: rarely("5", "soon"),
      AWS_MAX_ATTEMPTS: rarely("1", "none"),
    }),
    files: mostly("default", "explicit", "tilde"),
    /** Where AWS is: moto, named for every service or for the one called alone, or a port nothing listens on. */
    endpoint: mostly("AWS_ENDPOINT_URL", `AWS_ENDPOINT_URL_${calls}`, "refused"),
    /** The rotation journals' directory beside the credentials file. */
    journals: mostly("none", "empty", "a journal", "writable by others"),
  })
}

type Case = typeof arbitraries extends (...a: never) => fc.Arbitrary<infer T> ? T : never
type Profile = Case["profile"]

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
    line("username", p.username) +
    line("mfa_serial", p.mfaSerial) +
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

const sessionArgs = fc.constantFrom(
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
)
const statusArgs = fc.constantFrom(
  ["P", "status"],
  ["status", "P"],
  ["status", "P", "--json"],
  ["P", "status", "--json"],
  ["status", "--json", "P"],
  ["P", "status", "--debug"],
)
/**
 * A login with a code, which the launcher answers by calling STS itself when it is plain: mostly one
 * with --force (a valid session is common among the cases), else one with a code to tidy or refuse,
 * another flag, or none.
 */
const loginArgs = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      ["P", "-t", "123456", "--force"],
      ["P", "--force", "-t", "123456"],
      ["P", "login", "-t", "123456", "-f"],
      ["P", "--token", "123456", "-f"],
      ["P", "login", "--token=123456", "--force"],
      ["login", "P", "-t", "123456", "-f"],
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      ["login", "P", "-t", "123456"],
      ["P", "login", "--token=123456"],
      ["P", "-t", "123 456", "-f"],
      ["P", "-t", "12345", "-f"],
      ["P", "-t", "123456", "-d", "1h", "-f"],
      ["P", "-t", "123456", "--debug"],
    ),
  },
)

let moto: Moto
let user: SeededUser

beforeAll(async () => {
  moto = await startMoto()
  user = await seedUser(moto, "fast-user")
}, 60_000)
afterAll(() => moto?.stop())

/** What a run leaves: its output, the credentials file's text and the names under ~/.aws. */
interface Left extends Outcome {
  readonly credentials: string
  readonly aws: ReadonlyArray<string>
}

/**
 * What differs between two runs that each wrote a session: AWS sets its end when it answers (moto
 * answers the same key, secret and token each time). So the new `expiration` in `[<profile>-sts]`
 * and the time the "Logged in" line gives are written as the minutes from the run's `start` to
 * them, and the digits of that line's local time are replaced; their form still shows. --debug's
 * times of each AWS call and lock, and the names of the files written aside, are left out.
 */
const normalised = (left: Left, profile: string, start: number, before: string): Left => {
  const after = (iso: string) => `<start + ${Math.round((Date.parse(iso) - start) / minute)} min>`
  let section = ""
  const credentials = left.credentials
    .split("\n")
    .map((line) => {
      if (line.startsWith("[")) section = line
      return section !== `[${profile}-sts]` || before.includes(line)
        ? line
        : line.replace(
            /^(expiration\s*=\s*)(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)$/,
            (_, key, iso) => key + after(iso),
          )
    })
    .join("\n")
  return {
    ...left,
    stdout: left.stdout.replace(
      /(holds a session valid until )(\S+Z)((?: \([^)]*\))?)( \(\w[\w ]* left\))/,
      (_, lead, iso, local: string, rest) => lead + after(iso) + local.replace(/\d+/g, "#") + rest,
    ),
    stderr: left.stderr
      .replace(/ duration=\d+ms| taken after \d+ms/g, "")
      .replace(/\.\d+\.[0-9a-f]+\.tmp\b/g, ".tmp"),
    credentials,
  }
}

/** Everything under `dir`, as paths relative to it. */
const listing = (dir: string): Array<string> =>
  fs.existsSync(dir) ? (fs.readdirSync(dir, { recursive: true }) as Array<string>).sort() : []

/**
 * Runs one case three ways: the full program, the launcher, and the launcher's fast path alone, each
 * in a fresh HOME (at the same path) with the same files; the first two must give and leave the
 * same; the third, where it answers at all, too. Says whether it answered.
 */
const compare = async (c: Case) => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-fast-home-"))
  const credentials = path.join(home, ".aws", "credentials")
  const config = path.join(home, ".aws", "config")
  const text = credentialsText(c.profile, Date.now())
    .replaceAll(seededName, user.userName)
    .replaceAll(seededKey, user.accessKeyId)
    .replaceAll(seededSerial, user.serials[0]!)
  const prepare = () => {
    fs.rmSync(home, { recursive: true, force: true })
    fs.mkdirSync(path.join(home, ".aws"), { recursive: true })
    fs.writeFileSync(credentials, text, { mode: 0o600 })
    if (c.config !== undefined) fs.writeFileSync(config, c.config)
    const journals = path.join(home, ".aws", ".aws-iam-login")
    if (c.journals !== "none") fs.mkdirSync(journals, { mode: 0o700 })
    if (c.journals === "a journal") fs.writeFileSync(path.join(journals, "credentials.work.json"), "{}\n")
    if (c.journals === "writable by others") fs.chmodSync(journals, 0o777)
  }
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: home,
    XDG_CACHE_HOME: path.join(home, "cache"),
    ARGS: JSON.stringify(c.args.map((a) => (a === "P" ? c.profile.name : a))),
    ...(c.files === "explicit" ? { AWS_SHARED_CREDENTIALS_FILE: credentials, AWS_CONFIG_FILE: config } : {}),
    ...(c.files === "tilde" ? { AWS_SHARED_CREDENTIALS_FILE: "~/.aws/credentials" } : {}),
    ...(c.endpoint === "refused"
      ? { AWS_ENDPOINT_URL: "http://127.0.0.1:9" }
      : { [c.endpoint]: moto.direct }),
  }
  for (const [name, v] of Object.entries(c.env)) if (v !== undefined) env[name] = v
  const run = async (file: string, extra: Record<string, string> = {}) => {
    prepare()
    const start = Date.now()
    const outcome = await exec(file, { ...env, ...extra })
    return normalised(
      {
        ...outcome,
        credentials: fs.existsSync(credentials) ? fs.readFileSync(credentials, "utf8") : "(none)",
        aws: listing(path.join(home, ".aws")),
      },
      c.profile.name,
      start,
      text,
    )
  }
  const full = await run(bin, { AWS_IAM_LOGIN_NO_FAST: "1" })
  const fast = await run(bin)
  const alone = await run(fastOnly)
  fs.rmSync(home, { recursive: true, force: true })
  expect(fast).toEqual(full)
  if (alone.code !== 0) return false
  expect(alone).toEqual(full)
  return true
}

/** Holds `numRuns` generated cases to the full program's output; the share the fast path answered alone. */
const servedShare = async (cases: fc.Arbitrary<Case>, numRuns: number) => {
  let served = 0
  await fc.assert(
    fc.asyncProperty(cases, async (c) => {
      if (await compare(c)) served++
    }),
    { numRuns },
  )
  return served / numRuns
}

/**
 * Runs `file` with `args`, its first `action` call held by `proxy` until `signal` ends the run; with
 * `also` (given that call, to send on if it will), once what it holds is reached: let go of once the
 * run, signalled, ended or waits on it.
 */
const interrupted = async (
  proxy: FaultProxy,
  action: string,
  file: string,
  args: ReadonlyArray<string>,
  signal: NodeJS.Signals,
  env: Record<string, string>,
  also?: (call: Injected) => Promise<Held>,
) => {
  const held = proxy.inject(action, "hold")
  const child = spawn(process.execPath, [file, ...args], { env, stdio: ["ignore", "pipe", "pipe"] })
  let stdout = ""
  let stderr = ""
  child.stdout.on("data", (c: Buffer) => {
    stdout += c.toString()
  })
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString()
  })
  const ended = new Promise<Outcome>((resolve) =>
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr })),
  )
  await held.reached
  const other = await also?.(held)
  await other?.reached
  child.kill(signal)
  if (other !== undefined) {
    await Promise.race([ended, waitingOnThreads(child.pid ?? 0)])
    other.release()
  }
  return ended
}

const signalCodes = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 }

/**
 * `work -t 123456 --force` by `file` in `home`, its GetSessionToken held (and `also` done once it
 * arrives) until `signal` ends the run.
 */
const interruptedLogin = (
  home: ReturnType<typeof loginHome>,
  proxy: FaultProxy,
  file: string,
  signal: NodeJS.Signals,
  extra: Record<string, string>,
  also?: (dir: string) => (call: Injected) => Promise<Held>,
) =>
  home.run((dir) =>
    interrupted(
      proxy,
      "GetSessionToken",
      file,
      ["work", "-t", "123456", "--force"],
      signal,
      { PATH: process.env.PATH ?? "", HOME: dir, AWS_ENDPOINT_URL: proxy.endpoint, ...extra },
      also?.(dir),
    ),
  )

/** A HOME whose `[work]` holds the seeded key and its user's name: what status needs to ask IAM. */
const statusHome = () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-fast-home-"))
  fs.mkdirSync(path.join(home, ".aws"))
  fs.writeFileSync(
    path.join(home, ".aws", "credentials"),
    `[work]\naws_access_key_id = ${user.accessKeyId}\naws_secret_access_key = ${user.secretAccessKey}\nusername = ${user.userName}\n`,
    { mode: 0o600 },
  )
  return home
}

/**
 * A HOME whose `[work]` an init made (the seeded key, or `keyId` and `secret`, and its MFA device),
 * made afresh at the same path for each run; what a run there gives and leaves in ~/.aws.
 */
const loginHome = (keyId = user.accessKeyId, secret = user.secretAccessKey) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-fast-home-"))
  const credentials = path.join(dir, ".aws", "credentials")
  const before = `[work]\naws_access_key_id = ${keyId}\naws_secret_access_key = ${secret}\nmfa_serial = ${user.serials[0]}\nusername = ${user.userName}\n`
  return {
    dir,
    before,
    run: async (ran: (home: string) => Promise<Outcome>): Promise<Left> => {
      fs.rmSync(dir, { recursive: true, force: true })
      fs.mkdirSync(path.join(dir, ".aws"), { recursive: true })
      fs.writeFileSync(credentials, before, { mode: 0o600 })
      const outcome = await ran(dir)
      return {
        ...outcome,
        credentials: fs.readFileSync(credentials, "utf8"),
        aws: listing(path.join(dir, ".aws")),
      }
    },
  }
}

describe("the launcher's fast path", () => {
  it("gives what the full program gives: the same stdout, stderr and exit code", {
    timeout: 600_000,
  }, async () => {
    // A valid session found through the defaults is common enough among the cases to be served often:
    // about a quarter of them, so over 60 cases the share is more than twice the bar (over 40 it fell
    // to it about one run in ten).
    expect(await servedShare(arbitraries(3, sessionArgs), 60)).toBeGreaterThan(1 / 10)
  })

  it("gives status as the full program does, its one IAM call included", { timeout: 600_000 }, async () => {
    expect(await servedShare(arbitraries(25, statusArgs), 30)).toBeGreaterThan(1 / 5)
  })

  it("logs in with a code as the full program does: the same output and the same credentials file", {
    timeout: 600_000,
  }, async () => {
    expect(await servedShare(arbitraries(25, loginArgs, "STS"), 30)).toBeGreaterThan(1 / 5)
  })

  it("a Ctrl-C, SIGTERM or SIGHUP while status waits for IAM ends it as it ends the full program", {
    timeout: 120_000,
  }, async () => {
    const proxy = await moto.proxy()
    const home = statusHome()
    const env = { PATH: process.env.PATH ?? "", HOME: home, AWS_ENDPOINT_URL: proxy.endpoint }
    for (const [signal, code] of Object.entries(signalCodes) as Array<[NodeJS.Signals, number]>) {
      const status = (file: string, extra: Record<string, string>) =>
        interrupted(proxy, "ListAccessKeys", file, ["work", "status"], signal, { ...env, ...extra })
      // The copy without the full program reaches IAM only through the fast path.
      const fast = await status(fastOnly, {})
      const full = await status(bin, { AWS_IAM_LOGIN_NO_FAST: "1" })
      expect(fast, signal).toEqual(full)
      expect(fast, signal).toEqual({
        code,
        stdout: "",
        stderr: signal === "SIGINT" ? "aws-iam-login: interrupted by Ctrl-C.\n" : "",
      })
    }
    await proxy.stop()
    fs.rmSync(home, { recursive: true, force: true })
  })

  it("status whose IAM call is answered after the launcher stopped waiting (2 s) asks IAM once, as the full program does", {
    timeout: 120_000,
  }, async () => {
    const proxy = await moto.proxy()
    const home = statusHome()
    const env = { PATH: process.env.PATH ?? "", HOME: home, AWS_ENDPOINT_URL: proxy.endpoint }
    const listed = () => proxy.requests.filter((r) => r.action === "ListAccessKeys").length
    /** status, its ListAccessKeys held until 3 s have passed; and how often IAM was asked. */
    const slow = async (extra: Record<string, string>) => {
      const before = listed()
      const held = proxy.inject("ListAccessKeys", "hold")
      const release = held.reached.then(() => setTimeout(held.release, 3000))
      const outcome = await exec(bin, { ...env, ...extra, ARGS: JSON.stringify(["work", "status"]) })
      await release
      return { outcome, asked: listed() - before }
    }
    const fast = await slow({})
    const full = await slow({ AWS_IAM_LOGIN_NO_FAST: "1" })
    expect(fast).toEqual(full)
    expect(fast.outcome.code).toBe(0)
    expect(fast.outcome.stdout).toMatch(/^key +AKIA…\w{4}, 0 days old$/m)
    expect(fast.asked).toBe(1)
    await proxy.stop()
    fs.rmSync(home, { recursive: true, force: true })
  })

  it("a Ctrl-C, SIGTERM or SIGHUP while a login waits for STS ends it as it ends the full program: nothing written, no lock left", {
    timeout: 120_000,
  }, async () => {
    const proxy = await moto.proxy()
    const home = loginHome()
    for (const [signal, code] of Object.entries(signalCodes) as Array<[NodeJS.Signals, number]>) {
      const login = (file: string, extra: Record<string, string>) =>
        interruptedLogin(home, proxy, file, signal, extra)
      // The copy without the full program reaches STS only through the fast path.
      const fast = await login(fastOnly, {})
      const full = await login(bin, { AWS_IAM_LOGIN_NO_FAST: "1" })
      expect(fast, signal).toEqual(full)
      expect(fast, signal).toEqual({
        code,
        stdout: "",
        stderr:
          (signal === "SIGINT" ? "aws-iam-login: interrupted by Ctrl-C.\n" : "") +
          "aws-iam-login: nothing was written; AWS may have used the MFA code: log in again with the next one.\n",
        credentials: home.before,
        aws: ["credentials"],
      })
    }
    await proxy.stop()
    fs.rmSync(home.dir, { recursive: true, force: true })
  })

  it.runIf(canHold)(
    "a signal after the launcher handed its login's call over, before the full program took its lock over, leaves no lock either",
    {
      timeout: 120_000,
    },
    async () => {
      const proxy = await moto.proxy()
      const home = loginHome()
      for (const [signal, code] of Object.entries(signalCodes) as Array<[NodeJS.Signals, number]>) {
        const login = (
          extra: Record<string, string>,
          also?: (dir: string) => (call: Injected) => Promise<Held>,
        ) => interruptedLogin(home, proxy, bin, signal, extra, also)
        // With no answer in time the launcher hands the call and its lock to the full program, whose
        // first read of the credentials file (before it takes the lock over) never returns here.
        const handed = await login({}, (dir) => () => holdOpens(path.join(dir, ".aws", "credentials")))
        const full = await login({ AWS_IAM_LOGIN_NO_FAST: "1" })
        expect(handed, signal).toEqual(full)
        expect(handed, signal).toEqual({
          code,
          stdout: "",
          stderr:
            (signal === "SIGINT" ? "aws-iam-login: interrupted by Ctrl-C.\n" : "") +
            "aws-iam-login: nothing was written; AWS may have used the MFA code: log in again with the next one.\n",
          credentials: home.before,
          aws: ["credentials"],
        })
      }
      await proxy.stop()
      fs.rmSync(home.dir, { recursive: true, force: true })
    },
  )

  it.runIf(canHold)(
    "a signal while a login writes the session it got ends it as it ends the full program: no lock left",
    {
      timeout: 120_000,
    },
    async () => {
      const proxy = await moto.proxy()
      const home = loginHome()
      /** Once STS answers, the run's read of the credentials file to write the session never returns. */
      const writing = (dir: string) => async (call: Injected) => {
        const opens = await holdOpens(path.join(dir, ".aws", "credentials"))
        call.release()
        return opens
      }
      for (const [signal, code] of Object.entries(signalCodes) as Array<[NodeJS.Signals, number]>) {
        const login = (file: string, extra: Record<string, string>) =>
          interruptedLogin(home, proxy, file, signal, extra, writing)
        // The copy without the full program writes only through the fast path.
        const fast = await login(fastOnly, {})
        const full = await login(bin, { AWS_IAM_LOGIN_NO_FAST: "1" })
        expect(fast, signal).toEqual(full)
        expect(fast, signal).toEqual({
          code,
          stdout: "",
          stderr: signal === "SIGINT" ? "aws-iam-login: interrupted by Ctrl-C.\n" : "",
          credentials: home.before,
          aws: ["credentials"],
        })
      }
      await proxy.stop()
      fs.rmSync(home.dir, { recursive: true, force: true })
    },
  )

  it.runIf(canHold)(
    "a login whose STS answer comes after the launcher handed the call over is finished by the full program, as the full program finishes one: the code sent once",
    {
      timeout: 120_000,
    },
    async () => {
      const proxy = await moto.proxy()
      const home = loginHome()
      const calls = () => proxy.requests.filter((r) => r.action === "GetSessionToken").length
      /** A login whose STS call is answered once `answered` says so. */
      const login = async (extra: Record<string, string>, answered: (dir: string) => Promise<void>) => {
        const before = calls()
        const start = Date.now()
        const left = await home.run(async (dir) => {
          const held = proxy.inject("GetSessionToken", "hold")
          const ended = exec(bin, {
            PATH: process.env.PATH ?? "",
            HOME: dir,
            TZ: "UTC",
            AWS_ENDPOINT_URL: proxy.endpoint,
            ARGS: JSON.stringify(["work", "-t", "123456", "--force"]),
            ...extra,
          })
          await held.reached
          await answered(dir)
          held.release()
          return ended
        })
        expect(calls() - before).toBe(1)
        return normalised(left, "work", start, home.before)
      }
      // With no answer in time the launcher hands the call over: the full program's first read of
      // the credentials file shows it runs; then AWS answers.
      const handed = await login({}, async (dir) => {
        const opens = await holdOpens(path.join(dir, ".aws", "credentials"))
        await opens.reached
        opens.release()
      })
      const full = await login({ AWS_IAM_LOGIN_NO_FAST: "1" }, async () => {})
      expect(handed).toEqual(full)
      expect(handed).toMatchObject({ code: 0, stderr: "", aws: ["credentials"] })
      expect(handed.stdout).toMatch(
        /^Logged in: \[work-sts\] holds a session valid until <start \+ 720 min> \(11h 59m left\)\.\n/,
      )
      expect(handed.credentials.slice(home.before.length)).toMatch(
        /^\n\[work-sts\]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = \S+\naws_session_token = \S+\nexpiration = <start \+ 720 min>\n$/,
      )
      expect(handed.credentials.startsWith(home.before)).toBe(true)
      await proxy.stop()
      fs.rmSync(home.dir, { recursive: true, force: true })
    },
  )

  it("a login whose STS call fails (a server error, a dropped connection) fails as the full program fails, the file unchanged, the code sent once", {
    timeout: 120_000,
  }, async () => {
    const proxy = await moto.proxy()
    const home = loginHome()
    const failures = {
      fail: "AWS answered sts:GetSessionToken with 500 InternalFailure (The proxy failed this request on purpose)",
      drop: "Could not reach AWS for sts:GetSessionToken (socket hang up): check the network, AWS_REGION and AWS_ENDPOINT_URL.",
    }
    for (const [fault, said] of Object.entries(failures) as Array<[Fault, string]>) {
      const login = (file: string, extra: Record<string, string>) =>
        home.run((dir) => {
          proxy.inject("GetSessionToken", fault)
          return exec(file, {
            PATH: process.env.PATH ?? "",
            HOME: dir,
            AWS_ENDPOINT_URL: proxy.endpoint,
            ARGS: JSON.stringify(["work", "-t", "123456", "--force"]),
            ...extra,
          })
        })
      const fast = await login(bin, {})
      const full = await login(bin, { AWS_IAM_LOGIN_NO_FAST: "1" })
      // The copy without the full program sends the call too: the launcher's own.
      await login(fastOnly, {})
      expect(fast, fault).toEqual(full)
      expect(fast, fault).toEqual({
        code: 1,
        stdout: "",
        stderr: `aws-iam-login: ${said}\n`,
        credentials: home.before,
        aws: ["credentials"],
      })
    }
    // One call each: AWS may have taken the code, so it is not sent again.
    expect(proxy.requests.filter((r) => r.action === "GetSessionToken")).toHaveLength(3 * 2)
    await proxy.stop()
    fs.rmSync(home.dir, { recursive: true, force: true })
  })

  it.runIf(canHold)(
    "two logins of one profile at once spend one code through the launcher as through the full program: one logs in, the other (which found the lock held) then finds that session",
    {
      timeout: 120_000,
    },
    async () => {
      const proxy = await moto.proxy()
      const home = loginHome()
      const calls = () => proxy.requests.filter((r) => r.action === "GetSessionToken").length
      const twice = async (extra: Record<string, string>) => {
        const before = calls()
        const start = Date.now()
        const left = await home.run(async (dir) => {
          const env = {
            PATH: process.env.PATH ?? "",
            HOME: dir,
            TZ: "UTC",
            AWS_ENDPOINT_URL: proxy.endpoint,
            ARGS: JSON.stringify(["login", "work", "-t", "123456"]),
            ...extra,
          }
          const held = proxy.inject("GetSessionToken", "hold")
          const first = exec(bin, env)
          await held.reached
          // The second reads who holds the profile's login lock (the first, waiting for STS).
          const lock = await holdOpens(path.join(dir, ".aws", "credentials.work.login.lock"))
          const second = exec(bin, env)
          await Promise.race([second, lock.reached])
          lock.release()
          held.release()
          const outcomes = await Promise.all([first, second])
          return {
            code: Math.max(...outcomes.map((o) => o.code)),
            stdout: outcomes
              .map((o) => o.stdout.replace(/(still valid until )\S+/, "$1…"))
              .sort()
              .join(""),
            // Whether the second still found the lock held once the full program ran (and said it waits) is timing.
            stderr: outcomes
              .map((o) => o.stderr.replace(/^Waiting for pid \d+ \(since \S+\) to release \S+…\n/, ""))
              .join(""),
          }
        })
        expect(calls() - before).toBe(1)
        return normalised(left, "work", start, home.before)
      }
      const fast = await twice({})
      const full = await twice({ AWS_IAM_LOGIN_NO_FAST: "1" })
      expect(fast).toEqual(full)
      expect(fast).toMatchObject({
        code: 0,
        stdout:
          "Logged in: [work-sts] holds a session valid until <start + 720 min> (11h 59m left).\n" +
          "Use it with AWS_PROFILE=work-sts, or source_profile = work-sts in a role profile.\n" +
          "[work-sts] is still valid until … (11h 59m left); use --force to log in again.\n",
        stderr: "",
        aws: ["credentials"],
      })
      await proxy.stop()
      fs.rmSync(home.dir, { recursive: true, force: true })
    },
  )

  it("a login keeps what another program wrote into the credentials file while STS answered, as the full program does", {
    timeout: 120_000,
  }, async () => {
    const proxy = await moto.proxy()
    const home = loginHome()
    const added = "[other]\naws_access_key_id = AKIAOTHERKEY00000001\naws_secret_access_key = other\n"
    const login = async (file: string, extra: Record<string, string>) => {
      const start = Date.now()
      const left = await home.run(async (dir) => {
        const held = proxy.inject("GetSessionToken", "hold")
        const ended = exec(file, {
          PATH: process.env.PATH ?? "",
          HOME: dir,
          TZ: "UTC",
          AWS_ENDPOINT_URL: proxy.endpoint,
          ARGS: JSON.stringify(["work", "-t", "123456", "--force"]),
          ...extra,
        })
        await held.reached
        fs.appendFileSync(path.join(dir, ".aws", "credentials"), added)
        held.release()
        return ended
      })
      return normalised(left, "work", start, home.before)
    }
    // The copy without the full program writes only through the fast path.
    const fast = await login(fastOnly, {})
    const full = await login(bin, { AWS_IAM_LOGIN_NO_FAST: "1" })
    expect(fast).toEqual(full)
    expect(fast).toMatchObject({ code: 0, stderr: "", aws: ["credentials"] })
    expect(fast.credentials.startsWith(home.before + added)).toBe(true)
    expect(fast.credentials.slice((home.before + added).length)).toMatch(
      /^\n\[work-sts\]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n/,
    )
    await proxy.stop()
    fs.rmSync(home.dir, { recursive: true, force: true })
  })

  it("a login whose credentials file is a link (kept with dotfiles) writes through it, leaving the link, through the launcher as through the full program", {
    timeout: 120_000,
  }, async () => {
    const home = loginHome()
    const login = async (file: string, extra: Record<string, string>) => {
      const start = Date.now()
      let linked = false
      const left = await home.run(async (dir) => {
        const credentials = path.join(dir, ".aws", "credentials")
        fs.mkdirSync(path.join(dir, "dotfiles"))
        fs.renameSync(credentials, path.join(dir, "dotfiles", "aws-credentials"))
        fs.symlinkSync("../dotfiles/aws-credentials", credentials)
        const ended = await exec(file, {
          PATH: process.env.PATH ?? "",
          HOME: dir,
          TZ: "UTC",
          AWS_ENDPOINT_URL: moto.direct,
          ARGS: JSON.stringify(["work", "-t", "123456", "--force"]),
          ...extra,
        })
        linked = fs.lstatSync(credentials).isSymbolicLink()
        return ended
      })
      return { ...normalised(left, "work", start, home.before), linked }
    }
    // The copy without the full program writes only through the fast path.
    const fast = await login(fastOnly, {})
    const full = await login(bin, { AWS_IAM_LOGIN_NO_FAST: "1" })
    expect(fast).toEqual(full)
    expect(fast).toMatchObject({ code: 0, stderr: "", linked: true, aws: ["credentials"] })
    expect(fast.credentials.slice(home.before.length)).toMatch(
      /^\n\[work-sts\]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = \S+\naws_session_token = \S+\nexpiration = <start \+ 720 min>\n$/,
    )
    fs.rmSync(home.dir, { recursive: true, force: true })
  })

  it("a login whose STS call gets no answer within AWS_IAM_LOGIN_TIMEOUT fails as the full program fails, the file unchanged", {
    timeout: 120_000,
  }, async () => {
    const proxy = await moto.proxy()
    const home = loginHome()
    const login = (file: string, extra: Record<string, string>) =>
      home.run(async (dir) => {
        const held = proxy.inject("GetSessionToken", "hold")
        const ended = await exec(file, {
          PATH: process.env.PATH ?? "",
          HOME: dir,
          AWS_ENDPOINT_URL: proxy.endpoint,
          AWS_IAM_LOGIN_TIMEOUT: "1",
          ARGS: JSON.stringify(["work", "--token", "123456", "--force"]),
          ...extra,
        })
        // Sent on only now that the run gave up: moto never sees it.
        held.release()
        return ended
      })
    const fast = await login(bin, {})
    const full = await login(bin, { AWS_IAM_LOGIN_NO_FAST: "1" })
    // The copy without the full program sends the call too: the launcher's own.
    await login(fastOnly, {})
    expect(fast).toEqual(full)
    expect(fast).toEqual({
      code: 1,
      stdout: "",
      stderr: `aws-iam-login: AWS did not answer sts:GetSessionToken at ${proxy.endpoint} within 1 s: check the network, AWS_REGION and AWS_ENDPOINT_URL.\n`,
      credentials: home.before,
      aws: ["credentials"],
    })
    // One call each: a code is sent once, by the launcher when it runs.
    expect(proxy.requests.filter((r) => r.action === "GetSessionToken")).toHaveLength(3)
    await proxy.stop()
    fs.rmSync(home.dir, { recursive: true, force: true })
  })

  it("a login that STS refuses (a wrong secret, a key AWS does not know) fails as the full program fails, the file unchanged", {
    timeout: 120_000,
  }, async () => {
    const checks = (body: string) => fetch(`${moto.direct}/moto-api/reset-auth`, { method: "POST", body })
    const proxy = await moto.proxy()
    const refusals = [
      ["SignatureDoesNotMatch", user.accessKeyId, "wrongSecret/00000000000000000000000000000"],
      ["InvalidClientTokenId", "AKIAUNKNOWNKEY000042", user.secretAccessKey],
    ] as const
    for (const [refusal, keyId, secret] of refusals) {
      const home = loginHome(keyId, secret)
      const login = (file: string, extra: Record<string, string>) =>
        home.run((dir) =>
          exec(file, {
            PATH: process.env.PATH ?? "",
            HOME: dir,
            AWS_ENDPOINT_URL: proxy.endpoint,
            ARGS: JSON.stringify(["login", "work", "-t", "123456"]),
            ...extra,
          }),
        )
      await checks("0")
      try {
        const fast = await login(bin, {})
        const full = await login(bin, { AWS_IAM_LOGIN_NO_FAST: "1" })
        // The copy without the full program sends the call too: the launcher's own.
        await login(fastOnly, {})
        expect(fast, refusal).toEqual(full)
        expect(fast, refusal).toEqual({
          code: 1,
          stdout: "",
          stderr: `aws-iam-login: AWS refused key AKIA…${keyId.slice(-4)} for sts:GetSessionToken (${refusal}): the key is wrong, inactive or deleted.\n`,
          credentials: home.before,
          aws: ["credentials"],
        })
      } finally {
        await checks("1000000")
      }
      fs.rmSync(home.dir, { recursive: true, force: true })
    }
    // One call each: a refused code is not sent again, by the launcher when it runs.
    expect(proxy.requests.filter((r) => r.action === "GetSessionToken")).toHaveLength(3 * refusals.length)
    await proxy.stop()
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
