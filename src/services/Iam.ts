import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type { AwsError } from "../schema/AwsErrors.js"
import type { AccessKeyId, AwsCredentials } from "../schema/Credentials.js"
import type { Signer } from "./Sts.js"

export type KeyStatus = "Active" | "Inactive"

export interface AccessKeyInfo {
  readonly accessKeyId: AccessKeyId
  readonly status: KeyStatus
  readonly created: Date
}

export interface MfaDevice {
  readonly serialNumber: string
  readonly enabled: Date | undefined
}

/** A condition key's value as a call would carry it, e.g. `aws:MultiFactorAuthPresent` true. */
export interface ContextEntry {
  readonly key: string
  readonly type: "boolean" | "numeric" | "string"
  readonly values: ReadonlyArray<string>
}

/** The condition keys a call signed with an MFA session carries, its code taken `age` seconds before. */
export const mfaSessionContext = (age: number): ReadonlyArray<ContextEntry> => [
  { key: "aws:MultiFactorAuthPresent", type: "boolean", values: ["true"] },
  { key: "aws:MultiFactorAuthAge", type: "numeric", values: [String(age)] },
]

export class Iam extends Context.Tag("aws-iam-login/Iam")<
  Iam,
  {
    readonly listMfaDevices: (
      signer: Signer,
      userName: string,
    ) => Effect.Effect<ReadonlyArray<MfaDevice>, AwsError>
    readonly listAccessKeys: (
      signer: Signer,
      userName: string,
    ) => Effect.Effect<ReadonlyArray<AccessKeyInfo>, AwsError>
    readonly createAccessKey: (
      signer: Signer,
      userName: string,
    ) => Effect.Effect<{ readonly key: AwsCredentials; readonly created: Date }, AwsError>
    readonly updateAccessKey: (
      signer: Signer,
      userName: string,
      accessKeyId: AccessKeyId,
      status: KeyStatus,
    ) => Effect.Effect<void, AwsError>
    readonly deleteAccessKey: (
      signer: Signer,
      userName: string,
      accessKeyId: AccessKeyId,
    ) => Effect.Effect<void, AwsError>
    /**
     * What the user's policies decide for each action on the user, for calls that carry `context`
     * (iam:SimulatePrincipalPolicy, which reads and changes nothing): true when allowed.
     */
    readonly simulatePolicy: (
      signer: Signer,
      userArn: string,
      actions: ReadonlyArray<string>,
      context: ReadonlyArray<ContextEntry>,
    ) => Effect.Effect<ReadonlyMap<string, boolean>, AwsError>
    /** When AWS last saw the key sign a call; none when it never did. */
    readonly accessKeyLastUsed: (
      signer: Signer,
      accessKeyId: AccessKeyId,
    ) => Effect.Effect<Option.Option<Date>, AwsError>
  }
>() {}
