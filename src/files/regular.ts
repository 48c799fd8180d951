// Reading a file that must be a regular one, over node:fs alone (the launcher's fast path uses it
// as the full program does, through src/layers/RegularFile.ts).
import * as fs from "node:fs"

/** Why a path that names something other than a regular file is not read. */
export const notRegularReason = (kind: string) =>
  `it is ${kind}, not a regular file: remove it (nothing of this tool's is in it)`

/** The path names something other than a regular file: reading it could wait for ever (a named pipe) or never end (a device). */
export class NotRegularFile extends Error {
  constructor(readonly kind: string) {
    super(notRegularReason(kind))
  }
}

const kindOf = (info: fs.Stats) =>
  info.isFIFO()
    ? "a named pipe (FIFO)"
    : info.isSocket()
      ? "a socket"
      : info.isCharacterDevice() || info.isBlockDevice()
        ? "a device"
        : info.isDirectory()
          ? "a directory"
          : "not a plain file"

const { O_RDONLY, O_NONBLOCK, O_NOFOLLOW } = fs.constants

/**
 * The text of `file`, undefined when it is missing. It is opened without waiting (a named pipe does
 * not hold the open) and never through a symbolic link, then read only if it is a regular file.
 * Fails with NotRegularFile, or with the system's error.
 */
export const readRegularFile = async (file: string): Promise<string | undefined> => {
  try {
    const handle = await fs.promises.open(file, O_RDONLY | (O_NONBLOCK ?? 0) | (O_NOFOLLOW ?? 0))
    try {
      const info = await handle.stat()
      if (!info.isFile()) throw new NotRegularFile(kindOf(info))
      return await handle.readFile("utf8")
    } finally {
      await handle.close().catch(() => undefined)
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined
    throw error
  }
}
