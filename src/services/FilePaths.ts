import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { FileError } from "../schema/Errors.js"

export interface Paths {
  readonly credentials: string
  readonly config: string
}

/** Where the AWS CLI's files are: what the credentials file, the journal and the lock are found by. */
export class FilePaths extends Context.Tag("aws-iam-login/FilePaths")<
  FilePaths,
  {
    /** The shared credentials and config files, or why the paths given for them cannot be used. */
    readonly paths: Effect.Effect<Paths, FileError>
  }
>() {}
