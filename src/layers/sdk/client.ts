// How the tool's AWS calls are configured and read, without the Effect runtime: the IAM and STS
// layers (src/layers/Aws.ts) and the launcher's fast `status` (src/fastStatus.ts) both call AWS so.
import type { ListAccessKeysCommandOutput } from "@aws-sdk/client-iam"
import type { GetSessionTokenCommandOutput } from "@aws-sdk/client-sts"
import * as Redacted from "effect/Redacted"
import type { AccessKeyId, Session } from "../../schema/Credentials.js"
import type { CallSettings, Service } from "../../schema/Settings.js"
import type { AccessKeyInfo } from "../../services/Iam.js"
import type { Signer } from "../../services/Sts.js"
import type { Observed } from "./observe.js"

/** How long one AWS call may take, its retries included, when AWS_IAM_LOGIN_TIMEOUT does not say. */
const defaultSeconds = 30

/** AWS_IAM_LOGIN_TIMEOUT's seconds, else 30; undefined for a value that is not a number of seconds. */
export const callSeconds = (raw: string | undefined): number | undefined => {
  if (raw === undefined || raw.trim() === "") return defaultSeconds
  const seconds = Number(raw)
  return Number.isFinite(seconds) && seconds > 0 ? seconds : undefined
}

/** How long a call goes without an answer before a person at a terminal is told what it waits for. */
export const quietSeconds = 2

/** Connecting may take this long, within the call's deadline. */
export const connectLimit = 5

/**
 * Whether the SDK may repeat a call it saw fail: reads may be repeated; a mutation whose answer was
 * lost may have been applied (a second CreateAccessKey would make a second key), and a repeated
 * GetSessionToken spends the MFA code again.
 */
export type Attempts = "retry" | "once"

/** botocore's attempts when none is configured: legacy retries make 5, the others 3. */
const defaultAttempts = (settings: CallSettings) => (settings.retryMode === "legacy" ? 5 : 3)

/**
 * A client for `signer`, configured with everything the AWS CLI would use for the profile (see
 * Settings.ts): the SDK reads neither file (scripts/build.mjs), and looks for no endpoint itself. A
 * call sent once gets one attempt whatever the profile says.
 */
export const clientConfig = (
  settings: CallSettings,
  service: Service,
  signer: Signer,
  seconds: number,
  attempts: Attempts,
  seen: Observed,
) => {
  const endpoint = settings.endpoint
  return {
    seen,
    region: signer.region,
    ...(endpoint === undefined ? {} : { endpoint }),
    ignoreConfiguredEndpointUrls: true,
    // As botocore: a configured endpoint turns the FIPS and dual-stack variants off.
    useFipsEndpoint: endpoint === undefined && settings.useFipsEndpoint,
    useDualstackEndpoint: endpoint === undefined && settings.useDualstackEndpoint,
    ...(service === "sts" ? { useGlobalEndpoint: settings.stsGlobalEndpoint } : {}),
    // "auto" would ask the instance metadata service which region the machine is in.
    defaultsMode: "legacy" as const,
    retryMode: settings.retryMode === "adaptive" ? "adaptive" : "standard",
    maxAttempts: attempts === "once" ? 1 : (settings.maxAttempts ?? defaultAttempts(settings)),
    credentials: {
      accessKeyId: signer.credentials.accessKeyId,
      secretAccessKey: Redacted.value(signer.credentials.secretAccessKey),
      ...(signer.credentials.sessionToken
        ? { sessionToken: Redacted.value(signer.credentials.sessionToken) }
        : {}),
    },
    requestHandler: {
      connectionTimeout: Math.min(connectLimit, seconds) * 1000,
      requestTimeout: seconds * 1000,
      throwOnRequestTimeout: true,
    },
  }
}

/**
 * Something other than AWS answered when the answer is not XML (STS and IAM always answer in XML),
 * whatever the SDK made of it ("NotFound: Unknown", a parse error, or an empty result).
 */
export const answeredByOther = (
  seen: Observed,
): seen is Observed & { readonly status: number; readonly contentType: string } =>
  seen.status !== undefined && seen.contentType !== undefined && !/xml|json/i.test(seen.contentType)

export const required = <A>(value: A | undefined, what: string): A => {
  if (value === undefined) throw new Error(`AWS returned no ${what}`)
  return value
}

/** The user's keys in ListAccessKeys's answer. */
export const keysFrom = (out: ListAccessKeysCommandOutput): ReadonlyArray<AccessKeyInfo> =>
  (out.AccessKeyMetadata ?? []).map((k) => ({
    accessKeyId: required(k.AccessKeyId, "access key id") as AccessKeyInfo["accessKeyId"],
    status: k.Status === "Active" ? "Active" : "Inactive",
    created: k.CreateDate ?? new Date(0),
  }))

/** The session in GetSessionToken's answer. */
export const sessionFrom = (out: GetSessionTokenCommandOutput): Session => {
  const c = required(out.Credentials, "credentials")
  return {
    credentials: {
      accessKeyId: required(c.AccessKeyId, "access key id") as AccessKeyId,
      secretAccessKey: Redacted.make(required(c.SecretAccessKey, "secret")),
      sessionToken: Redacted.make(required(c.SessionToken, "session token")),
    },
    expiration: required(c.Expiration, "expiration"),
  }
}
