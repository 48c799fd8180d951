import * as Terminal from "@effect/platform/Terminal"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { toolLine } from "../schema/CommandLine.js"
import {
  defaultSessionDuration,
  fallbackRegion,
  formatExpiration,
  LongTermProfile,
  longTermKey,
  MfaCode,
  MfaProcessFailed,
  MfaSerialToSend,
  maskKeyId,
  maxSessionDuration,
  minSessionDuration,
  type ProfileName,
  reusable,
  SessionProfile,
  type Session as Stored,
  sessionOf,
  sessionSection,
  sessionValues,
} from "../schema/Credentials.js"
import {
  firstIssue,
  InvalidInput,
  MalformedFile,
  NotInitialised,
  type ProfileNotFound,
  StandsForProfile,
} from "../schema/Errors.js"
import * as Ini from "../schema/Ini.js"
import { holdsKey, StoredKeyMissing, storeService } from "../schema/KeyStore.js"
import { codeMaybeSpent } from "../schema/SessionRules.js"
import {
  CredentialsFile,
  decodeSection,
  describeSection,
  type IniFile,
  unclearValue,
  withValues,
} from "../services/CredentialsFile.js"
import { KeyStore } from "../services/KeyStore.js"
import { Processes } from "../services/Processes.js"
import { type LoadedProfile, type LocatedProfile, type LoginOptions, Session } from "../services/Session.js"
import { type Signer, Sts } from "../services/Sts.js"
import { ask } from "../services/Terminal.js"

/** How long `mfa_process` may take: a hardware key may wait for a touch. */
const mfaProcessTimeout = Duration.seconds(30)

/**
 * Where the AWS CLI reads the profile's key from (botocore's shared-credentials-file provider, then
 * its config-file one): `[name]` in the credentials file when it holds aws_access_key_id, else
 * `[profile name]` (`[default]`) in the config file when that does.
 */
const keyHome = (file: IniFile, name: ProfileName) =>
  Effect.gen(function* () {
    const own = file.sections.get(name)?.values
    if (holdsKey(own)) return { file, section: name }
    const config = yield* (yield* CredentialsFile).readConfig
    const section = Ini.configProfile(config.sections, name)
    const inConfig = section !== undefined && holdsKey(section.values)
    yield* Effect.logDebug(
      `the key of [${name}] is ${inConfig ? `in [${section.name}] of ${config.path}` : "not in the config file either"}`,
    )
    return inConfig ? { file: config, section: section.name } : { file, section: name }
  })

/**
 * Whom `name` stands for when it is not an IAM user's profile: `<p>-sts` (absent, or a session) when
 * `p` has a key, or a role profile whose `source_profile` chain ends at such a session or at `p`'s key.
 */
const standsFor = (file: IniFile, name: ProfileName) =>
  Effect.gen(function* () {
    const config = (yield* (yield* CredentialsFile).readConfig).sections
    const value = (p: string, key: string) =>
      file.sections.get(p)?.values[key] ?? Ini.configProfile(config, p)?.values[key]
    // A key in the profile's lines, or a pointer to it in the OS secret store.
    const hasKey = (p: string) =>
      holdsKey(file.sections.get(p)?.values) || holdsKey(Ini.configProfile(config, p)?.values)
    const sessionOwner = (p: string) => {
      const base = p.slice(0, -"-sts".length)
      const written = file.sections.get(p)
      return p.endsWith("-sts") &&
        hasKey(base) &&
        (written === undefined || written.values.aws_session_token !== undefined)
        ? base
        : undefined
    }
    const via: Array<string> = [name]
    for (let current: string = name; ; ) {
      const owner = sessionOwner(current)
      if (owner !== undefined)
        return Option.some(new StandsForProfile({ profile: name, owner, via, direct: false }))
      if (via.length > 1 && hasKey(current))
        return Option.some(new StandsForProfile({ profile: name, owner: current, via, direct: true }))
      const source = value(current, "source_profile")
      if (source === undefined || via.includes(source)) return Option.none()
      via.push(source)
      current = source
    }
  })

/** Where the key of `name` lives, from the files alone: the OS secret store is not opened. */
const locateProfile = Effect.fn("locateProfile")(function* (name: ProfileName) {
  const files = yield* CredentialsFile
  const file = yield* files.read
  const home = yield* keyHome(file, name)
  if (name.endsWith("-sts") || home.file.sections.get(home.section)?.values.aws_access_key_id === undefined) {
    const owner = yield* standsFor(file, name)
    if (Option.isSome(owner)) return yield* owner.value
  }
  const { described, stored } = yield* describeSection(home.file, home.section)
  // A key in the file is read whole first: a bad line of it is named before any other problem.
  if (stored === undefined) yield* decodeSection(home.file, home.section, LongTermProfile)
  yield* Effect.logDebug(
    stored === undefined
      ? `the key ${maskKeyId(described.aws_access_key_id)} of [${name}] is in [${home.section}] of ${home.file.path}`
      : `the key of [${name}] is in the OS secret store (service ${storeService}, account ${stored}), as [${home.section}] of ${home.file.path} says`,
  )
  const region = yield* files.region(name, file)
  return {
    name,
    file,
    home,
    stored,
    described,
    region,
    callRegion: Option.getOrElse(region, () => fallbackRegion),
  } satisfies LocatedProfile
})

/** The home's file with the key read from the OS secret store as if it were in its lines. */
const storedKeyFile = (home: LocatedProfile["home"], keyId: string) =>
  Effect.gen(function* () {
    const secret = yield* (yield* KeyStore).read(keyId)
    if (Option.isNone(secret)) return yield* new StoredKeyMissing({ profile: home.section, keyId })
    return withValues(home.file, home.section, {
      aws_access_key_id: keyId,
      aws_secret_access_key: Redacted.value(secret.value),
    })
  })

/** The located profile with its key, read from `keyFile`. */
const keyed = (located: LocatedProfile, keyFile: IniFile) =>
  Effect.map(
    decodeSection(keyFile, located.home.section, LongTermProfile),
    (profile): LoadedProfile => ({
      ...located,
      profile,
      signer: {
        credentials: longTermKey(profile),
        region: located.callRegion,
        profile: located.name,
        ...(located.stored === undefined
          ? {}
          : { keptIn: `the OS secret store (service ${storeService}, account ${located.stored})` }),
      },
    }),
  )

/** The located profile's key: the store is asked only here, when a command needs the key itself. */
const withKey = Effect.fn("withKey")(function* (located: LocatedProfile) {
  const { home, stored } = located
  return yield* keyed(located, stored === undefined ? home.file : yield* storedKeyFile(home, stored))
})

/** Signs read-only calls with the key from the file, or the valid session of a stored key's profile. */
const readerOf = (
  located: LocatedProfile,
): Effect.Effect<Either.Either<Signer, string>, MalformedFile | ProfileNotFound> =>
  located.stored === undefined
    ? Effect.map(keyed(located, located.home.file), (loaded) => Either.right(loaded.signer))
    : Effect.map(currentSession(located.file, located.name), (session) =>
        Option.match(session, {
          onNone: () =>
            Either.left(
              `the key is in the OS secret store, not opened to show this: log in (${toolLine(located.name)}) and IAM is asked with the session`,
            ),
          onSome: ({ credentials }) =>
            Either.right({ credentials, region: located.callRegion, profile: located.name }),
        }),
      )

const loadProfile = (name: ProfileName) => Effect.flatMap(locateProfile(name), withKey)

/** The session in `[<profile>-sts]`, when it is still valid for longer than the margin. */
const currentSession = (file: IniFile, name: ProfileName) =>
  Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    const stored = file.sections.get(sessionSection(name))
    if (stored === undefined) return Option.none<Stored>()
    const unclear = unclearValue(file, sessionSection(name), SessionProfile)
    if (unclear !== undefined) return yield* unclear
    const decoded = Schema.decodeUnknownEither(SessionProfile)(stored.values)
    return Either.isRight(decoded) && reusable(decoded.right.expiration, now)
      ? Option.some(sessionOf(decoded.right))
      : Option.none<Stored>()
  })

const decodeCode = (answer: string) =>
  Schema.decodeUnknownEither(MfaCode)(answer).pipe(Either.mapLeft((error) => firstIssue(error).message))

/** The code that `mfa_process` prints (alone on stdout, surrounding space aside). */
const codeFromProcess = (command: string) =>
  Effect.gen(function* () {
    const output = yield* (yield* Processes).output(command).pipe(
      Effect.mapError((e) => new MfaProcessFailed({ command, reason: e.reason })),
      Effect.timeoutFail({
        duration: mfaProcessTimeout,
        onTimeout: () => new MfaProcessFailed({ command, reason: "it did not finish within 30 seconds" }),
      }),
    )
    return yield* Schema.decodeUnknown(MfaCode)(output).pipe(
      Effect.mapError(() => new MfaProcessFailed({ command, reason: "it printed no 6-digit code" })),
    )
  })

/**
 * The MFA code: from --token, else the profile's mfa_process, else asked on a terminal, else one
 * line of stdin (or, when `noTerminal` says why stdin will not do, that sentence).
 */
const mfaCode = (
  token: Option.Option<MfaCode>,
  serial: string,
  process: string | undefined,
  noTerminal: string | undefined,
) =>
  Effect.gen(function* () {
    if (Option.isSome(token)) return token.value
    if (process !== undefined) return yield* codeFromProcess(process)
    const terminal = yield* Terminal.Terminal
    if (yield* terminal.isTTY) return yield* ask(`MFA code for ${serial}: `, decodeCode)
    if (noTerminal !== undefined) return yield* new InvalidInput({ reason: noTerminal })
    const line = yield* terminal.readLine.pipe(
      Effect.catchTag(
        "QuitException",
        () =>
          new InvalidInput({
            reason: "No MFA code: pass --token CODE, or give the code on stdin.",
          }),
      ),
    )
    return yield* decodeCode(line).pipe(Either.mapLeft((reason) => new InvalidInput({ reason })))
  })

/**
 * The profile's own session length: `duration_seconds` (the key aws-vault and botocore's role
 * profiles use), from `[name]` of the credentials file or else the config file's profile, as
 * botocore merges them; else 12h. A value GetSessionToken would not take stops the login, with its line.
 */
const profileDuration = (file: IniFile, name: ProfileName) =>
  Effect.gen(function* () {
    let where = file
    let section = file.sections.get(name)
    if (section?.keys.get("duration_seconds") === undefined) {
      where = yield* (yield* CredentialsFile).readConfig
      section = Ini.configProfile(where.sections, name)
    }
    const key = section?.keys.get("duration_seconds")
    if (section === undefined || key === undefined) return defaultSessionDuration
    const seconds = /^\d+$/.test(key.value) ? Duration.seconds(Number(key.value)) : undefined
    if (
      seconds !== undefined &&
      Duration.between(seconds, { minimum: minSessionDuration, maximum: maxSessionDuration })
    ) {
      yield* Effect.logDebug(
        `session length ${key.value}s: duration_seconds in ${where.path}, line ${key.line}`,
      )
      return seconds
    }
    return yield* new MalformedFile({
      path: where.path,
      line: key.line,
      profile: section.name,
      reason: `duration_seconds is "${key.value}", not 900 to 129600 seconds (15m to 36h, AWS's limits for IAM users): fix it, or pass --duration`,
    })
  })

/**
 * The profile's session: the stored one while it stays valid past the margin, else a new one
 * from STS GetSessionToken, written to `[<profile>-sts]`. A new one is made under the profile's
 * login lock, and only after reading the file again under it: a login that waited for another
 * finds that one's session and asks for no code.
 */
const ensureSession = Effect.fn("ensureSession")(function* (name: ProfileName, options: LoginOptions) {
  const files = yield* CredentialsFile
  if (!options.force) {
    // A stored session needs nothing of the profile's own values: they are read only to renew it.
    const file = yield* files.read
    const stored = yield* currentSession(file, name)
    yield* Effect.logDebug(
      Option.match(stored, {
        onNone: () => `no session in [${sessionSection(name)}] valid past the margin: logging in`,
        onSome: (s) =>
          `session in [${sessionSection(name)}] valid until ${formatExpiration(s.expiration)}: reused, no AWS call`,
      }),
    )
    if (Option.isSome(stored))
      return { session: stored.value, fresh: false, region: yield* files.region(name, file) }
  }
  // The OS secret store is opened once, under the lock, and only when a new session is made.
  if ((yield* locateProfile(name)).described.mfa_serial === undefined)
    return yield* new NotInitialised({ profile: name })
  return yield* files.withSessionLock(
    name,
    Effect.gen(function* () {
      const located = yield* locateProfile(name)
      if (!options.force) {
        const stored = yield* currentSession(located.file, name)
        if (Option.isSome(stored)) return { session: stored.value, fresh: false, region: located.region }
      }
      if (located.described.mfa_serial === undefined) return yield* new NotInitialised({ profile: name })
      const { file, home, profile, signer, region } = yield* withKey(located)
      const { mfa_serial: serialNumber } = yield* decodeSection(home.file, home.section, MfaSerialToSend)
      const duration = yield* Option.match(options.duration, {
        onSome: Effect.succeed,
        onNone: () => profileDuration(file, name),
      })
      yield* files.writable()
      const code = yield* mfaCode(options.token, serialNumber, profile.mfa_process, options.noTerminal)
      const sts = yield* Sts
      const session = yield* sts.getSessionToken(signer, { serialNumber, code }, duration).pipe(
        // AWS takes each code once, and may have taken this one before the answer was lost.
        Effect.onInterrupt(() => Console.error(codeMaybeSpent)),
      )
      yield* files.update([{ section: sessionSection(name), set: sessionValues(session) }])
      return { session, fresh: true, region }
    }),
  )
})

/** The Session service over the credentials file, STS, the terminal and `mfa_process`, taken when built. */
export const SessionLive = Layer.effect(
  Session,
  Effect.gen(function* () {
    const context = yield* Effect.context<CredentialsFile | Sts | Processes | Terminal.Terminal | KeyStore>()
    return Session.of({
      load: (name) => loadProfile(name).pipe(Effect.provide(context)),
      locate: (name) => locateProfile(name).pipe(Effect.provide(context)),
      withKey: (located) => withKey(located).pipe(Effect.provide(context)),
      reader: (located) => readerOf(located).pipe(Effect.provide(context)),
      current: (file, name) => currentSession(file, name),
      ensure: (name, options) => ensureSession(name, options).pipe(Effect.provide(context)),
    })
  }),
)
