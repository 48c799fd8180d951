// The installed command (built as CommonJS, which starts faster than an ES module). The fast path
// (src/fast.ts) answers the most frequent plain runs without loading the full program, and with
// nothing but the file system (no streams, no crypto): AWS_IAM_LOGIN_NO_FAST=1 turns it off. Any
// other run loads src/codeCache.ts, which runs the full program from a V8 code cache.
import * as fs from "node:fs"
import * as path from "node:path"
import { fastAnswer, type Texts } from "./fast.js"
import type * as FastCalls from "./fastCalls.js"
import type { Handover } from "./handover.js"
import type * as IamSdk from "./layers/sdk/iam.js"
import type * as StsSdk from "./layers/sdk/sts.js"

const texts = (): Texts | undefined => {
  try {
    return JSON.parse(fs.readFileSync(path.join(__dirname, "texts.json"), "utf8")) as Texts
  } catch {
    return undefined
  }
}

/** Whether stdout may be a terminal: anything but a pipe, a socket or a file may be one. */
const stdoutMayBeTerminal = () => {
  try {
    const info = fs.fstatSync(1)
    return !(info.isFIFO() || info.isSocket() || info.isFile())
  } catch {
    return true
  }
}

/** Written to fd 1 directly: process.stdout would first load Node's stream and socket modules. */
const write = (text: string) => {
  const bytes = Buffer.from(text)
  let written = 0
  try {
    while (written < bytes.length) written += fs.writeSync(1, bytes, written)
  } catch (error) {
    // Output no one can take (a closed pipe, a full disk) is dropped, as the full program drops it.
    if ((error as NodeJS.ErrnoException).code !== "EAGAIN") return
    // a pipe that would block: the stream waits for it
    process.stdout.on("error", () => undefined).write(bytes.subarray(written))
  }
}

/**
 * Where the run is, for a signal: loading the full program (nothing changed yet); the fast path's
 * `status` waiting for IAM or its login at work (or handing its call over), stopping after a signal,
 * or done and writing the code cache, each ended as the full program's is.
 */
let phase: "loading" | "calling" | "stopping" | "done" = "loading"

/** What the fast login must undo and say at a signal (src/fastLogin.ts). */
let stopFast: (() => Promise<string>) | undefined

// Until the program's own handlers are in place (src/bin.ts), a signal ends the run here; once they
// are, this one leaves the signal to them.
const onSignal = (signal: "SIGHUP" | "SIGINT" | "SIGTERM") => {
  if (process.listenerCount(signal) > 1) return
  if (phase === "done") process.exit(0)
  // A second signal: the first one's stop ends the run, with its code, in bounded time.
  if (phase === "stopping") return
  // Loaded here, not at the top: node:tty brings Node's streams and sockets, which the fast path
  // does without.
  const { isatty } = require("node:tty") as typeof import("node:tty")
  const { constants } = require("node:os") as typeof import("node:os")
  const echoed = signal === "SIGINT" && isatty(2) ? "\n" : ""
  const name = signal === "SIGINT" ? "Ctrl-C" : signal
  const code = 128 + constants.signals[signal]
  if (phase === "loading") {
    fs.writeSync(2, `${echoed}aws-iam-login: interrupted by ${name} before anything was changed.\n`)
    process.exit(code)
  }
  if (signal === "SIGINT") fs.writeSync(2, `${echoed}aws-iam-login: interrupted by Ctrl-C.\n`)
  const stop = stopFast ?? (async () => "")
  phase = "stopping"
  // In bounded time, whatever the file system does.
  const bounded = new Promise<string>((resolve) => setTimeout(() => resolve(""), 2000))
  void Promise.race([stop(), bounded]).then((said) => {
    if (said !== "") fs.writeSync(2, said)
    process.exit(code)
  })
}

const full = (handover: Handover = {}) => {
  // A fast login's call in flight: a signal before the full program's handlers are in place still stops it.
  phase = handover.call === undefined ? "loading" : "calling"
  void import("./codeCache.js").then((program) => program.start(handover))
}

/** The fast path's answer, printed; then the SDK bundle's code cache, as the full program writes it once done. */
const done = (answer: string) => {
  write(answer)
  phase = "done"
  void import("./codeCache.js").then((cache) => cache.saveEntries())
}

/** One of the tool's bundles, loaded as the full program loads them (from the code cache). */
const bundle = <A>(name: string) => import("./codeCache.js").then((cache) => cache.loadBundle(name) as A)

const fast = process.env.AWS_IAM_LOGIN_NO_FAST
  ? undefined
  : fastAnswer({
      args: process.argv.slice(2),
      env: process.env,
      stdoutMayBeTerminal,
      texts,
      now: Date.now(),
      loadIam: () => bundle<typeof IamSdk>("sdk/iam.cjs"),
      loadSts: () => bundle<typeof StsSdk>("sdk/sts.cjs"),
      loadCalls: () => bundle<typeof FastCalls>("fast.cjs"),
      whenStopped: (stop) => {
        stopFast = stop
      },
    })
if (typeof fast === "string") write(fast)
else {
  for (const signal of ["SIGHUP", "SIGINT", "SIGTERM"] as const) process.on(signal, onSignal)
  if (fast === undefined) full()
  else {
    phase = "calling"
    // After a signal the run ends here, whatever the fast path then answers.
    void fast.then(
      (answer) => {
        if (phase !== "calling") return
        if (typeof answer === "string") done(answer)
        else full(answer)
      },
      // A fast path that fails holds nothing and has sent nothing: the full program answers.
      () => {
        if (phase === "calling") full()
      },
    )
  }
}
