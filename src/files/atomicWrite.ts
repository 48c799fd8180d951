// The safe replacement of a file over node:fs alone: src/layers/AtomicWrite.ts runs it for the full
// program; the launcher's fast path can write with the same code, without the Effect runtime.
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"

/** What a replaced file keeps of the one it replaces: its mode, and the group that may read it, where the user may give the file to it. */
export interface Kept {
  readonly mode: number
  readonly gid: number | undefined
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
const leftoverMillis = 10 * 60 * 1000

const ignore = (done: Promise<unknown>) =>
  done.then(
    () => undefined,
    () => undefined,
  )

/**
 * A new file beside `file`: an unpredictable name, created exclusively (never through a symbolic
 * link, never a file someone else made), 0600, open. A temporary file of a process that dies is
 * swept by the next `replaceFile`.
 */
export const openTemp = async (file: string) => {
  const temp = tempName(file)
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants
  return { path: temp, handle: await fs.promises.open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600) }
}

/** Closes a temporary file from `openTemp` and removes it, unless it was renamed away. */
export const discardTemp = async (temp: {
  readonly path: string
  readonly handle: fs.promises.FileHandle
}) => {
  await ignore(temp.handle.close())
  await ignore(fs.promises.rm(temp.path, { force: true }))
}

/** Temporary files of processes that died while writing beside `file`: each may be a whole copy of it, secrets included. */
const removeLeftovers = async (running: (pid: number) => boolean, file: string) => {
  const dir = path.dirname(file)
  const names = await fs.promises.readdir(dir).catch(() => [])
  for (const name of names) {
    const pid = tempOwner(file, name)
    if (pid === undefined || pid === process.pid) continue
    const temp = path.join(dir, name)
    // Its pid may have gone to another process since (no /proc on macOS and Windows tells):
    // a write takes milliseconds, so one this old was left by a writer that died.
    const left = running(pid)
      ? await fs.promises.stat(temp).then(
          (info) => Date.now() - info.mtime.getTime() > leftoverMillis,
          () => false,
        )
      : true
    if (left) await ignore(fs.promises.rm(temp))
  }
}

/** The directory's entries on disk, so that a rename lasts through a crash; best effort: not every platform opens directories. */
export const syncDirectory = (dir: string) =>
  new Promise<void>((resolve) =>
    fs.open(dir, "r", (failed, fd) => {
      if (failed) resolve()
      else fs.fsync(fd, () => fs.close(fd, () => resolve()))
    }),
  )

/** Resolves once `signal` is aborted; never without one. */
const whenAborted = (signal: AbortSignal | undefined) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) resolve()
    else signal?.addEventListener("abort", () => resolve(), { once: true })
  })

/** How `replaceFile` renames, and what stops it. */
export interface Replacing {
  /** Whether a process with this pid runs here. */
  readonly running: (pid: number) => boolean
  /** Renames the temporary file over the file (the full program tries again while Windows reports it busy). */
  readonly rename: (from: string, to: string) => Promise<void>
  /** Aborted: the write stops at its next step, and the old file stays as it was. */
  readonly signal?: AbortSignal
}

/**
 * Replaces `file` with `data` all at once: written to a temporary file beside it (`openTemp`),
 * given `kept`'s mode and group, synced, renamed over `file`, and the directory synced. A reader
 * sees the old file or the new one, never a part; a failure leaves the old one as it was. The
 * temporary file's path, for the record.
 */
export const replaceFile = async (
  file: string,
  data: string | Uint8Array,
  kept: Kept,
  { running, rename, signal }: Replacing,
): Promise<string> => {
  // The sweep holds nothing of this write: a stop leaves it at once, though the directory's
  // listing never returns (a hung network share), and the old file stays as it was.
  await Promise.race([removeLeftovers(running, file), whenAborted(signal)])
  signal?.throwIfAborted()
  const temp = await openTemp(file)
  const handle = temp.handle
  try {
    signal?.throwIfAborted()
    await handle.writeFile(data)
    signal?.throwIfAborted()
    // A group that may read the file keeps reading it, or nobody but the owner does.
    const gid = kept.gid
    const sameGroup =
      gid !== undefined &&
      (await handle
        .stat()
        .then((info): Promise<void> | undefined =>
          info.gid === gid ? undefined : handle.chown(info.uid, gid),
        )
        .then(
          () => true,
          () => false,
        ))
    signal?.throwIfAborted()
    await handle.chmod(sameGroup ? kept.mode : kept.mode & 0o600)
    signal?.throwIfAborted()
    await handle.sync()
    signal?.throwIfAborted()
    await rename(temp.path, file)
  } finally {
    await discardTemp(temp)
  }
  // A rotation deletes the old key right after some writes: the rename must be on disk first.
  await syncDirectory(path.dirname(file))
  return temp.path
}
