// The installed command (built as CommonJS, which starts faster than an ES module). The fast path
// (src/fast.ts) answers the most frequent plain runs without loading the full program, and with
// nothing but the file system (no streams, no crypto): AWS_IAM_LOGIN_NO_FAST=1 turns it off. Any
// other run loads src/codeCache.ts, which runs the full program from a V8 code cache.
import * as fs from "node:fs"
import * as path from "node:path"
import { fastAnswer, type Texts } from "./fast.js"

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
  } catch {
    // a pipe that would block (EAGAIN): the stream waits for it
    process.stdout.write(bytes.subarray(written))
  }
}

const fast = process.env.AWS_IAM_LOGIN_NO_FAST
  ? undefined
  : fastAnswer({
      args: process.argv.slice(2),
      env: process.env,
      stdoutMayBeTerminal,
      texts,
      now: Date.now(),
    })
if (fast !== undefined) write(fast)
else void import("./codeCache.js").then((program) => program.start())
