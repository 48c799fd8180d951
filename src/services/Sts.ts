import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type { AwsError } from "../schema/AwsErrors.js"
import type { AwsCredentials, Session } from "../schema/Credentials.js"

/** Who signs a call, and where it goes. */
export interface Signer {
  readonly credentials: AwsCredentials
  readonly region: string
  /** The profile whose settings in the config file (endpoint_url, services, retries, FIPS) apply. */
  readonly profile?: string
  /** Where the key's secret was read from when not from the profile's lines: named when AWS refuses it. */
  readonly keptIn?: string
}

export interface CallerIdentity {
  readonly arn: string
  readonly account: string
  readonly userId: string
  /** AWS's clock when it answered (its Date header, to the second), when the answer had one. */
  readonly answeredAt?: Date
}

export interface MfaChallenge {
  readonly serialNumber: string
  readonly code: string
}

export class Sts extends Context.Tag("aws-iam-login/Sts")<
  Sts,
  {
    readonly getCallerIdentity: (signer: Signer) => Effect.Effect<CallerIdentity, AwsError>
    readonly getSessionToken: (
      signer: Signer,
      mfa: MfaChallenge,
      duration: Duration.Duration,
    ) => Effect.Effect<Session, AwsError>
  }
>() {}
