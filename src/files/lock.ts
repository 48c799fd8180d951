// The lock file protocol over node:fs alone: one try at a lock, and its release. src/layers/Lock.ts
// waits and tries again with it for the full program; the launcher's fast path can take a lock
// with the same code, without the Effect runtime.
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { readRegularFile } from "./regular.js"

/** Who holds a lock, as its file says. */
export interface Holder {
  readonly pid: number
  readonly host: string
  readonly since: Date
}

export interface Owner extends Holder {
  /** The kernel's boot id: a pid from an earlier boot names no live process. */
  readonly boot: string
  /** The process's start time, so that a reused pid is not taken for the holder. */
  readonly started: string
  /** Names this one holding of the lock. */
  readonly nonce: string
  /** It keeps its proof file open (see `alive`). */
  readonly proof?: boolean
}

/** Linux's proofs that a pid names a holder still alive, from /proc. */
export interface ProcProofs {
  readonly _tag: "Proc"
  /** The boot this process runs in. */
  readonly boot: string
  /** When `pid` started; "" when unknown. */
  readonly started: (pid: number) => string
  /** Killed but not yet reaped by its parent: gone, though its pid answers. */
  readonly zombie: (pid: number) => boolean
}

/** What tells a live holder from a dead one on this OS (the Platform service's `running` and `liveness`). */
export interface Proofs {
  readonly running: (pid: number) => boolean
  readonly liveness:
    | ProcProofs
    | {
        readonly _tag: "HeldFile"
        /** Whether a live process holds `file` open; false when it is missing. */
        readonly held: (file: string) => Promise<boolean>
      }
}

/** A lock from another host cannot be checked; past this age its holder is taken to be gone. */
const foreignLockMillis = 60 * 60 * 1000

const bootOf = (proofs: Proofs) => (proofs.liveness._tag === "Proc" ? proofs.liveness.boot : "")

/** A new holding of a lock by this process. */
export const me = (proofs: Proofs): Owner => ({
  pid: process.pid,
  host: os.hostname(),
  since: new Date(),
  boot: bootOf(proofs),
  started: proofs.liveness._tag === "Proc" ? proofs.liveness.started(process.pid) : "",
  nonce: crypto.randomBytes(12).toString("hex"),
})

/** The file a holding's process keeps open where the OS has no /proc to prove it alive. */
export const proofOf = (file: string, nonce: string) => `${file}.alive-${nonce}`

/** The holder a lock file names; an earlier version of the tool wrote only its pid. */
const decode = (proofs: Proofs, text: string): Owner | undefined => {
  if (/^\d+$/.test(text.trim())) {
    const pid = Number(text.trim())
    return {
      pid,
      host: os.hostname(),
      since: new Date(0),
      boot: bootOf(proofs),
      started: "",
      nonce: `pid-${pid}`,
    }
  }
  try {
    const o = JSON.parse(text) as Partial<Record<keyof Owner, unknown>>
    return typeof o.pid === "number" &&
      typeof o.host === "string" &&
      typeof o.since === "string" &&
      typeof o.boot === "string" &&
      typeof o.started === "string" &&
      typeof o.nonce === "string"
      ? {
          pid: o.pid,
          host: o.host,
          since: new Date(o.since),
          boot: o.boot,
          started: o.started,
          nonce: o.nonce,
          ...(o.proof === true ? { proof: true } : {}),
        }
      : undefined
  } catch {
    return undefined
  }
}

/**
 * Whether the holding `owner` of `lock` (or of a takeover marker of it) may still be live. Its pid alone proves nothing: the OS
 * gives it to another process once the holder ends. On Linux the process's start time (and the
 * boot) tell the holder from a later process with its pid; elsewhere the file the holder keeps open.
 */
const alive = async (proofs: Proofs, lock: string, owner: Owner): Promise<boolean> => {
  if (owner.host !== os.hostname()) return Date.now() - owner.since.getTime() < foreignLockMillis
  if (!proofs.running(owner.pid)) return false
  const liveness = proofs.liveness
  if (liveness._tag === "HeldFile") return owner.proof ? liveness.held(proofOf(lock, owner.nonce)) : true
  if (owner.boot !== liveness.boot || liveness.zombie(owner.pid)) return false
  const started = liveness.started(owner.pid)
  return owner.started === "" || started === "" || started === owner.started
}

/** The holder `file` names; undefined when it is gone or names none. Never waits on what the path is (a named pipe). */
const holderOf = async (proofs: Proofs, file: string) => {
  const text = await readRegularFile(file)
  return text === undefined ? undefined : decode(proofs, text)
}

const ignore = (done: Promise<unknown>) =>
  done.then(
    () => undefined,
    () => undefined,
  )

/** A failure at a lock's takeover marker, not at the lock itself: `path` is the marker's. */
export class AtMarker extends Error {
  constructor(
    readonly path: string,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause))
  }
}

export type Attempt =
  | { readonly _tag: "Taken"; readonly nonce: string }
  | { readonly _tag: "Busy"; readonly holder: Owner | undefined }

/**
 * One try at `file`. The lock file appears whole (written aside, then hard-linked into place, which
 * fails when it exists). A dead holder's lock is replaced in place by whoever first creates the
 * takeover marker named after that holding (itself a lock, so a taker that dies is taken over too),
 * and only after re-reading that the file still names that holding: no process ever removes a lock
 * it has not proved dead, and two takers cannot both win. Fails with the system's error, or
 * NotRegularFile when the path is not a file; AtMarker around either when it is the marker's.
 */
export const attempt = async (
  proofs: Proofs,
  file: string,
  holding: Owner,
  /** The lock a takeover marker serves: a holding's proof file is named after it (see `acquire`). */
  lock = file,
): Promise<Attempt> => {
  const owner = { ...holding, since: new Date() }
  const aside = `${file}.${owner.nonce}`
  const undo: Array<() => Promise<void>> = [() => ignore(fs.promises.rm(aside))]
  try {
    await fs.promises.writeFile(aside, JSON.stringify(owner), { flag: "wx", mode: 0o600 })
    const linked = await fs.promises.link(aside, file).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === "EEXIST") return false
        throw error
      },
    )
    if (linked) return { _tag: "Taken", nonce: owner.nonce }
    const current = await holderOf(proofs, file)
    if (current === undefined || (await alive(proofs, lock, current)))
      return { _tag: "Busy", holder: current }
    const marker = `${file}.takeover-${current.nonce}`
    const taking = await attempt(proofs, marker, holding, lock).catch((error: unknown) => {
      throw error instanceof AtMarker ? error : new AtMarker(marker, error)
    })
    if (taking._tag === "Busy") return { _tag: "Busy", holder: current }
    undo.push(() => release(proofs, marker, taking.nonce))
    const still = await holderOf(proofs, file)
    if (still?.nonce !== current.nonce) return { _tag: "Busy", holder: still }
    await fs.promises.rename(aside, file)
    if (current.proof) await ignore(fs.promises.rm(proofOf(lock, current.nonce)))
    return { _tag: "Taken", nonce: owner.nonce }
  } finally {
    for (const step of undo.reverse()) await step()
  }
}

/** Removes `file` only while it still names this holding; never fails. */
export const release = (proofs: Proofs, file: string, nonce: string): Promise<void> =>
  ignore(
    holderOf(proofs, file).then((holder) => (holder?.nonce === nonce ? fs.promises.rm(file) : undefined)),
  )

/** An empty file left beside a lock this long ago is a killed holding's, never one being written. */
const unnamedMillis = 10 * 60 * 1000

/** Whether `name` beside `lock` is what a holding leaves while it tries: the lock written aside, or a takeover marker (and what is written aside for it). */
const leftByHolding = (lock: string, name: string) => {
  const base = `${path.basename(lock)}.`
  return (
    name.startsWith(base) &&
    (name.startsWith(`${base}takeover-`) || /^[0-9a-f]{24}$/.test(name.slice(base.length)))
  )
}

/**
 * Removes what holdings of `lock` that died (killed, or stopped while a call hung) left beside it:
 * the lock written aside, takeover markers. Each names its holder, and only one that names a dead
 * holder goes. Never fails; never waits on what a path is (a named pipe).
 */
export const sweep = async (proofs: Proofs, lock: string): Promise<void> => {
  const dir = path.dirname(lock)
  const names = await fs.promises.readdir(dir).catch((): Array<string> => [])
  for (const name of names) {
    if (!leftByHolding(lock, name)) continue
    const left = path.join(dir, name)
    const holder = await holderOf(proofs, left).catch(() => undefined)
    const dead =
      holder === undefined
        ? // Named by none: one killed before it wrote its holding in; a live one writes it at once.
          await fs.promises.lstat(left).then(
            (info) => info.isFile() && info.size === 0 && Date.now() - info.mtimeMs > unnamedMillis,
            () => false,
          )
        : !(await alive(proofs, lock, holder).catch(() => true))
    if (dead) await ignore(fs.promises.rm(left))
  }
}

/** Who holds the lock, in a sentence. */
export const describe = (holder: Holder | undefined) =>
  holder === undefined
    ? "another process holds it"
    : `process ${holder.pid} on ${holder.host} holds it since ${holder.since.toISOString()}`
