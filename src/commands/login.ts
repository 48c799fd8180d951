import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import {
  formatExpiration,
  MfaCode,
  SessionDuration,
  sessionSection,
  timeLeft,
} from "../schema/Credentials.js"
import { Session } from "../services/Session.js"
import { profile } from "./profile.js"
import { validateOption } from "./validate.js"

export const token = Options.text("token").pipe(
  Options.withAlias("t"),
  Options.mapEffect(validateOption(MfaCode)),
  Options.optional,
  Options.withDescription("The 6-digit MFA code (else asked on the terminal, or read from stdin)"),
)

export const duration = Options.text("duration").pipe(
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

export const login = Command.make(
  "login",
  { profile, token, duration, force },
  Effect.fn("login")(function* (config) {
    const { session, fresh } = yield* (yield* Session).ensure(config.profile, config)
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
