import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import { main } from "./cli/main.js"
import { type Handover, handOver, releaseUntaken, untaken } from "./handover.js"

export { commandNames } from "./cli/tree.js"

import { IamLive, StsLive } from "./layers/Aws.js"
import { withPlainOutput } from "./layers/Console.js"
import { CredentialsFileLive } from "./layers/CredentialsFile.js"
import { FilePathsLive } from "./layers/FilePaths.js"
import { JournalLive } from "./layers/Journal.js"
import { KeyStoreLive } from "./layers/KeyStore.js"
import { ProcessesLive } from "./layers/Processes.js"
import { SessionLive } from "./layers/Session.js"
import { TerminalLive } from "./layers/Terminal.js"
import { codeMaybeSpent } from "./schema/SessionRules.js"
import { graceMillis, hasFinished, stoppedNote } from "./signals.js"

// The live layers, built one after the other inside a single layer: composing them with
// Layer.mergeAll and Layer.provideMerge builds each on a fiber of its own. Measured against that in
// the same paired runs of the built CLI (31 pairs, the 2-core development machine under load, Dec
// 2026): 15 ms less CPU per login with a valid session (14 ms for export), 12 to 17 ms less wall time.
const MainLive = Layer.scopedContext(
  Effect.gen(function* () {
    const platform = Context.merge(
      Context.merge(yield* Layer.build(NodeFileSystem.layer), yield* Layer.build(NodePath.layer)),
      yield* Layer.build(FilePathsLive),
    )
    const [terminal, files, journal, processes] = yield* Effect.all([
      Layer.build(TerminalLive),
      Layer.build(CredentialsFileLive),
      Layer.build(JournalLive),
      Layer.build(ProcessesLive),
    ]).pipe(Effect.provide(platform))
    // The AWS layers read each profile's settings from the files.
    const [sts, iam] = yield* Effect.all([Layer.build(StsLive), Layer.build(IamLive)]).pipe(
      Effect.provide(files),
    )
    const services = Context.merge(
      Context.merge(platform, Context.merge(journal, processes)),
      Context.merge(Context.merge(sts, iam), Context.merge(terminal, files)),
    )
    const withStore = Context.merge(services, yield* Layer.build(KeyStoreLive))
    return Context.merge(withStore, yield* Layer.build(SessionLive).pipe(Effect.provide(withStore)))
  }),
)

const exitCodes = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const
type Signal = keyof typeof exitCodes

/** The first signal received: it decides the exit code. */
let received: Signal | undefined

/**
 * From here on a signal ends the process at once, by its default action: process.exit would first
 * wait for every file-system call in flight (a held open, a hung disk), and might never return.
 */
const signalsEndAtOnce = () => {
  for (const each of Object.keys(exitCodes)) process.removeAllListeners(each)
}

const stopNow = (signal: Signal) => {
  const note = stoppedNote()
  if (note !== undefined) process.stderr.write(`aws-iam-login: ${note}\n`)
  signalsEndAtOnce()
  // A run that finished well (rotate printed Rotated:) ends with its own code, though a signal came as it finished.
  if (hasFinished()) process.exit(Number(process.exitCode ?? 0))
  process.kill(process.pid, received ?? signal)
}

/**
 * The first Ctrl-C, SIGTERM or SIGHUP interrupts the program (runMain does so itself for the first
 * two), which aborts the AWS call in flight and runs what must be undone; a second signal, or the
 * grace period running out, ends the process at once.
 */
const onSignals = Effect.withFiberRuntime<void>((fiber) =>
  Effect.sync(() => {
    for (const signal of Object.keys(exitCodes) as Array<Signal>) {
      process.on(signal, () => {
        if (received !== undefined) return stopNow(signal)
        received = signal
        // The terminal echoed ^C where the cursor was, maybe after a prompt: what follows starts a line.
        if (signal === "SIGINT" && !hasFinished())
          process.stderr.write(`${process.stderr.isTTY ? "\n" : ""}aws-iam-login: interrupted by Ctrl-C.\n`)
        setTimeout(() => stopNow(signal), graceMillis).unref()
        fiber.unsafeInterruptAsFork(fiber.id())
      })
    }
  }),
)

/**
 * Runs the command line. The launcher (src/launcher.ts) calls this once the bundle has loaded, with
 * what to do once the run has finished well (write the code cache), and what its fast path hands over.
 */
export const start = (finished: () => Promise<void> = async () => {}, handover: Handover = {}) => {
  handOver(handover)
  NodeRuntime.runMain(
    Effect.zipRight(
      onSignals,
      main(process.argv.slice(2), MainLive).pipe(
        withPlainOutput,
        Effect.catchTag("BadTimeout", (error) =>
          Console.error(`aws-iam-login: ${error.message}`).pipe(Effect.as(1)),
        ),
        Effect.tap((code) => Effect.sync(() => (process.exitCode = code))),
      ),
    ),
    {
      disableErrorReporting: true,
      disablePrettyLogger: true,
      teardown: (exit, onExit) => {
        // Interrupted by no signal: Ctrl-C at a prompt that reads keys one by one (the terminal sent none).
        const interrupted = Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)
        if (received === undefined && !hasFinished() && interrupted)
          process.stderr.write("aws-iam-login: interrupted by Ctrl-C.\n")
        const code = hasFinished()
          ? Number(process.exitCode ?? 0)
          : received !== undefined
            ? exitCodes[received]
            : interrupted
              ? 130
              : Number(process.exitCode ?? 0)
        signalsEndAtOnce()
        // The launcher's call, when the run ended before it took it over: stopped, and said as for its own.
        const call = untaken().call
        if (code !== 0 && call !== undefined) {
          call.abort()
          if (call.key.operation === "sts:GetSessionToken") process.stderr.write(`${codeMaybeSpent}\n`)
        }
        const released = releaseUntaken()
        if (code !== 0) return void released.finally(() => onExit(code))
        // Done well: until Node has closed what is open, a signal ends the process with the run's own
        // code (which may wait for a file-system call in flight: a second signal then ends it at once).
        for (const signal of Object.keys(exitCodes))
          process.once(signal, () => {
            signalsEndAtOnce()
            process.exit(code)
          })
        // Node's own shutdown closes the signal handlers before the process ends, and a signal then ends it by the signal itself: exit before that.
        process.once("exit", () => process.exit(code))
        void Promise.all([released, finished()]).finally(() => onExit(code))
      },
    },
  )
}
