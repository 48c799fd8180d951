import * as fs from "node:fs"
import * as readline from "node:readline"
import { BadArgument } from "@effect/platform/Error"
import * as Terminal from "@effect/platform/Terminal"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import { Platform } from "../services/Platform.js"

/**
 * Node's terminal, changed where a credential tool needs it: interactive means stdin is a
 * terminal; prompts go to the terminal itself, `/dev/tty` or Windows' console (stdout and stderr may be captured, as under
 * `credential_process`); lines are read in cooked mode, so typing echoes and editing works.
 */
export const make = Effect.gen(function* () {
  // Node's terminal takes hold of stdin when made: it is made only when its keypress input or its
  // size is asked for, which most runs never do.
  const base = yield* Effect.cached(Scope.extend(NodeTerminal.make(), yield* Effect.scope))
  const platform = yield* Platform
  const lines: Array<string> = []
  const waiting: Array<(line: string | undefined) => void> = []
  let closed = false
  let reader: readline.Interface | undefined

  const start = () => {
    if (reader !== undefined) return
    reader = readline.createInterface({ input: process.stdin, terminal: false })
    reader.on("line", (line) => {
      const resume = waiting.shift()
      if (resume === undefined) return void lines.push(line)
      resume(line)
      // Between questions stdin is left alone: a command that exec runs reads it next.
      if (waiting.length === 0) reader?.pause()
    })
    reader.on("close", () => {
      closed = true
      for (const resume of waiting.splice(0)) resume(undefined)
    })
  }
  yield* Effect.addFinalizer(() => Effect.sync(() => reader?.close()))

  const readLine = Effect.async<string, Terminal.QuitException>((resume) => {
    start()
    const done = (line: string | undefined) =>
      resume(line === undefined ? Effect.fail(new Terminal.QuitException()) : Effect.succeed(line))
    const queued = lines.shift()
    if (queued !== undefined || closed) return done(queued)
    waiting.push(done)
    reader?.resume()
    return Effect.sync(() => {
      const at = waiting.indexOf(done)
      if (at >= 0) waiting.splice(at, 1)
    })
  })

  let tty: number | undefined
  const output = (): number => {
    if (tty === undefined) {
      try {
        tty = process.stdin.isTTY ? fs.openSync(platform.console, "w") : process.stderr.fd
      } catch {
        tty = process.stderr.fd
      }
    }
    return tty
  }

  const display = (text: string) =>
    Effect.try({
      try: () => void fs.writeSync(output(), text),
      catch: (cause) =>
        new BadArgument({
          module: "Terminal",
          method: "display",
          description: "Could not write to the terminal",
          cause,
        }),
    })

  return Terminal.Terminal.of({
    columns: Effect.flatMap(base, (b) => b.columns),
    rows: Effect.flatMap(base, (b) => b.rows),
    readInput: Effect.flatMap(base, (b) => b.readInput),
    isTTY: Effect.sync(() => process.stdin.isTTY === true),
    readLine,
    display,
  })
})

export const TerminalLive = Layer.scoped(Terminal.Terminal, make)
