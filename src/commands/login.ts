import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Terminal from "@effect/platform/Terminal"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import {
  formatExpiration,
  MfaCode,
  MfaSerialToSend,
  type ProfileName,
  SessionDuration,
  sessionSection,
  sessionValues,
} from "../schema/Credentials.js"
import { firstIssue, InvalidInput, NotInitialised } from "../schema/Errors.js"
import { CredentialsFile, decodeSection } from "../services/CredentialsFile.js"
import { Processes } from "../services/Processes.js"
import { Sts } from "../services/Sts.js"
import { ask, currentSession, loadProfile, timeLeft } from "./common.js"
import { profile } from "./profile.js"
import { validateOption } from "./validate.js"

export const token = Options.text("token").pipe(
  Options.withAlias("t"),
  Options.mapEffect(validateOption(MfaCode)),
  Options.optional,
  Options.withDescription("The 6-digit MFA code (else asked on the terminal, or read from stdin)"),
)

const duration = Options.text("duration").pipe(
  Options.withAlias("d"),
  Options.mapEffect(validateOption(SessionDuration)),
  Options.withDefault(Duration.hours(12)),
  Options.withDescription(
    "How long the session lasts: 15m to 36h, e.g. 12h, 90m, 1h30m, 3600s (default 12h)",
  ),
)

const force = Options.boolean("force").pipe(
  Options.withAlias("f"),
  Options.withDescription("Log in again even when the stored session is still valid"),
)

export interface LoginOptions {
  readonly token: Option.Option<MfaCode>
  readonly duration: Duration.Duration
  readonly force: boolean
  /** Off a terminal, fail with this advice instead of reading the code from stdin. */
  readonly noTerminal?: string
}

const decodeCode = (answer: string) =>
  Schema.decodeUnknownEither(MfaCode)(answer).pipe(Either.mapLeft((error) => firstIssue(error).message))

/** A profile's `mfa_process` failed; the message says how and what to do. */
export class MfaProcessFailed extends Data.TaggedError("MfaProcessFailed")<{
  readonly command: string
  readonly reason: string
}> {
  override get message() {
    return `mfa_process \`${this.command}\` failed: ${this.reason}; fix it in the profile, or pass --token CODE.`
  }
}

/** How long `mfa_process` may take: a hardware key may wait for a touch. */
const mfaProcessTimeout = Duration.seconds(30)

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
 * The profile's session: the stored one while it stays valid past the margin, else a new one
 * from STS GetSessionToken, written to `[<profile>-sts]`. A new one is made under the profile's
 * login lock, and only after reading the file again under it: a login that waited for another
 * finds that one's session and asks for no code.
 */
export const ensureSession = Effect.fn("ensureSession")(function* (name: ProfileName, options: LoginOptions) {
  const { file, profile, region } = yield* loadProfile(name)
  if (!options.force) {
    const stored = yield* currentSession(file, name)
    yield* Effect.logDebug(
      Option.match(stored, {
        onNone: () => `no session in [${sessionSection(name)}] valid past the margin: logging in`,
        onSome: (s) =>
          `session in [${sessionSection(name)}] valid until ${formatExpiration(s.expiration)}: reused, no AWS call`,
      }),
    )
    if (Option.isSome(stored)) return { session: stored.value, fresh: false, region }
  }
  if (profile.mfa_serial === undefined) return yield* new NotInitialised({ profile: name })
  const files = yield* CredentialsFile
  return yield* files.withSessionLock(
    name,
    Effect.gen(function* () {
      const { file, home, profile, signer, region } = yield* loadProfile(name)
      if (!options.force) {
        const stored = yield* currentSession(file, name)
        if (Option.isSome(stored)) return { session: stored.value, fresh: false, region }
      }
      if (profile.mfa_serial === undefined) return yield* new NotInitialised({ profile: name })
      const { mfa_serial: serialNumber } = yield* decodeSection(home.file, home.section, MfaSerialToSend)
      yield* files.writable()
      const code = yield* mfaCode(options.token, serialNumber, profile.mfa_process, options.noTerminal)
      const sts = yield* Sts
      const session = yield* sts.getSessionToken(signer, { serialNumber, code }, options.duration)
      yield* files.update([{ section: sessionSection(name), set: sessionValues(session) }])
      return { session, fresh: true, region }
    }),
  )
})

export const login = Command.make(
  "login",
  { profile, token, duration, force },
  Effect.fn("login")(function* (config) {
    const { session, fresh } = yield* ensureSession(config.profile, config)
    const now = yield* Clock.currentTimeMillis
    const section = sessionSection(config.profile)
    const until = `${formatExpiration(session.expiration)} (${timeLeft(session.expiration, now)} left)`
    yield* fresh
      ? Console.log(
          `Logged in: [${section}] holds a session valid until ${until}.\n` +
            `Use it with AWS_PROFILE=${section}, or source_profile = ${section} in a role profile.`,
        )
      : Console.log(`[${section}] is still valid until ${until}; use --force to log in again.`)
  }),
).pipe(
  Command.withDescription(
    "Log in: a session from your access key and an MFA code, written to [<profile>-sts] (the default command)",
  ),
)
