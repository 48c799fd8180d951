import * as BuiltInOptions from "@effect/cli/BuiltInOptions"
import * as CliConfig from "@effect/cli/CliConfig"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as Usage from "@effect/cli/Usage"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import pkg from "../../package.json" with { type: "json" }
import { doctor } from "../commands/doctor.js"
import { exec } from "../commands/exec.js"
import { exportCommand } from "../commands/export.js"
import { init } from "../commands/init.js"
import { key } from "../commands/key.js"
import { list } from "../commands/list.js"
import { login } from "../commands/login.js"
import { logout } from "../commands/logout.js"
import { rotate } from "../commands/rotate/index.js"
import { status } from "../commands/status.js"
import type { Grammar } from "./argv.js"
import { flagsIn, flagsOf } from "./flags.js"

export const name = "aws-iam-login"

/** The subcommands, in the order the help lists them: the one list (completion reads it too). */
const subcommands = [login, init, rotate, status, exportCommand, exec, list, logout, key, doctor] as const

export const description =
  "Log in to AWS as an IAM user with an MFA device: your long-term key and a 6-digit code become a session in [<profile>-sts] of ~/.aws/credentials, for the AWS CLI and every SDK. Also rotates that key without locking you out."

export const debugDescription =
  "Log each step on stderr: files read, locks, AWS calls (also AWS_IAM_LOGIN_DEBUG=1)"

/** The options of the tool itself, given before the command (toTree moves them there). */
const rootOptions = {
  debug: Options.boolean("debug").pipe(
    Options.withFallbackConfig(
      Config.boolean("AWS_IAM_LOGIN_DEBUG").pipe(Config.orElse(() => Config.succeed(false))),
    ),
    Options.withDescription(debugDescription),
  ),
}

export const command = Command.make(name, rootOptions).pipe(
  Command.withDescription(description),
  Command.withSubcommands([...subcommands]),
  // src/layers/Debug.ts: the program's Effect.logDebug lines, on stderr.
  Command.transformHandler((effect, { debug }) =>
    debug ? Logger.withMinimumLogLevel(effect, LogLevel.Debug) : effect,
  ),
)

/** No built-in options on the pages: @effect/cli would list --wizard and --log-level among them. */
export const cliConfig = CliConfig.make({ showBuiltIns: false })

/** Runs the command line `args`, already in the tree's order. */
export const run = (args: ReadonlyArray<string>) =>
  Command.run(command, { name, version: pkg.version })(["node", name, ...args]).pipe(
    Effect.provideService(CliConfig.CliConfig, cliConfig),
  )

/** Each subcommand's flags, and which take a profile: what completion offers. */
export const commandFlags = flagsOf(subcommands.map((sub) => sub.descriptor))

/** The flags @effect/cli gives every command line (--help, --version, --completions, --log-level, --wizard). */
export const builtInFlags = flagsIn(
  Options.getUsage(
    // Only the options' usage is read: the page and usage they would show are not needed.
    BuiltInOptions.builtInOptions(command.descriptor, Usage.empty, HelpDoc.empty),
  ),
)

/** The tool's own options (--debug). */
export const rootFlags = flagsIn(Options.getUsage(Options.all(rootOptions)))

/** What the mapping from the original order needs to know of the tree. */
export const grammar: Grammar = {
  commands: new Map(
    [...commandFlags.subcommands.keys()].map((name) => [name, commandFlags.profiled.has(name)]),
  ),
  flags: [
    ...[...commandFlags.subcommands.values()].flat(),
    ...builtInFlags,
    ...rootFlags,
    { names: ["--profile"], values: [] },
  ],
  own: commandFlags.subcommands,
  common: [...builtInFlags, ...rootFlags],
  root: rootFlags,
}

/** The subcommands' names: the launcher gets them from here when the tool is built (src/cli/commandNames.ts). */
export const commandNames: ReadonlyArray<string> = [...grammar.commands.keys()]
