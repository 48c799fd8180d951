import * as CliConfig from "@effect/cli/CliConfig"
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import pkg from "../../package.json" with { type: "json" }
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
import { builtInFlags, flagsOf } from "./flags.js"

export const name = "aws-iam-login"

/** The subcommands, in the order the help lists them: the one list (completion reads it too). */
const subcommands = [login, init, rotate, status, exportCommand, exec, list, logout, key] as const

export const description =
  "Log in to AWS as an IAM user with an MFA device: your long-term key and a 6-digit code become a session in [<profile>-sts] of ~/.aws/credentials, for the AWS CLI and every SDK. Also rotates that key without locking you out."

export const command = Command.make(name).pipe(
  Command.withDescription(description),
  Command.withSubcommands([...subcommands]),
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

/** What the mapping from the original order needs to know of the tree. */
export const grammar: Grammar = {
  commands: new Map(
    [...commandFlags.subcommands.keys()].map((name) => [name, commandFlags.profiled.has(name)]),
  ),
  flags: [
    ...[...commandFlags.subcommands.values()].flat(),
    ...builtInFlags,
    { names: ["--profile"], values: [] },
  ],
  own: commandFlags.subcommands,
}
