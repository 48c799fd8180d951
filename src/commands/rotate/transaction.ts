import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import { graceMillis, markFinished, noteIfStopped } from "../../signals.js"

export interface Failure {
  readonly _tag: string
  readonly message: string
}

/** The file no longer holds what the rotation expects: stop at once and change nothing more. */
export class FileChanged extends Data.TaggedError("FileChanged")<{ readonly reason: string }> {
  override get message() {
    return this.reason
  }
}

/**
 * The account shows something the run cannot prove is its own doing (an answer naming a key that
 * existed before the call, or a key whose creation the run never saw answered): stop at once, and
 * change nothing more, since undoing could delete a key someone else relies on.
 */
export class Unproven extends Data.TaggedError("Unproven")<{ readonly reason: string }> {
  override get message() {
    return this.reason
  }
}

/** Failures that stop the run where it is: nothing more is done or undone. */
const stops = new Set(["FileChanged", "Unproven"])
const stopping = (cause: Cause.Cause<Failure>) =>
  Option.filter(
    Option.map(Cause.failureOption(cause), (e) => e._tag),
    (tag) => stops.has(tag),
  )

/** What reading the account (or the file) after an unclear call found. */
export interface Settled<Out> {
  /** Some when the call took effect after all. */
  readonly done: Option.Option<Out>
  /** What the read showed, e.g. "AWS then listed the old key AKIA…0001 as Inactive". */
  readonly seen: string
}

/**
 * One step of a transaction: what it does with the state so far and the state it hands on, and
 * how to take it back.
 */
export interface Step<In, Out, E extends Failure, R> {
  readonly name: string
  /** Which key signs the step's call, for the plan; none for a step that makes no call. */
  readonly signedWith?: string
  readonly run: (state: In) => Effect.Effect<Out, E, R>
  /**
   * After a failure that does not prove the call was refused, or an interruption: reads the
   * account. Done when the call took effect after all (the step then counts as done), not once
   * nothing of it is left.
   */
  readonly settle?: (state: In) => Effect.Effect<Settled<Out>, E, R>
  /** Takes the step back; what it returns names anything it had to leave. */
  readonly undo?: {
    readonly name: string
    readonly run: (state: Out) => Effect.Effect<Option.Option<string>, E, R>
  }
  /** The transaction is done once this step is: nothing is undone after it. */
  readonly commits?: boolean
}

type AnyStep<E extends Failure, R> = Step<unknown, unknown, E, R>

/** Steps whose types line up, as data: each takes what the one before returned. */
export class Plan<In, Out, E extends Failure, R> {
  private constructor(readonly steps: ReadonlyArray<AnyStep<E, R>>) {}

  static start<S, E extends Failure = never, R = never>(): Plan<S, S, E, R> {
    return new Plan<S, S, E, R>([])
  }

  next<Next, E2 extends Failure, R2>(step: Step<Out, Next, E2, R2>): Plan<In, Next, E | E2, R | R2> {
    // The only place types are erased: `run` below hands each step what the one before returned.
    return new Plan<In, Next, E | E2, R | R2>([...this.steps, step as unknown as AnyStep<E | E2, R | R2>])
  }
}

/** Errors that prove AWS (or this tool) refused the call: nothing of it took effect. */
const refused = new Set([
  "InvalidCredentials",
  "AccessDenied",
  "MfaRejected",
  "LimitExceeded",
  "NoSuchEntity",
  "Throttled",
  "InvalidInput",
])

export class StepFailed extends Data.TaggedError("StepFailed")<{
  readonly step: string
  readonly reason: string
  /** The file changed under the rotation: it stopped and undid nothing. */
  readonly stopped: boolean
  readonly undone: ReadonlyArray<string>
  readonly notUndone: ReadonlyArray<string>
  readonly left: ReadonlyArray<string>
  readonly state: string
}> {
  override get message() {
    const undone = this.undone.length > 0 ? ` Undone: ${this.undone.join("; ")}.` : ""
    const notUndone = this.notUndone.length > 0 ? ` Could NOT undo: ${this.notUndone.join("; ")}.` : ""
    const left = this.left.length > 0 ? ` Left: ${this.left.join("; ")}.` : ""
    return `${this.step} failed: ${sentence(this.reason)}${undone}${notUndone}${left} ${this.state}`
  }
}

const sentence = (text: string) => (/[.!?]$/.test(text) ? text : `${text}.`)

const reasonOf = (cause: Cause.Cause<Failure>) =>
  Option.match(Cause.failureOption(cause), {
    onSome: (error) => error.message,
    onNone: () =>
      Cause.isInterruptedOnly(cause)
        ? "it was interrupted."
        : (Cause.pretty(cause).split("\n")[0] ?? "unexpected error"),
  })

/** The plan as a person reads it: each step, who signs it, and what its undo would do. */
export const describe = <E extends Failure, R>(plan: Plan<never, unknown, E, R>): string =>
  plan.steps
    .map((step, i) => {
      const signed = step.signedWith === undefined ? "" : ` (signed with ${step.signedWith})`
      const undo = step.undo === undefined ? "" : `\n     if a later step fails: ${step.undo.name}`
      return `  ${i + 1}. ${step.name}${signed}${undo}`
    })
    .join("\n")

export class UndoTimedOut extends Data.TaggedError("UndoTimedOut")<{ readonly what: string }> {
  override get message() {
    return `${this.what} did not finish in time, so whether it took effect is unknown`
  }
}

/**
 * Runs `effect` on a fiber of its own that its deadline can interrupt, while the caller waits
 * uninterruptibly: how an undo stays bounded inside an uninterruptible compensation. A daemon,
 * because an interrupted fiber passes each further interruption on to its children.
 */
const bounded = <A, E, R>(effect: Effect.Effect<A, E, R>, deadline: number, what: string) =>
  Effect.gen(function* () {
    const left = deadline - (yield* Clock.currentTimeMillis)
    const fiber = yield* Effect.forkDaemon(
      Effect.interruptible(
        Effect.timeoutFail(effect, {
          duration: Duration.millis(Math.max(0, left)),
          onTimeout: () => new UndoTimedOut({ what }),
        }),
      ),
    )
    return yield* Fiber.join(fiber)
  })

export interface Limits {
  /** How long the undos may take in all after a step failed. */
  readonly afterFailure: Duration.DurationInput
  /** How long the account reading and the undos may take in all after an interruption. */
  readonly afterInterruption: Duration.DurationInput
}

const defaultLimits: Limits = {
  afterFailure: Duration.seconds(60),
  // Inside the process's grace period, so that the undo's own report ends an interrupted run, not the stop.
  afterInterruption: Duration.millis(graceMillis - 1_000),
}

export interface Outcome {
  /** The file changed under the run, or the account showed what it cannot prove: it stopped and undid nothing. */
  readonly stopped: boolean
  /** What stopped it: the tag of the failure. */
  readonly stoppedBy?: string
  /** It stopped after the step that commits. */
  readonly committed?: boolean
  readonly undone: ReadonlyArray<string>
  readonly notUndone: ReadonlyArray<string>
  readonly left: ReadonlyArray<string>
}

export interface RunOptions<Out, R> {
  /** Where a failed run leaves the user, in a sentence. */
  readonly state: (outcome: Outcome) => Effect.Effect<string, never, R>
  /** Says the run is done: inside the same region, so an interruption cannot silence it. */
  readonly finish: (out: Out) => Effect.Effect<void, never, R>
  /** What to run when the process is stopped at once midway, in a sentence. */
  readonly rerun: string
  readonly limits?: Limits
}

const listed = (label: string, items: ReadonlyArray<string>) =>
  items.length === 0 ? [] : [`  ${label}: ${items.join("; ")}.`]

/**
 * Runs the steps in order, each given what the one before returned. When one fails, or the run
 * is interrupted, the step's own call is settled against the account, then the undos of the steps
 * done run in reverse, uninterruptibly and within a deadline; `state` then says where that leaves
 * the user. A step (or its settling) that fails with FileChanged or Unproven stops the run and nothing is undone.
 */
export const run = <In, Out, E extends Failure, R>(
  plan: Plan<In, Out, E, R>,
  input: In,
  options: RunOptions<Out, R>,
): Effect.Effect<Out, StepFailed, R> =>
  Effect.uninterruptibleMask((restore) => {
    /** `settled`: what the account showed of a step whose call ended unclearly. */
    const done: Array<{ readonly step: AnyStep<E, R>; readonly value: unknown; readonly settled?: string }> =
      []
    /** The step or undo whose call is under way, and the undos done so far: what a stop at once reports. */
    let running: string | undefined
    const undone: Array<string> = []
    let committed = false
    let ended = false
    const progress = () =>
      [
        ended
          ? "Stopped as the rotation ended: every step is done."
          : `Stopped before the rotation was ${committed ? "tidied up" : "finished or undone"}.`,
        ...listed(
          "Done",
          done.map(({ step, settled }) => (settled === undefined ? step.name : `${step.name} (${settled})`)),
        ),
        ...listed("Undone", undone),
        ...listed(
          "Sent, no answer (whether it took effect is unknown)",
          running === undefined ? [] : [running],
        ),
        ...listed(
          "Not undone",
          committed
            ? []
            : [...done]
                .reverse()
                .flatMap(({ step }) =>
                  step.undo === undefined || undone.includes(step.undo.name) || step.undo.name === running
                    ? []
                    : [step.undo.name],
                ),
        ),
        ...(ended ? [] : [options.rerun]),
      ].join("\n")
    return Effect.gen(function* () {
      const compensate = (deadline: number) =>
        Effect.gen(function* () {
          const outcome = {
            stopped: false,
            undone,
            notUndone: [] as Array<string>,
            left: [] as Array<string>,
          }
          for (const { step, value } of [...done].reverse()) {
            if (step.undo === undefined) continue
            // After a failed undo, the earlier steps' results are what the user now relies on
            // (e.g. the new key in the file), so taking them back too could lock the user out.
            if (outcome.notUndone.length > 0) {
              outcome.notUndone.push(`${step.undo.name} (left, so as not to undo more than is safe)`)
              continue
            }
            running = step.undo.name
            const exit = yield* Effect.exit(bounded(step.undo.run(value), deadline, step.undo.name))
            running = undefined
            if (Exit.isFailure(exit)) outcome.notUndone.push(`${step.undo.name} (${reasonOf(exit.cause)})`)
            else {
              outcome.undone.push(step.undo.name)
              if (Option.isSome(exit.value)) outcome.left.push(exit.value.value)
            }
          }
          return outcome
        })

      const { state, limits = defaultLimits } = options
      /** Fails the run; an interrupted run ends interrupted, so its report goes to stderr here. */
      const fail = (step: AnyStep<E, R>, reason: string, outcome: Outcome, interrupted: boolean) =>
        Effect.gen(function* () {
          const error = new StepFailed({ step: step.name, reason, ...outcome, state: yield* state(outcome) })
          if (interrupted) yield* Console.error(`aws-iam-login: ${error.message}`)
          return yield* Effect.fail(error)
        })
      const nothing = { stopped: false, undone: [], notUndone: [], left: [] }

      let value: unknown = input
      for (const step of plan.steps) {
        running = step.name
        const exit = yield* Effect.exit(committed ? step.run(value) : restore(step.run(value)))
        if (Exit.isSuccess(exit)) {
          running = undefined
          value = exit.value
          done.push({ step, value })
          committed ||= step.commits === true
          yield* Console.log(`  ✓ ${step.name}`)
          continue
        }
        if (committed) {
          // The rotation is done; what follows only tidies up, and the next run finishes it. A file
          // that lost what the run wrote into it is more than untidy: stop, and say so.
          if (Option.exists(Cause.failureOption(exit.cause), (e) => e._tag === "FileChanged")) {
            const outcome = { ...nothing, stopped: true, committed: true }
            return yield* fail(step, reasonOf(exit.cause), outcome, Cause.isInterrupted(exit.cause))
          }
          yield* Console.error(`${step.name} failed: ${reasonOf(exit.cause)}`)
          continue
        }
        const interrupted = Cause.isInterrupted(exit.cause)
        const now = yield* Clock.currentTimeMillis
        const deadline = now + Duration.toMillis(interrupted ? limits.afterInterruption : limits.afterFailure)
        const failure = Cause.failureOption(exit.cause)
        const stoppedBy = stopping(exit.cause)
        if (Option.isSome(stoppedBy)) {
          const outcome = { ...nothing, stopped: true, stoppedBy: stoppedBy.value }
          return yield* fail(step, reasonOf(exit.cause), outcome, interrupted)
        }
        const unclear = interrupted || !Option.exists(failure, (e) => refused.has(e._tag))
        const settled =
          unclear && step.settle !== undefined
            ? yield* Effect.exit(
                bounded(step.settle(value), deadline, `reading the account after ${step.name}`),
              )
            : Exit.succeed(undefined)
        if (Exit.isSuccess(settled)) running = undefined
        const settleStopped = Exit.isFailure(settled) ? stopping(settled.cause) : Option.none()
        if (Exit.isFailure(settled) && Option.isSome(settleStopped)) {
          const reason = `${reasonOf(exit.cause).replace(/\.$/, "")}. ${reasonOf(settled.cause)}`
          const outcome = { ...nothing, stopped: true, stoppedBy: settleStopped.value }
          return yield* fail(step, reason, outcome, interrupted)
        }
        if (Exit.isFailure(settled)) {
          // Whether the call took effect is unknown: undoing anything before it could be wrong.
          const notUndone = done.flatMap((d) => (d.step.undo === undefined ? [] : [d.step.undo.name]))
          const reason = `${reasonOf(exit.cause).replace(/\.$/, "")}; whether it took effect is unknown (${reasonOf(settled.cause)})`
          return yield* fail(step, reason, { ...nothing, notUndone }, interrupted)
        }
        // What is known of the call (how it ended), then what the read after it showed.
        const reason =
          settled.value === undefined
            ? reasonOf(exit.cause)
            : `${sentence(reasonOf(exit.cause))} ${settled.value.seen}`
        if (settled.value !== undefined && Option.isSome(settled.value.done)) {
          value = settled.value.done.value
          done.push({ step, value, settled: reason })
          // Done after all: carry on, unless interrupted before the commit.
          if (step.commits === true || !interrupted) {
            committed ||= step.commits === true
            yield* Console.log(`  ✓ ${step.name}: ${reason}, so it took effect.`)
            continue
          }
        }
        if (interrupted && done.some((d) => d.step.undo !== undefined))
          yield* Console.error("Interrupted: undoing what was done…")
        return yield* fail(step, reason, yield* compensate(deadline), interrupted)
      }
      // The types line up step by step (see Plan.next).
      const out = value as Out
      // Done before it says so, so that it exits as done whatever signal comes while it says it.
      ended = true
      yield* markFinished
      yield* options.finish(out)
      return out
    }).pipe(noteIfStopped(progress))
  })
