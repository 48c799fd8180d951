import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import { Effect } from "effect"
import { NotYetAvailable } from "../../schema/Errors.js"

const dryRun = Options.boolean("dry-run").pipe(
  Options.withDescription("Print the plan from read-only calls; change nothing"),
)
const yes = Options.boolean("yes").pipe(
  Options.withAlias("y"),
  Options.withDescription("Do not ask to confirm"),
)

export const rotate = Command.make(
  "rotate",
  { dryRun, yes },
  Effect.fn("rotate")(function* () {
    return yield* new NotYetAvailable({ command: "rotate" })
  }),
).pipe(
  Command.withDescription("Replace the profile's access key with a new one, never leaving you locked out"),
)
