import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { bin } from "./moto.js"

/**
 * A person at a terminal: a shell in tmux, keys typed into it, the screen read back. A directory
 * on PATH holds `aws-iam-login`, the built CLI, as an installed package would.
 */

export const have = (command: string) =>
  (process.env.PATH ?? "").split(path.delimiter).some((dir) => fs.existsSync(path.join(dir, command)))

/** Under CI a missing tool fails the suite; elsewhere the suite is skipped with a message. */
export const requireTools = (tools: ReadonlyArray<string>, install: string) => {
  const missing = tools.filter((t) => !have(t))
  if (missing.length === 0) return true
  const message = `${missing.join(", ")} not found: ${install}`
  if (process.env.CI) throw new Error(message)
  console.warn(`Skipping: ${message}`)
  return false
}

export const installedBin = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-bin-"))
  const wrapper = path.join(dir, "aws-iam-login")
  fs.writeFileSync(wrapper, `#!/bin/sh\nexec "${process.execPath}" "${bin}" "$@"\n`, { mode: 0o755 })
  return dir
}

export class Tmux {
  private readonly socket = `aws-iam-login-test-${process.pid}-${Math.random().toString(36).slice(2)}`

  constructor(command: ReadonlyArray<string>, env: Record<string, string>, cwd: string) {
    const vars = Object.entries(env).map(([k, v]) => `${k}=${v}`)
    this.tmux([
      "new-session",
      "-d",
      "-s",
      "t",
      "-x",
      "160",
      "-y",
      "40",
      "-c",
      cwd,
      "env",
      "-i",
      ...vars,
      ...command,
    ])
  }

  private tmux(args: ReadonlyArray<string>) {
    return execFileSync("tmux", ["-L", this.socket, "-f", "/dev/null", ...args], { encoding: "utf8" })
  }

  type(...keys: ReadonlyArray<string>) {
    this.tmux(["send-keys", "-t", "t", ...keys])
  }

  screen() {
    return this.tmux(["capture-pane", "-p", "-t", "t"])
  }

  /** Waits until the screen matches, and returns it; fails with the screen after `seconds`. */
  async waitFor(pattern: RegExp, seconds = 15): Promise<string> {
    const until = Date.now() + seconds * 1000
    for (;;) {
      const screen = this.screen()
      if (pattern.test(screen)) return screen
      if (Date.now() > until)
        throw new Error(`timed out waiting for ${pattern}; the screen shows:\n${screen}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  stop() {
    try {
      this.tmux(["kill-server"])
    } catch {
      // already gone
    }
  }
}
