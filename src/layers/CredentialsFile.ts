import * as os from "node:os"
import * as path from "node:path"
import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import { FileError, InvalidInput } from "../schema/Errors.js"
import * as Ini from "../schema/Ini.js"
import { CredentialsFile } from "../services/CredentialsFile.js"

export interface Paths {
  readonly credentials: string
  readonly config: string
}

const staleLockAge = Duration.seconds(30)

export const make = Effect.fn("CredentialsFile.make")(function* (paths: Paths) {
  const fs = yield* FileSystem.FileSystem
  const fail = (file: string, action: string) => (error: { readonly message: string }) =>
    new FileError({ path: file, action, reason: error.message })

  const readText = (file: string) =>
    fs.readFileString(file).pipe(
      Effect.catchIf(
        (e) => e._tag === "SystemError" && e.reason === "NotFound",
        () => Effect.succeed(""),
      ),
      Effect.mapError(fail(file, "read")),
    )

  const read = readText(paths.credentials).pipe(
    Effect.map((text) => ({ path: paths.credentials, sections: Ini.parse(text) })),
  )

  /** The file a write replaces: the target of a symlink, followed even when dangling. */
  const target = (file: string): Effect.Effect<string> =>
    fs.readLink(file).pipe(
      Effect.flatMap((link) => target(path.resolve(path.dirname(file), link))),
      Effect.orElseSucceed(() => file),
    )

  const lock = (file: string) => {
    const lockFile = `${file}.lock`
    const create = fs.writeFileString(lockFile, String(process.pid), { flag: "wx", mode: 0o600 })
    const held = (e: PlatformError) => e._tag === "SystemError" && e.reason === "AlreadyExists"
    /** A lock older than any update takes was left by a process that died holding it. */
    const removeIfStale = fs.stat(lockFile).pipe(
      Effect.flatMap((info) =>
        Date.now() - Option.getOrElse(info.mtime, () => new Date()).getTime() >
        Duration.toMillis(staleLockAge)
          ? fs.remove(lockFile)
          : Effect.void,
      ),
      Effect.ignore,
    )
    const take = create.pipe(
      Effect.catchIf(held, () => Effect.zipRight(removeIfStale, create)),
      Effect.retry({ while: held, schedule: Schedule.spaced("25 millis").pipe(Schedule.upTo("10 seconds")) }),
      Effect.mapError(fail(lockFile, "lock")),
    )
    return Effect.acquireRelease(take, () => fs.remove(lockFile).pipe(Effect.ignore))
  }

  const writeAtomically = (file: string, text: string) =>
    Effect.gen(function* () {
      const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`)
      yield* Effect.addFinalizer(() => fs.remove(temp).pipe(Effect.ignore))
      const handle = yield* fs.open(temp, { flag: "w", mode: 0o600 })
      yield* handle.writeAll(new TextEncoder().encode(text))
      yield* handle.sync
      yield* fs.chmod(temp, 0o600)
      yield* fs.rename(temp, file)
      // The rename lasts through a crash only once the directory is on disk too: a rotation deletes
      // the old key right after. Not every platform opens directories, so this is best effort.
      yield* fs.open(path.dirname(file), { flag: "r" }).pipe(
        Effect.flatMap((dir) => dir.sync),
        Effect.ignore,
      )
    }).pipe(Effect.scoped, Effect.mapError(fail(file, "write")))

  /**
   * Locked read-modify-write: `change` maps the text to the new text (undefined: nothing to write),
   * or says why it must not; whether it wrote.
   */
  const rewrite = (change: (text: string) => Either.Either<string | undefined, string>) =>
    Effect.gen(function* () {
      const file = yield* target(paths.credentials)
      yield* fs
        .makeDirectory(path.dirname(file), { recursive: true, mode: 0o700 })
        .pipe(Effect.mapError(fail(path.dirname(file), "create")))
      yield* lock(file)
      const text = yield* readText(file)
      const edited = change(text)
      if (Either.isLeft(edited)) {
        return yield* new InvalidInput({ reason: `Refusing to write ${paths.credentials}: ${edited.left}.` })
      }
      if (edited.right === undefined) return false
      yield* writeAtomically(file, edited.right)
      return true
    }).pipe(Effect.scoped)

  const update = (edits: ReadonlyArray<Ini.Edit>) =>
    Effect.asVoid(rewrite((text) => Ini.applyEdits(text, edits)))

  const remove = (section: string) =>
    rewrite((text) =>
      Ini.parse(text).has(section) ? Ini.removeSection(text, section) : Either.right(undefined),
    )

  const region = (profile: string) =>
    Effect.gen(function* () {
      const fromEnv = yield* Config.nonEmptyString("AWS_REGION").pipe(
        Config.orElse(() => Config.nonEmptyString("AWS_DEFAULT_REGION")),
        Config.option,
        Effect.orElseSucceed(() => Option.none<string>()),
      )
      if (Option.isSome(fromEnv)) return fromEnv
      const config = Ini.parse(yield* readText(paths.config))
      const section = profile === "default" ? "default" : `profile ${profile}`
      return Option.fromNullable(config.get(section)?.values.region)
    })

  return CredentialsFile.of({ read, update, remove, region })
})

/** Paths from AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE, as the AWS CLI reads them. */
export const pathsFromEnvironment = Effect.gen(function* () {
  const home = (name: string) => path.join(os.homedir(), ".aws", name)
  const credentials = yield* Config.withDefault(
    Config.string("AWS_SHARED_CREDENTIALS_FILE"),
    home("credentials"),
  )
  const config = yield* Config.withDefault(Config.string("AWS_CONFIG_FILE"), home("config"))
  const expand = (file: string) => (file.startsWith("~/") ? path.join(os.homedir(), file.slice(2)) : file)
  return { credentials: expand(credentials), config: expand(config) }
})

export const layer = (paths: Paths) => Layer.effect(CredentialsFile, make(paths))

export const CredentialsFileLive = Layer.effect(CredentialsFile, Effect.flatMap(pathsFromEnvironment, make))
