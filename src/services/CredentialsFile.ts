import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { DescribedProfile, exactKeys } from "../schema/Credentials.js"
import type { FileError, InvalidInput } from "../schema/Errors.js"
import { firstIssue, MalformedFile, ProfileNotFound } from "../schema/Errors.js"
import type { Edit, Sections } from "../schema/Ini.js"
import { storedKeyOf } from "../schema/KeyStore.js"

export interface IniFile {
  readonly path: string
  readonly sections: Sections
}

/** What the group and other users may do to a file or a directory, with the fix (chmod 600 / chmod 700). */
export interface Exposure {
  readonly path: string
  readonly directory: boolean
  /** The mode, in octal, as ls shows it. */
  readonly mode: string
  readonly read: boolean
  readonly write: boolean
  readonly text: string
}

export class CredentialsFile extends Context.Tag("aws-iam-login/CredentialsFile")<
  CredentialsFile,
  {
    /** The shared credentials file; a missing file reads as empty. */
    readonly read: Effect.Effect<IniFile, FileError>
    /** The shared config file (`[profile <name>]` sections); a missing file reads as empty. */
    readonly readConfig: Effect.Effect<IniFile, FileError>
    /**
     * Each file is read once between two locks or writes of this run, and `read` and `readConfig`
     * give that copy again; after this, they read the file as it is now.
     */
    readonly reread: Effect.Effect<void>
    /**
     * Locked read-modify-write of only the given keys, atomically replacing the file: the
     * credentials file, or `file` (the path of the config file, where a profile's key may be kept).
     */
    readonly update: (
      edits: ReadonlyArray<Edit>,
      file?: string,
    ) => Effect.Effect<void, FileError | InvalidInput>
    /**
     * Runs `effect` holding the profile's login lock (another login of that profile waits for it,
     * saying for whom), so that one login reads, asks for a code, calls AWS and writes at a time.
     */
    readonly withSessionLock: <A, E, R>(
      profile: string,
      effect: Effect.Effect<A, E, R>,
    ) => Effect.Effect<A, E | FileError, R>
    /**
     * Fails as `update` of `file` (default the credentials file) would before writing anything: the
     * file or its directory cannot be replaced, or the file's lock stays held by a live process
     * (waited for as `update` waits, then released). Checked before anything is spent on the write:
     * an MFA code, a new access key.
     */
    readonly writable: (file?: string) => Effect.Effect<void, FileError>
    /**
     * What other users may read or write of `file` (through its links) and, with `directory`, of
     * its directory: each with its fix (chmod 600, chmod 700); none where the platform has no POSIX
     * modes (Windows). Reads only.
     */
    readonly exposure: (file: string, directory: boolean) => Effect.Effect<ReadonlyArray<Exposure>, FileError>
    /**
     * Locked removal of every `[section]`, as `update` writes; with `held`, only while it holds
     * exactly that (compare-and-swap: no other key, each value as given); false when there was none.
     */
    readonly remove: (
      section: string,
      held?: Readonly<Record<string, string>>,
    ) => Effect.Effect<boolean, FileError | InvalidInput>
    /** The region for a profile, found as the AWS CLI finds it: the environment, then `credentials` (the file as read), then the config file. */
    readonly region: (
      profile: string,
      credentials: IniFile,
    ) => Effect.Effect<Option.Option<string>, FileError>
  }
>() {}

/** The profiles a person names: every section but the `<profile>-sts` sessions this tool writes. */
export const profileNames = (file: IniFile): ReadonlyArray<string> =>
  [...file.sections.keys()].filter((name) => !(name.endsWith("-sts") && file.sections.has(name.slice(0, -4))))

/**
 * The first of the schema's keys in `[name]` that must be exact (`exactKeys`) and that the AWS CLI
 * reads otherwise than the line's plain text.
 */
export const unclearValue = (
  file: IniFile,
  name: string,
  schema: { readonly fields: Schema.Struct.Fields },
): MalformedFile | undefined => {
  const section = file.sections.get(name)
  for (const field of Object.keys(schema.fields)) {
    if (!exactKeys.has(field)) continue
    const key = section?.keys.get(field)
    if (key?.unclear !== undefined) {
      return new MalformedFile({
        path: file.path,
        line: key.line,
        profile: name,
        reason: `${field} ${key.unclear}`,
      })
    }
  }
  return undefined
}

/**
 * Decodes one section with `schema`. A value that must be exact and that the AWS CLI reads otherwise
 * than the line's plain text (continued, quoted, holding `;`), or a bad value, names the file, line
 * and profile.
 */
export const decodeSection = <A, I, R>(
  file: IniFile,
  name: string,
  schema: Schema.Schema<A, I, R> & { readonly fields: Schema.Struct.Fields },
): Effect.Effect<A, ProfileNotFound | MalformedFile, R> => {
  const section = file.sections.get(name)
  if (section === undefined) {
    return Effect.fail(new ProfileNotFound({ profile: name, path: file.path, available: profileNames(file) }))
  }
  const unclear = unclearValue(file, name, schema)
  if (unclear !== undefined) return Effect.fail(unclear)
  return Schema.decodeUnknown(schema, { errors: "first" })(section.values).pipe(
    Effect.mapError((error) => {
      const { key, message } = firstIssue(error)
      // A key indented under another is part of that one's value for the AWS CLI.
      const under = [...section.keys].find(([, k]) =>
        k.value.split("\n").some((line, i) => i > 0 && line.toLowerCase().replace(/\s*[=:].*/, "") === key),
      )
      return new MalformedFile({
        path: file.path,
        line: section.keys.get(key)?.line ?? under?.[1].line,
        profile: name,
        reason: section.keys.has(key)
          ? // A bad value the AWS CLI reads otherwise than its line: how it reads it says why.
            `${key} ${section.keys.get(key)?.unclear ?? `is ${message}`}`
          : under === undefined
            ? `${key} is missing`
            : `${key} is missing: it is indented under ${under[0]}, so the AWS CLI reads it as part of that value`,
      })
    }),
  )
}

/** `file` with `[name]` (which it holds) read as holding `values` too. */
export const withValues = (
  file: IniFile,
  name: string,
  values: Readonly<Record<string, string>>,
): IniFile => {
  const section = file.sections.get(name)!
  return {
    path: file.path,
    sections: new Map([...file.sections, [name, { ...section, values: { ...section.values, ...values } }]]),
  }
}

/**
 * `[name]` of `file` without its secret, and the key id it points to when its key is kept in the OS
 * secret store (which is not opened: the key id stands in the section's place).
 */
export const describeSection = (file: IniFile, name: string) => {
  const stored = storedKeyOf(file.sections.get(name)?.values)
  return Effect.map(
    decodeSection(
      stored === undefined ? file : withValues(file, name, { aws_access_key_id: stored }),
      name,
      DescribedProfile,
    ),
    (described) => ({ described, stored }),
  )
}
