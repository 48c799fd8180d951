import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from "node:child_process"
import * as readline from "node:readline"

/**
 * botocore itself, the AWS CLI's reader, as an oracle: one Python process that reads a path per line
 * on stdin and prints, per line, `raw_config_parse(path)` as JSON or the exception it raised, with
 * the line configparser names.
 */
const script = `
import sys, json, configparser, botocore.configloader as loader
for request in sys.stdin:
    path = json.loads(request)
    try:
        answer = {"ok": loader.raw_config_parse(path)}
    except Exception as e:
        error = getattr(e, "kwargs", {}).get("error", e)
        if type(error) is configparser.ParsingError:
            line = error.errors[0][0]
        else:
            line = getattr(error, "lineno", None)
        answer = {"error": type(error).__name__, "line": line}
    print(json.dumps(answer), flush=True)
`

/** Outside CI a machine without botocore skips these suites; under CI that is a failure. */
export const available = (() => {
  const probe = spawnSync("python3", ["-c", "import botocore.configloader"], { encoding: "utf8" })
  if (probe.status === 0) return true
  const message = `python3 with botocore not found (${probe.error?.message ?? probe.stderr.trim()}): install awscli to run the botocore comparison`
  if (process.env.CI) throw new Error(message)
  console.warn(`Skipping the botocore comparison: ${message}`)
  return false
})()

export type Reading =
  | { readonly ok: Record<string, Record<string, string | Record<string, string>>> }
  | { readonly error: string; readonly line: number | null }

export interface Botocore {
  readonly read: (path: string) => Promise<Reading>
  readonly stop: () => void
}

export const startBotocore = (): Botocore => {
  const child: ChildProcessWithoutNullStreams = spawn("python3", ["-c", script], { stdio: "pipe" })
  const waiting: Array<(answer: Reading) => void> = []
  readline.createInterface({ input: child.stdout }).on("line", (line) => waiting.shift()?.(JSON.parse(line)))
  return {
    read: (path) =>
      new Promise((resolve) => {
        waiting.push(resolve)
        child.stdin.write(`${JSON.stringify(path)}\n`)
      }),
    stop: () => {
      child.stdin.end()
      child.kill()
    },
  }
}
