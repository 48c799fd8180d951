import * as Command from "@effect/cli/Command"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Terminal from "@effect/platform/Terminal"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import pkg from "../package.json" with { type: "json" }
import { complete, script, shells } from "./commands/completion.js"
import { exportCommand } from "./commands/export.js"
import { init } from "./commands/init.js"
import { root } from "./commands/login.js"
import { isSubcommand } from "./commands/names.js"
import { rotate } from "./commands/rotate/index.js"
import { status } from "./commands/status.js"

export const command = root.pipe(Command.withSubcommands([init, rotate, status, exportCommand]))

export const run = Command.run(command, { name: "aws-iam-login", version: pkg.version })

/** `init my-profile` reads as `my-profile init`: the profile may come before or after the subcommand. */
export const normalizeArgs = (args: ReadonlyArray<string>): ReadonlyArray<string> => {
  const [first, second, ...rest] = args
  if (!isSubcommand(first)) return args
  if (second !== undefined && !second.startsWith("-") && !isSubcommand(second))
    return [second, first!, ...rest]
  // `init --help` names no profile; the parser wants one before it shows the subcommand's help.
  return args.includes("--help") || args.includes("-h") ? ["<profile>", ...args] : args
}

const usageHint = "Run `aws-iam-login --help` for usage."

/** What @effect/cli's built-ins do not do well for this tool: completion, and the wizard off a terminal. */
const builtIn = (args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    if (args[0] === "__complete") return Option.some(yield* Effect.as(complete(args.slice(1)), 0))
    const at = args.indexOf("--completions")
    if (at >= 0) {
      const shell = shells.find((s) => s === args[at + 1])
      if (shell === undefined) {
        yield* Console.error(`--completions takes one of: ${shells.join(", ")}. ${usageHint}`)
        return Option.some(2)
      }
      return Option.some(yield* Effect.as(Console.log(script(shell)), 0))
    }
    if (args.includes("--wizard") && !(yield* Effect.flatMap(Terminal.Terminal, (t) => t.isTTY))) {
      yield* Console.error(`--wizard asks questions, so it needs a terminal on stdin. ${usageHint}`)
      return Option.some(2)
    }
    return Option.none<number>()
  })

/**
 * Runs the command line `args` (without node and the script) and returns the exit code:
 * 0 done, 1 failed (one sentence on stderr), 2 usage error (printed once, with a hint).
 */
export const main = (args: ReadonlyArray<string>) =>
  Effect.flatMap(builtIn(args), (handled) =>
    Option.isSome(handled)
      ? Effect.succeed(handled.value)
      : run(["node", "aws-iam-login", ...normalizeArgs(args)]).pipe(
          Effect.as(0),
          Effect.catchAll((error) =>
            ValidationError.isValidationError(error)
              ? Effect.as(ValidationError.isHelpRequested(error) ? Effect.void : Console.error(usageHint), 2)
              : Console.error(`aws-iam-login: ${error.message}`).pipe(Effect.as(1)),
          ),
          Effect.catchAllDefect((defect) =>
            Console.error(
              `aws-iam-login: unexpected error: ${defect instanceof Error ? defect.message : String(defect)}`,
            ).pipe(Effect.as(1)),
          ),
        ),
  )
