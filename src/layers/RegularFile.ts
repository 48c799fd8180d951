import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { NotRegularFile, notRegularReason, readRegularFile } from "../files/regular.js"

/** The path names something other than a regular file: reading it could wait for ever (a named pipe) or never end (a device). */
export class NotRegular extends Data.TaggedError("NotRegular")<{
  readonly path: string
  readonly kind: string
}> {
  override get message() {
    return notRegularReason(this.kind)
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
 * hold the open) and never through a symbolic link, then read only if it is a regular file. An
 * interruption waits for the read: an open that never returns (a file system that hangs) leaves
 * the process to its second Ctrl-C, which says what was left undone.
 */
export const readRegular = (file: string): Effect.Effect<Option.Option<string>, NotRegular | ReadFailed> =>
  Effect.uninterruptible(
    Effect.tryPromise({
      try: () => readRegularFile(file),
      catch: (error) =>
        error instanceof NotRegularFile ? new NotRegular({ path: file, kind: error.kind }) : failed(error),
    }),
  ).pipe(Effect.map(Option.fromNullable))
