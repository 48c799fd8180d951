import * as path from "node:path"
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { FileError } from "../schema/Errors.js"
import type { Exposure } from "../services/CredentialsFile.js"
import type { PlatformShape } from "../services/Platform.js"
import type { Keep } from "./AtomicWrite.js"
import { explainer } from "./FileFailure.js"

/** As many links as the kernel follows before ELOOP. */
const maxLinks = 40

/**
 * The mode a rewritten file gets: its own, with what others may do removed, and never wider. Group
 * read is a choice someone made (a shared group); world access to a secret never is: a file made
 * with the usual umask (0644) gets 0600, as a new file does.
 */
const keptMode = (mode: number) => ((mode & 0o007) === 0 ? mode & 0o640 : 0o600)

const modeOf = (mode: number) => (mode & 0o777).toString(8)

/** A WSL mount of a Windows drive without `metadata`: what that exposes, and how to protect it. */
const unprotectedDrive = (dir: string, mode: number) =>
  `${dir} is on a Windows drive mounted without the metadata option, so its mode stays ${modeOf(mode)} and any Windows program can read the keys in it; to protect them, add \`options = "metadata"\` under [automount] in /etc/wsl.conf, run \`wsl --shutdown\`, then \`chmod 700 ${dir}\``

/** "read", "write to" or "read and write": what the group and other users may do by `mode`. */
const othersMay = (mode: number) =>
  [(mode & 0o044) !== 0 && "read", (mode & 0o022) !== 0 && "write to"].filter(Boolean).join(" and ")

/**
 * Which file a write replaces, and whether it may: the end of the symbolic links (a link stays a
 * link), in directories only the user can change, a regular file of the user's that is not
 * read-only; what the new file keeps of its mode and group.
 */
export const make = (
  fs: FileSystem.FileSystem,
  platform: PlatformShape,
  notAFile: (file: string, action: string, type: FileSystem.File.Type) => FileError,
) => {
  const explain = explainer(platform)
  const myUid = platform.uid
  const notFound = (e: { readonly _tag: string; readonly reason?: string }) =>
    e._tag === "SystemError" && e.reason === "NotFound"

  /** `file` and the symlinks it leads through, to the file a write replaces (last; followed even when dangling). */
  const chain = (file: string, depth = 0): Effect.Effect<ReadonlyArray<string>> =>
    depth >= maxLinks
      ? Effect.succeed([file])
      : fs.readLink(file).pipe(
          Effect.flatMap((link) => chain(path.resolve(path.dirname(file), link), depth + 1)),
          Effect.map((rest) => [file, ...rest]),
          Effect.orElseSucceed(() => [file]),
        )

  /**
   * A directory that holds the file or a link to it must be one only its owner can change, where
   * owners and modes mean something. On a WSL mount of a Windows drive without `metadata`, where
   * every directory shows 0777 and chmod changes nothing, it is used as the AWS CLI uses it, with a
   * warning that says how to protect it.
   */
  const warned = new Set<string>()
  const checkDirectory = (dir: string) =>
    Effect.gen(function* () {
      if (myUid === undefined) return
      const info = yield* fs.stat(yield* fs.realPath(dir))
      const uid = Option.getOrElse(info.uid, () => myUid)
      const refuse = (reason: string) => new FileError({ path: dir, action: "use", reason })
      if (uid !== myUid && uid !== 0)
        return yield* refuse(
          `it belongs to another user (uid ${uid}), who could swap the file: keep your credentials in a directory of your own`,
        )
      if ((info.mode & 0o022) === 0) return
      if (platform.modesIgnored(dir)) {
        if (warned.has(dir)) return
        warned.add(dir)
        return yield* Console.error(`aws-iam-login: warning: ${unprotectedDrive(dir, info.mode)}`)
      }
      return yield* refuse(
        `other users can write to it (mode ${modeOf(info.mode)}) and could plant or swap files there: run \`chmod 700 ${dir}\``,
      )
    }).pipe(Effect.mapError(explain(dir, "use")))

  /** The file a write replaces, its directory made (0700) when missing and every directory on the way checked. */
  const realFile = (named: string) =>
    Effect.gen(function* () {
      const links = yield* chain(named)
      const file = links[links.length - 1]!
      yield* fs
        .makeDirectory(path.dirname(file), { recursive: true, mode: 0o700 })
        .pipe(Effect.mapError(explain(path.dirname(file), "create")))
      yield* Effect.forEach(new Set(links.map((link) => path.dirname(link))), checkDirectory, {
        discard: true,
      })
      return file
    })

  /** The mode (and group) the file keeps; a file that is not the user's to replace is refused. */
  const replaceable = (file: string): Effect.Effect<Keep, FileError> =>
    Effect.gen(function* () {
      const found = yield* fs.stat(file).pipe(
        Effect.map(Option.some),
        Effect.catchIf(notFound, () => Effect.succeed(Option.none())),
      )
      if (Option.isNone(found)) return { mode: 0o600, gid: Option.none<number>() }
      const info = found.value
      const refuse = (reason: string) => new FileError({ path: file, action: "write", reason })
      if (info.type !== "File") return yield* notAFile(file, "write", info.type)
      const uid = Option.getOrElse(info.uid, () => myUid)
      if (myUid !== undefined && uid !== myUid)
        return yield* refuse(
          `it belongs to another user (uid ${uid}), so it is left as it is: ${platform.advice.notYours(file)}`,
        )
      if ((info.mode & 0o200) === 0)
        return yield* refuse(
          `it is read-only${myUid === undefined ? "" : ` (mode ${modeOf(info.mode)})`}, so it is left as it is: ${platform.advice.readOnly(file)}`,
        )
      return { mode: keptMode(info.mode), gid: info.gid }
    }).pipe(Effect.mapError(explain(file, "write")))

  /**
   * What other users may do to `named` (the file its links lead to) and, with `directory`, to the
   * directory that holds it, each with its fix; nothing where owners and modes mean nothing
   * (Windows). A missing file has nothing to expose. Reads only.
   */
  const exposure = (named: string, directory: boolean) =>
    Effect.gen(function* () {
      if (myUid === undefined) return []
      const links = yield* chain(named)
      const file = links[links.length - 1]!
      const dir = path.dirname(file)
      const stat = (at: string) =>
        fs.stat(at).pipe(
          Effect.map(Option.some),
          Effect.catchIf(notFound, () => Effect.succeed(Option.none())),
          Effect.mapError(explain(at, "read")),
        )
      const found: Array<Exposure> = []
      const open = (at: string, mode: number, isDirectory: boolean, fix: string): Exposure => ({
        path: at,
        directory: isDirectory,
        mode: modeOf(mode),
        read: (mode & 0o044) !== 0,
        write: (mode & 0o022) !== 0,
        text: `other users can ${othersMay(mode)} ${at} (mode ${modeOf(mode)}): run \`${fix} ${at}\``,
      })
      const folder = yield* stat(dir)
      if (Option.isSome(folder) && platform.modesIgnored(dir))
        return [
          {
            path: dir,
            directory: true,
            mode: modeOf(folder.value.mode),
            read: true,
            write: true,
            text: unprotectedDrive(dir, folder.value.mode),
          },
        ]
      if (directory && Option.isSome(folder) && othersMay(folder.value.mode) !== "")
        found.push(open(dir, folder.value.mode, true, "chmod 700"))
      const info = yield* stat(file)
      if (Option.isSome(info) && othersMay(info.value.mode) !== "")
        found.push(open(file, info.value.mode, false, "chmod 600"))
      return found
    })

  return { realFile, replaceable, exposure }
}
