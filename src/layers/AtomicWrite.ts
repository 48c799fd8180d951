import * as crypto from "node:crypto"
import * as nodeFs from "node:fs"
import * as path from "node:path"
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type { FileError } from "../schema/Errors.js"
import type { PlatformShape } from "../services/Platform.js"
import { explainer, retryWhileBusy } from "./FileFailure.js"

/** What a replaced file keeps of the one it replaces. */
export interface Keep {
  readonly mode: number
  /** The group that may read it, kept where the user may give the file to it. */
  readonly gid: Option.Option<number>
}

/** `.<name>.<pid>.<random>.tmp` beside `file`; the older `.<name>.<pid>.tmp` is recognised too. */
const tempName = (file: string) =>
  path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(8).toString("hex")}.tmp`,
  )
const tempOwner = (file: string, name: string): number | undefined => {
  const prefix = `.${path.basename(file)}.`
  if (!name.startsWith(prefix) || !name.endsWith(".tmp")) return undefined
  const match = /^(\d+)(\.[0-9a-f]{16})?$/.exec(name.slice(prefix.length, -".tmp".length))
  return match ? Number(match[1]) : undefined
}

/** A temporary file this old is a dead writer's, whatever its pid names now. */
const leftoverAge = Duration.minutes(10)

const nodeCall = <A>(run: () => Promise<A>) => Effect.tryPromise({ try: run, catch: (e) => e })

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
  Effect.gen(function* () {
    const explain = explainer(platform)
    const temp = tempName(file)
    const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = nodeFs.constants
    const handle = yield* Effect.acquireRelease(
      nodeCall(() => nodeFs.promises.open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)).pipe(
        Effect.mapError(explain(file, "write")),
      ),
      (h) =>
        nodeCall(() => h.close()).pipe(
          Effect.zipRight(nodeCall(() => nodeFs.promises.rm(temp, { force: true }))),
          Effect.ignore,
        ),
    )
    return { path: temp, handle }
  })

/** Temporary files of processes that died while writing beside `file`: each may be a whole copy of it, secrets included. */
const removeLeftovers = (fs: FileSystem.FileSystem, platform: PlatformShape, file: string) =>
  fs.readDirectory(path.dirname(file)).pipe(
    Effect.flatMap((names) =>
      Effect.forEach(
        names,
        (name) => {
          const pid = tempOwner(file, name)
          if (pid === undefined || pid === process.pid) return Effect.void
          const temp = path.join(path.dirname(file), name)
          // Its pid may have gone to another process since (no /proc on macOS and Windows tells):
          // a write takes milliseconds, so one this old was left by a writer that died.
          const left = platform.running(pid)
            ? fs
                .stat(temp)
                .pipe(
                  Effect.map((info) =>
                    Option.exists(
                      info.mtime,
                      (time) => Date.now() - time.getTime() > Duration.toMillis(leftoverAge),
                    ),
                  ),
                )
            : Effect.succeed(true)
          return Effect.flatMap(left, (yes) => (yes ? fs.remove(temp) : Effect.void)).pipe(Effect.ignore)
        },
        { discard: true },
      ),
    ),
    Effect.ignore,
  )

/** The directory's entries on disk, so that a rename lasts through a crash; best effort: not every platform opens directories. */
const syncDirectory = (fs: FileSystem.FileSystem, dir: string) =>
  fs.open(dir, { flag: "r" }).pipe(
    Effect.flatMap((handle) => handle.sync),
    Effect.scoped,
    Effect.ignore,
  )

/**
 * Replaces `file` with `data` all at once: written to a temporary file beside it (`createTemp`),
 * given `keep`'s mode and group, synced, renamed over `file`, and the directory synced. A reader
 * sees the old file or the new one, never a part; a failure leaves the old one as it was. Windows
 * refuses the rename while another program holds `file` open (an editor, antivirus, the indexer):
 * that passes, so it is tried again for about two seconds before failing.
 */
const replace = (
  fs: FileSystem.FileSystem,
  platform: PlatformShape,
  file: string,
  data: string | Uint8Array,
  keep: Keep,
): Effect.Effect<void, FileError> =>
  Effect.gen(function* () {
    const explain = explainer(platform)
    yield* removeLeftovers(fs, platform, file)
    const temp = yield* createTemp(platform, file)
    const handle = temp.handle
    yield* Effect.gen(function* () {
      yield* nodeCall(() => handle.writeFile(data))
      // A group that may read the file keeps reading it, or nobody but the owner does.
      const sameGroup = yield* Option.match(keep.gid, {
        onNone: () => Effect.succeed(false),
        onSome: (gid) =>
          nodeCall(() => handle.stat()).pipe(
            Effect.flatMap((info) =>
              info.gid === gid ? Effect.void : nodeCall(() => handle.chown(info.uid, gid)),
            ),
            Effect.as(true),
            Effect.orElseSucceed(() => false),
          ),
      })
      yield* nodeCall(() => handle.chmod(sameGroup ? keep.mode : keep.mode & 0o600))
      yield* nodeCall(() => handle.sync())
      yield* retryWhileBusy(platform)(fs.rename(temp.path, file))
      yield* Effect.logDebug(`wrote ${file}: ${data.length} characters, through ${temp.path}`)
    }).pipe(Effect.mapError(explain(file, "write")))
    // A rotation deletes the old key right after some writes: the rename must be on disk first.
    yield* syncDirectory(fs, path.dirname(file))
  }).pipe(Effect.scoped)

/** The safe writes, on this file system and platform: for the credentials file, the journal, and any temporary file that holds a secret. */
export const make = (fs: FileSystem.FileSystem, platform: PlatformShape) => ({
  createTemp: (file: string) => createTemp(platform, file),
  replace: (file: string, data: string | Uint8Array, keep: Keep) => replace(fs, platform, file, data, keep),
  syncDirectory: (dir: string) => syncDirectory(fs, dir),
})
