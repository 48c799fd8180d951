import * as Effect from "effect/Effect"

/**
 * What the user must do when the process is stopped at once (a second Ctrl-C, or the grace period
 * after the first running out) while an effect wrapped in `noteIfStopped` runs: src/bin.ts prints it.
 */
const notes: Array<string> = []

export const noteIfStopped =
  (note: string) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.acquireUseRelease(
      Effect.sync(() => notes.push(note)),
      () => effect,
      () => Effect.sync(() => notes.splice(notes.lastIndexOf(note), 1)),
    )

/** The note of the innermost `noteIfStopped` still running, if any. */
export const stoppedNote = (): string | undefined => notes.at(-1)

/** The program finished what it was asked (a rotation reported done): a signal after that does not make it a failure. */
let finished = false

export const markFinished = Effect.sync(() => {
  finished = true
})

export const hasFinished = (): boolean => finished
