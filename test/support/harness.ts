import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Terminal from "@effect/platform/Terminal"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import { Console, Duration, Effect, Fiber, Layer, Mailbox, Option, TestClock } from "effect"
import { main } from "../../src/cli/main.js"
import * as CredentialsFileLayer from "../../src/layers/CredentialsFile.js"
import * as JournalLayer from "../../src/layers/Journal.js"
import { ProcessesLive } from "../../src/layers/Processes.js"
import { SessionLive } from "../../src/layers/Session.js"
import { FileError } from "../../src/schema/Errors.js"
import { CredentialsFile } from "../../src/services/CredentialsFile.js"
import type { KeyStore } from "../../src/services/KeyStore.js"
import { fakeKeyStore } from "./FakeKeyStore.js"
import { SimulatedAws } from "./SimulatedAws.js"

/** A fresh directory with a credentials and a config file path in it. */
export const tempHome = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-"))
  return { dir, credentials: path.join(dir, "credentials"), config: path.join(dir, "config") }
}

export interface Io {
  readonly stdout: Array<string>
  readonly stderr: Array<string>
  /** What the program wrote to the terminal (prompts). */
  readonly shown: Array<string>
}

/** Output not yet written to: give it as `io` to read a run's output while it goes on. */
export const newIo = (): Io => ({ stdout: [], stderr: [], shown: [] })

const consoleMethods = [
  "assert",
  "clear",
  "count",
  "countReset",
  "debug",
  "dir",
  "dirxml",
  "group",
  "groupEnd",
  "info",
  "table",
  "time",
  "timeEnd",
  "timeLog",
  "trace",
  "warn",
] as const

const capturingConsole = (io: Io): Console.Console => {
  const push =
    (to: Array<string>) =>
    (...args: ReadonlyArray<unknown>) =>
      Effect.sync(() => void to.push(args.map(String).join(" ")))
  const quiet = Object.fromEntries(consoleMethods.map((name) => [name, () => Effect.void]))
  return {
    ...quiet,
    [Console.TypeId]: Console.TypeId,
    log: push(io.stdout),
    error: push(io.stderr),
    unsafe: globalThis.console,
  } as unknown as Console.Console
}

/** A terminal that answers `input` line by line; `tty` says whether it counts as interactive. */
export const scriptedTerminal = (io: Io, input: ReadonlyArray<string>, tty: boolean) => {
  const lines = [...input]
  return Layer.succeed(
    Terminal.Terminal,
    Terminal.Terminal.of({
      columns: Effect.succeed(80),
      rows: Effect.succeed(24),
      isTTY: Effect.succeed(tty),
      // The next line, typed key by key and ended with Enter (as a hidden answer is read).
      readInput: Effect.gen(function* () {
        const keys = yield* Mailbox.make<Terminal.UserInput>()
        const line = lines.shift()
        const key = (name: string) => ({ name, ctrl: false, meta: false, shift: false })
        if (line !== undefined) {
          for (const c of line) yield* keys.offer({ input: Option.some(c), key: key(c) })
          yield* keys.offer({ input: Option.none(), key: key("return") })
        }
        yield* keys.end
        return keys
      }),
      readLine: Effect.suspend(() => {
        const line = lines.shift()
        return line === undefined ? Effect.fail(new Terminal.QuitException()) : Effect.succeed(line)
      }),
      display: (text) => Effect.sync(() => void io.shown.push(text)),
    }),
  )
}

export interface RunOptions {
  readonly input?: ReadonlyArray<string>
  readonly tty?: boolean
  /** Fail the credentials file's update number N (1-based) of this run, as a full disk would. */
  readonly failWrite?: number
  /** Where the output goes, to watch it while the run goes on. */
  readonly io?: Io
  /** The OS secret store (default: an empty in-memory one). */
  readonly keyStore?: Layer.Layer<KeyStore>
}

/** The real credentials file layer, with the updates listed in `failWrite` failing. */
const filesLayer = (files: CredentialsFileLayer.Paths, failWrite: number | undefined) =>
  Layer.effect(
    CredentialsFile,
    Effect.map(CredentialsFileLayer.make(files), (live) => {
      let writes = 0
      return CredentialsFile.of({
        ...live,
        update: (edits, file) =>
          ++writes === failWrite
            ? Effect.fail(
                new FileError({
                  path: files.credentials,
                  action: "write",
                  reason: "no space left on device",
                }),
              )
            : live.update(edits, file),
      })
    }),
  )

/**
 * Runs the real command line against the simulated AWS (provided by the caller) and a real
 * credentials file at `files`, capturing stdout, stderr and prompts.
 */
export const cli = (
  files: CredentialsFileLayer.Paths,
  args: ReadonlyArray<string>,
  options: RunOptions = {},
) => capture(files, main(args, Layer.empty), options)

/** Runs `program` as `cli` runs the command line: same layers, output captured. */
export const capture = <E, R>(
  files: CredentialsFileLayer.Paths,
  program: Effect.Effect<number, E, R>,
  options: RunOptions = {},
) =>
  Effect.gen(function* () {
    const io = options.io ?? newIo()
    const layer = SessionLive.pipe(
      Layer.provideMerge(
        Layer.mergeAll(
          filesLayer(files, options.failWrite),
          JournalLayer.layer(files.credentials),
          scriptedTerminal(io, options.input ?? [], options.tty ?? false),
          ProcessesLive,
          options.keyStore ?? fakeKeyStore().layer,
        ),
      ),
      Layer.provideMerge(Layer.merge(NodeFileSystem.layer, NodePath.layer)),
    )
    const code = yield* program.pipe(Effect.provide(layer), Effect.withConsole(capturingConsole(io)))
    return {
      code,
      stdout: io.stdout.join("\n"),
      stderr: io.stderr.join("\n"),
      shown: io.shown.join(""),
    }
  })

export { SimulatedAws }

/** Runs the command line as `cli` does while moving the TestClock on, so that waits and retries pass in no time. */
export const cliTimed = (
  files: CredentialsFileLayer.Paths,
  args: ReadonlyArray<string>,
  options: RunOptions = {},
) => passingTime(cli(files, args, options))

/** Runs `effect` while moving the TestClock on, so that its waits and retries pass in no time. */
export const passingTime = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(effect)
    for (let i = 0; i < 1000; i++) {
      const done = yield* Fiber.poll(fiber)
      if (Option.isSome(done)) return yield* done.value
      yield* TestClock.adjust(Duration.millis(500))
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 1)))
    }
    return yield* Fiber.join(fiber)
  })
