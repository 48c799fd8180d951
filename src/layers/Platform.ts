import type { ChildProcess, SpawnOptions } from "node:child_process"
import * as nodeFs from "node:fs"
import * as nodeOs from "node:os"
import * as path from "node:path"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import { proc, procLiveness as procLivenessOf, running } from "../files/proofs.js"
import { secretStoreOf } from "../schema/SecretStore.js"
import type { Advice, Liveness, PlatformShape, ShellCommand } from "../services/Platform.js"
import { Platform } from "../services/Platform.js"

/** What the OS answers about this process and its user; the live one is Node's `process` and `os`. */
export interface Host {
  readonly env: Readonly<Record<string, string | undefined>>
  /** The home directory from the user database, where HOME is unset. */
  readonly homedir: string
  readonly userName: string
  readonly uid: number | undefined
  /** `os.release()`: WSL's kernels name Microsoft. */
  readonly release: string
}

/** A variable of `env`, looked up as `os` does: Windows ignores the case of names. */
const lookup =
  (os: NodeJS.Platform, env: Host["env"]) =>
  (name: string): string | undefined => {
    if (os !== "win32" || name in env) return env[name]
    const upper = name.toUpperCase()
    const found = Object.keys(env).find((key) => key.toUpperCase() === upper)
    return found === undefined ? undefined : env[found]
  }

/** posixpath.expandvars: `$name` and `${name}`; unknown names stay as written. */
const expandPosixVars = (file: string, env: (name: string) => string | undefined) =>
  file.replace(
    /\$(\w+|\{[^}]*\})/g,
    (text, name: string) => env(name.startsWith("{") ? name.slice(1, -1) : name) ?? text,
  )

const ntVarChars = /[A-Za-z0-9_-]/

/** ntpath.expandvars: `%name%`, `$name`, `${name}`, `%%` and `$$`; nothing inside '…'; unknown names stay as written. */
const expandNtVars = (file: string, env: (name: string) => string | undefined) => {
  let out = ""
  let i = 0
  while (i < file.length) {
    const c = file[i]!
    const closing = (open: number, mark: string) => file.indexOf(mark, open)
    if (c === "'") {
      const end = closing(i + 1, "'")
      out += end < 0 ? file.slice(i) : file.slice(i, end + 1)
      i = end < 0 ? file.length : end + 1
    } else if (c === "%" && file[i + 1] === "%") {
      out += "%"
      i += 2
    } else if (c === "%") {
      const end = closing(i + 1, "%")
      if (end < 0) {
        out += file.slice(i)
        i = file.length
      } else {
        const name = file.slice(i + 1, end)
        out += env(name) ?? `%${name}%`
        i = end + 1
      }
    } else if (c === "$" && file[i + 1] === "$") {
      out += "$"
      i += 2
    } else if (c === "$" && file[i + 1] === "{") {
      const end = closing(i + 2, "}")
      if (end < 0) {
        out += file.slice(i)
        i = file.length
      } else {
        const name = file.slice(i + 2, end)
        out += env(name) ?? `\${${name}}`
        i = end + 1
      }
    } else if (c === "$") {
      let end = i + 1
      while (end < file.length && ntVarChars.test(file[end]!)) end++
      const name = file.slice(i + 1, end)
      out += env(name) ?? `$${name}`
      i = end
    } else {
      out += c
      i++
    }
  }
  return out
}

const anotherUser = (user: string) =>
  Either.left(`~${user} is another user's home, which aws-iam-login does not look up: give the full path`)

/** posixpath.expanduser: HOME, else the user database; trailing slashes of the home dropped. */
const expandPosixUser = (file: string, host: Host, env: (name: string) => string | undefined) => {
  if (!file.startsWith("~")) return Either.right(file)
  const slash = file.indexOf("/", 1)
  const user = file.slice(1, slash < 0 ? undefined : slash)
  if (user !== "" && user !== host.userName) return anotherUser(user)
  const root = (user === "" ? (env("HOME") ?? host.homedir) : host.homedir).replace(/\/+$/, "")
  return Either.right(root + file.slice(slash < 0 ? file.length : slash) || "/")
}

/** ntpath.expanduser: USERPROFILE, else HOMEDRIVE + HOMEPATH, else the path as it is. */
const expandNtUser = (file: string, host: Host, env: (name: string) => string | undefined) => {
  if (!file.startsWith("~")) return Either.right(file)
  let end = 1
  while (end < file.length && file[end] !== "/" && file[end] !== "\\") end++
  const user = file.slice(1, end)
  if (user !== "" && user !== (env("USERNAME") ?? host.userName)) return anotherUser(user)
  const profile = env("USERPROFILE")
  const homePath = env("HOMEPATH")
  if (profile === undefined && homePath === undefined) return Either.right(file)
  const home = profile ?? path.win32.join(env("HOMEDRIVE") ?? "", homePath ?? "")
  return Either.right(home + file.slice(end))
}

const posixAdvice: Advice = {
  denied: (file, dir) =>
    `permission denied (EACCES): check the owner and mode of the file and of its directory (ls -ld ${dir} ${file})`,
  notPermitted: (file, dir) =>
    `the operation is not permitted (EPERM): check the owner, mode and attributes of the file and of its directory (ls -ld ${dir} ${file}; lsattr ${file})`,
  readOnly: (file) => `to let aws-iam-login update it, run \`chmod u+w ${file}\``,
  notYours: (file) => `make it yours with \`sudo chown $(id -un) ${file}\``,
  busy: () => "another process keeps it busy (EBUSY): run the command again once it is done",
}

const darwinAdvice: Advice = {
  ...posixAdvice,
  notPermitted: (file, dir) =>
    `the operation is not permitted (EPERM): check the owner, mode and flags of the file and of its directory (ls -ldO ${dir} ${file}); a locked file is unlocked with \`chflags nouchg ${file}\``,
}

const windowsAdvice: Advice = {
  denied: (file, dir) =>
    `access is denied (EACCES): check that the file is not read-only (\`attrib ${file}\`) and that your account may change it and its folder (\`icacls ${dir}\`)`,
  notPermitted: (file) =>
    `the operation is not permitted (EPERM): another program (an editor, antivirus or the search indexer) may hold it open, or it is read-only (\`attrib ${file}\`): close that program and run the command again`,
  readOnly: (file) => `to let aws-iam-login update it, run \`attrib -R ${file}\``,
  notYours: () => "make it yours in its Properties, Security tab",
  busy: () =>
    "another program (an editor, antivirus or the search indexer) keeps it open: close that program and run the command again",
}

const posixShell = (line: string): ShellCommand => ({
  file: "/bin/sh",
  args: ["-c", line],
  // A group of its own, so that ending it ends what the shell started too.
  options: { detached: true },
})

/** As Node's own `shell: true` runs a line on Windows. */
const windowsShell =
  (env: (name: string) => string | undefined) =>
  (line: string): ShellCommand => ({
    file: env("ComSpec") ?? "cmd.exe",
    args: ["/d", "/s", "/c", `"${line}"`],
    options: { windowsVerbatimArguments: true },
  })

type Spawn = (command: string, args: ReadonlyArray<string>, options: SpawnOptions) => ChildProcess

/** Node's child_process, loaded on first use: most runs start no process. */
export const childProcess = Effect.promise(() => import("node:child_process"))

const nodeSpawn: Effect.Effect<Spawn> = Effect.map(
  childProcess,
  ({ spawn }) =>
    (command, args, options) =>
      spawn(command, [...args], options),
)

/** cross-spawn: PATHEXT lookup, and `.cmd`/`.bat` shims run through cmd.exe with their arguments escaped for it. */
const windowsSpawn: Effect.Effect<Spawn> = Effect.map(
  Effect.promise(() => import("cross-spawn")),
  (crossSpawn) => (command, args, options) => crossSpawn.default(command, [...args], options),
)

const procLiveness: Liveness = procLivenessOf()

const open = (file: string, flags: number) =>
  Effect.tryPromise({
    try: () => nodeFs.promises.open(file, flags, 0o600),
    catch: (e) => e as NodeJS.ErrnoException,
  })

/** `file` opened with `exclusive` and closed at once: fails while another process holds it open; a missing file is free. */
const openedAlone = (exclusive: number) => (file: string) =>
  open(file, nodeFs.constants.O_RDWR | exclusive).pipe(
    Effect.flatMap((handle) => Effect.promise(() => handle.close())),
    Effect.catchIf(
      (e) => e.code === "ENOENT",
      () => Effect.void,
    ),
  )

/**
 * A file held open with an OS lock that ends with the process: share mode 0 on Windows
 * (libuv's UV_FS_O_EXLOCK), flock's O_EXLOCK on macOS and the BSDs (with O_NONBLOCK, so that a held
 * one answers at once). Node names neither constant on these systems, so their values are written here.
 */
const heldFile = (exclusive: number): Liveness => {
  const { O_RDWR, O_CREAT } = nodeFs.constants
  return {
    _tag: "HeldFile",
    hold: (file) =>
      Effect.acquireRelease(open(file, O_RDWR | O_CREAT | exclusive), (handle) =>
        Effect.promise(() => handle.close()),
      ).pipe(Effect.asVoid),
    // Missing: its holder let it go. Anything else (busy, would block, denied): held.
    held: (file) =>
      openedAlone(exclusive)(file).pipe(
        Effect.as(false),
        Effect.orElseSucceed(() => true),
      ),
  }
}

const windowsExclusive = 0x10000000
const bsdExclusive = 0x20 | 0x4

/** The mount table's octal escapes (`\040` for a space) decoded. */
const unescapeMount = (text: string) =>
  text.replace(/\\([0-7]{3})/g, (_, code: string) => String.fromCharCode(Number.parseInt(code, 8)))

/** On WSL: whether the directory `real` (no links in it) is on a Windows drive (drvfs or 9p) mounted without the `metadata` option, by the mount table `table`. */
export const drvfsWithoutMetadata = (table: string, real: string) => {
  const mounts = table
    .split("\n")
    .map((line) => line.split(" "))
    .map(([, point = "", type = "", options = ""]) => ({ point: unescapeMount(point), type, options }))
    .filter(({ point }) => real === point || real.startsWith(point.endsWith("/") ? point : `${point}/`))
    .sort((a, b) => b.point.length - a.point.length)
  const mount = mounts[0]
  return (
    mount !== undefined &&
    (mount.type === "drvfs" || mount.type === "9p") &&
    // WSL 2 lists drvfs's own options after `aname=drvfs;` separated by ";".
    !mount.options.split(/[,;]/).includes("metadata")
  )
}

/** `command` as a shell finds it: a path as given, else each PATH entry with each of `extensions`. */
const findOnPath =
  (windows: boolean, env: (name: string) => string | undefined) =>
  (command: string): string | undefined => {
    const paths = windows ? path.win32 : path.posix
    const extensions = windows ? ["", ...(env("PATHEXT") ?? ".COM;.EXE;.BAT;.CMD").split(";")] : [""]
    const dirs =
      command.includes(paths.sep) || command.includes("/") ? [""] : (env("PATH") ?? "").split(paths.delimiter)
    for (const dir of dirs)
      for (const extension of extensions) {
        const file = dir === "" ? `${command}${extension}` : paths.join(dir, `${command}${extension}`)
        try {
          if (!nodeFs.statSync(file).isFile()) continue
          if (!windows) nodeFs.accessSync(file, nodeFs.constants.X_OK)
          return file
        } catch {}
      }
    return undefined
  }

const realPath = (dir: string) => {
  try {
    return nodeFs.realpathSync(dir)
  } catch {
    return dir
  }
}

/** The platform of `os`, answering from `host` and, for processes and files, from this machine. */
export const make = (os: NodeJS.Platform, host: Host): PlatformShape => {
  const env = lookup(os, host.env)
  const windows = os === "win32"
  const wsl = os === "linux" && (/microsoft/i.test(host.release) || env("WSL_DISTRO_NAME") !== undefined)
  const killGroup = (pid: number) =>
    Effect.try(() => process.kill(-pid, "SIGKILL")).pipe(
      Effect.orElse(() => Effect.try(() => process.kill(pid, "SIGKILL"))),
      Effect.ignore,
    )
  const taskkill = (pid: number) =>
    Effect.flatMap(childProcess, ({ spawn }) =>
      Effect.async<void>((resume) => {
        // By its full path: Windows looks for a bare name in the current directory first.
        const taskkillExe = path.win32.join(env("SystemRoot") ?? "C:\\Windows", "System32", "taskkill.exe")
        const child = spawn(taskkillExe, ["/pid", String(pid), "/T", "/F"], { stdio: "ignore" })
        child.once("error", () => resume(Effect.void))
        child.once("close", () => resume(Effect.void))
      }),
    ).pipe(Effect.timeout("5 seconds"), Effect.ignore)
  const killTree = windows ? taskkill : killGroup
  return {
    os,
    wsl,
    uid: windows ? undefined : host.uid,
    userName: host.userName,
    path: windows ? path.win32 : path.posix,
    env,
    expandPath: (file) =>
      windows
        ? expandNtUser(expandNtVars(file, env), host, env)
        : expandPosixUser(expandPosixVars(file, env), host, env),
    console: windows ? "CONOUT$" : "/dev/tty",
    userShell: () => (windows ? env("ComSpec") || "cmd.exe" : env("SHELL")) || "/bin/sh",
    shell: windows ? windowsShell(env) : posixShell,
    ownGroup: windows ? {} : { detached: true },
    spawner: windows ? windowsSpawn : nodeSpawn,
    findCommand: findOnPath(windows, env),
    passOn: (child, signal) =>
      windows
        ? signal === "SIGINT" || child.pid === undefined
          ? Effect.void
          : killTree(child.pid)
        : Effect.sync(() => void child.kill(signal)),
    killTree,
    running,
    liveness: windows
      ? heldFile(windowsExclusive)
      : os === "linux" || os === "android"
        ? procLiveness
        : os === "darwin" || os === "freebsd" || os === "openbsd"
          ? heldFile(bsdExclusive)
          : procLiveness,
    modesIgnored: (dir) => wsl && drvfsWithoutMetadata(proc("/proc/self/mounts"), realPath(dir)),
    unheld: windows ? openedAlone(windowsExclusive) : () => Effect.void,
    busyCodes: windows ? ["EPERM", "EBUSY", "EACCES"] : [],
    advice: windows ? windowsAdvice : os === "darwin" ? darwinAdvice : posixAdvice,
    secretStore: secretStoreOf(os),
  }
}

/** The user database's name for this user; "" where it has none for the uid (some containers). */
const userName = () => {
  try {
    return nodeOs.userInfo().username
  } catch {
    return ""
  }
}

/** This process's platform. */
export const nodePlatform = (): PlatformShape =>
  make(process.platform, {
    env: process.env,
    homedir: nodeOs.homedir(),
    userName: userName(),
    uid: process.getuid?.(),
    release: nodeOs.release(),
  })

/** The live layer; also the Platform's default, so that what runs without one gets this machine's. */
export const PlatformLive = Layer.suspend(() => Layer.sync(Platform, nodePlatform))
