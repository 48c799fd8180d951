import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as readline from "node:readline"

/**
 * A file whose every open waits until released, as an on-access scanner or a hung network disk
 * makes it: Linux's fanotify permission events (FAN_OPEN_PERM), which the holder never answers. It
 * needs CAP_SYS_ADMIN: root, or sudo without a password (as on CI runners).
 */
const holder = `
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.fanotify_init(0x4, os.O_RDONLY)  # FAN_CLASS_CONTENT
if fd < 0 or libc.fanotify_mark(fd, 1, ctypes.c_uint64(0x10000), -100, sys.argv[1].encode()) != 0:
    print("unavailable:", os.strerror(ctypes.get_errno()), flush=True)
    sys.exit(1)
print("ready", flush=True)
while len(sys.argv) == 2:
    events = os.read(fd, 4096)
    offset = 0
    while offset < len(events):
        length, _, _, _, _, _, pid = struct.unpack_from("IBBHQii", events, offset)
        print("held", pid, flush=True)
        offset += length
`

const command = (file: string, probe = false) => {
  const python = ["python3", "-c", holder, file, ...(probe ? ["probe"] : [])]
  return process.getuid?.() === 0 ? python : ["sudo", "-n", ...python]
}

/** Whether opens can be held here: Linux, python3, and the right to use fanotify. */
export const canHold = (() => {
  if (process.platform !== "linux") return false
  const [file, ...args] = command("/", true)
  const probe = spawnSync(file ?? "", args, { timeout: 10_000, encoding: "utf8" })
  const ready = probe.stdout?.startsWith("ready") === true
  if (!ready && process.env.CI) throw new Error(`fanotify is not available: ${probe.stdout}${probe.stderr}`)
  return ready
})()

export interface Held {
  /** Resolves when a process opened the file: its open now waits. */
  readonly reached: Promise<void>
  /** Lets every held open, and each later one, go on. */
  readonly release: () => void
}

/** From now until released, every open of `file` waits. */
export const holdOpens = async (file: string): Promise<Held> => {
  const [name, ...args] = command(file)
  const child = spawn(name ?? "", args, { stdio: ["ignore", "pipe", "inherit"] })
  const lines = readline.createInterface({ input: child.stdout })
  let reached = () => {}
  const held = new Promise<void>((resolve) => {
    reached = resolve
  })
  await new Promise<void>((resolve, reject) => {
    lines.on("line", (line) => {
      if (line === "ready") resolve()
      else if (line.startsWith("held")) reached()
      else reject(new Error(line))
    })
    child.once("exit", (code) => reject(new Error(`the holder exited with ${code}`)))
  })
  return { reached: held, release: () => child.kill() }
}

/**
 * Resolves once the main thread of `pid` waits on another thread (Linux's wchan names a futex) in
 * several readings in a row: as process.exit does while it joins a thread whose call is held.
 */
export const waitingOnThreads = async (pid: number) => {
  for (let row = 0; row < 5; ) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    row = fs.readFileSync(`/proc/${pid}/wchan`, "utf8").includes("futex") ? row + 1 : 0
  }
}
