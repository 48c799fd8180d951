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

/**
 * botocore choosing where each call goes: per request (the environment, the profile, the region), a
 * fresh session creates the STS and IAM clients and sends one call each, stopped before it leaves;
 * the answer is where urllib3 would connect and the client's retry configuration, or the exception
 * that stops botocore or urllib3 (which opens nothing but http and https) first.
 */
const settingsScript = `
import sys, json, os, botocore.session, urllib3.util, urllib3.exceptions
class Stop(Exception): pass
base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
for request in sys.stdin:
    req = json.loads(request)
    os.environ.clear(); os.environ.update(base); os.environ.update(req["env"])
    answer = {}
    for service in ["sts", "iam"]:
        try:
            client = botocore.session.Session(profile=req["profile"]).create_client(
                service, region_name=req["region"],
                aws_access_key_id="AKIAEXAMPLE000000000", aws_secret_access_key="secret")
            urls = []
            def stop(request, **kwargs):
                urls.append(request.url)
                raise Stop()
            client.meta.events.register("before-send", stop)
            try:
                client.get_caller_identity() if service == "sts" else client.list_mfa_devices()
            except Stop:
                pass
            url = urllib3.util.parse_url(urls[0])
            if url.scheme not in ("http", "https"):
                raise urllib3.exceptions.URLSchemeUnknown(url.scheme)
            port = int(url.port or (443 if url.scheme == "https" else 80))
            answer[service] = {"origin": f"{url.scheme}://{url.host}:{port}", "retries": client.meta.config.retries}
        except Exception as e:
            answer[service] = {"error": type(e).__name__}
    print(json.dumps(answer), flush=True)
`

export type Destination =
  | {
      readonly origin: string
      readonly retries: { readonly mode: string; readonly total_max_attempts?: number }
    }
  | { readonly error: string }

export interface SettingsOracle {
  readonly resolve: (request: {
    readonly env: Readonly<Record<string, string>>
    readonly profile: string
    readonly region: string
  }) => Promise<{ readonly sts: Destination; readonly iam: Destination }>
  readonly stop: () => void
}

export const startSettingsOracle = (): SettingsOracle => {
  const child: ChildProcessWithoutNullStreams = spawn("python3", ["-c", settingsScript], { stdio: "pipe" })
  const waiting: Array<(answer: { sts: Destination; iam: Destination }) => void> = []
  readline.createInterface({ input: child.stdout }).on("line", (line) => waiting.shift()?.(JSON.parse(line)))
  return {
    resolve: (request) =>
      new Promise((resolve) => {
        waiting.push(resolve)
        child.stdin.write(`${JSON.stringify(request)}\n`)
      }),
    stop: () => {
      child.stdin.end()
      child.kill()
    },
  }
}
