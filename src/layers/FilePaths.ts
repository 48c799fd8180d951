import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import { FileError } from "../schema/Errors.js"
import { FilePaths, type Paths } from "../services/FilePaths.js"
import { Platform } from "../services/Platform.js"

/** Paths from AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE, expanded as botocore expands them. */
export const pathsFromEnvironment = Effect.gen(function* () {
  const platform = yield* Platform
  const fromEnv = (name: string, fallback: string) =>
    Config.withDefault(Config.string(name), fallback).pipe(
      // A variable of the environment is always a string: nothing else can fail here.
      Effect.orDie,
      Effect.flatMap((file) =>
        Either.match(platform.expandPath(file), {
          onLeft: (reason) => Effect.fail(new FileError({ path: file, action: `use ${name}`, reason })),
          onRight: (expanded) => Effect.succeed(expanded),
        }),
      ),
    )
  // In the OS's own separators: botocore's "~/.aws/credentials" is C:\Users\me/.aws/credentials on Windows.
  const credentials = yield* fromEnv(
    "AWS_SHARED_CREDENTIALS_FILE",
    platform.path.join("~", ".aws", "credentials"),
  )
  const config = yield* fromEnv("AWS_CONFIG_FILE", platform.path.join("~", ".aws", "config"))
  return { credentials, config }
})

/** The paths this process's environment gives, resolved once; a path that cannot be used fails each use with its reason. */
export const FilePathsLive = Layer.effect(
  FilePaths,
  Effect.map(Effect.either(pathsFromEnvironment), (paths) => FilePaths.of({ paths })),
)

/** The files at `paths`. */
export const layer = (paths: Paths) =>
  Layer.succeed(FilePaths, FilePaths.of({ paths: Effect.succeed(paths) }))
