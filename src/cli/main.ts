import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import pkg from "../../package.json" with { type: "json" }
import { withStderrLogging } from "../layers/Debug.js"
import { separated, toTree } from "./argv.js"
import { completeWords, completionScript } from "./completion.js"
import { exitCode, usageHint } from "./exit.js"
import { commandDescriptions, helpFor } from "./help.js"
import { ownArgs } from "./names.js"
import { commandFlags, grammar, run } from "./tree.js"

/** What this tool answers itself, from the mapped command line: help, version, the wizard. */
const answered = (args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    // A terminal that reports no size (0) gets the width a pipe gets.
    const page = helpFor(args, (process.stdout.isTTY && process.stdout.columns) || 80)
    if (Option.isSome(page)) return Option.some(yield* Effect.as(Console.log(page.value), 0))
    if (args[0] === "--version") return Option.some(yield* Effect.as(Console.log(pkg.version), 0))
    // @effect/cli's wizard treats Ctrl-C as success, and this tool's prompts are its own.
    if (ownArgs(args).includes("--wizard")) {
      yield* Console.error(`aws-iam-login has no --wizard: every command asks what it needs. ${usageHint}`)
      return Option.some(2)
    }
    return Option.none<number>()
  })

const awsProfile = Config.option(Config.nonEmptyString("AWS_PROFILE")).pipe(
  Effect.map(Option.getOrUndefined),
  Effect.orElseSucceed(() => undefined),
)

/**
 * Runs the command line `args` (without node and the script) and returns the exit code (see
 * exitCode). `live`
 * provides the AWS and file layers to what needs them: help, version and the completion script are
 * answered without building them.
 */
export const main = <ROut, E2, RIn>(args: ReadonlyArray<string>, live: Layer.Layer<ROut, E2, RIn>) =>
  args[0] === "__complete"
    ? Effect.provide(completeWords(args.slice(1), commandFlags, commandDescriptions()), live)
    : // With `--` before the command `exec` runs, what follows it is never read as ours, --debug included.
      withStderrLogging(
        Effect.gen(function* () {
          const explicit = separated(args, grammar)
          const script = yield* completionScript(explicit)
          if (Option.isSome(script)) return script.value
          const mapped = toTree(explicit, grammar, yield* awsProfile)
          if (Either.isLeft(mapped))
            return yield* Effect.as(Console.error(`${mapped.left}\n\n${usageHint}`), 2)
          const answer = yield* answered(mapped.right)
          if (Option.isSome(answer)) return answer.value
          return yield* Effect.provide(exitCode(run(mapped.right)), live)
        }),
      )
