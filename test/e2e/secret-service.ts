import { type ChildProcess, execFile, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { promisify } from "node:util"
import { available, which } from "./moto.js"

/**
 * A private D-Bus session bus for the built CLI, with or without gnome-keyring's Secret Service, in
 * fresh XDG directories and HOME: what a Linux desktop, a headless box or a broken session gives.
 */

const run = promisify(execFile)

export const secretServiceAvailable =
  available &&
  which("gnome-keyring-daemon") &&
  which("dbus-run-session") &&
  which("secret-tool") &&
  which("dbus-send")

/** The password of the login keyring the tests create. */
export const keyringPassword = "pw"

/**
 * A session bus that starts nothing by itself (no service directories): a secrets service is on it
 * only if the test put it there, and a locked keyring cannot summon a prompt.
 */
const bareBus = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

const waitForSecrets = `until dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q true; do sleep 0.1; done`

export interface SecretService {
  /** DBUS_SESSION_BUS_ADDRESS and the XDG directories every command of the test runs with. */
  readonly env: Record<string, string>
  /** The process id of the service that owns org.freedesktop.secrets on the bus. */
  readonly daemon: () => Promise<number>
  /** Locks the login keyring, as a screen lock or `secret-tool lock` does. */
  readonly lock: () => Promise<void>
  /** Unlocks it the way the tool's sentence says: gnome-keyring-daemon --replace --unlock. */
  readonly unlock: () => Promise<void>
  /** The secret `secret-tool lookup service aws-iam-login username <keyId>` finds, if any. */
  readonly lookup: (keyId: string) => Promise<string | undefined>
  readonly stop: () => void
}

/** A keyring prompter that is started and never shows: a prompt nobody answers. */
const hangingPrompter = "[D-BUS Service]\nName=org.gnome.keyring.SystemPrompter\nExec=/bin/sleep 60\n"

export const startSecretService = async (
  options: { readonly service?: boolean; readonly hangingPrompter?: boolean } = {},
): Promise<SecretService> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-keyring-"))
  const dirs = {
    XDG_RUNTIME_DIR: path.join(dir, "run"),
    XDG_DATA_HOME: path.join(dir, "data"),
    HOME: path.join(dir, "home"),
  }
  for (const each of Object.values(dirs)) fs.mkdirSync(each, { mode: 0o700 })
  const config = path.join(dir, "bus.conf")
  const services = path.join(dir, "services")
  fs.mkdirSync(services)
  fs.writeFileSync(path.join(services, "org.gnome.keyring.SystemPrompter.service"), hangingPrompter)
  fs.writeFileSync(
    config,
    options.hangingPrompter === true
      ? bareBus.replace("</busconfig>", `  <servicedir>${services}</servicedir>\n</busconfig>`)
      : bareBus,
  )
  const start =
    options.service !== false
      ? `printf %s ${keyringPassword} | gnome-keyring-daemon --unlock --components=secrets >/dev/null; ${waitForSecrets}; `
      : ""
  const child: ChildProcess = spawn(
    "dbus-run-session",
    [`--config-file=${config}`, "--", "sh", "-c", `${start}echo "$DBUS_SESSION_BUS_ADDRESS"; exec sleep 600`],
    { env: { PATH: process.env.PATH ?? "", ...dirs }, stdio: ["ignore", "pipe", "ignore"], detached: true },
  )
  const address = await new Promise<string>((resolve, reject) => {
    child.stdout?.once("data", (chunk: Buffer) => resolve(chunk.toString("utf8").trim()))
    child.once("exit", () => reject(new Error("dbus-run-session ended")))
  })
  const env = {
    DBUS_SESSION_BUS_ADDRESS: address,
    XDG_RUNTIME_DIR: dirs.XDG_RUNTIME_DIR,
    XDG_DATA_HOME: dirs.XDG_DATA_HOME,
  }
  const shellEnv = { PATH: process.env.PATH ?? "", HOME: dirs.HOME, ...env }
  const call = (args: ReadonlyArray<string>) =>
    run("dbus-send", ["--session", "--print-reply", ...args], { env: shellEnv, timeout: 30_000 })
  return {
    env,
    daemon: async () => {
      const { stdout } = await call([
        "--dest=org.freedesktop.DBus",
        "/",
        "org.freedesktop.DBus.GetConnectionUnixProcessID",
        "string:org.freedesktop.secrets",
      ])
      return Number(/uint32 (\d+)/.exec(stdout)?.[1])
    },
    lock: async () => {
      await call([
        "--dest=org.freedesktop.secrets",
        "/org/freedesktop/secrets",
        "org.freedesktop.Secret.Service.Lock",
        "array:objpath:/org/freedesktop/secrets/collection/login",
      ])
    },
    unlock: async () => {
      const unlock = run(
        "sh",
        ["-c", `gnome-keyring-daemon --replace --unlock >/dev/null 2>&1; ${waitForSecrets}`],
        {
          env: shellEnv,
          timeout: 30_000,
        },
      )
      unlock.child.stdin?.end(keyringPassword)
      await unlock
    },
    lookup: (keyId) =>
      run("secret-tool", ["lookup", "service", "aws-iam-login", "username", keyId], {
        env: shellEnv,
        timeout: 30_000,
      }).then(
        (r) => r.stdout,
        () => undefined,
      ),
    stop: () => child.pid !== undefined && process.kill(-child.pid, "SIGKILL"),
  }
}
