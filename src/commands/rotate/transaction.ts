import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type { Step } from "./steps.js"

export class StepFailed extends Data.TaggedError("StepFailed")<{
  readonly step: string
  readonly reason: string
  readonly undone: ReadonlyArray<string>
  readonly notUndone: ReadonlyArray<string>
  readonly state: string
}> {
  override get message() {
    const undone = this.undone.length > 0 ? ` Undone: ${this.undone.join("; ")}.` : ""
    const notUndone = this.notUndone.length > 0 ? ` Could NOT undo: ${this.notUndone.join("; ")}.` : ""
    return `${this.step} failed: ${this.reason}${undone}${notUndone} ${this.state}`
  }
}

const reasonOf = (cause: Cause.Cause<{ readonly message: string }>) =>
  Option.match(Cause.failureOption(cause), {
    onSome: (error) => error.message,
    onNone: () => Cause.pretty(cause).split("\n")[0] ?? "unexpected error",
  })

/** The plan as a person reads it: each step, who signs it, and what its undo would do. */
export const describe = (steps: ReadonlyArray<Step>): string =>
  steps
    .map((step, i) => {
      const signed = step.signedWith === "no call" ? "" : ` (signed with ${step.signedWith})`
      const undo = Option.match(step.undo, {
        onNone: () => "",
        onSome: (u) => `\n     if a later step fails: ${u.name}`,
      })
      return `  ${i + 1}. ${step.name}${signed}${undo}`
    })
    .join("\n")

/**
 * Runs the steps in order. When one fails, or the run is interrupted, the undos of the steps
 * already done run in reverse, uninterruptibly; `state` then says where that leaves the user.
 */
export const run = (steps: ReadonlyArray<Step>, state: (undoneAll: boolean) => Effect.Effect<string>) =>
  Effect.suspend(() => {
    const done: Array<Step> = []
    const compensate = Effect.gen(function* () {
      const undone: Array<string> = []
      const notUndone: Array<string> = []
      for (const step of [...done].reverse()) {
        if (Option.isNone(step.undo)) continue
        // After a failed undo, the earlier steps' results are what the user now relies on
        // (e.g. the new key in the file), so taking them back too could lock the user out.
        if (notUndone.length > 0) {
          notUndone.push(`${step.undo.value.name} (left, so as not to undo more than is safe)`)
          continue
        }
        const exit = yield* Effect.exit(step.undo.value.run)
        if (Exit.isSuccess(exit)) undone.push(step.undo.value.name)
        else notUndone.push(`${step.undo.value.name} (${reasonOf(exit.cause)})`)
      }
      return { undone, notUndone }
    }).pipe(Effect.uninterruptible)

    return Effect.gen(function* () {
      for (const step of steps) {
        // A step that finished is recorded before an interruption can land, so its undo is not lost.
        const exit = yield* Effect.uninterruptibleMask((restore) =>
          (step.interruptible ? restore(step.run) : step.run).pipe(
            Effect.tap(() => done.push(step)),
            Effect.exit,
          ),
        )
        if (Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause)) {
          const { undone, notUndone } = yield* compensate
          return yield* new StepFailed({
            step: step.name,
            reason: reasonOf(exit.cause),
            undone,
            notUndone,
            state: yield* state(notUndone.length === 0),
          })
        }
        if (Exit.isFailure(exit)) return yield* Effect.interrupt
        yield* Console.log(`  ✓ ${step.name}`)
      }
    }).pipe(
      Effect.onInterrupt(() =>
        Effect.gen(function* () {
          yield* Console.error("Interrupted: undoing what was done…")
          const { undone, notUndone } = yield* compensate
          if (undone.length > 0) yield* Console.error(`Undone: ${undone.join("; ")}.`)
          if (notUndone.length > 0) yield* Console.error(`Could NOT undo: ${notUndone.join("; ")}.`)
          yield* Console.error(yield* state(notUndone.length === 0))
        }),
      ),
    )
  })
