import * as path from "node:path"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { FileError } from "../schema/Errors.js"
import { journalFiles } from "../schema/JournalFiles.js"
import { FilePaths } from "../services/FilePaths.js"
import { Entry, Journal } from "../services/Journal.js"
import { Platform } from "../services/Platform.js"
import * as AtomicWrite from "./AtomicWrite.js"
import { explainer } from "./FileFailure.js"
import * as Lock from "./Lock.js"
import { readRegular } from "./RegularFile.js"

const toJson = Schema.encode(Schema.parseJson(Entry, { space: 2 }))
const fromJson = Schema.decodeUnknown(Schema.parseJson(Entry))

/**
 * The journal of the rotations of `credentials`: one file per rotation in `.aws-iam-login/` next
 * to it, 0600 (it holds secrets), in a directory only the user can write.
 */
export const make = Effect.fn("Journal.make")(function* (credentials: string) {
  const fs = yield* FileSystem.FileSystem
  const platform = yield* Platform
  const { dir, base, prefix, fileOf, mayBeJournal } = journalFiles(credentials)
  /** The profile a journal's name gives, or none for a name of an earlier version. */
  const profileOf = (name: string) => {
    const part = name.slice(prefix.length, -".json".length)
    return name.startsWith(prefix) && !part.includes(".")
      ? Option.liftThrowable(decodeURIComponent)(part)
      : Option.none()
  }
  /** Whether this process holds the rotation lock: only then may a journal that records nothing go. */
  let locked = false
  const fail = explainer(platform)
  const refuse = (reason: string) => new FileError({ path: dir, action: "use", reason })

  /**
   * The directory, made if missing; refused when someone else could put or swap files in it, where
   * owners and modes mean something (not on Windows, nor on a WSL drive that takes no modes: the
   * credentials file's check warns about that drive).
   */
  const directory = Effect.gen(function* () {
    yield* fs.makeDirectory(dir, { recursive: true, mode: 0o700 }).pipe(Effect.mapError(fail(dir, "create")))
    if (yield* fs.readLink(dir).pipe(Effect.isSuccess)) {
      return yield* refuse("it is a symbolic link; make it a plain directory of yours")
    }
    const info = yield* fs.stat(dir).pipe(Effect.mapError(fail(dir, "read")))
    if (info.type !== "Directory") return yield* refuse("it is not a directory")
    if (platform.uid === undefined) return
    if (Option.isSome(info.uid) && info.uid.value !== platform.uid) {
      return yield* refuse("it belongs to another user")
    }
    if ((info.mode & 0o022) !== 0 && !platform.modesIgnored(dir)) {
      return yield* refuse(
        `others can write to it (mode ${(info.mode & 0o777).toString(8)}); run chmod 700 on it`,
      )
    }
  })

  const writes = AtomicWrite.make(fs, platform)
  const syncDirectory = writes.syncDirectory(dir)

  const write = (file: string, entry: Entry, flag: "wx" | "w") =>
    Effect.gen(function* () {
      const text = yield* toJson(entry).pipe(Effect.orDie)
      const handle = yield* fs.open(file, { flag, mode: 0o600 })
      yield* handle.writeAll(new TextEncoder().encode(`${text}\n`))
      yield* handle.sync
    }).pipe(Effect.scoped)

  const begin = (entry: Entry) =>
    Effect.gen(function* () {
      yield* directory
      const file = fileOf(entry.profile)
      yield* write(file, entry, "wx").pipe(Effect.mapError(fail(file, "create")))
      yield* syncDirectory
      yield* Effect.logDebug(`journal ${file}: created for the rotation of [${entry.profile}]`)
      return file
    })

  const record = (entry: Entry) =>
    Effect.gen(function* () {
      const file = fileOf(entry.profile)
      const text = yield* toJson(entry).pipe(Effect.orDie)
      yield* writes.replace(file, `${text}\n`, { mode: 0o600, gid: undefined })
      yield* Effect.logDebug(`journal ${file}: recorded${entry.newKey ? " the new key" : ""}`)
    })

  const remove = (entry: Entry) =>
    fs.remove(fileOf(entry.profile)).pipe(
      Effect.catchIf(
        (e) => e._tag === "SystemError" && e.reason === "NotFound",
        () => Effect.void,
      ),
      Effect.mapError(fail(fileOf(entry.profile), "remove")),
      Effect.zipRight(syncDirectory),
      Effect.zipRight(Effect.logDebug(`journal ${fileOf(entry.profile)}: removed`)),
    )

  const unreadable = (file: string) =>
    new FileError({
      path: file,
      action: "read",
      reason:
        "it is not a rotation journal this tool can read; it may hold an access key's secret, so look at it before you move it away",
    })

  /** A journal's text ("" when it is gone); a path that is not a regular file is refused, never waited on. */
  const readJournal = (file: string) =>
    readRegular(file).pipe(
      Effect.map(Option.getOrElse(() => "")),
      Effect.mapError((e) => new FileError({ path: file, action: "read", reason: e.message })),
    )

  /**
   * The temporary copies of this file's journals that a killed rotation left (each holds secrets).
   * One written whole just before its rename completes that rename; any other goes.
   */
  const sweep = (names: ReadonlyArray<string>) =>
    Effect.forEach(
      names,
      (name) =>
        Effect.gen(function* () {
          const left = /^\.?(.+\.json)\.(\d+)(\.[0-9a-f]{16})?\.tmp$/.exec(name)
          if (left === null || !(left[1]!.startsWith(prefix) || left[1]!.startsWith(`${base}.`))) return
          const pid = Number(left[2])
          if (pid === process.pid || platform.running(pid)) return
          const temp = path.join(dir, name)
          const journal = path.join(dir, left[1]!)
          const copy = Either.getRight(yield* Effect.either(Effect.flatMap(readJournal(temp), fromJson)))
          const current = Either.getRight(
            yield* Effect.either(Effect.flatMap(readJournal(journal), fromJson)),
          )
          const completes =
            Option.isSome(copy) &&
            Option.isSome(current) &&
            copy.value.newKey !== undefined &&
            current.value.newKey === undefined &&
            copy.value.oldKey.id === current.value.oldKey.id &&
            copy.value.started.getTime() === current.value.started.getTime()
          if (completes) {
            yield* fs.rename(temp, journal).pipe(Effect.mapError(fail(journal, "write")))
            yield* syncDirectory
            return yield* Console.error(
              `Recorded the new key in ${journal} from ${temp}, which a rotation killed while writing it left behind.`,
            )
          }
          yield* fs.remove(temp).pipe(Effect.mapError(fail(temp, "remove")))
          yield* Console.error(
            `Removed ${temp}, a copy of a rotation journal that a process killed while writing it left behind (it held access keys' secrets).`,
          )
        }),
      { discard: true },
    )

  const find = (profile: string) =>
    Effect.gen(function* () {
      if (!(yield* fs.exists(dir).pipe(Effect.orElseSucceed(() => false)))) return Option.none()
      yield* directory
      if (locked) yield* sweep(yield* fs.readDirectory(dir).pipe(Effect.mapError(fail(dir, "read"))))
      const names = yield* fs.readDirectory(dir).pipe(Effect.mapError(fail(dir, "read")))
      for (const name of names.filter(mayBeJournal).sort()) {
        const file = path.join(dir, name)
        const text = yield* readJournal(file)
        if (text.length === 0) {
          // Killed between creating the journal and writing it: it records no call, so no key.
          if (locked) {
            yield* fs.remove(file).pipe(Effect.mapError(fail(file, "remove")))
            yield* Console.error(
              `Removed ${file}: an empty rotation journal, left by a rotation stopped before it made any call.`,
            )
          }
          continue
        }
        const decoded = yield* Effect.either(fromJson(text))
        if (decoded._tag === "Left") {
          const named = profileOf(name)
          // Another profile's journal, by its name: it cannot name this profile's key any more than it can be read.
          if (Option.isSome(named) && named.value !== profile) {
            yield* Console.error(
              `Skipped ${file} (the journal of [${named.value}]): ${unreadable(file).reason}.`,
            )
            continue
          }
          return yield* unreadable(file)
        }
        const entry = decoded.right
        if (recordedName(entry.credentials) !== base) continue
        if (entry.profile === profile || entry.profiles.includes(profile))
          return Option.some({ entry, path: file })
      }
      return Option.none()
    })

  const lock = (onWait: (pid: Option.Option<number>) => Effect.Effect<void>) =>
    Effect.zipRight(
      directory,
      Lock.acquire(path.join(dir, `${prefix}rotate.lock`), {
        onWait: (holder) => onWait(Option.map(holder, (h) => h.pid)),
      }),
    ).pipe(
      Effect.zipRight(
        Effect.acquireRelease(
          Effect.sync(() => {
            locked = true
          }),
          () =>
            Effect.sync(() => {
              locked = false
            }),
        ),
      ),
      Effect.provideService(FileSystem.FileSystem, fs),
      Effect.provideService(Platform, platform),
    )

  return Journal.of({ find, begin, record, remove, lock })
})

/** The file name in a recorded path, also as the Windows build spells it (`C:\…`, `\\server\…`) in a folder WSL shares. */
const recordedName = (recorded: string) =>
  /^[A-Za-z]:[\\/]|^\\\\/.test(recorded) ? path.win32.basename(recorded) : path.basename(recorded)

export const layer = (credentials: string) => Layer.effect(Journal, make(credentials))

export const JournalLive = Layer.effect(
  Journal,
  Effect.flatMap(FilePaths, (files) => files.paths).pipe(Effect.flatMap((paths) => make(paths.credentials))),
)
