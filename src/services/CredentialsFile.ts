import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { FileError, InvalidInput } from "../schema/Errors.js"
import { firstIssue, MalformedFile, ProfileNotFound } from "../schema/Errors.js"
import type { Edit, Sections } from "../schema/Ini.js"

export interface IniFile {
  readonly path: string
  readonly sections: Sections
}

export class CredentialsFile extends Context.Tag("aws-iam-login/CredentialsFile")<
  CredentialsFile,
  {
    /** The shared credentials file; a missing file reads as empty. */
    readonly read: Effect.Effect<IniFile, FileError>
    /** Locked read-modify-write of only the given keys, atomically replacing the file. */
    readonly update: (edits: ReadonlyArray<Edit>) => Effect.Effect<void, FileError | InvalidInput>
    /** Locked removal of every `[section]`, as `update` writes; false when there was none. */
    readonly remove: (section: string) => Effect.Effect<boolean, FileError | InvalidInput>
    /** The region for a profile, found as the AWS CLI finds it (environment, then the config file). */
    readonly region: (profile: string) => Effect.Effect<Option.Option<string>, FileError>
  }
>() {}

/** The profiles a person names: every section but the `<profile>-sts` sessions this tool writes. */
export const profileNames = (file: IniFile): ReadonlyArray<string> => {
  const names = [...file.sections.keys()]
  return names.filter((name) => !(name.endsWith("-sts") && names.includes(name.slice(0, -4))))
}

/** Decodes one section with `schema`; a bad value names the file, line and profile. */
export const decodeSection = <A, I>(
  file: IniFile,
  name: string,
  schema: Schema.Schema<A, I>,
): Effect.Effect<A, ProfileNotFound | MalformedFile> => {
  const section = file.sections.get(name)
  if (section === undefined) {
    return Effect.fail(new ProfileNotFound({ profile: name, path: file.path, available: profileNames(file) }))
  }
  return Schema.decodeUnknown(schema, { errors: "first" })(section.values).pipe(
    Effect.mapError((error) => {
      const { key, message } = firstIssue(error)
      return new MalformedFile({
        path: file.path,
        line: section.lines[key],
        profile: name,
        reason: section.values[key] === undefined ? `${key} is missing` : `${key} is ${message}`,
      })
    }),
  )
}
