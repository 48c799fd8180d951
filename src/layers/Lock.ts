import * as FileSystem from "@effect/platform/FileSystem"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as LockFile from "../files/lock.js"
import { takeLock } from "../handover.js"
import { FileError } from "../schema/Errors.js"
import { Platform, type PlatformShape } from "../services/Platform.js"
import * as Debug from "./Debug.js"
import { explainer } from "./FileFailure.js"

export type { Holder } from "../files/lock.js"

const pollEvery = Duration.millis(50)

/** The platform's proofs of life, for the lock file protocol. */
const proofsOf = (platform: PlatformShape): LockFile.Proofs => {
  const liveness = platform.liveness
  return {
    running: platform.running,
    liveness:
      liveness._tag === "Proc"
        ? liveness
        : { _tag: "HeldFile", held: (file) => Effect.runPromise(liveness.held(file)) },
  }
}

/**
 * Holds the lock file `file` for the enclosing Scope: created exclusively with the holder's pid,
 * host and start time; while a live process holds it, waits (calling `onWait(holder)` once, at
 * once) up to `wait`, then fails; a lock whose holder is dead is taken over at once and atomically;
 * released only by its owner. A lock the launcher holds for this run (src/handover.ts) is taken over.
 */
export const acquire = (
  file: string,
  options: {
    readonly wait?: Duration.DurationInput
    /** Called once, at once, with who holds it, or none when its file cannot be read. */
    readonly onWait?: (holder: Option.Option<LockFile.Holder>) => Effect.Effect<void>
  } = {},
): Effect.Effect<void, FileError, Scope.Scope | FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const platform = yield* Platform
    const proofs = proofsOf(platform)
    const adopt = (nonce: string) =>
      Effect.addFinalizer(() => Effect.promise(() => LockFile.release(proofs, file, nonce)))
    const handed = takeLock(file)
    if (handed !== undefined) return yield* adopt(handed)
    const proposed = LockFile.me(proofs)
    const deadline = Date.now() + Duration.toMillis(options.wait ?? Duration.seconds(60))
    const fail = (reason: string) => new FileError({ path: file, action: "lock", reason })
    const explain = (error: unknown) =>
      error instanceof LockFile.AtMarker
        ? explainer(platform)(error.path, "lock")(error.cause)
        : explainer(platform)(file, "lock")(error)
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
            Effect.addFinalizer(() => fs.remove(LockFile.proofOf(file, proposed.nonce)).pipe(Effect.ignore)),
            Effect.isSuccess(liveness.hold(LockFile.proofOf(file, proposed.nonce))),
          ))
        const holding = { ...proposed, proof: proved }
        for (;;) {
          const result = yield* Effect.tryPromise({
            try: () => LockFile.attempt(proofs, file, holding),
            catch: explain,
          })
          if (result._tag === "Taken") {
            yield* Effect.addFinalizer(() =>
              Effect.promise(() => LockFile.release(proofs, file, result.nonce)),
            )
            // Best effort, and a stop leaves it: a folder that cannot be listed must not hold a Ctrl-C.
            return yield* restore(Effect.promise(() => LockFile.sweep(proofs, file)))
          }
          // This run's own lock, which the launcher took: never waited for.
          const mine = takeLock(file, result.holder?.nonce)
          if (mine !== undefined) return yield* adopt(mine)
          // A holder that cannot be read twice in a row is not one that was just letting go.
          unread = result.holder === undefined ? unread + 1 : 0
          if (!told && options.onWait && (result.holder !== undefined || unread > 1)) {
            told = true
            yield* restore(options.onWait(Option.fromNullable(result.holder)))
          }
          if (Date.now() >= deadline) {
            return yield* fail(
              `${LockFile.describe(result.holder)}; if no aws-iam-login is running there, remove ${file}`,
            )
          }
          yield* restore(Effect.sleep(pollEvery))
        }
      }),
    )
  }).pipe(
    Debug.timed((exit, ms) => `lock ${file}: ${Exit.isSuccess(exit) ? "taken" : "not taken"} after ${ms}ms`),
  )
