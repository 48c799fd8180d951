#!/usr/bin/env node
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Console, Effect, Exit, Layer } from "effect"
import { normalizeArgs, run } from "./Cli.js"
import { IamLive, StsLive } from "./layers/Aws.js"
import { CredentialsFileLive } from "./layers/CredentialsFile.js"
import { TerminalLive } from "./layers/Terminal.js"

const MainLive = Layer.mergeAll(StsLive, IamLive, TerminalLive, CredentialsFileLive.pipe(Layer.provide(NodeContext.layer))).pipe(
  Layer.provideMerge(NodeContext.layer),
)

/** Exit codes: 0 done, 1 failed, 2 usage error (already printed by @effect/cli), 130 interrupted. */
const exitCode = (code: number) => Effect.sync(() => {
  process.exitCode = code
})

const program = Effect.suspend(() => run([...process.argv.slice(0, 2), ...normalizeArgs(process.argv.slice(2))])).pipe(
  Effect.provide(MainLive),
  Effect.catchAll((error) =>
    ValidationError.isValidationError(error)
      ? exitCode(2)
      : Console.error(`aws-iam-login: ${error.message}`).pipe(Effect.zipRight(exitCode(1))),
  ),
  Effect.catchAllDefect((defect) =>
    Console.error(`aws-iam-login: unexpected error: ${defect instanceof Error ? defect.message : String(defect)}`).pipe(
      Effect.zipRight(exitCode(1)),
    ),
  ),
)

NodeRuntime.runMain(program, {
  disableErrorReporting: true,
  teardown: (exit, onExit) =>
    onExit(Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause) ? 130 : Number(process.exitCode ?? 0)),
})
