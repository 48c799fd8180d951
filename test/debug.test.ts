import { describe, expect, it } from "@effect/vitest"
import { Effect, FiberRef, LogLevel } from "effect"
import { withDebug } from "../src/layers/Debug.js"

/** What `main` was given, and the log level it ran at. */
const seen = (args: ReadonlyArray<string>) =>
  withDebug(args, (rest) =>
    Effect.map(FiberRef.get(FiberRef.currentMinimumLogLevel), (level) => ({ rest, level: level.label })),
  )

describe("--debug", () => {
  it.effect("is taken off the command line anywhere before `--`, and turns on debug logging", () =>
    Effect.gen(function* () {
      expect(yield* seen(["work", "--debug", "-t", "123456"])).toEqual({
        rest: ["work", "-t", "123456"],
        level: "DEBUG",
      })
      expect(yield* seen(["--debug", "work", "status", "--debug"])).toEqual({
        rest: ["work", "status"],
        level: "DEBUG",
      })
      expect(yield* seen(["work", "status"])).toEqual({
        rest: ["work", "status"],
        level: LogLevel.Info.label,
      })
    }),
  )

  it.effect("after `--` it belongs to the command being run", () =>
    Effect.gen(function* () {
      expect(yield* seen(["exec", "work", "--", "tool", "--debug"])).toEqual({
        rest: ["exec", "work", "--", "tool", "--debug"],
        level: LogLevel.Info.label,
      })
    }),
  )
})
