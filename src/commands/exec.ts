import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { formatExpiration, sessionSection } from "../schema/Credentials.js"
import { Processes } from "../services/Processes.js"
import { Session } from "../services/Session.js"
import { token } from "./login.js"
import { profile } from "./profile.js"

/** The command `exec` ran ended with a status other than 0: the tool exits with it, saying nothing. */
export class CommandExited extends Data.TaggedError("CommandExited")<{ readonly status: number }> {}

const commandLine = Args.text({ name: "command" }).pipe(
  Args.withDescription(
    "The command to run and its arguments, passed on exactly as given (a -- before it is optional)",
  ),
  Args.atLeast(1),
)

export const exec = Command.make(
  "exec",
  { profile, token, commandLine },
  Effect.fn("exec")(function* ({ profile: name, token, commandLine }) {
    const { session, fresh, region } = yield* (yield* Session).ensure(name, {
      token,
      duration: Duration.hours(12),
      force: false,
    })
    if (fresh) yield* Console.error(`Logged in: [${sessionSection(name)}] refreshed.`)
    const c = session.credentials
    const [command, ...args] = commandLine
    const status = yield* (yield* Processes).run(command, args, {
      AWS_ACCESS_KEY_ID: c.accessKeyId,
      AWS_SECRET_ACCESS_KEY: Redacted.value(c.secretAccessKey),
      AWS_SESSION_TOKEN: c.sessionToken === undefined ? undefined : Redacted.value(c.sessionToken),
      AWS_CREDENTIAL_EXPIRATION: formatExpiration(session.expiration),
      AWS_REGION: Option.getOrUndefined(region),
      AWS_DEFAULT_REGION: Option.getOrUndefined(region),
      // A profile would make the AWS CLI and SDKs look past the variables above.
      AWS_PROFILE: undefined,
      AWS_DEFAULT_PROFILE: undefined,
    })
    if (status !== 0) return yield* new CommandExited({ status })
  }),
).pipe(
  Command.withDescription(
    "Run a command with the session in its environment (logging in first if needed); exits with its status",
  ),
)
