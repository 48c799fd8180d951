import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import {
  AccessDenied,
  type AwsError,
  AwsFailure,
  InvalidCredentials,
  LimitExceeded,
  MfaRejected,
  NoSuchEntity,
  Throttled,
  Unreachable,
} from "../schema/AwsErrors.js"
import { type AccessKeyId, maskKeyId } from "../schema/Credentials.js"
import { Iam, type KeyStatus } from "../services/Iam.js"
import { type Signer, Sts } from "../services/Sts.js"
import * as Debug from "./Debug.js"
import type { configuredEndpoint } from "./sdk/endpoint.js"
import type { Observed } from "./sdk/observe.js"

const invalidKey = new Set([
  "InvalidClientTokenId",
  "SignatureDoesNotMatch",
  "UnrecognizedClientException",
  "ExpiredToken",
  "InvalidAccessKeyId",
  "IncompleteSignature",
])
const throttled = new Set([
  "Throttling",
  "ThrottlingException",
  "RequestLimitExceeded",
  "TooManyRequestsException",
])
const network = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "ETIMEDOUT",
  "ECONNRESET",
  "EHOSTUNREACH",
  "EAI_AGAIN",
  "TimeoutError",
])

interface SdkError {
  readonly name?: string
  readonly code?: string
  readonly message?: string
}

/** Maps what the AWS SDK throws to the tagged errors the commands handle. */
const toAwsError =
  (operation: string, signer: Signer) =>
  (cause: unknown): AwsError => {
    const error: SdkError = typeof cause === "object" && cause !== null ? cause : { message: String(cause) }
    const name = error.name ?? ""
    const detail = (error.message ?? name).split("\n")[0]!.trim()
    const call = { operation, signer: maskKeyId(signer.credentials.accessKeyId) }
    if (invalidKey.has(name)) return new InvalidCredentials({ ...call, detail: name })
    if (name.startsWith("AccessDenied")) {
      return operation === "sts:GetSessionToken" && /MultiFactorAuthentication|MFA/i.test(detail)
        ? new MfaRejected({ ...call, detail })
        : new AccessDenied({ ...call, detail })
    }
    if (name === "LimitExceeded" || name === "LimitExceededException")
      return new LimitExceeded({ ...call, detail })
    if (name === "NoSuchEntity" || name === "NoSuchEntityException")
      return new NoSuchEntity({ ...call, detail })
    if (throttled.has(name)) return new Throttled(call)
    if (network.has(error.code ?? "") || network.has(name)) return new Unreachable({ ...call, detail })
    return new AwsFailure({ ...call, code: name || "an unknown error", detail })
  }

/**
 * A client for `signer`: its key, its region, and its profile, from which the SDK reads the
 * profile's retry and FIPS settings; the endpoint URL is found for that profile here (see endpoint.ts).
 */
const clientConfig = async (
  sdk: { readonly configuredEndpoint: typeof configuredEndpoint },
  operation: string,
  signer: Signer,
  seen: Observed,
) => {
  const endpoint = await sdk.configuredEndpoint(operation.split(":")[0]!.toUpperCase(), signer.profile)
  return {
    seen,
    region: signer.region,
    ...(signer.profile === undefined ? {} : { profile: signer.profile }),
    ...(endpoint === undefined ? {} : { endpoint }),
    // Found above, env included: the SDK's own lookup would read another profile's.
    ignoreConfiguredEndpointUrls: true,
    credentials: {
      accessKeyId: signer.credentials.accessKeyId,
      secretAccessKey: Redacted.value(signer.credentials.secretAccessKey),
      ...(signer.credentials.sessionToken
        ? { sessionToken: Redacted.value(signer.credentials.sessionToken) }
        : {}),
    },
  }
}

/** One SDK call, the SDK module loaded only when a call is made; `--debug` shows what it did. */
const call = <M extends { readonly configuredEndpoint: typeof configuredEndpoint }, A>(
  load: () => Promise<M>,
  operation: string,
  signer: Signer,
  run: (sdk: M, config: Awaited<ReturnType<typeof clientConfig>>) => Promise<A>,
) =>
  Effect.suspend(() => {
    const seen: Observed = {}
    return Effect.tryPromise({
      try: () => load().then(async (sdk) => run(sdk, await clientConfig(sdk, operation, signer, seen))),
      catch: toAwsError(operation, signer),
    }).pipe(Debug.awsCall(operation, signer, seen))
  })

const loadSts = () => import("./sdk/sts.js")
const loadIam = () => import("./sdk/iam.js")

const required = <A>(value: A | undefined, what: string): A => {
  if (value === undefined) throw new Error(`AWS returned no ${what}`)
  return value
}

export const StsLive = Layer.succeed(
  Sts,
  Sts.of({
    getCallerIdentity: (signer) =>
      call(loadSts, "sts:GetCallerIdentity", signer, async (sdk, config) => {
        const out = await new sdk.STSClient(config).send(new sdk.GetCallerIdentityCommand({}))
        return {
          arn: required(out.Arn, "ARN"),
          account: required(out.Account, "account"),
          userId: required(out.UserId, "user id"),
        }
      }),
    getSessionToken: (signer, mfa, duration) =>
      call(loadSts, "sts:GetSessionToken", signer, async (sdk, config) => {
        const out = await new sdk.STSClient(config).send(
          new sdk.GetSessionTokenCommand({
            SerialNumber: mfa.serialNumber,
            TokenCode: mfa.code,
            DurationSeconds: Math.round(Duration.toSeconds(duration)),
          }),
        )
        const c = required(out.Credentials, "credentials")
        return {
          credentials: {
            accessKeyId: required(c.AccessKeyId, "access key id") as AccessKeyId,
            secretAccessKey: Redacted.make(required(c.SecretAccessKey, "secret")),
            sessionToken: Redacted.make(required(c.SessionToken, "session token")),
          },
          expiration: required(c.Expiration, "expiration"),
        }
      }),
  }),
)

export const IamLive = Layer.succeed(
  Iam,
  Iam.of({
    listMfaDevices: (signer, userName) =>
      call(loadIam, "iam:ListMFADevices", signer, async (sdk, config) => {
        const out = await new sdk.IAMClient(config).send(
          new sdk.ListMFADevicesCommand({ UserName: userName }),
        )
        return (out.MFADevices ?? []).map((d) => ({
          serialNumber: d.SerialNumber ?? "",
          enabled: d.EnableDate,
        }))
      }),
    listAccessKeys: (signer, userName) =>
      call(loadIam, "iam:ListAccessKeys", signer, async (sdk, config) => {
        const out = await new sdk.IAMClient(config).send(
          new sdk.ListAccessKeysCommand({ UserName: userName }),
        )
        return (out.AccessKeyMetadata ?? []).map((k) => ({
          accessKeyId: required(k.AccessKeyId, "access key id") as AccessKeyId,
          status: (k.Status === "Active" ? "Active" : "Inactive") as KeyStatus,
          created: k.CreateDate ?? new Date(0),
        }))
      }),
    createAccessKey: (signer, userName) =>
      call(loadIam, "iam:CreateAccessKey", signer, async (sdk, config) => {
        const out = await new sdk.IAMClient(config).send(
          new sdk.CreateAccessKeyCommand({ UserName: userName }),
        )
        const k = required(out.AccessKey, "access key")
        return {
          key: {
            accessKeyId: required(k.AccessKeyId, "access key id") as AccessKeyId,
            secretAccessKey: Redacted.make(required(k.SecretAccessKey, "secret")),
          },
          created: k.CreateDate ?? new Date(),
        }
      }),
    updateAccessKey: (signer, userName, accessKeyId, status) =>
      call(loadIam, "iam:UpdateAccessKey", signer, async (sdk, config) => {
        await new sdk.IAMClient(config).send(
          new sdk.UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId, Status: status }),
        )
      }),
    deleteAccessKey: (signer, userName, accessKeyId) =>
      call(loadIam, "iam:DeleteAccessKey", signer, async (sdk, config) => {
        await new sdk.IAMClient(config).send(
          new sdk.DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId }),
        )
      }),
  }),
)
