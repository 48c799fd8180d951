import * as Effect from "effect/Effect"

/**
 * What the user must know when the process is stopped at once (a second Ctrl-C, or the grace period
 * after the first running out) while an effect wrapped in `noteIfStopped` runs: src/bin.ts prints it.
 * A note is read when the process stops, so it can say how far the work got.
 */
type Note = () => string

/** After the first signal the program undoes what it must and ends; it may take this long before it is stopped at once. */
export const graceMillis = 9_000

const notes: Array<Note> = []

export const noteIfStopped =
  (note: Note) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.acquireUseRelease(
      Effect.sync(() => notes.push(note)),
      () => effect,
      () => Effect.sync(() => notes.splice(notes.lastIndexOf(note), 1)),
    )

/** What the innermost `noteIfStopped` still running says, if any. */
export const stoppedNote = (): string | undefined => notes.at(-1)?.()

/** The program finished what it was asked (a rotation reported done): a signal after that does not make it a failure. */
let finished = false

export const markFinished = Effect.sync(() => {
  finished = true
})

export const hasFinished = (): boolean => finished
