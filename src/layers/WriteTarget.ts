import * as path from "node:path"
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { Kept } from "../files/atomicWrite.js"
import * as Files from "../files/writeTarget.js"
import { FileError } from "../schema/Errors.js"
import type { Exposure } from "../services/CredentialsFile.js"
import type { PlatformShape } from "../services/Platform.js"
import { explainer } from "./FileFailure.js"

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

  const checks = Files.writeTarget(platform)
  const problem = (error: unknown) =>
    error instanceof Files.TargetProblem
      ? error.problem._tag === "Refused"
        ? new FileError({ path: error.path, action: error.action, reason: error.problem.reason })
        : error.problem._tag === "NotAFile"
          ? notAFile(error.path, error.action, error.problem.type)
          : explain(error.path, error.action)(error.problem.cause)
      : explain("", "use")(error)
  const run = <A>(check: () => Promise<A>) => Effect.tryPromise({ try: check, catch: problem })

  /** The file a write replaces, its directory made (0700) when missing and every directory on the way checked (Files.writeTarget). */
  const realFile = (named: string) =>
    Effect.flatMap(
      run(() => checks.realFile(named)),
      ({ file, warnings }) =>
        Effect.as(
          Effect.forEach(warnings, (warning) => Console.error(`aws-iam-login: warning: ${warning}`), {
            discard: true,
          }),
          file,
        ),
    )

  /** The mode (and group) the file keeps; a file that is not the user's to replace is refused. */
  const replaceable = (file: string): Effect.Effect<Kept, FileError> => run(() => checks.replaceable(file))

  /**
   * What other users may do to `named` (the file its links lead to) and, with `directory`, to the
   * directory that holds it, each with its fix; nothing where owners and modes mean nothing
   * (Windows). A missing file has nothing to expose. Reads only.
   */
  const exposure = (named: string, directory: boolean) =>
    Effect.gen(function* () {
      if (myUid === undefined) return []
      const links = yield* Effect.promise(() => Files.chain(named))
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
        mode: Files.modeOf(mode),
        read: (mode & 0o044) !== 0,
        write: (mode & 0o022) !== 0,
        text: `other users can ${othersMay(mode)} ${at} (mode ${Files.modeOf(mode)}): run \`${fix} ${at}\``,
      })
      const folder = yield* stat(dir)
      if (Option.isSome(folder) && platform.modesIgnored(dir))
        return [
          {
            path: dir,
            directory: true,
            mode: Files.modeOf(folder.value.mode),
            read: true,
            write: true,
            text: Files.unprotectedDrive(dir, folder.value.mode),
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
