import type * as nodeFs from "node:fs"
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Scope from "effect/Scope"
import * as Files from "../files/atomicWrite.js"
import type { FileError } from "../schema/Errors.js"
import type { PlatformShape } from "../services/Platform.js"
import { explainer, retryWhileBusy } from "./FileFailure.js"

/**
 * `run` as an effect whose interruption aborts it and waits for it to stop: it then undoes what it
 * began (a temporary file holds secrets), before the interruption completes.
 */
const stoppable = <A>(run: (signal: AbortSignal) => Promise<A>) =>
  Effect.async<A, unknown>((resume) => {
    const stop = new AbortController()
    const done = run(stop.signal)
    done.then(
      (value) => resume(Effect.succeed(value)),
      (error: unknown) => resume(Effect.fail(error)),
    )
    return Effect.promise(() => {
      stop.abort()
      return done.then(
        () => undefined,
        () => undefined,
      )
    })
  })

/** An effect run to a promise that rejects with its own error; `signal` interrupts it (its waits between tries too). */
const promised = <A, E>(effect: Effect.Effect<A, E>, signal: AbortSignal) =>
  Effect.runPromise(Effect.either(effect), { signal }).then(Either.getOrThrowWith((error) => error))

/**
 * A new file beside `file` for the scope: an unpredictable name, created exclusively (never through
 * a symbolic link, never a file someone else made), 0600, open; removed with the scope unless it
 * was renamed away. A temporary file of a process that dies is swept by the next `replace`.
 */
const createTemp = (
  platform: PlatformShape,
  file: string,
): Effect.Effect<
  { readonly path: string; readonly handle: nodeFs.promises.FileHandle },
  FileError,
  Scope.Scope
> =>
  Effect.acquireRelease(
    Effect.tryPromise({ try: () => Files.openTemp(file), catch: explainer(platform)(file, "write") }),
    (temp) => Effect.promise(() => Files.discardTemp(temp)),
  )

/** The directory's entries on disk, so that a rename lasts through a crash; best effort: not every platform opens directories. */
const syncDirectory = (dir: string) => Effect.promise(() => Files.syncDirectory(dir))

/**
 * Replaces `file` with `data` all at once (Files.replaceFile). Windows refuses the rename while
 * another program holds `file` open (an editor, antivirus, the indexer): that passes, so it is tried
 * again for about two seconds before failing.
 */
const replace = (
  fs: FileSystem.FileSystem,
  platform: PlatformShape,
  file: string,
  data: string | Uint8Array,
  keep: Files.Kept,
): Effect.Effect<void, FileError> =>
  stoppable((signal) =>
    Files.replaceFile(file, data, keep, {
      running: platform.running,
      rename: (from, to) => promised(retryWhileBusy(platform)(fs.rename(from, to)), signal),
      signal,
    }),
  ).pipe(
    Effect.mapError(explainer(platform)(file, "write")),
    Effect.flatMap((temp) => Effect.logDebug(`wrote ${file}: ${data.length} characters, through ${temp}`)),
  )

/** The safe writes, on this file system and platform: for the credentials file, the journal, and any temporary file that holds a secret. */
export const make = (fs: FileSystem.FileSystem, platform: PlatformShape) => ({
  createTemp: (file: string) => createTemp(platform, file),
  replace: (file: string, data: string | Uint8Array, keep: Files.Kept) =>
    replace(fs, platform, file, data, keep),
  syncDirectory,
})
