import * as os from "node:os"
import * as path from "node:path"
import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import { FileError, InvalidInput } from "../schema/Errors.js"
import * as Ini from "../schema/Ini.js"
import { CredentialsFile } from "../services/CredentialsFile.js"
import * as Debug from "./Debug.js"

export interface Paths {
  readonly credentials: string
  readonly config: string
}

const staleLockAge = Duration.seconds(30)

export const make = Effect.fn("CredentialsFile.make")(function* (paths: Paths) {
  const fs = yield* FileSystem.FileSystem
  const fail = (file: string, action: string) => (error: { readonly message: string }) =>
    new FileError({ path: file, action, reason: error.message })

  /** The file's text, decoded so that encoding it again gives back its bytes; a missing file is empty. */
  const readText = (file: string) =>
    fs.readFile(file).pipe(
      Effect.catchIf(
        (e) => e._tag === "SystemError" && e.reason === "NotFound",
        () => Effect.succeed(new Uint8Array()),
      ),
      Effect.catchAll((e) =>
        fs.stat(file).pipe(
          Effect.orElseFail(() => e),
          Effect.flatMap((info) =>
            info.type === "Directory"
              ? Effect.fail({ message: "it is a directory, not a file" })
              : Effect.fail(e),
          ),
        ),
      ),
      Effect.mapError(fail(file, "read")),
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

  const readIni = (file: string) =>
    readText(file).pipe(
      Effect.flatMap((text) =>
        Either.match(Ini.read(text), {
          onLeft: (r) => Effect.fail(refused(file)(r)),
          onRight: Effect.succeed,
        }),
      ),
    )

  const read = readIni(paths.credentials).pipe(
    Effect.map((sections) => ({ path: paths.credentials, sections })),
  )
  const readConfig = readIni(paths.config).pipe(Effect.map((sections) => ({ path: paths.config, sections })))

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
      Debug.timed(
        (exit, ms) => `lock ${lockFile}: ${Exit.isSuccess(exit) ? "taken" : "not taken"} after ${ms}ms`,
      ),
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
      yield* Effect.logDebug(`wrote ${file}: ${text.length} characters, through ${temp}`)
      // The rename lasts through a crash only once the directory is on disk too: a rotation deletes
      // the old key right after. Not every platform opens directories, so this is best effort.
      yield* fs.open(path.dirname(file), { flag: "r" }).pipe(
        Effect.flatMap((dir) => dir.sync),
        Effect.ignore,
      )
    }).pipe(Effect.scoped, Effect.mapError(fail(file, "write")))

  const update = (edits: ReadonlyArray<Ini.Edit>, named = paths.credentials) =>
    Effect.gen(function* () {
      const file = yield* target(named)
      yield* fs
        .makeDirectory(path.dirname(file), { recursive: true, mode: 0o700 })
        .pipe(Effect.mapError(fail(path.dirname(file), "create")))
      yield* lock(file)
      const text = yield* readText(file)
      const edited = Ini.applyEdits(text, edits)
      if (Either.isLeft(edited)) {
        return yield* new InvalidInput({ reason: `Refusing to write ${named}: ${edited.left}.` })
      }
      yield* writeAtomically(file, edited.right)
    }).pipe(Effect.scoped)

  const region = (profile: string) =>
    Effect.gen(function* () {
      const fromEnv = yield* Config.nonEmptyString("AWS_REGION").pipe(
        Config.orElse(() => Config.nonEmptyString("AWS_DEFAULT_REGION")),
        Config.option,
        Effect.orElseSucceed(() => Option.none<string>()),
      )
      if (Option.isSome(fromEnv)) return fromEnv
      // As botocore merges them: the credentials file's [profile] over the config file's profile.
      const credentials = yield* readIni(paths.credentials)
      const config = yield* readIni(paths.config)
      return Option.fromNullable(
        credentials.get(profile)?.values.region ?? Ini.configProfile(config, profile)?.values.region,
      )
    })

  return CredentialsFile.of({ read, readConfig, update, region })
})

/** botocore's `os.path.expanduser(os.path.expandvars(path))`; `~user` of another user is refused. */
export const expandPath = (file: string, env: Readonly<Record<string, string | undefined>>, home: string) => {
  const expanded = file.replace(/\$(\w+|\{[^}]*\})/g, (text, name: string) => {
    const value = env[name.startsWith("{") ? name.slice(1, -1) : name]
    return value ?? text
  })
  if (!expanded.startsWith("~")) return Either.right(expanded)
  const slash = expanded.indexOf("/", 1)
  const user = expanded.slice(1, slash < 0 ? undefined : slash)
  if (user !== "" && user !== os.userInfo().username) {
    return Either.left(
      `~${user} is another user's home, which aws-iam-login does not look up: give the full path`,
    )
  }
  const root = (user === "" ? (env.HOME ?? home) : home).replace(/\/+$/, "")
  return Either.right(root + expanded.slice(slash < 0 ? expanded.length : slash) || "/")
}

/** Paths from AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE, expanded as botocore expands them. */
export const pathsFromEnvironment = Effect.gen(function* () {
  const fromEnv = (name: string, fallback: string) =>
    Config.withDefault(Config.string(name), fallback).pipe(
      Effect.flatMap((file) =>
        Either.match(expandPath(file, process.env, os.homedir()), {
          onLeft: (reason) => Effect.fail(new FileError({ path: file, action: `use ${name}`, reason })),
          onRight: (expanded) => Effect.succeed(expanded),
        }),
      ),
    )
  const credentials = yield* fromEnv("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")
  const config = yield* fromEnv("AWS_CONFIG_FILE", "~/.aws/config")
  return { credentials, config }
})

export const layer = (paths: Paths) => Layer.effect(CredentialsFile, make(paths))

/** A path that cannot be used fails every command that needs the files, with its reason, once it does. */
const unusable = (error: FileError) =>
  CredentialsFile.of({
    read: Effect.fail(error),
    readConfig: Effect.fail(error),
    update: () => Effect.fail(error),
    region: () => Effect.fail(error),
  })

export const CredentialsFileLive = Layer.effect(
  CredentialsFile,
  pathsFromEnvironment.pipe(
    Effect.flatMap(make),
    Effect.catchTag("FileError", (error) => Effect.succeed(unusable(error))),
  ),
)
