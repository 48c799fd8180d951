import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { promisify } from "node:util"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { afterAll, beforeAll, describe, expect, it, vi } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Fiber, Layer } from "effect"
import * as CredentialsFileLayer from "../src/layers/CredentialsFile.js"
import { CredentialsFile } from "../src/services/CredentialsFile.js"
import { tempHome } from "./support/harness.js"
import { bundle, deadPid } from "./support/programs.js"

const run = promisify(execFile)

const withFile = (credentials: string) =>
  Effect.provide(
    CredentialsFileLayer.layer({ credentials, config: `${credentials}.config` }).pipe(
      Layer.provide(NodeFileSystem.layer),
    ),
  )

const set = (profile: string, values: Record<string, string>) =>
  Effect.flatMap(CredentialsFile, (files) => files.update([{ section: profile, set: values }]))

/** The failure's message, for an effect that must fail. */
const refusal = <A, E extends { readonly message: string }, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.flip(effect), (error) => error.message)

/** Test programs run as processes of their own: the writer (test/support/writer.ts) and the lead's locker. */
const programs = { writer: "", locker: "" }
const children: Array<ChildProcess> = []
beforeAll(async () => {
  for (const name of ["writer", "locker"] as const) programs[name] = await bundle(name)
})
afterAll(() => {
  for (const child of children) child.kill("SIGKILL")
})

/** Starts `program` and resolves once its output (stdout and stderr) contains `text`. */
const startUntil = (args: ReadonlyArray<string>, text: string) =>
  new Promise<{ child: ChildProcess; output: () => string }>((resolve, reject) => {
    const child = spawn(process.execPath, [...args], { stdio: ["ignore", "pipe", "pipe"] })
    children.push(child)
    let output = ""
    const seen = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes(text)) resolve({ child, output: () => output })
    }
    child.stdout?.on("data", seen)
    child.stderr?.on("data", seen)
    child.once("exit", (code) => reject(new Error(`exited with ${code} before printing ${text}: ${output}`)))
  })

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) =>
    child.exitCode === null ? child.once("exit", (code) => resolve(code)) : resolve(child.exitCode),
  )

describe("the credentials file on disk", () => {
  it.live("creates a missing directory 0700 and the file 0600", () =>
    Effect.gen(function* () {
      const { dir } = tempHome()
      const file = path.join(dir, "nested", ".aws", "credentials")
      yield* set("work", { a: "1" }).pipe(withFile(file))
      expect(fs.readFileSync(file, "utf8")).toBe("[work]\na = 1\n")
      expect(fs.statSync(file).mode & 0o777).toBe(0o600)
      expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700)
      expect(fs.readdirSync(path.dirname(file))).toEqual(["credentials"])
    }),
  )

  it.live("tightens a world-readable file to 0600", () =>
    Effect.gen(function* () {
      const { credentials } = tempHome()
      fs.writeFileSync(credentials, "[work]\n", { mode: 0o644 })
      yield* set("work", { a: "1" }).pipe(withFile(credentials))
      expect(fs.statSync(credentials).mode & 0o777).toBe(0o600)
    }),
  )

  it.live("a symlink stays a symlink and its target gets the edit", () =>
    Effect.gen(function* () {
      const { dir, credentials } = tempHome()
      const target = path.join(dir, "dotfiles", "aws-credentials")
      fs.mkdirSync(path.dirname(target))
      fs.writeFileSync(target, "# mine\n[work]\na = 0\n")
      fs.symlinkSync(path.relative(dir, target), credentials)
      yield* set("work", { a: "1" }).pipe(withFile(credentials))
      expect(fs.lstatSync(credentials).isSymbolicLink()).toBe(true)
      expect(fs.readFileSync(target, "utf8")).toBe("# mine\n[work]\na = 1\n")
    }),
  )

  it.live("refuses a value that would corrupt the file and leaves it untouched", () =>
    Effect.gen(function* () {
      const { credentials } = tempHome()
      fs.writeFileSync(credentials, "[work]\na = 0\n")
      const result = yield* set("work", { a: "1\n[evil]" }).pipe(withFile(credentials), Effect.either)
      expect(Either.isLeft(result) && result.left.message).toContain("Refusing to write")
      expect(fs.readFileSync(credentials, "utf8")).toBe("[work]\na = 0\n")
    }),
  )

  it.live("a stale lock left by a killed process is recovered", () =>
    Effect.gen(function* () {
      const { credentials } = tempHome()
      fs.writeFileSync(`${credentials}.lock`, "99999")
      const old = new Date(Date.now() - 60_000)
      fs.utimesSync(`${credentials}.lock`, old, old)
      yield* set("work", { a: "1" }).pipe(withFile(credentials))
      expect(fs.readFileSync(credentials, "utf8")).toBe("[work]\na = 1\n")
      expect(fs.existsSync(`${credentials}.lock`)).toBe(false)
    }),
  )

  it("parallel writers in separate processes lose nothing", async () => {
    const { credentials } = tempHome()
    fs.writeFileSync(credentials, "# shared\n[keep]\nx = 1\n")
    const profiles = ["p1", "p2", "p3", "p4", "p5", "p6"]
    await Promise.all(profiles.map((p) => run(process.execPath, [programs.writer, credentials, p, "8"])))
    const text = fs.readFileSync(credentials, "utf8")
    expect(text.startsWith("# shared\n[keep]\nx = 1\n")).toBe(true)
    for (const p of profiles) {
      expect(text).toContain(
        `[${p}]\n${Array.from({ length: 8 }, (_, i) => `k${i + 1} = v${i + 1}\n`).join("")}`,
      )
    }
  })

  it("processes racing for the lock of a writer that died take it over at once and lose nothing", async () => {
    const { credentials } = tempHome()
    fs.writeFileSync(credentials, "[keep]\nx = 1\n")
    // The lock as an earlier version left it (its pid only), and as this one leaves it.
    fs.writeFileSync(`${credentials}.lock`, String(deadPid()))
    const old = new Date(Date.now() - 5_000)
    fs.utimesSync(`${credentials}.lock`, old, old)
    const profiles = ["p1", "p2", "p3", "p4"]
    await Promise.all(profiles.map((p) => run(process.execPath, [programs.writer, credentials, p, "5"])))
    const counter = path.join(path.dirname(credentials), "counter")
    fs.writeFileSync(counter, "0")
    await run(process.execPath, [programs.locker, "die", `${credentials}.lock`, counter]).catch(
      () => undefined,
    )
    expect(fs.readFileSync(counter, "utf8")).toBe("1")
    expect(fs.existsSync(`${credentials}.lock`)).toBe(true)
    await Promise.all(["q1", "q2"].map((p) => run(process.execPath, [programs.writer, credentials, p, "5"])))
    const text = fs.readFileSync(credentials, "utf8")
    for (const p of [...profiles, "q1", "q2"])
      expect(text).toContain(`[${p}]\nk1 = v1\nk2 = v2\nk3 = v3\nk4 = v4\nk5 = v5\n`)
    expect(fs.readdirSync(path.dirname(credentials)).filter((f) => f.includes(".lock"))).toEqual([])
  })

  it("a writer paused inside the lock, however long, keeps it: the next one waits and says for whom", async () => {
    const { credentials } = tempHome()
    fs.writeFileSync(credentials, "[keep]\nx = 1\n")
    const lock = `${credentials}.lock`
    const holder = await startUntil([programs.locker, "hold", lock], "held")
    holder.child.kill("SIGSTOP")
    const old = new Date(Date.now() - 3_600_000)
    fs.utimesSync(lock, old, old)
    const held = fs.readFileSync(lock, "utf8")
    const writer = await startUntil([programs.writer, credentials, "late", "1"], "Waiting for pid")
    expect(writer.output()).toMatch(
      new RegExp(
        `Waiting for pid ${holder.child.pid} \\(since \\d{4}-\\d\\d-\\d\\dT[\\d:]{8}Z\\) to release ${lock}…`,
      ),
    )
    expect(fs.readFileSync(lock, "utf8")).toBe(held)
    expect(fs.readFileSync(credentials, "utf8")).toBe("[keep]\nx = 1\n")
    holder.child.kill("SIGKILL")
    expect(await exited(writer.child)).toBe(0)
    expect(fs.readFileSync(credentials, "utf8")).toBe("[keep]\nx = 1\n\n[late]\nk1 = v1\n")
  })

  it.live("keeps a 0640 file 0640, and never widens a mode", () =>
    Effect.gen(function* () {
      const { credentials } = tempHome()
      fs.writeFileSync(credentials, "[work]\n")
      fs.chmodSync(credentials, 0o640)
      yield* set("work", { a: "1" }).pipe(withFile(credentials))
      expect(fs.statSync(credentials).mode & 0o777).toBe(0o640)
      fs.chmodSync(credentials, 0o660)
      yield* set("work", { a: "2" }).pipe(withFile(credentials))
      expect(fs.statSync(credentials).mode & 0o777).toBe(0o640)
      fs.chmodSync(credentials, 0o600)
      yield* set("work", { a: "3" }).pipe(withFile(credentials))
      expect(fs.statSync(credentials).mode & 0o777).toBe(0o600)
    }),
  )

  it.live("refuses a read-only file and leaves it as it is", () =>
    Effect.gen(function* () {
      const { credentials } = tempHome()
      fs.writeFileSync(credentials, "[work]\na = 0\n")
      fs.chmodSync(credentials, 0o400)
      const message = yield* refusal(set("work", { a: "1" }).pipe(withFile(credentials)))
      expect(message).toBe(
        `Could not write ${credentials}: it is read-only (mode 400), so it is left as it is: to let aws-iam-login update it, run \`chmod u+w ${credentials}\`.`,
      )
      expect(fs.readFileSync(credentials, "utf8")).toBe("[work]\na = 0\n")
      expect(fs.statSync(credentials).mode & 0o777).toBe(0o400)
    }),
  )

  it.live("refuses a FIFO, a directory or a device at once, without opening it", () =>
    Effect.gen(function* () {
      const { dir, credentials, config } = tempHome()
      execFileSync("mkfifo", [credentials, config])
      const files = CredentialsFileLayer.layer({ credentials, config }).pipe(
        Layer.provide(NodeFileSystem.layer),
      )
      const read = yield* refusal(Effect.flatMap(CredentialsFile, (f) => f.read).pipe(Effect.provide(files)))
      expect(read).toBe(
        `Could not read ${credentials}: it is a named pipe (FIFO), not a regular file: point AWS_SHARED_CREDENTIALS_FILE at a regular file.`,
      )
      const write = yield* refusal(set("work", { a: "1" }).pipe(Effect.provide(files)))
      expect(write).toContain("it is a named pipe (FIFO), not a regular file")
      fs.rmSync(credentials)
      fs.writeFileSync(credentials, "")
      // The AWS SDK reads the config file itself: a FIFO there is refused before any AWS call.
      expect(yield* refusal(Effect.flatMap(CredentialsFile, (f) => f.read).pipe(Effect.provide(files)))).toBe(
        `Could not read ${config}: it is a named pipe (FIFO), not a regular file: point AWS_CONFIG_FILE at a regular file.`,
      )
      const region = yield* refusal(
        Effect.flatMap(CredentialsFile, (f) =>
          f.region("work", { path: credentials, sections: new Map() }),
        ).pipe(Effect.provide(files), Effect.withConfigProvider(ConfigProvider.fromJson({}))),
      )
      expect(region).toContain(`Could not read ${config}: it is a named pipe (FIFO)`)
      expect(region).toContain("AWS_CONFIG_FILE")
      const folder = path.join(dir, "folder")
      fs.mkdirSync(folder)
      expect(yield* refusal(set("work", { a: "1" }).pipe(withFile(folder)))).toContain("it is a directory")
      expect(yield* refusal(set("work", { a: "1" }).pipe(withFile("/dev/null")))).toContain("it is a device")
    }),
  )

  it.live(
    "refuses a directory others can write to, along the whole chain of links, with the command that fixes it",
    () =>
      Effect.gen(function* () {
        const { dir, credentials } = tempHome()
        fs.writeFileSync(credentials, "[work]\n")
        fs.chmodSync(dir, 0o777)
        const open = yield* refusal(set("work", { a: "1" }).pipe(withFile(credentials)))
        expect(open).toBe(
          `Could not use ${dir}: other users can write to it (mode 777) and could plant or swap files there: run \`chmod 700 ${dir}\`.`,
        )
        fs.chmodSync(dir, 0o770)
        expect(yield* refusal(set("work", { a: "1" }).pipe(withFile(credentials)))).toContain("mode 770")
        expect(fs.readFileSync(credentials, "utf8")).toBe("[work]\n")
        // A link in a safe directory to a file in the shared one.
        const safe = tempHome()
        fs.symlinkSync(credentials, safe.credentials)
        expect(yield* refusal(set("work", { a: "1" }).pipe(withFile(safe.credentials)))).toContain(
          `chmod 700 ${dir}`,
        )
        // A link in the shared directory to a file in a safe one.
        const target = tempHome()
        fs.writeFileSync(target.credentials, "[work]\n")
        const link = path.join(dir, "link")
        fs.symlinkSync(target.credentials, link)
        expect(yield* refusal(set("work", { a: "1" }).pipe(withFile(link)))).toContain(`chmod 700 ${dir}`)
        expect(fs.readFileSync(target.credentials, "utf8")).toBe("[work]\n")
      }),
  )

  it.live("refuses a file that belongs to another user", () =>
    Effect.gen(function* () {
      const { credentials } = tempHome()
      fs.writeFileSync(credentials, "[work]\n")
      // Only root can give a file away.
      if (process.getuid?.() !== 0) return
      fs.chownSync(credentials, 12345, 12345)
      expect(yield* refusal(set("work", { a: "1" }).pipe(withFile(credentials)))).toBe(
        `Could not write ${credentials}: it belongs to another user (uid 12345), so it is left as it is: make it yours with \`sudo chown $(id -un) ${credentials}\`.`,
      )
      expect(fs.statSync(credentials).uid).toBe(12345)
    }),
  )

  it.live(
    "never writes through a link planted at a temporary file's path, and removes dead writers' leftovers",
    () =>
      Effect.gen(function* () {
        const { dir, credentials } = tempHome()
        fs.writeFileSync(credentials, "[work]\na = 0\n")
        const victim = path.join(dir, "victim")
        fs.writeFileSync(victim, "mine\n")
        // The names an earlier version used, for this process and the next ones.
        for (let pid = process.pid; pid < process.pid + 100; pid++)
          fs.symlinkSync(victim, path.join(dir, `.credentials.${pid}.tmp`))
        const dead = deadPid()
        const leftover = path.join(dir, `.credentials.${dead}.0123456789abcdef.tmp`)
        fs.writeFileSync(leftover, "[work]\naws_secret_access_key = left-behind\n")
        const live = path.join(dir, ".credentials.1.0123456789abcdef.tmp")
        fs.writeFileSync(live, "another writer's\n")
        yield* set("work", { a: "1" }).pipe(withFile(credentials))
        expect(fs.readFileSync(victim, "utf8")).toBe("mine\n")
        expect(fs.lstatSync(credentials).isFile()).toBe(true)
        expect(fs.readFileSync(credentials, "utf8")).toBe("[work]\na = 1\n")
        expect(fs.existsSync(leftover)).toBe(false)
        expect(fs.existsSync(live)).toBe(true)
        expect(fs.readdirSync(dir).filter((name) => name.includes(`.${dead}.`))).toEqual([])
      }),
  )

  it.live(
    "a stop while the folder's listing never returns (a hung network share) ends the write at once, the file as it was",
    () =>
      Effect.gen(function* () {
        const { dir, credentials } = tempHome()
        fs.writeFileSync(credentials, "[work]\na = 0\n")
        let listed = () => {}
        const listing = new Promise<void>((resolve) => {
          listed = resolve
        })
        let release = () => {}
        const hung = new Promise<Array<string>>((resolve) => {
          release = () => resolve([])
        })
        const readdir = vi.spyOn(fs.promises, "readdir").mockImplementation((() => {
          listed()
          return hung
        }) as never)
        const write = yield* Effect.fork(set("work", { a: "1" }).pipe(withFile(credentials)))
        yield* Effect.promise(() => listing)
        const order: Array<string> = []
        void hung.then(() => order.push("the listing returned"))
        // Let go only if the stop waits for the listing, so that the test ends either way.
        const late = setTimeout(release, 5_000)
        yield* Fiber.interrupt(write)
        order.push("the write stopped")
        clearTimeout(late)
        release()
        readdir.mockRestore()
        expect(order[0]).toBe("the write stopped")
        expect(fs.readFileSync(credentials, "utf8")).toBe("[work]\na = 0\n")
        expect(fs.readdirSync(dir).filter((name) => name.endsWith(".tmp") || name.endsWith(".lock"))).toEqual(
          [],
        )
      }),
  )

  it.live("a file-system error is one sentence with the path and what to do", () =>
    Effect.gen(function* () {
      const { dir } = tempHome()
      const file = path.join(dir, "loop")
      fs.symlinkSync(file, file)
      expect(yield* refusal(set("work", { a: "1" }).pipe(withFile(file)))).toBe(
        `Could not write ${file}: it is a loop of symbolic links (ELOOP): point the link at the real file.`,
      )
      const under = path.join(dir, "plain")
      fs.writeFileSync(under, "")
      const nested = yield* refusal(set("work", { a: "1" }).pipe(withFile(path.join(under, "credentials"))))
      expect(nested).toBe(
        `Could not create ${under}: a file is in the way of a directory (EEXIST): check the path.`,
      )
    }),
  )
})
