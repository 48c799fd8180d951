import * as crypto from "node:crypto"
import * as os from "node:os"
import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import { FileError } from "../schema/Errors.js"
import { Platform, type PlatformShape } from "../services/Platform.js"
import * as Debug from "./Debug.js"
import { explainer } from "./FileFailure.js"
import { type NotRegular, type ReadFailed, readRegular } from "./RegularFile.js"

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
  /** It keeps its proof file open (see `alive`). */
  readonly proof?: boolean
}

/** A lock from another host cannot be checked; past this age its holder is taken to be gone. */
const foreignLockAge = Duration.hours(1)
const pollEvery = Duration.millis(50)

const bootOf = (platform: PlatformShape) => (platform.liveness._tag === "Proc" ? platform.liveness.boot : "")

const me = (platform: PlatformShape): Owner => ({
  pid: process.pid,
  host: os.hostname(),
  since: new Date(),
  boot: bootOf(platform),
  started: platform.liveness._tag === "Proc" ? platform.liveness.started(process.pid) : "",
  nonce: crypto.randomBytes(12).toString("hex"),
})

/** The file a holding's process keeps open where the OS has no /proc to prove it alive. */
const proofOf = (file: string, nonce: string) => `${file}.alive-${nonce}`

/** The holder a lock file names; an earlier version of the tool wrote only its pid. */
const decode = (platform: PlatformShape, text: string): Owner | undefined => {
  if (/^\d+$/.test(text.trim())) {
    const pid = Number(text.trim())
    return {
      pid,
      host: os.hostname(),
      since: new Date(0),
      boot: bootOf(platform),
      started: "",
      nonce: `pid-${pid}`,
    }
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
          ...(o.proof === true ? { proof: true } : {}),
        }
      : undefined
  } catch {
    return undefined
  }
}

/**
 * Whether the holding `owner` of `file` may still be live. Its pid alone proves nothing: the OS
 * gives it to another process once the holder ends. On Linux the process's start time (and the
 * boot) tell the holder from a later process with its pid; elsewhere the file the holder keeps open.
 */
const alive = (platform: PlatformShape, file: string, owner: Owner): Effect.Effect<boolean> => {
  if (owner.host !== os.hostname())
    return Effect.succeed(Date.now() - owner.since.getTime() < Duration.toMillis(foreignLockAge))
  if (!platform.running(owner.pid)) return Effect.succeed(false)
  const liveness = platform.liveness
  if (liveness._tag === "HeldFile")
    return owner.proof ? liveness.held(proofOf(file, owner.nonce)) : Effect.succeed(true)
  if (owner.boot !== liveness.boot || liveness.zombie(owner.pid)) return Effect.succeed(false)
  const started = liveness.started(owner.pid)
  return Effect.succeed(owner.started === "" || started === "" || started === owner.started)
}

const isError = (reason: string) => (e: PlatformError) => e._tag === "SystemError" && e.reason === reason

/** The holder `file` names; undefined when it is gone or names none. Never waits on what the path is (a named pipe). */
const holderOf = (platform: PlatformShape, file: string) =>
  Effect.map(readRegular(file), (text) => (Option.isSome(text) ? decode(platform, text.value) : undefined))

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
const attempt = (
  fs: FileSystem.FileSystem,
  platform: PlatformShape,
  file: string,
  holding: Owner,
): Effect.Effect<Attempt, PlatformError | NotRegular | ReadFailed> =>
  Effect.scoped(
    Effect.gen(function* () {
      const owner = { ...holding, since: new Date() }
      const aside = `${file}.${owner.nonce}`
      yield* Effect.addFinalizer(() => fs.remove(aside).pipe(Effect.ignore))
      yield* fs.writeFileString(aside, JSON.stringify(owner), { flag: "wx", mode: 0o600 })
      const linked = yield* fs.link(aside, file).pipe(
        Effect.as(true),
        Effect.catchIf(isError("AlreadyExists"), () => Effect.succeed(false)),
      )
      if (linked) return { _tag: "Taken", nonce: owner.nonce } as const
      const read = holderOf(platform, file)
      const current = yield* read
      if (current === undefined || (yield* alive(platform, file, current))) {
        return { _tag: "Busy", holder: Option.fromNullable(current) } as const
      }
      const marker = `${file}.takeover-${current.nonce}`
      const taking = yield* attempt(fs, platform, marker, holding)
      if (taking._tag === "Busy") return { _tag: "Busy", holder: Option.some(current) } as const
      yield* Effect.addFinalizer(() => release(fs, platform, marker, taking.nonce))
      const still = yield* read
      if (still?.nonce !== current.nonce) return { _tag: "Busy", holder: Option.fromNullable(still) } as const
      yield* fs.rename(aside, file)
      if (current.proof) yield* fs.remove(proofOf(file, current.nonce)).pipe(Effect.ignore)
      return { _tag: "Taken", nonce: owner.nonce } as const
    }),
  )

/** Removes `file` only while it still names this holding. */
const release = (fs: FileSystem.FileSystem, platform: PlatformShape, file: string, nonce: string) =>
  holderOf(platform, file).pipe(
    Effect.flatMap((holder) => (holder?.nonce === nonce ? fs.remove(file) : Effect.void)),
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
    /** Called once, at once, with who holds it, or none when its file cannot be read. */
    readonly onWait?: (holder: Option.Option<Holder>) => Effect.Effect<void>
  } = {},
): Effect.Effect<void, FileError, Scope.Scope | FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const platform = yield* Platform
    const proposed = me(platform)
    const deadline = Date.now() + Duration.toMillis(options.wait ?? Duration.seconds(60))
    const fail = (reason: string) => new FileError({ path: file, action: "lock", reason })
    const explain = explainer(platform)(file, "lock")
    let told = false
    let unread = 0
    // Each try runs whole, and a lock it takes is released with the scope; waiting can be interrupted.
    yield* Effect.uninterruptibleMask((restore) =>
      Effect.gen(function* () {
        // Held before the lock file names it; closed (by the OS, if this process dies) after, then
        // removed. A file system that takes no such lock (some network shares) gets a lock that
        // names no proof: its holder counts as alive while its pid runs, as before.
        const liveness = platform.liveness
        const proved =
          liveness._tag === "HeldFile" &&
          (yield* Effect.zipRight(
            Effect.addFinalizer(() => fs.remove(proofOf(file, proposed.nonce)).pipe(Effect.ignore)),
            Effect.isSuccess(liveness.hold(proofOf(file, proposed.nonce))),
          ))
        const holding = { ...proposed, proof: proved }
        for (;;) {
          const result = yield* attempt(fs, platform, file, holding).pipe(Effect.mapError(explain))
          if (result._tag === "Taken") {
            return yield* Effect.addFinalizer(() => release(fs, platform, file, result.nonce))
          }
          // A holder that cannot be read twice in a row is not one that was just letting go.
          unread = Option.isNone(result.holder) ? unread + 1 : 0
          if (!told && options.onWait && (Option.isSome(result.holder) || unread > 1)) {
            told = true
            yield* restore(options.onWait(result.holder))
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
