import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type { AwsError } from "../schema/AwsErrors.js"
import type {
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

export interface LoadedProfile {
  /** The credentials file (where sessions go). */
  readonly file: IniFile
  /** Where the profile's key is kept, so that changes to it are written back there. */
  readonly home: { readonly file: IniFile; readonly section: string }
  /** The key id, when the key is kept in the OS secret store ([<profile>] points to it). */
  readonly stored: string | undefined
  readonly profile: LongTermProfile
  /** The profile's long-term key, as it signs calls. */
  readonly signer: Signer
  /** The region configured for the profile, as the AWS CLI finds it; none when nothing sets one. */
  readonly region: Option.Option<string>
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
