import { Clock, Context, Deferred, Duration, Effect, Layer, Option, Redacted } from "effect"
import {
  AccessDenied,
  type AwsError,
  AwsFailure,
  InvalidCredentials,
  LimitExceeded,
  MfaRejected,
  NoSuchEntity,
} from "../../src/schema/AwsErrors.js"
import { type AccessKeyId, type AwsCredentials, maskKeyId } from "../../src/schema/Credentials.js"
import {
  type AccessKeyInfo,
  type ContextEntry,
  Iam,
  type KeyStatus,
  mfaSessionContext,
} from "../../src/services/Iam.js"
import { type Signer, Sts } from "../../src/services/Sts.js"

/**
 * A model of one AWS account's IAM and STS, for the commands' tests: users with paths, MFA
 * devices, access keys with status and creation time, the two-key limit, new keys that work only
 * after a propagation delay, sessions that expire on the Effect Clock, per-user Deny statements,
 * and a fault plan. Every call is recorded with the key that signed it.
 */

export interface SimUser {
  readonly name: string
  readonly path: string
  readonly arn: string
  readonly devices: Array<string>
  readonly denied: Set<string>
  /**
   * Operations the user's policy allows only in an MFA session (aws:MultiFactorAuthPresent true), the
   * session's MFA at most `maxAge` seconds old (aws:MultiFactorAuthAge) when one is set.
   */
  readonly mfaOnly: Map<string, { readonly maxAge: number | undefined }>
}

interface SimKey {
  readonly id: AccessKeyId
  readonly secret: string
  readonly user: string
  status: KeyStatus
  readonly created: number
  readonly usableAt: number
  /** When it was deactivated or deleted: AWS goes on accepting it for `revocationDelay`. */
  revokedAt?: number
  /** When it last signed a call AWS accepted. */
  lastUsed?: number
}

interface SimSession {
  readonly secret: string
  readonly token: string
  readonly user: string
  /** When the MFA code was taken. */
  readonly issued: number
  readonly expires: number
}

export interface Call {
  readonly operation: string
  /** The full access key id that signed the call. */
  readonly signer: string
  readonly ok: boolean
}

type Fault = (call: { readonly operation: string; readonly signer: string }) => AwsError

/** What a 500 looks like once the SDK has given up: AWS may well have done the call. */
export const lostAnswer: Fault = (call) =>
  new AwsFailure({
    ...call,
    code: "InternalFailure",
    detail: "We encountered an internal error. Please try again.",
    status: 500,
  })

export const account = "123456789012"
/** The only code the simulated MFA devices accept. */
export const validCode = "123456"

export class SimAws extends Context.Tag("test/SimAws")<SimAws, SimAccount>() {
  static readonly layer = Layer.sync(SimAws, () => new SimAccount())
}

export class SimAccount {
  readonly users = new Map<string, SimUser>()
  readonly keys = new Map<string, SimKey>()
  readonly sessions = new Map<string, SimSession>()
  readonly calls: Array<Call> = []
  /** How long a new key takes to work. */
  propagation = Duration.zero
  /** How long a deactivated or deleted key goes on working (IAM is eventually consistent). */
  revocationDelay = Duration.zero
  /** moto accepts Inactive keys; AWS does not. */
  acceptsInactiveKeys = false
  /** The operation a call is held at by `pauseAt` or `hangAt`, once it has arrived there. */
  paused: string | undefined
  private readonly gates = new Map<string, Deferred.Deferred<void>>()
  private readonly gatesAfter = new Map<string, Deferred.Deferred<void>>()
  private readonly hangs = new Set<string>()
  private readonly faults: Array<{ operation: string; skip: number; fault: Fault }> = []
  private readonly lost: Array<{ operation: string; skip: number; fault: Fault }> = []
  /** The id the next CreateAccessKey answer names instead of the key it made (`forgeNextKey`). */
  private forged: AccessKeyId | undefined
  /** Deleted keys, still accepted for `revocationDelay`. */
  private readonly ghosts = new Map<string, SimKey>()
  private counter = 0

  private nextId(prefix: string): AccessKeyId {
    this.counter += 1
    return `${prefix}SIM${String(this.counter).padStart(13, "0")}` as AccessKeyId
  }

  addUser(
    name: string,
    options: { path?: string; devices?: ReadonlyArray<string>; partition?: string } = {},
  ) {
    const path = options.path ?? "/"
    const arn = `arn:${options.partition ?? "aws"}:iam::${account}:user${path}${name}`
    const user: SimUser = {
      name,
      path,
      arn,
      devices: [...(options.devices ?? [])],
      denied: new Set(),
      mfaOnly: new Map(),
    }
    this.users.set(name, user)
    return user
  }

  /** A long-term key for `user`, created `age` ago. */
  addKey(user: string, options: { status?: KeyStatus; age?: Duration.DurationInput } = {}) {
    return Effect.gen(this, function* () {
      const now = yield* Clock.currentTimeMillis
      const created = now - Duration.toMillis(options.age ?? Duration.zero)
      return this.storeKey(user, options.status ?? "Active", created, created)
    })
  }

  private storeKey(user: string, status: KeyStatus, created: number, usableAt: number): AwsCredentials {
    const id = this.nextId("AKIA")
    const secret = `secret/${id}/${"x".repeat(20)}`
    this.keys.set(id, { id, secret, user, status, created, usableAt })
    return { accessKeyId: id, secretAccessKey: Redacted.make(secret) }
  }

  deny(user: string, operation: string) {
    this.users.get(user)?.denied.add(operation)
  }

  /** The "force MFA" policy: `operation` is allowed only in an MFA session (at most `maxAge` seconds since the code). */
  requireMfa(user: string, operation: string, maxAge?: number) {
    this.users.get(user)?.mfaOnly.set(operation, { maxAge })
  }

  /** Whether the policy's MFA condition on `operation` holds for a call that carries `context`. */
  private mfaAllows(user: SimUser, operation: string, context: ReadonlyArray<ContextEntry>) {
    const rule = user.mfaOnly.get(operation)
    if (rule === undefined) return true
    const value = (key: string) => context.find((entry) => entry.key === key)?.values[0]
    const age = value("aws:MultiFactorAuthAge")
    return (
      value("aws:MultiFactorAuthPresent") === "true" &&
      (rule.maxAge === undefined || (age !== undefined && Number(age) < rule.maxAge))
    )
  }

  /** Fails the call to `operation` after `skip` successful ones. */
  failOn(operation: string, fault: Fault, skip = 0) {
    this.faults.push({ operation, skip, fault })
  }

  /** Does the call to `operation` (after `skip` others), then loses its answer: the caller sees `fault`. */
  loseAnswerOf(operation: string, fault: Fault = lostAnswer, skip = 0) {
    this.lost.push({ operation, skip, fault })
  }

  /** The next CreateAccessKey makes a key, and its answer names `id` instead (a forged or buggy answer). */
  forgeNextKey(id: AccessKeyId) {
    this.forged = id
  }

  /** Holds the next call to `operation` until the returned gate is opened (`after`: once AWS did it). */
  pauseAt(operation: string, options: { readonly after?: boolean } = {}) {
    return Effect.tap(Deferred.make<void>(), (gate) =>
      Effect.sync(() => (options.after ? this.gatesAfter : this.gates).set(operation, gate)),
    )
  }

  /** The next call to `operation` never answers, and AWS never sees it, until the caller gives up. */
  hangAt(operation: string) {
    this.hangs.add(operation)
  }

  /** Runs an operation AWS has accepted, then applies what `loseAnswerOf` and `pauseAt(…, after)` planned. */
  private answer<A>(operation: string, effect: Effect.Effect<A, AwsError>) {
    return Effect.gen(this, function* () {
      const value = yield* effect
      const gate = this.gatesAfter.get(operation)
      if (gate !== undefined) {
        this.gatesAfter.delete(operation)
        this.paused = operation
        yield* Deferred.await(gate)
      }
      const lost = this.lost.find((f) => f.operation === operation)
      if (lost !== undefined) {
        if (lost.skip > 0) lost.skip -= 1
        else {
          this.lost.splice(this.lost.indexOf(lost), 1)
          return yield* Effect.fail(lost.fault({ operation, signer: "" }))
        }
      }
      return value
    })
  }

  private revoke(key: SimKey, now: number) {
    key.revokedAt ??= now
  }

  /** Whether AWS accepts `key` now: Active, or revoked so recently that not every server knows. */
  private accepts(key: SimKey, now: number) {
    return (
      (this.keys.has(key.id) && (key.status === "Active" || this.acceptsInactiveKeys)) ||
      (key.revokedAt !== undefined && now < key.revokedAt + Duration.toMillis(this.revocationDelay))
    )
  }

  keysOf(user: string) {
    return [...this.keys.values()].filter((k) => k.user === user)
  }

  private authenticate(operation: string, signer: Signer) {
    return Effect.gen(this, function* () {
      const gate = this.gates.get(operation)
      if (gate !== undefined) {
        this.gates.delete(operation)
        this.paused = operation
        yield* Deferred.await(gate)
      }
      if (this.hangs.delete(operation)) {
        this.paused = operation
        return yield* Effect.never
      }
      const now = yield* Clock.currentTimeMillis
      const id = signer.credentials.accessKeyId
      const secret = Redacted.value(signer.credentials.secretAccessKey)
      const call = { operation, signer: maskKeyId(id) }
      const key = this.keys.get(id) ?? this.ghosts.get(id)
      const session = this.sessions.get(id)
      const token = signer.credentials.sessionToken
        ? Redacted.value(signer.credentials.sessionToken)
        : undefined
      const user =
        key && key.secret === secret && this.accepts(key, now) && key.usableAt <= now && token === undefined
          ? key.user
          : session && session.secret === secret && session.token === token && session.expires > now
            ? session.user
            : undefined
      if (user === undefined) {
        this.calls.push({ operation, signer: id, ok: false })
        return yield* new InvalidCredentials({
          ...call,
          detail: "InvalidClientTokenId",
          ...(signer.keptIn === undefined ? {} : { keptIn: signer.keptIn }),
        })
      }
      if (key !== undefined && session === undefined) key.lastUsed = now
      const fault = this.faults.find((f) => f.operation === operation)
      if (fault !== undefined) {
        if (fault.skip > 0) fault.skip -= 1
        else {
          this.faults.splice(this.faults.indexOf(fault), 1)
          this.calls.push({ operation, signer: id, ok: false })
          return yield* Effect.fail(fault.fault(call))
        }
      }
      const caller = this.users.get(user)!
      const mfa = session === undefined ? [] : mfaSessionContext(Math.floor((now - session.issued) / 1000))
      if (caller.denied.has(operation) || !this.mfaAllows(caller, operation, mfa)) {
        this.calls.push({ operation, signer: id, ok: false })
        return yield* new AccessDenied({ ...call, detail: `explicit deny on ${operation}` })
      }
      this.calls.push({ operation, signer: id, ok: true })
      return { caller, call, now, viaSession: session !== undefined }
    })
  }

  /** The user an IAM call names: it must exist and be the caller (the seed's `${aws:username}` policy). */
  private target(caller: SimUser, userName: string, call: { operation: string; signer: string }) {
    if (!this.users.has(userName)) {
      return Effect.fail(
        new NoSuchEntity({ ...call, detail: `The user with name ${userName} cannot be found.` }),
      )
    }
    return caller.name === userName
      ? Effect.succeed(userName)
      : Effect.fail(new AccessDenied({ ...call, detail: `not allowed on user ${userName}` }))
  }

  private ownKey(userName: string, id: AccessKeyId, call: { operation: string; signer: string }) {
    const key = this.keys.get(id)
    return key !== undefined && key.user === userName
      ? Effect.succeed(key)
      : Effect.fail(new NoSuchEntity({ ...call, detail: `The Access Key with id ${id} cannot be found.` }))
  }

  readonly sts = Sts.of({
    getCallerIdentity: (signer) =>
      this.answer(
        "sts:GetCallerIdentity",
        this.authenticate("sts:GetCallerIdentity", signer).pipe(
          Effect.map(({ caller }) => ({
            arn: caller.arn,
            account,
            userId: `AIDA${caller.name.toUpperCase()}`,
          })),
        ),
      ),
    getSessionToken: (signer, mfa, duration) =>
      Effect.gen(this, function* () {
        const { caller, call, now, viaSession } = yield* this.authenticate("sts:GetSessionToken", signer)
        if (viaSession) {
          return yield* new AccessDenied({
            ...call,
            detail: "Cannot call GetSessionToken with session credentials",
          })
        }
        if (!caller.devices.includes(mfa.serialNumber) || mfa.code !== validCode) {
          return yield* new MfaRejected({
            ...call,
            detail: "MultiFactorAuthentication failed with invalid MFA one time pass code.",
          })
        }
        const id = this.nextId("ASIA")
        const session = {
          secret: `session-secret/${id}`,
          token: `token/${id}==`,
          user: caller.name,
          issued: now,
          expires: now + Duration.toMillis(duration),
        }
        this.sessions.set(id, session)
        return {
          credentials: {
            accessKeyId: id,
            secretAccessKey: Redacted.make(session.secret),
            sessionToken: Redacted.make(session.token),
          },
          expiration: new Date(session.expires),
        }
      }),
  })

  readonly iam = Iam.of({
    simulatePolicy: (signer, _userArn, actions, context) =>
      Effect.map(
        this.authenticate("iam:SimulatePrincipalPolicy", signer),
        ({ caller }) =>
          new Map(
            actions.map((action) => [
              action,
              !caller.denied.has(action) && this.mfaAllows(caller, action, context),
            ]),
          ),
      ),
    listMfaDevices: (signer, userName) =>
      Effect.gen(this, function* () {
        const { caller, call } = yield* this.authenticate("iam:ListMFADevices", signer)
        const name = yield* this.target(caller, userName, call)
        return this.users.get(name)!.devices.map((serialNumber) => ({ serialNumber, enabled: undefined }))
      }),
    listAccessKeys: (signer, userName) =>
      Effect.gen(this, function* () {
        const { caller, call } = yield* this.authenticate("iam:ListAccessKeys", signer)
        const name = yield* this.target(caller, userName, call)
        return this.keysOf(name).map(
          (k): AccessKeyInfo => ({ accessKeyId: k.id, status: k.status, created: new Date(k.created) }),
        )
      }),
    createAccessKey: (signer, userName) =>
      this.answer(
        "iam:CreateAccessKey",
        Effect.gen(this, function* () {
          const { caller, call, now } = yield* this.authenticate("iam:CreateAccessKey", signer)
          const name = yield* this.target(caller, userName, call)
          if (this.keysOf(name).length >= 2) {
            return yield* new LimitExceeded({
              ...call,
              detail: "Cannot exceed quota for AccessKeysPerUser: 2",
            })
          }
          const made = this.storeKey(name, "Active", now, now + Duration.toMillis(this.propagation))
          const forged = this.forged
          this.forged = undefined
          const key =
            forged === undefined
              ? made
              : { accessKeyId: forged, secretAccessKey: Redacted.make(`forged/${forged}`) }
          return { key, created: new Date(now) }
        }),
      ),
    updateAccessKey: (signer, userName, id, status) =>
      this.answer(
        "iam:UpdateAccessKey",
        Effect.gen(this, function* () {
          const { caller, call, now } = yield* this.authenticate("iam:UpdateAccessKey", signer)
          const name = yield* this.target(caller, userName, call)
          const key = yield* this.ownKey(name, id, call)
          if (status === "Inactive") this.revoke(key, now)
          else delete key.revokedAt
          key.status = status
        }),
      ),
    accessKeyLastUsed: (signer, id) =>
      Effect.gen(this, function* () {
        const { caller, call } = yield* this.authenticate("iam:GetAccessKeyLastUsed", signer)
        const key = yield* this.ownKey(caller.name, id, call)
        return Option.fromNullable(key.lastUsed).pipe(Option.map((at) => new Date(at)))
      }),
    deleteAccessKey: (signer, userName, id) =>
      this.answer(
        "iam:DeleteAccessKey",
        Effect.gen(this, function* () {
          const { caller, call, now } = yield* this.authenticate("iam:DeleteAccessKey", signer)
          const name = yield* this.target(caller, userName, call)
          const key = yield* this.ownKey(name, id, call)
          this.keys.delete(id)
          this.revoke(key, now)
          this.ghosts.set(id, key)
        }),
      ),
  })
}

/** Sts and Iam over one fresh simulated account, with the account itself as SimAws. */
export const SimulatedAws = Layer.mergeAll(
  Layer.effect(
    Sts,
    Effect.map(SimAws, (sim) => sim.sts),
  ),
  Layer.effect(
    Iam,
    Effect.map(SimAws, (sim) => sim.iam),
  ),
).pipe(Layer.provideMerge(SimAws.layer))
