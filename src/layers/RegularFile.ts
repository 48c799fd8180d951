import * as nodeFs from "node:fs"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

/** The path names something other than a regular file: reading it could wait for ever (a named pipe) or never end (a device). */
export class NotRegular extends Data.TaggedError("NotRegular")<{
  readonly path: string
  readonly kind: string
}> {
  override get message() {
    return `it is ${this.kind}, not a regular file: remove it (nothing of this tool's is in it)`
  }
}

/** A failed call, in the system's words, with its code where there is one. */
export class ReadFailed extends Data.TaggedError("ReadFailed")<{
  readonly code?: string
  readonly detail: string
}> {
  override get message() {
    return this.detail
  }
}

const kindOf = (info: nodeFs.Stats) =>
  info.isFIFO()
    ? "a named pipe (FIFO)"
    : info.isSocket()
      ? "a socket"
      : info.isCharacterDevice() || info.isBlockDevice()
        ? "a device"
        : info.isDirectory()
          ? "a directory"
          : "not a plain file"

const { O_RDONLY, O_NONBLOCK, O_NOFOLLOW } = nodeFs.constants

const failed = (error: unknown) => {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return code === "ELOOP"
    ? new ReadFailed({ code, detail: "it is a symbolic link (ELOOP): make it a plain file" })
    : new ReadFailed({
        ...(code ? { code } : {}),
        detail: error instanceof Error ? error.message : String(error),
      })
}

/**
 * The text of `file`, none when it is missing. It is opened without waiting (a named pipe does not
 * hold the open) and never through a symbolic link, then read only if it is a regular file.
 */
export const readRegular = (file: string): Effect.Effect<Option.Option<string>, NotRegular | ReadFailed> =>
  Effect.acquireUseRelease(
    Effect.tryPromise({
      try: () => nodeFs.promises.open(file, O_RDONLY | (O_NONBLOCK ?? 0) | (O_NOFOLLOW ?? 0)),
      catch: failed,
    }),
    (handle) =>
      Effect.gen(function* () {
        const info = yield* Effect.tryPromise({ try: () => handle.stat(), catch: failed })
        if (!info.isFile()) return yield* new NotRegular({ path: file, kind: kindOf(info) })
        return Option.some(yield* Effect.tryPromise({ try: () => handle.readFile("utf8"), catch: failed }))
      }),
    (handle) => Effect.tryPromise(() => handle.close()).pipe(Effect.ignore),
  ).pipe(
    Effect.catchIf(
      (e) => e._tag === "ReadFailed" && e.code === "ENOENT",
      () => Effect.succeed(Option.none()),
    ),
  )
