import { execFile } from "node:child_process"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { promisify } from "node:util"
import * as vm from "node:vm"
import { describe, expect, it } from "vitest"
import pkg from "../../package.json" with { type: "json" }
import { available, aws_iam_login, bin, makeHome, seedUser } from "./moto.js"
import { motoForSuite } from "./suite.js"

const run = promisify(execFile)
const entryName = `main-${process.version}.v8`
const main = path.join(path.dirname(bin), "main.cjs")
const sha256 = (data: string | Buffer) => crypto.createHash("sha256").update(data).digest("hex")

/** A cache home of its own; `dir` is where the launcher keeps the cache in it. */
const cacheHome = () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-cache-"))
  // The cache is the full program's: the fast path (src/fast.ts) would answer --version without it.
  return {
    env: { ...process.env, XDG_CACHE_HOME: home, AWS_IAM_LOGIN_NO_FAST: "1" },
    dir: path.join(home, "aws-iam-login"),
  }
}

const version = async (env: NodeJS.ProcessEnv) =>
  (await run(process.execPath, [bin, "--version"], { env })).stdout

/**
 * V8 data made from other code of main.cjs's length, which V8 accepts for main.cjs (it checks the
 * length, not the content): run, it prints FORGED. `claimed` is the source digest its header names.
 */
const forgedEntry = (claimed: "forged source" | "real source") => {
  const real = fs.readFileSync(main, "utf8")
  const code = 'exports.forged=1;exports.start=()=>console.log("FORGED");'
  const forged = code + " ".repeat(real.length - code.length)
  const wrap = (source: string) =>
    `(function (exports, require, module, __filename, __dirname) {${source}\n})`
  const evaluate = (script: vm.Script) => {
    const exports: { forged?: number } = {}
    script.runInThisContext()(exports, () => ({}), {}, main, path.dirname(main))
    return exports
  }
  const script = new vm.Script(wrap(forged), { filename: main })
  evaluate(script)
  const data = script.createCachedData()
  // Without the launcher's checks, V8 would run it in place of main.cjs:
  expect(evaluate(new vm.Script(wrap(real), { filename: main, cachedData: data })).forged).toBe(1)
  const source = sha256(claimed === "real source" ? real : forged)
  return Buffer.concat([Buffer.from(`aws-iam-login-code-cache-1 ${source} ${sha256(data)} login\n`), data])
}

const header = (file: string) => fs.readFileSync(file).subarray(0, 200).toString().split("\n")[0]!.split(" ")

describe("the installed command's code cache", () => {
  it("is written 0600 in a 0700 directory by the first run that succeeds, bound to its source, and reused", async () => {
    const { env, dir } = cacheHome()
    await expect(run(process.execPath, [bin, "--no-such-flag"], { env })).rejects.toMatchObject({ code: 2 })
    expect(fs.existsSync(dir)).toBe(false)
    expect(await version(env)).toBe(`${pkg.version}\n`)
    expect(fs.readdirSync(dir)).toEqual([entryName])
    const entry = path.join(dir, entryName)
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700)
    expect(fs.statSync(entry).mode & 0o777).toBe(0o600)
    const [, source, data] = header(entry)
    expect(source).toBe(sha256(fs.readFileSync(main, "utf8")))
    expect(data).toBe(sha256(fs.readFileSync(entry).subarray(fs.readFileSync(entry).indexOf(10) + 1)))
    const written = fs.statSync(entry).mtimeMs
    expect(await version(env)).toBe(`${pkg.version}\n`)
    expect(fs.statSync(entry).mtimeMs).toBe(written)
  })

  it("a run often made (login, export, status) adds its functions; the rare ones do not rewrite it", async () => {
    const { env, dir } = cacheHome()
    await version(env)
    const entry = path.join(dir, entryName)
    const before = fs.statSync(entry).size
    await run(process.execPath, [bin, "--help"], { env })
    expect(fs.statSync(entry).size).toBe(before)
    const files = path.join(path.dirname(dir), "credentials")
    fs.writeFileSync(files, "[work]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = x\n")
    await run(process.execPath, [bin, "work", "status", "--json"], {
      env: { ...env, AWS_SHARED_CREDENTIALS_FILE: files, AWS_CONFIG_FILE: `${files}.none` },
    })
    expect(header(entry)[3]).toBe("--version,status")
    expect(fs.statSync(entry).size).toBeGreaterThan(before)
  })

  it("an entry made from other code, or damaged, is not run and is replaced", async () => {
    const { env, dir } = cacheHome()
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
    const entry = path.join(dir, entryName)
    fs.writeFileSync(entry, forgedEntry("forged source"), { mode: 0o600 })
    expect(await version(env)).toBe(`${pkg.version}\n`)
    expect(header(entry)[1]).toBe(sha256(fs.readFileSync(main, "utf8")))
    const damaged = fs.readFileSync(entry)
    const at = damaged.length - 100
    damaged.writeUInt8(damaged.readUInt8(at) ^ 0xff, at)
    fs.writeFileSync(entry, damaged)
    expect(await version(env)).toBe(`${pkg.version}\n`)
    expect(fs.readFileSync(entry).equals(damaged)).toBe(false)
  })

  it("is not used from a directory others can write, or that is not the user's, or is a link", async () => {
    const forged = forgedEntry("real source")
    const shared = cacheHome()
    fs.mkdirSync(shared.dir, { recursive: true })
    fs.chmodSync(shared.dir, 0o777)
    fs.writeFileSync(path.join(shared.dir, entryName), forged, { mode: 0o600 })
    expect(await version(shared.env)).toBe(`${pkg.version}\n`)
    expect(fs.readdirSync(shared.dir)).toEqual([entryName])
    expect(fs.readFileSync(path.join(shared.dir, entryName)).equals(forged)).toBe(true)

    const linked = cacheHome()
    const real = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-elsewhere-"))
    fs.writeFileSync(path.join(real, entryName), forged, { mode: 0o600 })
    fs.mkdirSync(path.dirname(linked.dir), { recursive: true })
    fs.symlinkSync(real, linked.dir)
    expect(await version(linked.env)).toBe(`${pkg.version}\n`)
    expect(fs.readdirSync(real)).toEqual([entryName])

    const entryOfOthers = cacheHome()
    fs.mkdirSync(entryOfOthers.dir, { recursive: true, mode: 0o700 })
    fs.writeFileSync(path.join(entryOfOthers.dir, entryName), forged, { mode: 0o644 })
    expect(await version(entryOfOthers.env)).toBe(`${pkg.version}\n`)

    // Another user's directory and entry: only root can make them here.
    if (process.getuid?.() === 0) {
      const foreign = cacheHome()
      fs.mkdirSync(foreign.dir, { recursive: true, mode: 0o700 })
      fs.writeFileSync(path.join(foreign.dir, entryName), forged, { mode: 0o600 })
      fs.chownSync(path.join(foreign.dir, entryName), 12345, 12345)
      expect(await version(foreign.env)).toBe(`${pkg.version}\n`)
      fs.writeFileSync(path.join(foreign.dir, entryName), forged, { mode: 0o600 })
      fs.chownSync(foreign.dir, 12345, 12345)
      expect(await version(foreign.env)).toBe(`${pkg.version}\n`)
      expect(fs.readFileSync(path.join(foreign.dir, entryName)).equals(forged)).toBe(true)
    }
  })

  it("a link planted at the entry's path is replaced, never written through", async () => {
    const { env, dir } = cacheHome()
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
    const victim = path.join(path.dirname(dir), "credentials")
    fs.writeFileSync(victim, "[work]\nsecret\n")
    fs.symlinkSync(victim, path.join(dir, entryName))
    for (let pid = process.pid; pid < process.pid + 50; pid++)
      fs.symlinkSync(victim, path.join(dir, `${entryName}.${pid}`))
    expect(await version(env)).toBe(`${pkg.version}\n`)
    expect(fs.readFileSync(victim, "utf8")).toBe("[work]\nsecret\n")
    expect(fs.lstatSync(path.join(dir, entryName)).isFile()).toBe(true)
  })

  it("stays within 4 MB, and AWS_IAM_LOGIN_NO_CACHE turns it off", async () => {
    const { env, dir } = cacheHome()
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
    fs.writeFileSync(path.join(dir, "main-v18.0.0.v8"), Buffer.alloc(3_500_000), { mode: 0o600 })
    fs.writeFileSync(path.join(dir, "main---version-0123-v20.0.0.v8"), Buffer.alloc(3_500_000), {
      mode: 0o600,
    })
    fs.writeFileSync(path.join(dir, `iam-${process.version}.v8`), Buffer.alloc(3_500_000), { mode: 0o600 })
    await version(env)
    const sizes = fs.readdirSync(dir).map((name) => fs.statSync(path.join(dir, name)).size)
    expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(4 * 1024 * 1024)
    expect(fs.readdirSync(dir)).toEqual([`iam-${process.version}.v8`])

    const off = cacheHome()
    expect(await version({ ...off.env, AWS_IAM_LOGIN_NO_CACHE: "1" })).toBe(`${pkg.version}\n`)
    expect(fs.existsSync(off.dir)).toBe(false)
  })

  it("a Ctrl-C while a run that succeeded writes it ends that run with its own exit code, 0, and its whole output", async () => {
    const { env, dir } = cacheHome()
    // Run first by Node: says when the entry's file is created, and makes that take two seconds.
    const slow = path.join(path.dirname(dir), "slow-cache.cjs")
    fs.writeFileSync(
      slow,
      `const fs = require("node:fs")
const writing = (file) => String(file).includes("aws-iam-login") && String(file).endsWith(".tmp")
const openSync = fs.openSync
fs.openSync = function (file, ...rest) {
  if (writing(file)) {
    fs.writeSync(2, "writing the cache\\n")
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000)
  }
  return openSync.call(this, file, ...rest)
}
const open = fs.promises.open
fs.promises.open = async function (file, ...rest) {
  if (writing(file)) {
    fs.writeSync(2, "writing the cache\\n")
    await new Promise((resolve) => setTimeout(resolve, 2000))
  }
  return open.call(this, file, ...rest)
}
`,
    )
    // A run that ends after its work was asynchronous (reading the files), with a key to list.
    const home = path.dirname(dir)
    fs.mkdirSync(path.join(home, ".aws"), { mode: 0o700 })
    fs.writeFileSync(
      path.join(home, ".aws", "credentials"),
      "[work]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
      { mode: 0o600 },
    )
    const ended = await new Promise<{ code: number | null; signal: string | null; stdout: string }>(
      (resolve) => {
        const child = execFile(
          process.execPath,
          [bin, "list"],
          { env: { ...env, HOME: home, NODE_OPTIONS: `--require ${slow}` } },
          (error, stdout) =>
            resolve({
              code: error ? (error.code as number | null) : 0,
              signal: error?.signal ?? null,
              stdout,
            }),
        )
        child.stderr?.on("data", (chunk: Buffer) => {
          if (chunk.toString().includes("writing the cache")) child.kill("SIGINT")
        })
      },
    )
    expect(ended.stdout).toMatch(/^PROFILE .*\nwork +file /)
    expect(ended).toMatchObject({ code: 0, signal: null })
  })
})

describe.runIf(available)("the code cache against moto", () => {
  const moto = motoForSuite()

  it("holds the program, both SDK bundles and the fast paths after init, a login and status, and is not rewritten by the next ones", {
    timeout: 120_000,
  }, async () => {
    const home = makeHome(await seedUser(moto, "cached", { devices: ["cached-phone"] }))
    const dir = path.join(home.dir, ".cache", "aws-iam-login")
    const runs = [
      ["work", "init"],
      ["work", "--token", "123456"],
      ["work", "status"],
    ]
    for (const args of runs)
      expect(await aws_iam_login(home, moto.endpoint, args), args.join(" ")).toMatchObject({ code: 0 })
    const entries = ["fast", "iam", "main", "sts"].map((name) => `${name}-${process.version}.v8`)
    expect(fs.readdirSync(dir).sort()).toEqual(entries)
    // status and a login with a code are answered before the program loads, by dist/fast.cjs
    // (src/fastCalls.ts) and their SDK bundle.
    const kinds = entries.map((name) => header(path.join(dir, name))[3])
    expect(kinds).toEqual(["login,status", "init,status", "init", "init,login"])
    const written = entries.map((name) => fs.statSync(path.join(dir, name)).mtimeMs)
    for (const args of [
      ["work", "status"],
      ["work", "--force", "--token", "123456"],
    ])
      expect(await aws_iam_login(home, moto.endpoint, args), args.join(" ")).toMatchObject({ code: 0 })
    expect(entries.map((name) => fs.statSync(path.join(dir, name)).mtimeMs)).toEqual(written)
  })
})
