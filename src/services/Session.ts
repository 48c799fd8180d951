import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import type * as Option from "effect/Option"
import type { AwsError } from "../schema/AwsErrors.js"
import type {
  DescribedProfile,
  LongTermProfile,
  MfaCode,
  MfaProcessFailed,
  ProfileName,
  Session as Stored,
} from "../schema/Credentials.js"
import type {
  Cancelled,
  FileError,
  InvalidInput,
  MalformedFile,
  NotInitialised,
  ProfileNotFound,
  StandsForProfile,
} from "../schema/Errors.js"
import type { KeyStoreFailed, StoredKeyMissing } from "../schema/KeyStore.js"
import type { IniFile } from "./CredentialsFile.js"
import type { Signer } from "./Sts.js"

/** Where a profile's key lives, read from the files alone: the OS secret store is not opened. */
export interface LocatedProfile {
  readonly name: ProfileName
  /** The credentials file (where sessions go). */
  readonly file: IniFile
  /** Where the profile's key is kept, so that changes to it are written back there. */
  readonly home: { readonly file: IniFile; readonly section: string }
  /** The key id, when the key is kept in the OS secret store ([<profile>] points to it). */
  readonly stored: string | undefined
  /** The profile's values but its secret (the key id of a stored key included). */
  readonly described: DescribedProfile
  /** The region configured for the profile, as the AWS CLI finds it; none when nothing sets one. */
  readonly region: Option.Option<string>
  /** Where its calls go: `region`, else the AWS CLI's default. */
  readonly callRegion: string
}

export interface LoadedProfile extends LocatedProfile {
  readonly profile: LongTermProfile
  /** The profile's long-term key, as it signs calls. */
  readonly signer: Signer
}

export interface LoginOptions {
  readonly token: Option.Option<MfaCode>
  /** None: the profile's `duration_seconds`, else 12h. */
  readonly duration: Option.Option<Duration.Duration>
  readonly force: boolean
  /** Off a terminal, fail with this advice instead of reading the code from stdin. */
  readonly noTerminal?: string
}

export interface Ensured {
  readonly session: Stored
  /** Made by this call, not the stored one. */
  readonly fresh: boolean
  readonly region: Option.Option<string>
}

export type LoadError =
  | FileError
  | ProfileNotFound
  | MalformedFile
  | StandsForProfile
  | KeyStoreFailed
  | StoredKeyMissing

/** A profile's key and its session: what every command asks before it calls AWS. */
export class Session extends Context.Tag("aws-iam-login/Session")<
  Session,
  {
    /** The profile's key, read where the AWS CLI reads it, with its region. */
    readonly load: (name: ProfileName) => Effect.Effect<LoadedProfile, LoadError>
    /** Where the profile's key lives, from the files alone (never the OS secret store). */
    readonly locate: (
      name: ProfileName,
    ) => Effect.Effect<LocatedProfile, Exclude<LoadError, KeyStoreFailed | StoredKeyMissing>>
    /** The located profile's key: from its file, or (a stored key) read from the OS secret store. */
    readonly withKey: (located: LocatedProfile) => Effect.Effect<LoadedProfile, LoadError>
    /**
     * What signs a read-only call without opening the OS secret store: the key from its file, or
     * (a stored key) the profile's valid session; Left: why there is none.
     */
    readonly reader: (
      located: LocatedProfile,
    ) => Effect.Effect<Either.Either<Signer, string>, Exclude<LoadError, KeyStoreFailed | StoredKeyMissing>>
    /** The session in `[<profile>-sts]` of `file`, when it stays valid past the margin. */
    readonly current: (
      file: IniFile,
      name: ProfileName,
    ) => Effect.Effect<Option.Option<Stored>, MalformedFile>
    /**
     * The stored session while it stays valid past the margin, else a new one from STS
     * GetSessionToken (with an MFA code), written to `[<profile>-sts]`.
     */
    readonly ensure: (
      name: ProfileName,
      options: LoginOptions,
    ) => Effect.Effect<
      Ensured,
      LoadError | NotInitialised | InvalidInput | Cancelled | MfaProcessFailed | AwsError
    >
  }
>() {}
