import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { AccessKeyId } from "../schema/Credentials.js"
import type { FileError } from "../schema/Errors.js"

const Key = Schema.Struct({ id: AccessKeyId, secret: Schema.Redacted(Schema.String) })

const rotation = {
  version: Schema.Literal(1),
  /** The profile `rotate` was run for; the journal is named after it. */
  profile: Schema.String,
  /** The credentials file whose key is rotated. */
  credentials: Schema.String,
  userName: Schema.String,
  /** Every profile that held the old key (or, for a stored key, pointed to it). */
  profiles: Schema.Array(Schema.String),
  /** The user's keys just before CreateAccessKey: any other key is the one it made. */
  before: Schema.Array(AccessKeyId),
  started: Schema.Date,
}

/** The rotation of a key kept in the file: the journal holds both keys' secrets while it runs. */
const FileEntry = Schema.Struct({
  ...rotation,
  /** Absent in every journal of a key kept in the file. */
  store: Schema.optional(Schema.Literal("file")),
  oldKey: Key,
  newKey: Schema.optional(Key),
})

/**
 * The rotation of a key kept in the OS secret store: key ids only, the secrets are the store's
 * items. The new key's secret is here only when the store could not take it.
 */
const KeyringEntry = Schema.Struct({
  ...rotation,
  store: Schema.Literal("keyring"),
  oldKey: Schema.Struct({ id: AccessKeyId }),
  newKey: Schema.optional(Schema.Struct({ id: AccessKeyId, secret: Schema.optional(Key.fields.secret) })),
})

/**
 * What a rotation records before it creates a key, and (with the new key) right after: enough for
 * the next `rotate` to finish or undo it after the process was killed.
 */
export const Entry = Schema.Union(KeyringEntry, FileEntry)
export type Entry = typeof Entry.Type

export interface Found {
  readonly entry: Entry
  /** Where it is, for messages. */
  readonly path: string
}

export class Journal extends Context.Tag("aws-iam-login/Journal")<
  Journal,
  {
    /** The unfinished rotation that names `profile`, if one was left behind. */
    readonly find: (profile: string) => Effect.Effect<Option.Option<Found>, FileError>
    /** Records a rotation about to start: durably, and only if none is recorded for its profile. */
    readonly begin: (entry: Entry) => Effect.Effect<string, FileError>
    /** Replaces the record (e.g. with the new key), durably. */
    readonly record: (entry: Entry) => Effect.Effect<void, FileError>
    /** The rotation committed or was fully undone: the record goes. */
    readonly remove: (entry: Entry) => Effect.Effect<void, FileError>
    /** One rotation per credentials file at a time, held for the enclosing scope. */
    readonly lock: (
      /** Told once, at once, the pid of the rotation it waits for, or none when the lock names none. */
      onWait: (pid: Option.Option<number>) => Effect.Effect<void>,
    ) => Effect.Effect<void, FileError, Scope.Scope>
  }
>() {}
