// `--debug`, `AWS_IAM_LOGIN_DEBUG=1` or @effect/cli's `--log-level debug`: the program's
// `Effect.logDebug` lines, one plain line each on stderr. Callers log what happened, never a secret.

import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import * as HashSet from "effect/HashSet"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import { maskKeyId } from "../schema/Credentials.js"
import type { Signer } from "../services/Sts.js"
import type { Observed } from "./sdk/observe.js"

const render = (message: unknown): string =>
  (Array.isArray(message) ? message : [message])
    .map((part) => (typeof part === "string" ? part : String(part)))
    .join(" ")

/** `[debug] read ~/.aws/credentials (812 bytes)`: level and message, nothing else. */
export const stderrLogger = Logger.make(({ logLevel, message }) => {
  process.stderr.write(`[${logLevel.label.toLowerCase()}] ${render(message)}\n`)
})

/**
 * Runs `main` logging only with `stderrLogger`. The level is the command line's: `--debug` (or
 * AWS_IAM_LOGIN_DEBUG) is an option of the root command (src/cli/tree.ts).
 */
export const withStderrLogging = <A, E, R>(main: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.locally(main, FiberRef.currentLoggers, HashSet.make(stderrLogger))

/** Logs `line(exit, millis)` at Debug level when `effect` ends, however it ends. */
export const timed =
  <A, E>(line: (exit: Exit.Exit<A, E>, millis: number) => string) =>
  <R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.flatMap(Clock.currentTimeMillis, (start) =>
      Effect.onExit(effect, (exit) =>
        Effect.flatMap(Clock.currentTimeMillis, (end) => Effect.logDebug(line(exit, end - start))),
      ),
    )

/**
 * One line per AWS call, however it ends: `aws sts:GetCallerIdentity https://sts.eu-west-1.amazonaws.com/
 * region=eu-west-1 key=AKIA…WXYZ status=200 duration=84ms retries=0`, and `error=<tag>` when it failed.
 */
export const awsCall =
  (operation: string, signer: Signer, seen: Observed) =>
  <A, E extends { readonly _tag: string }, R>(effect: Effect.Effect<A, E, R>) =>
    timed<A, E>((exit, millis) =>
      [
        `aws ${operation} ${seen.endpoint ?? "(no request sent)"}`,
        `region=${signer.region}`,
        `key=${maskKeyId(signer.credentials.accessKeyId)}`,
        `status=${seen.status ?? "none"}`,
        `duration=${millis}ms`,
        `retries=${Math.max(0, (seen.attempts ?? 1) - 1)}`,
        ...(Exit.isFailure(exit)
          ? [
              `error=${Option.match(Cause.failureOption(exit.cause), { onNone: () => "interrupted", onSome: (e) => e._tag })}`,
            ]
          : []),
      ].join(" "),
    )(effect)
