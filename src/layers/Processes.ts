import type { ChildProcess } from "node:child_process"
import * as os from "node:os"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Platform, type PlatformShape } from "../services/Platform.js"
import { CommandFailed, Processes } from "../services/Processes.js"

const forwarded = ["SIGINT", "SIGTERM", "SIGHUP"] as const

/** Resumes once with the child's end: its exit status (128 + signal) or why it could not run. */
const ended = (
  command: string,
  child: ChildProcess,
  resume: (status: Effect.Effect<number, CommandFailed>) => void,
) => {
  let done = false
  child.once("error", (error: NodeJS.ErrnoException) => {
    if (done) return
    done = true
    const reason = error.code === "ENOENT" ? "no such command on PATH" : error.message
    resume(Effect.fail(new CommandFailed({ command, reason })))
  })
  child.once("close", (code, signal) => {
    if (done) return
    done = true
    resume(Effect.succeed(code ?? 128 + (signal === null ? 0 : os.constants.signals[signal])))
  })
}

const run =
  (platform: PlatformShape) =>
  (command: string, args: ReadonlyArray<string>, env: Readonly<Record<string, string | undefined>>) =>
    Effect.flatMap(platform.spawner, (spawn) =>
      Effect.async<number, CommandFailed>((resume) => {
        const environment = { ...process.env, ...env }
        for (const [name, value] of Object.entries(env)) if (value === undefined) delete environment[name]
        const child = spawn(command, args, { stdio: "inherit", env: environment })
        // While the command runs these signals are its own: passed on to it, and not acted on here
        // (the runtime would otherwise end this process first and lose the command's exit status).
        const saved = forwarded.map((signal) => [signal, process.listeners(signal)] as const)
        const forward = (signal: NodeJS.Signals) => Effect.runFork(platform.passOn(child, signal))
        for (const [signal] of saved) {
          process.removeAllListeners(signal)
          process.on(signal, forward)
        }
        const restore = () => {
          for (const [signal, listeners] of saved) {
            process.removeListener(signal, forward)
            for (const listener of listeners) process.on(signal, listener)
          }
        }
        ended(command, child, (status) => {
          restore()
          resume(status)
        })
        return Effect.suspend(() => {
          restore()
          return platform.passOn(child, "SIGTERM")
        })
      }),
    )

const output = (platform: PlatformShape) => (line: string) =>
  Effect.flatMap(platform.spawner, (spawn) =>
    Effect.async<string, CommandFailed>((resume) => {
      const shell = platform.shell(line)
      const child = spawn(shell.file, shell.args, { ...shell.options, stdio: ["ignore", "pipe", "inherit"] })
      const chunks: Array<Buffer> = []
      child.stdout?.on("data", (chunk: Buffer) => chunks.push(chunk))
      ended(line, child, (status) =>
        resume(
          Effect.flatMap(status, (code) =>
            code === 0
              ? Effect.succeed(Buffer.concat(chunks).toString("utf8"))
              : Effect.fail(new CommandFailed({ command: line, reason: `it exited with status ${code}` })),
          ),
        ),
      )
      return child.pid === undefined ? Effect.void : platform.killTree(child.pid)
    }),
  )

export const ProcessesLive = Layer.effect(
  Processes,
  Effect.map(Platform, (platform) => Processes.of({ run: run(platform), output: output(platform) })),
)
