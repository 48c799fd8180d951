// What proves a process alive on Linux, over node:fs alone: the Platform service's answer there,
// and the launcher's fast path's.
import * as fs from "node:fs"
import type { Proofs } from "./lock.js"

/** Whether a process with this pid runs on this machine (another user's counts). */
export const running = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH"
  }
}

/** A file of Linux's /proc; "" where there is none. */
export const proc = (file: string) => {
  try {
    return fs.readFileSync(file, "utf8").trim()
  } catch {
    return ""
  }
}

/** The fields of /proc/<pid>/stat from the third (the state) on: the command name before them may hold spaces and parentheses. */
const stat = (pid: number): ReadonlyArray<string> => {
  const text = proc(`/proc/${pid}/stat`)
  return text.slice(text.lastIndexOf(")") + 2).split(" ")
}

/** The boot this process runs in, and when a pid started and whether it is a zombie, by /proc. */
export const procLiveness = () =>
  ({
    _tag: "Proc",
    boot: proc("/proc/sys/kernel/random/boot_id"),
    // Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot.
    started: (pid: number) => stat(pid)[19] ?? "",
    zombie: (pid: number) => stat(pid)[0] === "Z",
  }) as const

/** Linux's proofs of a lock holder's life, for the code that locks without the Platform service. */
export const procProofs = (): Proofs => ({ running, liveness: procLiveness() })
