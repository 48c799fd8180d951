import * as CliConfig from "@effect/cli/CliConfig"
import * as Command from "@effect/cli/Command"
import * as Descriptor from "@effect/cli/CommandDescriptor"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Span from "@effect/cli/HelpDoc/Span"
import * as Usage from "@effect/cli/Usage"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Terminal from "@effect/platform/Terminal"
import * as Arr from "effect/Array"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import pkg from "../package.json" with { type: "json" }
import { complete, script } from "./commands/completion.js"
import { exportCommand } from "./commands/export.js"
import { builtInFlags, flagsOf, ownFlags, shells, unknownFlag } from "./commands/flags.js"
import { init } from "./commands/init.js"
import { root } from "./commands/login.js"
import { asksForHelp, isSubcommand } from "./commands/names.js"
import { rotate } from "./commands/rotate/index.js"
import { status } from "./commands/status.js"
import { renderHelp } from "./Help.js"

const name = "aws-iam-login"

export const command = root.pipe(Command.withSubcommands([init, rotate, status, exportCommand]))

export const run = Command.run(command, { name, version: pkg.version })

/** The page @effect/cli's `--help` prints (banner, version, usage, the command's help), built the same way. */
const helpPage = (usage: Usage.Usage, help: HelpDoc.HelpDoc) =>
  [
    HelpDoc.h1(Span.code(name)),
    HelpDoc.p(Span.spans([Span.text(`${name} ${pkg.version}`), Span.empty])),
    HelpDoc.sequence(
      HelpDoc.h1("USAGE"),
      Arr.reduceRight(
        Usage.enumerate(usage, CliConfig.defaultConfig).map((span) =>
          HelpDoc.p(Span.concat(Span.text("$ "), span)),
        ),
        HelpDoc.empty,
        (left, right) => HelpDoc.sequence(left, right),
      ),
    ),
    help,
  ].reduce((page, part) => HelpDoc.sequence(page, part))

/**
 * What @effect/cli would print for `args` when they ask for help or the version: the help rendered
 * by `renderHelp`, the version without the blank line @effect/cli adds.
 */
const helpOrVersion = (args: ReadonlyArray<string>) =>
  Descriptor.parse(command.descriptor, [name, ...normalizeArgs(args)], CliConfig.defaultConfig).pipe(
    Effect.map((directive) => {
      if (directive._tag !== "BuiltIn") return Option.none<string>()
      const { option } = directive
      if (option._tag === "ShowHelp") return Option.some(renderHelp(helpPage(option.usage, option.helpDoc)))
      return option._tag === "ShowVersion" ? Option.some(pkg.version) : Option.none<string>()
    }),
    Effect.orElseSucceed(() => Option.none<string>()),
  )

/** `init my-profile` reads as `my-profile init`: the profile may come before or after the subcommand. */
export const normalizeArgs = (args: ReadonlyArray<string>): ReadonlyArray<string> => {
  const [first, second, ...rest] = args
  if (!isSubcommand(first)) return args
  if (second !== undefined && !second.startsWith("-") && !isSubcommand(second))
    return [second, first!, ...rest]
  // `init --help` names no profile; the parser wants one before it shows the subcommand's help.
  return asksForHelp(args) ? ["<profile>", ...args] : args
}

const usageHint = "Run `aws-iam-login --help` for usage."

/**
 * What this tool does itself rather than leave to @effect/cli: completion, the help page (faster),
 * the version (without a blank line), an unknown flag after the profile, the wizard off a terminal.
 */
const builtIn = (args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    if (args[0] === "__complete")
      return Option.some(yield* Effect.as(complete(args.slice(1), flagsOf(command.descriptor)), 0))
    const at = args.indexOf("--completions")
    if (at >= 0) {
      const shell = shells.find((s) => s === args[at + 1])
      if (shell === undefined) {
        yield* Console.error(`--completions takes one of: ${shells.join(", ")}. ${usageHint}`)
        return Option.some(2)
      }
      return Option.some(yield* Effect.as(Console.log(script(shell)), 0))
    }
    if (asksForHelp(args) || args.includes("--version")) {
      const page = yield* helpOrVersion(args)
      if (Option.isSome(page)) return Option.some(yield* Effect.as(Console.log(page.value), 0))
    }
    // After the profile, @effect/cli reads an unknown flag as a subcommand and says so: name it instead.
    if (!args.some(isSubcommand) && args.some((arg) => arg.startsWith("-"))) {
      const unknown = unknownFlag(args, [...ownFlags(command.descriptor), ...builtInFlags])
      if (unknown !== undefined) {
        yield* Console.error(`Received unknown argument: '${unknown}'\n\n${usageHint}`)
        return Option.some(2)
      }
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
