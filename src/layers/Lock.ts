import * as crypto from "node:crypto"
import * as nodeFs from "node:fs"
import * as os from "node:os"
import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import { FileError } from "../schema/Errors.js"
import * as Debug from "./Debug.js"

/** Who holds a lock, as its file says. */
export interface Holder {
  readonly pid: number
  readonly host: string
  readonly since: Date
}

interface Owner extends Holder {
  /** The kernel's boot id: a pid from an earlier boot names no live process. */
  readonly boot: string
  /** The process's start time, so that a reused pid is not taken for the holder. */
  readonly started: string
  /** Names this one holding of the lock. */
  readonly nonce: string
}

/** A lock from another host cannot be checked; past this age its holder is taken to be gone. */
const foreignLockAge = Duration.hours(1)
const pollEvery = Duration.millis(50)

/** A file of the kernel's (Linux /proc); "" where there is none. */
const proc = (file: string) => {
  try {
    return nodeFs.readFileSync(file, "utf8").trim()
  } catch {
    return ""
  }
}

/** The fields of /proc/<pid>/stat from the third (the state) on: the command name before them may hold spaces and parentheses. */
const stat = (pid: number): ReadonlyArray<string> => {
  const text = proc(`/proc/${pid}/stat`)
  return text.slice(text.lastIndexOf(")") + 2).split(" ")
}

/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot. */
const startTime = (pid: number): string => stat(pid)[19] ?? ""

const boot = proc("/proc/sys/kernel/random/boot_id")

const me = (): Owner => ({
  pid: process.pid,
  host: os.hostname(),
  since: new Date(),
  boot,
  started: startTime(process.pid),
  nonce: crypto.randomBytes(12).toString("hex"),
})

/** The holder a lock file names; an earlier version of the tool wrote only its pid. */
const decode = (text: string): Owner | undefined => {
  if (/^\d+$/.test(text.trim())) {
    const pid = Number(text.trim())
    return { pid, host: os.hostname(), since: new Date(0), boot, started: "", nonce: `pid-${pid}` }
  }
  try {
    const o = JSON.parse(text) as Partial<Record<keyof Owner, unknown>>
    return typeof o.pid === "number" &&
      typeof o.host === "string" &&
      typeof o.since === "string" &&
      typeof o.boot === "string" &&
      typeof o.started === "string" &&
      typeof o.nonce === "string"
      ? {
          pid: o.pid,
          host: o.host,
          since: new Date(o.since),
          boot: o.boot,
          started: o.started,
          nonce: o.nonce,
        }
      : undefined
  } catch {
    return undefined
  }
}

/** Whether a process with this pid runs on this machine (another user's counts). */
export const running = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH"
  }
}

const alive = (owner: Owner): boolean => {
  if (owner.host !== os.hostname())
    return Date.now() - owner.since.getTime() < Duration.toMillis(foreignLockAge)
  if (owner.boot !== boot || !running(owner.pid)) return false
  const fields = stat(owner.pid)
  // A holder killed but not yet reaped by its parent is a zombie: gone, though its pid answers.
  if (fields[0] === "Z") return false
  const started = fields[19] ?? ""
  return owner.started === "" || started === "" || started === owner.started
}

const isError = (reason: string) => (e: PlatformError) => e._tag === "SystemError" && e.reason === reason

type Attempt =
  | { readonly _tag: "Taken"; readonly nonce: string }
  | { readonly _tag: "Busy"; readonly holder: Option.Option<Holder> }

/**
 * One try at `file`. The lock file appears whole (written aside, then hard-linked into place, which
 * fails when it exists). A dead holder's lock is replaced in place by whoever first creates the
 * takeover marker named after that holding (itself a lock, so a taker that dies is taken over too),
 * and only after re-reading that the file still names that holding: no process ever removes a lock
 * it has not proved dead, and two takers cannot both win.
 */
const attempt = (fs: FileSystem.FileSystem, file: string): Effect.Effect<Attempt, PlatformError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const owner = me()
      const aside = `${file}.${owner.nonce}`
      yield* Effect.addFinalizer(() => fs.remove(aside).pipe(Effect.ignore))
      yield* fs.writeFileString(aside, JSON.stringify(owner), { flag: "wx", mode: 0o600 })
      const linked = yield* fs.link(aside, file).pipe(
        Effect.as(true),
        Effect.catchIf(isError("AlreadyExists"), () => Effect.succeed(false)),
      )
      if (linked) return { _tag: "Taken", nonce: owner.nonce } as const
      const current = yield* fs.readFileString(file).pipe(
        Effect.map(decode),
        Effect.catchIf(isError("NotFound"), () => Effect.succeed(undefined)),
      )
      if (current === undefined || alive(current)) {
        return { _tag: "Busy", holder: Option.fromNullable(current) } as const
      }
      const marker = `${file}.takeover-${current.nonce}`
      const taking = yield* attempt(fs, marker)
      if (taking._tag === "Busy") return { _tag: "Busy", holder: Option.some(current) } as const
      yield* Effect.addFinalizer(() => release(fs, marker, taking.nonce))
      const still = yield* fs.readFileString(file).pipe(
        Effect.map(decode),
        Effect.catchIf(isError("NotFound"), () => Effect.succeed(undefined)),
      )
      if (still?.nonce !== current.nonce) return { _tag: "Busy", holder: Option.fromNullable(still) } as const
      yield* fs.rename(aside, file)
      return { _tag: "Taken", nonce: owner.nonce } as const
    }),
  )

/** Removes `file` only while it still names this holding. */
const release = (fs: FileSystem.FileSystem, file: string, nonce: string) =>
  fs.readFileString(file).pipe(
    Effect.flatMap((text) => (decode(text)?.nonce === nonce ? fs.remove(file) : Effect.void)),
    Effect.ignore,
  )

const describe = (holder: Option.Option<Holder>) =>
  Option.match(holder, {
    onNone: () => "another process holds it",
    onSome: (h) => `process ${h.pid} on ${h.host} holds it since ${h.since.toISOString()}`,
  })

/**
 * Holds the lock file `file` for the enclosing Scope: created exclusively with the holder's pid,
 * host and start time; while a live process holds it, waits (calling `onWait(holder)` once, at
 * once) up to `wait`, then fails; a lock whose holder is dead is taken over at once and atomically;
 * released only by its owner.
 */
export const acquire = (
  file: string,
  options: {
    readonly wait?: Duration.DurationInput
    readonly onWait?: (holder: Holder) => Effect.Effect<void>
  } = {},
): Effect.Effect<void, FileError, Scope.Scope | FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const deadline = Date.now() + Duration.toMillis(options.wait ?? Duration.seconds(60))
    const fail = (reason: string) => new FileError({ path: file, action: "lock", reason })
    let told = false
    // Each try runs whole, and a lock it takes is released with the scope; waiting can be interrupted.
    yield* Effect.uninterruptibleMask((restore) =>
      Effect.gen(function* () {
        for (;;) {
          const result = yield* attempt(fs, file).pipe(Effect.mapError((e) => fail(e.message)))
          if (result._tag === "Taken") {
            return yield* Effect.addFinalizer(() => release(fs, file, result.nonce))
          }
          if (!told && Option.isSome(result.holder) && options.onWait) {
            told = true
            yield* restore(options.onWait(result.holder.value))
          }
          if (Date.now() >= deadline) {
            return yield* fail(
              `${describe(result.holder)}; if no aws-iam-login is running there, remove ${file}`,
            )
          }
          yield* restore(Effect.sleep(pollEvery))
        }
      }),
    )
  }).pipe(
    Debug.timed((exit, ms) => `lock ${file}: ${Exit.isSuccess(exit) ? "taken" : "not taken"} after ${ms}ms`),
  )
