import type { ListAccessKeysCommandOutput } from "@aws-sdk/client-iam"
import type { GetSessionTokenCommandOutput } from "@aws-sdk/client-sts"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { callKey, type MadeCall, sameKey, takeCall } from "../handover.js"
import {
  AccessDenied,
  type AwsError,
  AwsFailure,
  BadSetting,
  BadTimeout,
  InvalidCredentials,
  LimitExceeded,
  MfaRejected,
  NoSuchEntity,
  NotAws,
  Throttled,
  TimedOut,
  Unreachable,
} from "../schema/AwsErrors.js"
import { type AccessKeyId, maskKeyId } from "../schema/Credentials.js"
import type { FileError } from "../schema/Errors.js"
import { type CallSettings, callSettings, type Service, type SettingRefusal } from "../schema/Settings.js"
import { CredentialsFile } from "../services/CredentialsFile.js"
import { Iam } from "../services/Iam.js"
import { type Signer, Sts } from "../services/Sts.js"
import * as Debug from "./Debug.js"
import {
  type Attempts,
  answeredByOther,
  callSeconds,
  clientConfig,
  connectLimit,
  keysFrom,
  quietSeconds,
  required,
  sessionFrom,
} from "./sdk/client.js"

export { clientConfig }

import type * as IamSdk from "./sdk/iam.js"
import type { Observed } from "./sdk/observe.js"
import type * as StsSdk from "./sdk/sts.js"

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
  readonly $metadata?: { readonly httpStatusCode?: number }
}

/** Maps what the AWS SDK throws to the tagged errors the commands handle. */
const toAwsError =
  (operation: string, signer: Signer, endpoint: () => string, connectSeconds: number) =>
  (cause: unknown): AwsError => {
    const error: SdkError = typeof cause === "object" && cause !== null ? cause : { message: String(cause) }
    const name = error.name ?? ""
    const detail = /did not establish a connection/.test(error.message ?? "")
      ? `no connection to ${endpoint()} within ${connectSeconds} s`
      : (error.message ?? name).split("\n")[0]!.trim()
    const call = { operation, signer: maskKeyId(signer.credentials.accessKeyId) }
    if (invalidKey.has(name))
      return new InvalidCredentials({
        ...call,
        detail: name,
        ...(signer.keptIn === undefined ? {} : { keptIn: signer.keptIn }),
      })
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
    const status = error.$metadata?.httpStatusCode
    return new AwsFailure({
      ...call,
      code: name || "an unknown error",
      detail,
      ...(status === undefined ? {} : { status }),
    })
  }

/** The SDK read an AWS error document from the answer: its error carries the document's Code. */
const codeFromAnswer = (cause: unknown) =>
  typeof cause === "object" && cause !== null && "Code" in cause && typeof cause.Code === "string"

/** What came back instead of AWS's XML, by its content type. */
const kindOfAnswer = (contentType: string) => {
  const type = contentType.split(";")[0]!.trim().toLowerCase()
  if (type === "") return "an answer without a content type"
  return type.includes("html") ? "an HTML page" : `a ${type} answer`
}

/** What came back when something other than AWS answered (see `answeredByOther`). */
const notAws = (
  operation: string,
  signer: Signer,
  seen: Observed,
  endpoint: string,
  settings: CallSettings,
): NotAws | undefined =>
  !answeredByOther(seen)
    ? undefined
    : new NotAws({
        operation,
        signer: maskKeyId(signer.credentials.accessKeyId),
        endpoint,
        status: seen.status,
        answer: kindOfAnswer(seen.contentType),
        check:
          settings.endpointFrom === undefined
            ? "the network (a captive portal or a proxy answers like this)"
            : `the endpoint URL set in ${settings.endpointFrom}`,
      })

/** How long one AWS call may take, its retries included: AWS_IAM_LOGIN_TIMEOUT seconds, else 30. */
const deadline = Effect.gen(function* () {
  const raw = yield* Config.option(Config.string("AWS_IAM_LOGIN_TIMEOUT")).pipe(
    Effect.orElseSucceed(() => Option.none<string>()),
  )
  const seconds = callSeconds(Option.getOrUndefined(raw))
  return seconds ?? (yield* new BadTimeout({ value: Option.getOrElse(raw, () => "") }))
})

/** How long a call goes without an answer before a person at a terminal is told what it waits for. */
const quietLimit = Duration.seconds(quietSeconds)

/** On a terminal (stderr is one), says once what is awaited when `effect` takes longer than a moment from `startedAt`. */
const sayWhenSlow =
  (line: () => string, startedAt: number) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.suspend(() =>
      process.stderr.isTTY
        ? Effect.raceFirst(
            effect,
            Effect.suspend(() => Console.error(line())).pipe(
              Effect.delay(
                Duration.millis(Math.max(0, startedAt + Duration.toMillis(quietLimit) - Date.now())),
              ),
              Effect.zipRight(Effect.never),
            ),
          )
        : effect,
    )

/** A profile's settings, read once per process: the files' settings do not change under the tool's edits. */
const settingsReader = Effect.gen(function* () {
  const files = yield* CredentialsFile
  return yield* Effect.cachedFunction((profile: string | undefined) =>
    profile === undefined
      ? Effect.succeed(callSettings(process.env, noFile, noFile, ""))
      : Effect.map(Effect.all([files.read, files.readConfig]), ([credentials, config]) =>
          callSettings(process.env, credentials, config, profile),
        ).pipe(Effect.tap((settings) => Effect.forEach(Object.entries(settings), configured(profile)))),
  )
})

/** For --debug: a configured endpoint, and where it was found. */
const configured =
  (profile: string) =>
  ([service, settings]: [string, Either.Either<CallSettings, SettingRefusal>]) =>
    Either.isRight(settings) && settings.right.endpoint !== undefined
      ? Effect.logDebug(
          `[${profile}] ${service}: endpoint ${settings.right.endpoint} from ${settings.right.endpointFrom}`,
        )
      : Effect.void
const noFile = { path: "", sections: new Map() }

/** What a call's SDK client is built and sent with. */
interface Wire {
  readonly config: ReturnType<typeof clientConfig>
  /** For `send`: the request is aborted when the deadline passes or the call is interrupted. */
  readonly options: { readonly abortSignal: AbortSignal }
}

/**
 * One SDK call with a deadline, the SDK module loaded only when a call is made; the client notes in
 * `seen` where it sent the request, for the message when AWS does not answer and for `--debug`. A
 * call the launcher made (`made`) keeps the deadline and the record it started with.
 */
const call = <M, A>(
  settingsOf: (
    profile: string | undefined,
  ) => Effect.Effect<Readonly<Record<Service, Either.Either<CallSettings, SettingRefusal>>>, FileError>,
  load: () => Promise<M>,
  operation: string,
  signer: Signer,
  seconds: number,
  attempts: Attempts,
  run: (sdk: M, wire: Wire) => Promise<A>,
  made?: MadeCall,
) =>
  Effect.suspend(() => {
    const seen: Observed = made?.seen ?? {}
    const startedAt = made?.startedAt ?? Date.now()
    const service = operation.split(":")[0] as Service
    const endpoint = () => seen.endpoint ?? `the ${service.toUpperCase()} endpoint for ${signer.region}`
    const refused = (where: string, reason: string) =>
      new BadSetting({ operation, signer: maskKeyId(signer.credentials.accessKeyId), where, reason })
    const due = startedAt + seconds * 1000
    const timedOut = () =>
      new TimedOut({
        operation,
        signer: maskKeyId(signer.credentials.accessKeyId),
        endpoint: endpoint(),
        seconds,
      })
    // The SDK's own timers end a call at its deadline too: one the launcher made may have ended so before this run took it.
    const endedLate = () => (made?.settledAt() ?? 0) >= due
    return settingsOf(signer.profile).pipe(
      Effect.mapError((e) => refused(e.path, e.reason)),
      Effect.flatMap((settings) =>
        Either.match(settings[service], {
          onLeft: (refusal) => Effect.fail(refused(refusal.where, refusal.reason)),
          onRight: (settings) =>
            Effect.suspend(() => {
              const other = () => notAws(operation, signer, seen, endpoint(), settings)
              const failure = toAwsError(operation, signer, endpoint, Math.min(connectLimit, seconds))
              return Effect.tryPromise({
                try: (signal) =>
                  load()
                    .then((sdk) =>
                      run(sdk, {
                        config: clientConfig(settings, service, signer, seconds, attempts, seen),
                        options: { abortSignal: signal },
                      }),
                    )
                    .then((result) => {
                      const wrong = other()
                      if (wrong !== undefined) throw wrong
                      return result
                    }),
                // An error code read from the answer is AWS's (or an emulator's) own word, whatever its content type.
                catch: (cause) =>
                  endedLate()
                    ? timedOut()
                    : codeFromAnswer(cause)
                      ? failure(cause)
                      : (other() ?? failure(cause)),
              })
            }),
        }),
      ),
      Effect.timeoutFail({ duration: Duration.millis(Math.max(0, due - Date.now())), onTimeout: timedOut }),
      sayWhenSlow(() => `Waiting for ${endpoint()} to answer ${operation} (up to ${seconds} s)…`, startedAt),
      Debug.awsCall(operation, signer, seen),
    )
  })

/** The launcher's call, taken over: this run's interruption stops it. */
const adopted = <A>(made: MadeCall<A>, wire: Wire) => {
  wire.options.abortSignal.addEventListener("abort", made.abort, { once: true })
  return made.answer
}

const loadSts = () => import("./sdk/sts.js")
const loadIam = () => import("./sdk/iam.js")

/** The Date header of an answer, when it reads as a date. */
const answeredAt = (date: string | undefined): { answeredAt?: Date } => {
  const time = date === undefined ? Number.NaN : Date.parse(date)
  return Number.isNaN(time) ? {} : { answeredAt: new Date(time) }
}

export const StsLive = Layer.effect(
  Sts,
  Effect.gen(function* () {
    const seconds = yield* deadline
    const settingsOf = yield* settingsReader
    const sts = <A>(
      operation: string,
      signer: Signer,
      attempts: Attempts,
      run: (sdk: typeof StsSdk, client: StsSdk.STSClient, wire: Wire) => Promise<A>,
      made?: MadeCall,
    ) =>
      call(
        settingsOf,
        loadSts,
        `sts:${operation}`,
        signer,
        seconds,
        attempts,
        (sdk, wire) => run(sdk, new sdk.STSClient(wire.config), wire),
        made,
      )
    return Sts.of({
      getCallerIdentity: (signer) =>
        sts("GetCallerIdentity", signer, "retry", async (sdk, client, wire) => {
          const out = await client.send(new sdk.GetCallerIdentityCommand({}), wire.options)
          return {
            arn: required(out.Arn, "ARN"),
            account: required(out.Account, "account"),
            userId: required(out.UserId, "user id"),
            ...answeredAt(wire.config.seen.date),
          }
        }),
      getSessionToken: (signer, mfa, duration) =>
        Effect.suspend(() => {
          const input = {
            SerialNumber: mfa.serialNumber,
            TokenCode: mfa.code,
            DurationSeconds: Math.round(Duration.toSeconds(duration)),
          }
          // The launcher may have sent a call with this code: its answer is this one's, and the code is
          // not spent twice. What the files say now may differ from what the launcher read (a hand edit
          // while it waited): this run's own call keeps what it read when it sent it too.
          const made = takeCall<GetSessionTokenCommandOutput>(
            "sts:GetSessionToken",
            (key) => key.input.TokenCode === mfa.code,
          )
          return sts(
            "GetSessionToken",
            signer,
            "once",
            async (sdk, client, wire) =>
              sessionFrom(
                await (made === undefined
                  ? client.send(new sdk.GetSessionTokenCommand(input), wire.options)
                  : adopted(made, wire)),
              ),
            made,
          )
        }),
    })
  }),
)

export const IamLive = Layer.effect(
  Iam,
  Effect.gen(function* () {
    const seconds = yield* deadline
    const settingsOf = yield* settingsReader
    const iam = <A>(
      operation: string,
      signer: Signer,
      attempts: Attempts,
      run: (sdk: typeof IamSdk, client: IamSdk.IAMClient, wire: Wire) => Promise<A>,
      made?: MadeCall,
    ) =>
      call(
        settingsOf,
        loadIam,
        `iam:${operation}`,
        signer,
        seconds,
        attempts,
        (sdk, wire) => run(sdk, new sdk.IAMClient(wire.config), wire),
        made,
      )
    return Iam.of({
      listMfaDevices: (signer, userName) =>
        iam("ListMFADevices", signer, "retry", async (sdk, client, wire) => {
          const out = await client.send(new sdk.ListMFADevicesCommand({ UserName: userName }), wire.options)
          return (out.MFADevices ?? []).map((d) => ({
            serialNumber: d.SerialNumber ?? "",
            enabled: d.EnableDate,
          }))
        }),
      listAccessKeys: (signer, userName) =>
        Effect.suspend(() => {
          const input = { UserName: userName }
          // status's call, made by the launcher when it could not wait for the answer.
          const made = takeCall<ListAccessKeysCommandOutput>("iam:ListAccessKeys", (key) =>
            sameKey(key, callKey("iam:ListAccessKeys", signer, input)),
          )
          return iam(
            "ListAccessKeys",
            signer,
            "retry",
            async (sdk, client, wire) =>
              keysFrom(
                await (made === undefined
                  ? client.send(new sdk.ListAccessKeysCommand(input), wire.options)
                  : adopted(made, wire)),
              ),
            made,
          )
        }),
      createAccessKey: (signer, userName) =>
        iam("CreateAccessKey", signer, "once", async (sdk, client, wire) => {
          const out = await client.send(new sdk.CreateAccessKeyCommand({ UserName: userName }), wire.options)
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
        iam("UpdateAccessKey", signer, "once", async (sdk, client, wire) => {
          await client.send(
            new sdk.UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId, Status: status }),
            wire.options,
          )
        }),
      deleteAccessKey: (signer, userName, accessKeyId) =>
        iam("DeleteAccessKey", signer, "once", async (sdk, client, wire) => {
          await client.send(
            new sdk.DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId }),
            wire.options,
          )
        }),
      simulatePolicy: (signer, userArn, actions, context) =>
        iam("SimulatePrincipalPolicy", signer, "retry", async (sdk, client, wire) => {
          const out = await client.send(
            new sdk.SimulatePrincipalPolicyCommand({
              PolicySourceArn: userArn,
              ActionNames: [...actions],
              ResourceArns: [userArn],
              ContextEntries: context.map((entry) => ({
                ContextKeyName: entry.key,
                ContextKeyType: entry.type,
                ContextKeyValues: [...entry.values],
              })),
            }),
            wire.options,
          )
          return new Map(
            (out.EvaluationResults ?? []).map((r) => [r.EvalActionName ?? "", r.EvalDecision === "allowed"]),
          )
        }),
      accessKeyLastUsed: (signer, accessKeyId) =>
        iam("GetAccessKeyLastUsed", signer, "retry", async (sdk, client, wire) => {
          const out = await client.send(
            new sdk.GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId }),
            wire.options,
          )
          return Option.fromNullable(out.AccessKeyLastUsed?.LastUsedDate)
        }),
    })
  }),
)
