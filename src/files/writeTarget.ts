// Which file a write replaces and whether it may, over node:fs alone: src/layers/WriteTarget.ts
// runs these checks for the full program; the launcher's fast path can run the same ones.
import * as fs from "node:fs"
import * as path from "node:path"
import type { Kept } from "./atomicWrite.js"

/** As many links as the kernel follows before ELOOP. */
const maxLinks = 40

/** A path's type, in the words of @effect/platform's FileSystem, which names what a file is not. */
export type FileType =
  | "File"
  | "Directory"
  | "SymbolicLink"
  | "BlockDevice"
  | "CharacterDevice"
  | "FIFO"
  | "Socket"
  | "Unknown"

const typeOf = (info: fs.Stats): FileType =>
  info.isFile()
    ? "File"
    : info.isDirectory()
      ? "Directory"
      : info.isSymbolicLink()
        ? "SymbolicLink"
        : info.isBlockDevice()
          ? "BlockDevice"
          : info.isCharacterDevice()
            ? "CharacterDevice"
            : info.isFIFO()
              ? "FIFO"
              : info.isSocket()
                ? "Socket"
                : "Unknown"

/** A check that failed: `reason` says why, or `cause` is the system's error, or `type` is what the file is instead of a regular one. */
export class TargetProblem extends Error {
  constructor(
    readonly path: string,
    readonly action: string,
    readonly problem:
      | { readonly _tag: "Refused"; readonly reason: string }
      | { readonly _tag: "Failed"; readonly cause: unknown }
      | { readonly _tag: "NotAFile"; readonly type: FileType },
  ) {
    super(problem._tag === "Refused" ? problem.reason : `${action} ${path}`)
  }
}

/** What the checks need of the platform (see PlatformShape). */
export interface Checks {
  readonly uid: number | undefined
  readonly modesIgnored: (dir: string) => boolean
  readonly advice: {
    readonly notYours: (file: string) => string
    readonly readOnly: (file: string) => string
  }
}

/**
 * The mode a rewritten file gets: its own, with what others may do removed, and never wider. Group
 * read is a choice someone made (a shared group); world access to a secret never is: a file made
 * with the usual umask (0644) gets 0600, as a new file does.
 */
const keptMode = (mode: number) => ((mode & 0o007) === 0 ? mode & 0o640 : 0o600)

export const modeOf = (mode: number) => (mode & 0o777).toString(8)

/** A WSL mount of a Windows drive without `metadata`: what that exposes, and how to protect it. */
export const unprotectedDrive = (dir: string, mode: number) =>
  `${dir} is on a Windows drive mounted without the metadata option, so its mode stays ${modeOf(mode)} and any Windows program can read the keys in it; to protect them, add \`options = "metadata"\` under [automount] in /etc/wsl.conf, run \`wsl --shutdown\`, then \`chmod 700 ${dir}\``

/** `file` and the symlinks it leads through, to the file a write replaces (last; followed even when dangling). */
export const chain = async (file: string, depth = 0): Promise<ReadonlyArray<string>> => {
  if (depth >= maxLinks) return [file]
  const link = await fs.promises.readlink(file).catch(() => undefined)
  return link === undefined
    ? [file]
    : [file, ...(await chain(path.resolve(path.dirname(file), link), depth + 1))]
}

const failing = (at: string, action: string) => (cause: unknown) => {
  throw cause instanceof TargetProblem ? cause : new TargetProblem(at, action, { _tag: "Failed", cause })
}

/**
 * The checks of one run: a directory that holds the file or a link to it must be one only its owner
 * can change, where owners and modes mean something; the file a regular one of the user's that is
 * not read-only. On a WSL mount of a Windows drive without `metadata`, where every directory shows
 * 0777 and chmod changes nothing, it is used as the AWS CLI uses it, with a warning (once a run)
 * that says how to protect it.
 */
export const writeTarget = ({ uid: myUid, modesIgnored, advice }: Checks) => {
  const warned = new Set<string>()

  /** A warning to show, or nothing; fails when the directory may not hold the file. */
  const checkDirectory = async (dir: string): Promise<string | undefined> => {
    if (myUid === undefined) return undefined
    const info = await fs.promises.stat(await fs.promises.realpath(dir)).catch(failing(dir, "use"))
    const refuse = (reason: string) => new TargetProblem(dir, "use", { _tag: "Refused", reason })
    if (info.uid !== myUid && info.uid !== 0)
      throw refuse(
        `it belongs to another user (uid ${info.uid}), who could swap the file: keep your credentials in a directory of your own`,
      )
    if ((info.mode & 0o022) === 0) return undefined
    if (modesIgnored(dir)) {
      if (warned.has(dir)) return undefined
      warned.add(dir)
      return unprotectedDrive(dir, info.mode)
    }
    throw refuse(
      `other users can write to it (mode ${modeOf(info.mode)}) and could plant or swap files there: run \`chmod 700 ${dir}\``,
    )
  }

  /** The file a write replaces, its directory made (0700) when missing and every directory on the way checked; with the warnings to show. */
  const realFile = async (named: string) => {
    const links = await chain(named)
    const file = links[links.length - 1]!
    await fs.promises
      .mkdir(path.dirname(file), { recursive: true, mode: 0o700 })
      .catch(failing(path.dirname(file), "create"))
    const warnings: Array<string> = []
    for (const dir of new Set(links.map((link) => path.dirname(link)))) {
      const warning = await checkDirectory(dir)
      if (warning !== undefined) warnings.push(warning)
    }
    return { file, warnings }
  }

  /** The mode (and group) the file keeps; a file that is not the user's to replace is refused. */
  const replaceable = async (file: string): Promise<Kept> => {
    const info = await fs.promises.stat(file).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return undefined
      return failing(file, "write")(error)
    })
    if (info === undefined) return { mode: 0o600, gid: undefined }
    const refuse = (reason: string) => new TargetProblem(file, "write", { _tag: "Refused", reason })
    if (!info.isFile()) throw new TargetProblem(file, "write", { _tag: "NotAFile", type: typeOf(info) })
    if (myUid !== undefined && info.uid !== myUid)
      throw refuse(
        `it belongs to another user (uid ${info.uid}), so it is left as it is: ${advice.notYours(file)}`,
      )
    if ((info.mode & 0o200) === 0)
      throw refuse(
        `it is read-only${myUid === undefined ? "" : ` (mode ${modeOf(info.mode)})`}, so it is left as it is: ${advice.readOnly(file)}`,
      )
    return { mode: keptMode(info.mode), gid: info.gid }
  }

  return { realFile, replaceable }
}
