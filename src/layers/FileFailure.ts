import * as path from "node:path"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import { FileError } from "../schema/Errors.js"
import type { PlatformShape } from "../services/Platform.js"

/** What to do about a failed file-system call, by its error code, in the words of the platform. */
export const adviceOn = (platform: PlatformShape): Readonly<Record<string, (file: string) => string>> => ({
  EACCES: (f) => platform.advice.denied(f, path.dirname(f)),
  EPERM: (f) => platform.advice.notPermitted(f, path.dirname(f)),
  EBUSY: (f) => platform.advice.busy(f),
  EISDIR: () => "it is a directory (EISDIR): point the path at a file",
  ENOTDIR: () => "a part of the path is not a directory (ENOTDIR): check the path",
  EEXIST: () => "a file is in the way of a directory (EEXIST): check the path",
  ELOOP: () => "it is a loop of symbolic links (ELOOP): point the link at the real file",
  ENOSPC: () => "the disk is full (ENOSPC): free some space and run the command again",
  EDQUOT: () => "your disk quota is used up (EDQUOT): free some space and run the command again",
  EFBIG: () => "the file is larger than this system allows (EFBIG): check `ulimit -f` and the file's size",
  EROFS: () => "the file system is read-only (EROFS): keep the file on a writable disk",
})

/** The system's error code (`ENOENT`, `EBUSY`, …) of a failed call, found in it or its causes. */
export const codeOf = (error: unknown): string | undefined => {
  if (typeof error !== "object" || error === null) return undefined
  if ("code" in error && typeof error.code === "string") return error.code
  return "cause" in error ? codeOf(error.cause) : undefined
}

/** A failed file-system call as one sentence: which path, what failed, what to do. */
export const explainer = (platform: PlatformShape) => {
  const advice = adviceOn(platform)
  return (file: string, action: string) =>
    (error: unknown): FileError => {
      if (error instanceof FileError) return error
      const code = codeOf(error)
      const reason =
        code === undefined
          ? error instanceof Error
            ? error.message
            : String(error)
          : (advice[code]?.(file) ?? `the system answered ${code}: check the path and the disk it is on`)
      return new FileError({ path: file, action, reason })
    }
}

/**
 * `effect` tried again for about two seconds while the platform reports the file busy: Windows
 * refuses to open or replace a file another program holds (an editor, antivirus, the indexer), and
 * that passes.
 */
export const retryWhileBusy =
  (platform: PlatformShape) =>
  <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
    platform.busyCodes.length === 0
      ? effect
      : Effect.retry(effect, {
          while: (error) => platform.busyCodes.includes(codeOf(error) ?? ""),
          schedule: Schedule.spaced(Duration.millis(100)),
          times: 20,
        })
