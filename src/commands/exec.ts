import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { profile } from "../cli/profile.js"
import { toolLine } from "../schema/CommandLine.js"
import { formatExpiration, marginText, sessionSection } from "../schema/Credentials.js"
import { Platform } from "../services/Platform.js"
import { Processes } from "../services/Processes.js"
import { Session } from "../services/Session.js"
import { checkedToken, duration, token } from "./login.js"

/** The command `exec` ran ended with a status other than 0: the tool exits with it, saying nothing. */
export class CommandExited extends Data.TaggedError("CommandExited")<{ readonly status: number }> {}

/** Set in the environment of what `exec` runs, naming the profile: for shell prompts, and nesting. */
export const marker = "AWS_IAM_LOGIN_PROFILE"

/** `exec` inside what another `exec` runs: its session would hide the outer one's. */
export class NestedExec extends Data.TaggedError("NestedExec")<{ readonly profile: string }> {
  override get message() {
    return `Already inside \`aws-iam-login exec\` for [${this.profile}] (${marker} is set): exit that shell first, or unset ${marker} to run one inside it anyway.`
  }
}

const commandLine = Args.text({ name: "command" }).pipe(
  Args.withDescription(
    "The command to run and its arguments, passed on exactly as given (a -- before it is optional); without one, your $SHELL",
  ),
  Args.repeated,
  Args.mapEffect((words) =>
    words[0] === ""
      ? Effect.fail(HelpDoc.p("The command to run has an empty name: give the program's name first."))
      : Effect.succeed(words),
  ),
)

const outerProfile = Config.option(Config.nonEmptyString(marker)).pipe(
  Effect.orElseSucceed(() => Option.none<string>()),
)

export const exec = Command.make(
  "exec",
  { profile, token, duration, commandLine },
  Effect.fn("exec")(function* ({ profile: name, token, duration, commandLine }) {
    const outer = yield* outerProfile
    if (Option.isSome(outer)) return yield* new NestedExec({ profile: outer.value })
    const code = yield* checkedToken(token)
    const { session, fresh, region } = yield* (yield* Session).ensure(name, {
      token: code,
      duration,
      force: false,
      // stdin is the command's: a code read from it would be input the command never sees.
      noTerminal: `No session in [${sessionSection(name)}] valid for more than ${marginText}: exec leaves stdin to the command, so give the MFA code with --token CODE, or run \`${toolLine(name)}\` first.`,
    })
    if (fresh) yield* Console.error(`Logged in: [${sessionSection(name)}] refreshed.`)
    const c = session.credentials
    // With no command, the person's shell, as `aws-vault exec` does.
    const [command, ...args] = commandLine.length > 0 ? commandLine : [(yield* Platform).userShell()]
    const status = yield* (yield* Processes).run(command!, args, {
      AWS_ACCESS_KEY_ID: c.accessKeyId,
      AWS_SECRET_ACCESS_KEY: Redacted.value(c.secretAccessKey),
      AWS_SESSION_TOKEN: c.sessionToken === undefined ? undefined : Redacted.value(c.sessionToken),
      AWS_CREDENTIAL_EXPIRATION: formatExpiration(session.expiration),
      AWS_REGION: Option.getOrUndefined(region),
      AWS_DEFAULT_REGION: Option.getOrUndefined(region),
      // A profile would make the AWS CLI and SDKs look past the variables above.
      AWS_PROFILE: undefined,
      AWS_DEFAULT_PROFILE: undefined,
      [marker]: name,
    })
    if (status !== 0) return yield* new CommandExited({ status })
  }),
).pipe(
  Command.withDescription(
    `Run a command (or your shell) with the session in its environment and ${marker} set to the profile, logging in first if needed; exits with its status`,
  ),
)
