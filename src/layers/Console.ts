import * as Effect from "effect/Effect"

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching the ANSI escape character is the point
const ansi = /\x1b\[[0-9;]*m/g

const plain = (args: ReadonlyArray<unknown>) =>
  args.map((a) => (typeof a === "string" ? a.replace(ansi, "") : a))

/** Colour only where a person sees it: off when the stream is not a terminal or NO_COLOR is set. */
export const withPlainOutput = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.consoleWith((base) => {
    const noColor = (process.env.NO_COLOR ?? "") !== ""
    const plainOut = noColor || !process.stdout.isTTY
    const plainErr = noColor || !process.stderr.isTTY
    return Effect.withConsole(effect, {
      ...base,
      log: (...args) => base.log(...(plainOut ? plain(args) : args)),
      error: (...args) => base.error(...(plainErr ? plain(args) : args)),
    })
  })
