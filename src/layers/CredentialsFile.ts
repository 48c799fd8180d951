import * as os from "node:os"
import * as path from "node:path"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { showTime } from "../schema/Credentials.js"
import { FileError, InvalidInput } from "../schema/Errors.js"
import * as Ini from "../schema/Ini.js"
import * as Settings from "../schema/Settings.js"
import { CredentialsFile, type IniFile } from "../services/CredentialsFile.js"
import { FilePaths, type Paths } from "../services/FilePaths.js"
import { Platform } from "../services/Platform.js"
import * as AtomicWrite from "./AtomicWrite.js"
import { adviceOn, explainer, retryWhileBusy } from "./FileFailure.js"
import * as Lock from "./Lock.js"
import * as WriteTarget from "./WriteTarget.js"

export type { Paths }

/** A login holds its profile's lock while a person types the code: the next one waits that long. */
const sessionLockWait = Duration.minutes(5)
const kinds: Partial<Record<FileSystem.File.Type, string>> = {
  Directory: "a directory",
  FIFO: "a named pipe (FIFO)",
  Socket: "a socket",
  CharacterDevice: "a device",
  BlockDevice: "a device",
}

/** Anything but a regular file at a path is refused, naming the variable that points there. */
const notAFileFor = (paths: Paths) => (file: string, action: string, type: FileSystem.File.Type) =>
  new FileError({
    path: file,
    action,
    reason: `it is ${kinds[type] ?? `a ${type}`}, not a regular file: point ${file === paths.config ? "AWS_CONFIG_FILE" : "AWS_SHARED_CREDENTIALS_FILE"} at a regular file`,
  })

export const make = Effect.fn("CredentialsFile.make")(function* (paths: Paths) {
  const fs = yield* FileSystem.FileSystem
  const platform = yield* Platform
  const advice = adviceOn(platform)
  const explain = explainer(platform)
  const writes = AtomicWrite.make(fs, platform)
  const target = WriteTarget.make(fs, platform, notAFileFor(paths))
  const notFound = (e: { readonly _tag: string; readonly reason?: string }) =>
    e._tag === "SystemError" && e.reason === "NotFound"
  const notAFile = notAFileFor(paths)

  /** The file's text, decoded so that encoding it again gives back its bytes; "" when it is missing; anything but a regular file is refused before it is opened. */
  const readText = (file: string) =>
    Effect.gen(function* () {
      const info = yield* fs.stat(file)
      if (info.type !== "File") return yield* notAFile(file, "read", info.type)
      return yield* retryWhileBusy(platform)(fs.readFile(file))
    }).pipe(
      Effect.catchIf(notFound, () => Effect.succeed(new Uint8Array())),
      Effect.mapError(explain(file, "read")),
      Effect.flatMap((bytes) =>
        Either.match(Ini.decode(bytes), {
          onLeft: (refusal) => Effect.fail(refused(file)(refusal)),
          onRight: Effect.succeed,
        }),
      ),
      Effect.tap((text) =>
        Effect.logDebug(`read ${file}: ${text === "" ? "empty or missing" : `${text.length} characters`}`),
      ),
    )

  /** A file the AWS CLI refuses is refused here too, with the line and the AWS CLI's reason. */
  const refused = (file: string) => (refusal: Ini.Refusal) =>
    new FileError({ path: file, action: "read", reason: `${Ini.describeRefusal(refusal)}; fix it by hand` })

  /**
   * What this run read of each file since it last took a lock or wrote: the files are read once
   * between two of those, and read again after them (a login that waited for another's lock finds
   * that one's session). The write itself re-reads the file under its lock, whatever is here.
   */
  const snapshots = new Map<string, Ini.Sections>()
  const forget = Effect.sync(() => snapshots.clear())

  const readIni = (file: string) =>
    Effect.suspend(() => {
      const known = snapshots.get(file)
      if (known !== undefined) return Effect.succeed(known)
      return readText(file).pipe(
        Effect.flatMap((text) =>
          Either.match(Ini.read(text), {
            onLeft: (r) => Effect.fail(refused(file)(r)),
            onRight: Effect.succeed,
          }),
        ),
        Effect.tap((sections) => snapshots.set(file, sections)),
      )
    })

  const readConfig = readIni(paths.config).pipe(Effect.map((sections) => ({ path: paths.config, sections })))

  /**
   * The credentials file, read only when the config file is one the AWS CLI reads too: where it
   * refuses the config file (a repeated section, a byte order mark, bytes that are not UTF-8, a
   * nested line without "="), every `aws` command fails, so this tool refuses it before any call,
   * naming the line.
   */
  const read = readIni(paths.credentials).pipe(
    Effect.map((sections) => ({ path: paths.credentials, sections })),
    Effect.zipLeft(readConfig),
  )

  const waiting = (lockFile: string) => (holder: Option.Option<Lock.Holder>) =>
    Console.error(
      Option.match(holder, {
        onNone: () =>
          `Waiting for the process holding ${lockFile} (its lock file names none yet) to release it…`,
        onSome: (holder) =>
          `Waiting for pid ${holder.pid}${holder.host === os.hostname() ? "" : ` on ${holder.host}`}` +
          `${holder.since.getTime() > 0 ? ` (since ${showTime(holder.since)})` : ""} to release ${lockFile}…`,
      }),
    )
  const lock = (lockFile: string, wait?: Duration.Duration) =>
    Lock.acquire(lockFile, { ...(wait ? { wait } : {}), onWait: waiting(lockFile) }).pipe(
      Effect.provideService(FileSystem.FileSystem, fs),
      Effect.provideService(Platform, platform),
      // The lock reports a failed file-system call in the platform's words, code included.
      Effect.mapError((error) => {
        const code = /\b(E[A-Z]{2,}): /.exec(error.reason)?.[1]
        const say = code === undefined ? undefined : advice[code]
        return say ? new FileError({ path: lockFile, action: "lock", reason: say(lockFile) }) : error
      }),
    )

  /**
   * Locked read-modify-write of `named` (the credentials file, or the config file where a profile's
   * key is kept): `change` maps the text to the new text (undefined: nothing to write), or says why
   * it must not; whether it wrote.
   */
  const rewrite = (
    change: (text: string) => Either.Either<string | undefined, string>,
    named = paths.credentials,
  ) =>
    Effect.gen(function* () {
      const file = yield* target.realFile(named)
      yield* lock(`${file}.lock`)
      yield* forget
      const keep = yield* target.replaceable(file)
      const text = yield* readText(file)
      const edited = change(text)
      if (Either.isLeft(edited)) {
        return yield* new InvalidInput({ reason: `Refusing to write ${named}: ${edited.left}.` })
      }
      if (edited.right === undefined) return false
      yield* writes.replace(file, edited.right, keep)
      return true
    }).pipe(Effect.ensuring(forget), Effect.scoped)

  /** A new file may appear in the directory, and the rename may replace the old one there. */
  const directoryWritable = (file: string) =>
    fs
      .access(path.dirname(file), { writable: true })
      .pipe(Effect.mapError(explain(path.dirname(file), "write to")))

  const writable = (named = paths.credentials) =>
    Effect.gen(function* () {
      const file = yield* target.realFile(named)
      yield* target.replaceable(file)
      yield* retryWhileBusy(platform)(platform.unheld(file)).pipe(Effect.mapError(explain(file, "write")))
      yield* directoryWritable(file)
      yield* Effect.scoped(lock(`${file}.lock`))
      yield* Effect.logDebug(`${file} can be written: checked before anything is spent on the write`)
    })

  const withSessionLock = <A, E, R>(profile: string, effect: Effect.Effect<A, E, R>) =>
    Effect.gen(function* () {
      const file = yield* target.realFile(paths.credentials)
      yield* lock(`${file}.${encodeURIComponent(profile)}.login.lock`, sessionLockWait)
      yield* forget
      return yield* effect
    }).pipe(Effect.scoped)

  const update = (edits: ReadonlyArray<Ini.Edit>, named = paths.credentials) =>
    Effect.asVoid(rewrite((text) => Ini.applyEdits(text, edits), named))

  const remove = (section: string, held?: Readonly<Record<string, string>>) =>
    rewrite((text) =>
      Either.flatMap(Either.mapLeft(Ini.read(text), Ini.describeRefusal), (sections) => {
        const values = sections.get(section)?.values
        if (values === undefined) return Either.right(undefined)
        if (held === undefined) return Ini.removeSection(text, section)
        const keys = new Set([...Object.keys(values), ...Object.keys(held)])
        return [...keys].every((key) => values[key] === held[key])
          ? Ini.removeSection(text, section)
          : Either.left(`[${section}] is no longer as it was written (the file changed meanwhile)`)
      }),
    )

  const region = (profile: string, credentials: IniFile) =>
    Effect.flatMap(readConfig, (config) =>
      Either.match(Settings.profileRegion(process.env, credentials, config, profile), {
        onLeft: (refusal) =>
          Effect.fail(new FileError({ path: refusal.where, action: "use", reason: refusal.reason })),
        onRight: (region) => Effect.succeed(Option.fromNullable(region)),
      }),
    )

  return CredentialsFile.of({
    read,
    readConfig,
    reread: forget,
    update,
    writable,
    exposure: target.exposure,
    remove,
    withSessionLock,
    region,
  })
})

export const layer = (paths: Paths) => Layer.effect(CredentialsFile, make(paths))

/** A path that cannot be used fails every command that needs the files, with its reason, once it does. */
const unusable = (error: FileError) =>
  CredentialsFile.of({
    read: Effect.fail(error),
    readConfig: Effect.fail(error),
    reread: Effect.void,
    update: () => Effect.fail(error),
    writable: () => Effect.fail(error),
    exposure: () => Effect.fail(error),
    remove: () => Effect.fail(error),
    withSessionLock: () => Effect.fail(error),
    region: () => Effect.fail(error),
  })

export const CredentialsFileLive = Layer.effect(
  CredentialsFile,
  Effect.flatMap(FilePaths, (files) => files.paths).pipe(
    Effect.flatMap(make),
    Effect.catchTag("FileError", (error) => Effect.succeed(unusable(error))),
  ),
)
