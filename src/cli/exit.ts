import * as ValidationError from "@effect/cli/ValidationError"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import type { run } from "./tree.js"

export const usageHint = "Run `aws-iam-login --help` for usage."

/**
 * The exit code of a run, and the one sentence it prints: 0 done, the status of the command `exec`
 * ran, 1 failed (`aws-iam-login: <message>`), 2 a usage error (@effect/cli has printed it; the hint
 * follows).
 */
export const exitCode = <R>(self: Effect.Effect<void, Effect.Effect.Error<ReturnType<typeof run>>, R>) =>
  self.pipe(
    Effect.as(0),
    Effect.catchAll((error) =>
      error._tag === "CommandExited"
        ? Effect.succeed(error.status)
        : ValidationError.isValidationError(error)
          ? Effect.as(ValidationError.isHelpRequested(error) ? Effect.void : Console.error(usageHint), 2)
          : Console.error(`aws-iam-login: ${error.message}`).pipe(Effect.as(1)),
    ),
    Effect.catchAllDefect((defect) =>
      Console.error(
        `aws-iam-login: unexpected error: ${defect instanceof Error ? defect.message : String(defect)}`,
      ).pipe(Effect.as(1)),
    ),
  )
