import * as Terminal from "@effect/platform/Terminal"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { Cancelled } from "../schema/Errors.js"

/** Asks on the terminal until `parse` accepts the answer; Ctrl-D or Ctrl-C cancels. */
export const ask = <A>(question: string, parse: (answer: string) => Either.Either<A, string>, attempts = 5) =>
  Effect.gen(function* () {
    const terminal = yield* Terminal.Terminal
    for (let attempt = 1; ; attempt++) {
      yield* terminal.display(question).pipe(Effect.orDie)
      const answer = yield* terminal.readLine.pipe(
        Effect.catchTag("QuitException", () => new Cancelled({ reason: "Cancelled: no answer was given." })),
      )
      const parsed = parse(answer)
      if (Either.isRight(parsed)) return parsed.right
      if (attempt >= attempts)
        return yield* new Cancelled({ reason: `${parsed.left} Giving up after ${attempts} tries.` })
      yield* terminal.display(`${parsed.left}\n`).pipe(Effect.orDie)
    }
  })

/**
 * Asks for a secret on the terminal without echoing it (keys are read one by one, as typed or
 * pasted); Enter ends it, Backspace takes a character back, Ctrl-D cancels, Ctrl-C interrupts the run.
 */
export const askHidden = (question: string) =>
  Effect.scoped(
    Effect.gen(function* () {
      const terminal = yield* Terminal.Terminal
      yield* terminal.display(question).pipe(Effect.orDie)
      const keys = yield* terminal.readInput
      let typed = ""
      for (;;) {
        const next = yield* Effect.option(keys.take)
        const ctrl = Option.isSome(next) && next.value.key.ctrl ? next.value.key.name : undefined
        if (Option.isNone(next) || ctrl === "c" || ctrl === "d") {
          yield* terminal.display("\n").pipe(Effect.orDie)
          // Keys read one by one leave the terminal no Ctrl-C to signal: the run ends as that signal ends it.
          if (ctrl === "c") return yield* Effect.interrupt
          return yield* new Cancelled({ reason: "Cancelled: no answer was given; nothing was changed." })
        }
        const { key, input } = next.value
        if (key.name === "return" || key.name === "enter") break
        typed = key.name === "backspace" ? typed.slice(0, -1) : typed + Option.getOrElse(input, () => "")
      }
      yield* terminal.display("\n").pipe(Effect.orDie)
      return Redacted.make(typed)
    }),
  )
