import * as Terminal from "@effect/platform/Terminal"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
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
