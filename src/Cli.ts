import * as Command from "@effect/cli/Command"
import * as ValidationError from "@effect/cli/ValidationError"
import { Console, Effect } from "effect"
import pkg from "../package.json" with { type: "json" }
import { exportCommand } from "./commands/export.js"
import { init } from "./commands/init.js"
import { root } from "./commands/login.js"
import { rotate } from "./commands/rotate/index.js"
import { status } from "./commands/status.js"

export const subcommands = ["init", "rotate", "status", "export"] as const

export const command = root.pipe(Command.withSubcommands([init, rotate, status, exportCommand]))

export const run = Command.run(command, { name: "aws-iam-login", version: pkg.version })

const isSubcommand = (arg: string | undefined) => subcommands.some((name) => name === arg)

/** `init my-profile` reads as `my-profile init`: the profile may come before or after the subcommand. */
export const normalizeArgs = (args: ReadonlyArray<string>): ReadonlyArray<string> => {
  const [first, second, ...rest] = args
  if (!isSubcommand(first)) return args
  if (second !== undefined && !second.startsWith("-") && !isSubcommand(second))
    return [second, first!, ...rest]
  // `init --help` names no profile; the parser wants one before it shows the subcommand's help.
  return args.includes("--help") || args.includes("-h") ? ["<profile>", ...args] : args
}

/**
 * Runs the command line `args` (without node and the script) and returns the exit code:
 * 0 done, 1 failed (one sentence on stderr), 2 usage error (printed once by @effect/cli).
 */
export const main = (args: ReadonlyArray<string>) =>
  run(["node", "aws-iam-login", ...normalizeArgs(args)]).pipe(
    Effect.as(0),
    Effect.catchAll((error) =>
      ValidationError.isValidationError(error)
        ? Effect.succeed(2)
        : Console.error(`aws-iam-login: ${error.message}`).pipe(Effect.as(1)),
    ),
    Effect.catchAllDefect((defect) =>
      Console.error(
        `aws-iam-login: unexpected error: ${defect instanceof Error ? defect.message : String(defect)}`,
      ).pipe(Effect.as(1)),
    ),
  )
