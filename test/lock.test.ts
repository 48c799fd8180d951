import { type ChildProcess, execFile, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { promisify } from "node:util"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { describe, expect, it } from "@effect/vitest"
import { type Duration, Effect, Either, Exit, Fiber, Option } from "effect"
import * as LockFile from "../src/files/lock.js"
import { procProofs } from "../src/files/proofs.js"
import { handOver } from "../src/handover.js"
import * as Lock from "../src/layers/Lock.js"
import { Platform } from "../src/services/Platform.js"
import { tempHome } from "./support/harness.js"
import { lockers } from "./support/lockers.js"
import { fakeHeldFile, fakePlatform } from "./support/platforms.js"
import { deadPid } from "./support/programs.js"

const run = promisify(execFile)

const locks = lockers()

const killed = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.once("exit", () => resolve())
    child.kill("SIGKILL")
  })

const take = (lock: string, wait: Duration.DurationInput, seen: Array<Option.Option<Lock.Holder>> = []) =>
  Effect.scoped(
    Lock.acquire(lock, { wait, onWait: (h) => Effect.sync(() => void seen.push(h)) }).pipe(
      Effect.zipRight(Effect.sync(() => fs.existsSync(lock))),
    ),
  ).pipe(Effect.provide(NodeFileSystem.layer))

/** The state letter of Linux's /proc/<pid>/stat ("Z": ended, not yet reaped). */
const stateOf = (pid: number) => {
  const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
  return text.slice(text.lastIndexOf(")") + 2, text.lastIndexOf(")") + 3)
}

/** A process holding `lock` whose parent never reaps it (a shell that became `sleep`), with that parent. */
const heldUnreaped = (lock: string) =>
  new Promise<{ readonly parent: ChildProcess; readonly holder: number }>((resolve, reject) => {
    const parent = spawn(
      "sh",
      ["-c", '"$0" "$1" hold "$2" & exec sleep 600', process.execPath, locks.program(), lock],
      { stdio: ["ignore", "pipe", "inherit"] },
    )
    parent.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("held")) {
        resolve({ parent, holder: JSON.parse(fs.readFileSync(lock, "utf8")).pid })
      }
    })
    parent.once("exit", (code) => reject(new Error(`the holder's parent exited with ${code}`)))
  })

describe("the lock", () => {
  it.live("a live holder keeps it however old, even paused; the waiter is told who holds it at once", () =>
    Effect.gen(function* () {
      const lock = path.join(tempHome().dir, "credentials.lock")
      const child = yield* Effect.promise(() => locks.hold(lock))
      child.kill("SIGSTOP")
      const old = new Date(Date.now() - 3_600_000)
      fs.utimesSync(lock, old, old)
      const seen: Array<Option.Option<Lock.Holder>> = []
      const result = yield* Effect.either(take(lock, "400 millis", seen))
      expect(seen.map(Option.map((h) => h.pid))).toEqual([Option.some(child.pid)])
      expect(Either.isLeft(result) && result.left.message).toMatch(
        new RegExp(`^Could not lock ${lock}: process ${child.pid} on .+ holds it since \\d{4}-`),
      )
      child.kill("SIGCONT")
      yield* Effect.promise(() => killed(child))
    }),
  )

  it.live("a dead holder's lock is taken over at once, and released when done", () =>
    Effect.gen(function* () {
      const lock = path.join(tempHome().dir, "credentials.lock")
      yield* Effect.promise(() => locks.hold(lock).then(killed))
      expect(fs.existsSync(lock)).toBe(true)
      const seen: Array<Option.Option<Lock.Holder>> = []
      expect(yield* take(lock, "0 millis", seen)).toBe(true)
      expect(seen).toEqual([])
      expect(fs.readdirSync(path.dirname(lock))).toEqual([])
    }),
  )

  it.live(
    "the launcher's lock, handed to the run, is taken over at once, whatever path the run names it by, and released when done",
    () =>
      Effect.gen(function* () {
        const dir = tempHome().dir
        fs.mkdirSync(path.join(dir, "real"))
        fs.symlinkSync(path.join(dir, "real"), path.join(dir, "link"))
        const lock = path.join(dir, "real", "credentials.work.login.lock")
        const proofs = procProofs()
        const taken = yield* Effect.promise(() => LockFile.attempt(proofs, lock, LockFile.me(proofs)))
        if (taken._tag !== "Taken") throw new Error("the lock was not taken")
        handOver({ lock: { file: lock, nonce: taken.nonce } })
        const seen: Array<Option.Option<Lock.Holder>> = []
        // By another spelling of its path, with no time to wait: a wait for itself would fail.
        expect(yield* take(path.join(dir, "link", "credentials.work.login.lock"), "0 millis", seen)).toBe(
          true,
        )
        expect(seen).toEqual([])
        expect(fs.readdirSync(path.join(dir, "real"))).toEqual([])
      }),
  )

  it.live("a holder killed but not yet reaped by its parent is gone: its lock is taken at once", () =>
    Effect.gen(function* () {
      const lock = path.join(tempHome().dir, "credentials.lock")
      const { parent, holder } = yield* Effect.promise(() => heldUnreaped(lock))
      yield* Effect.gen(function* () {
        expect(Either.isLeft(yield* Effect.either(take(lock, "0 millis")))).toBe(true)
        process.kill(holder, "SIGKILL")
        while (stateOf(holder) !== "Z") yield* Effect.sleep("10 millis")
        expect(yield* take(lock, "0 millis")).toBe(true)
        expect(fs.readdirSync(path.dirname(lock))).toEqual([])
      }).pipe(Effect.ensuring(Effect.promise(() => killed(parent))))
    }),
  )

  it.live(
    "something not a file at a dead holder's takeover marker is named, not the lock: removing it lets the next run take over",
    () =>
      Effect.gen(function* () {
        const lock = path.join(tempHome().dir, "credentials.lock")
        const dead = deadPid()
        fs.writeFileSync(lock, `${dead}\n`)
        const marker = `${lock}.takeover-pid-${dead}`
        yield* Effect.promise(() => run("mkfifo", [marker]))
        const result = yield* Effect.either(take(lock, "0 millis"))
        expect(Either.isLeft(result) && result.left.message).toBe(
          `Could not lock ${marker}: it is a named pipe (FIFO), not a regular file: remove it (nothing of this tool's is in it).`,
        )
        fs.rmSync(marker)
        expect(yield* take(lock, "0 millis")).toBe(true)
        expect(fs.readdirSync(path.dirname(lock))).toEqual([])
      }),
  )

  it.live(
    "on macOS and Windows, a live process midway through taking over a dead holder's lock keeps its takeover: another cannot take the lock too",
    () =>
      Effect.gen(function* () {
        const lock = path.join(tempHome().dir, "credentials.lock")
        const dead = deadPid()
        fs.writeFileSync(lock, `${dead}\n`)
        // A taker that holds the marker and its proof of life, and has not yet replaced the lock.
        const taker = "0123456789abcdef01234567"
        const marker = `${lock}.takeover-pid-${dead}`
        const holding = {
          pid: process.pid,
          host: os.hostname(),
          since: new Date().toISOString(),
          boot: "",
          started: "",
          nonce: taker,
          proof: true,
        }
        fs.writeFileSync(marker, JSON.stringify(holding))
        if (fakeHeldFile._tag === "HeldFile") yield* fakeHeldFile.hold(`${lock}.alive-${taker}`)
        const result = yield* Effect.either(
          take(lock, "0 millis").pipe(Effect.provideService(Platform, fakePlatform("darwin"))),
        )
        expect(Either.isLeft(result)).toBe(true)
        expect(fs.readFileSync(lock, "utf8")).toBe(`${dead}\n`)
        expect(JSON.parse(fs.readFileSync(marker, "utf8")).nonce).toBe(taker)
      }).pipe(Effect.scoped),
  )

  it.live(
    "what killed holders left beside the lock (the lock written aside, takeover markers) is removed by the next one to take it; a live one's is kept",
    () =>
      Effect.gen(function* () {
        const dir = tempHome().dir
        const lock = path.join(dir, "credentials.lock")
        const dead = deadPid()
        const boot = fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim()
        const holding = (pid: number, nonce: string) =>
          JSON.stringify({
            pid,
            host: os.hostname(),
            since: new Date().toISOString(),
            boot,
            started: "",
            nonce,
          })
        const left = {
          [`credentials.lock.${"a".repeat(24)}`]: holding(dead, "a".repeat(24)),
          [`credentials.lock.takeover-${"b".repeat(24)}`]: holding(dead, "c".repeat(24)),
          [`credentials.lock.takeover-${"b".repeat(24)}.${"d".repeat(24)}`]: holding(dead, "d".repeat(24)),
        }
        const kept = {
          [`credentials.lock.${"e".repeat(24)}`]: holding(process.pid, "e".repeat(24)),
          "credentials.lock.notes": holding(dead, "f".repeat(24)),
        }
        for (const [name, text] of Object.entries({ ...left, ...kept }))
          fs.writeFileSync(path.join(dir, name), text)
        // Killed before it wrote its holding in (its create hung), long ago; and one being written now.
        const unnamed = path.join(dir, `credentials.lock.${"0".repeat(24)}`)
        fs.writeFileSync(unnamed, "")
        const hourAgo = new Date(Date.now() - 3_600_000)
        fs.utimesSync(unnamed, hourAgo, hourAgo)
        const writing = `credentials.lock.${"1".repeat(24)}`
        fs.writeFileSync(path.join(dir, writing), "")
        expect(yield* take(lock, "0 millis")).toBe(true)
        expect(fs.readdirSync(dir).sort()).toEqual([...Object.keys(kept), writing].sort())
      }),
  )

  it.live("waiting for it can be interrupted", () =>
    Effect.gen(function* () {
      const lock = path.join(tempHome().dir, "credentials.lock")
      const child = yield* Effect.promise(() => locks.hold(lock))
      const waiting = yield* Effect.fork(take(lock, "60 seconds"))
      yield* Effect.sleep("200 millis")
      const exit = yield* Fiber.interrupt(waiting)
      expect(Exit.isInterrupted(exit)).toBe(true)
      yield* Effect.promise(() => killed(child))
      expect(fs.readdirSync(path.dirname(lock))).toEqual(["credentials.lock"])
    }),
  )

  it("processes racing for a dead holder's lock never hold it together", async () => {
    const { dir } = tempHome()
    const lock = path.join(dir, "credentials.lock")
    const counter = path.join(dir, "counter")
    fs.writeFileSync(counter, "0")
    await locks.hold(lock).then(killed)
    await Promise.all(
      Array.from({ length: 6 }, () => run(process.execPath, [locks.program(), "count", lock, counter, "15"])),
    )
    expect(fs.readFileSync(counter, "utf8")).toBe("90")
    expect(fs.readdirSync(dir)).toEqual(["counter"])
  })

  it("processes that each take over a dead holder's lock, and die holding it, never hold it together", async () => {
    const { dir } = tempHome()
    const lock = path.join(dir, "credentials.lock")
    const counter = path.join(dir, "counter")
    fs.writeFileSync(counter, "0")
    const dying = () =>
      new Promise<void>((resolve) =>
        spawn(process.execPath, [locks.program(), "die", lock, counter], { stdio: "ignore" }).once(
          "exit",
          () => resolve(),
        ),
      )
    for (let round = 0; round < 3; round++) await Promise.all(Array.from({ length: 8 }, dying))
    expect(fs.readFileSync(counter, "utf8")).toBe("24")
    expect(fs.readdirSync(dir).filter((f) => f !== "counter" && f !== "credentials.lock")).toEqual([])
  })

  it.live("a named pipe at the lock's path is refused at once with a sentence, never waited on", () =>
    Effect.gen(function* () {
      const lock = path.join(tempHome().dir, "credentials.lock")
      yield* Effect.promise(() => run("mkfifo", [lock]))
      const result = yield* Effect.either(take(lock, "60 seconds").pipe(Effect.timeout("10 seconds")))
      expect(Either.isLeft(result) && result.left.message).toBe(
        `Could not lock ${lock}: it is a named pipe (FIFO), not a regular file: remove it (nothing of this tool's is in it).`,
      )
    }),
  )

  it.live("a lock whose holder cannot be read is waited for with a line saying so, not silently", () =>
    Effect.gen(function* () {
      const lock = path.join(tempHome().dir, "credentials.lock")
      fs.writeFileSync(lock, "{ half", { mode: 0o600 })
      const seen: Array<Option.Option<Lock.Holder>> = []
      const result = yield* Effect.either(take(lock, "300 millis", seen))
      expect(seen).toEqual([Option.none()])
      expect(Either.isLeft(result) && result.left.message).toContain("another process holds it")
    }),
  )

  it.effect(
    "a lock in a directory that is not one is refused in a sentence, not in the platform's words",
    () =>
      Effect.gen(function* () {
        const home = tempHome()
        fs.writeFileSync(path.join(home.dir, "file"), "")
        const lock = path.join(home.dir, "file", "credentials.lock")
        const result = yield* Effect.either(take(lock, "0 millis"))
        expect(Either.isLeft(result) && result.left.message).toBe(
          `Could not lock ${lock}: a part of the path is not a directory (ENOTDIR): check the path.`,
        )
      }),
  )
})
