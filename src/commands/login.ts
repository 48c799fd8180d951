import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { profile } from "../cli/profile.js"
import { validateOption } from "../cli/validate.js"
import { MfaCode, SessionDuration } from "../schema/Credentials.js"
import { firstIssue, InvalidInput } from "../schema/Errors.js"
import { loggedInLines, stillValidLine } from "../schema/SessionRules.js"
import { Session } from "../services/Session.js"

/**
 * `--token CODE`, checked by the command (checkedToken) rather than as a usage error: a malformed
 * code gets the same sentence and exit code whether it came from here or from stdin.
 */
export const token = Options.text("token").pipe(
  Options.withAlias("t"),
  Options.optional,
  Options.withDescription("The 6-digit MFA code (else asked on the terminal, or read from stdin)"),
)

export const checkedToken = (token: Option.Option<string>) =>
  Effect.transposeOption(
    Option.map(token, (code) =>
      Schema.decodeUnknown(MfaCode)(code).pipe(
        Effect.mapError((error) => new InvalidInput({ reason: firstIssue(error).message })),
      ),
    ),
  )

export const duration = Options.text("duration").pipe(
  Options.withAlias("d"),
  Options.mapEffect(validateOption(SessionDuration)),
  Options.optional,
  Options.withDescription(
    "How long the session lasts: 15m to 36h, e.g. 12h, 90m, 1h30m, 3600s (default: the profile's duration_seconds, else 12h)",
  ),
)

const force = Options.boolean("force").pipe(
  Options.withAlias("f"),
  Options.withDescription("Log in again even when the stored session is still valid"),
)

export const login = Command.make(
  "login",
  { profile, token, duration, force },
  Effect.fn("login")(function* (config) {
    const token = yield* checkedToken(config.token)
    const { session, fresh } = yield* (yield* Session).ensure(config.profile, { ...config, token })
    const now = yield* Clock.currentTimeMillis
    yield* Console.log((fresh ? loggedInLines : stillValidLine)(config.profile, session.expiration, now))
  }),
).pipe(
  Command.withDescription(
    "Log in: a session from your access key and an MFA code, written to [<profile>-sts] (the default command)",
  ),
)
