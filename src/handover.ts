// What the launcher's fast login (src/fastLogin.ts) hands the full program when it stops short of
// the end: the profile's login lock, which it holds, and the GetSessionToken call it made. The full
// program takes both over where it would lock and call (src/layers/Lock.ts, src/layers/Aws.ts)
// instead of locking again or spending the MFA code a second time, and finishes the run as usual.
import type { GetSessionTokenCommandOutput } from "@aws-sdk/client-sts"
import * as LockFile from "./files/lock.js"
import { procLiveness, running } from "./files/proofs.js"
import type { Observed } from "./layers/sdk/observe.js"

export interface HeldLock {
  readonly file: string
  readonly nonce: string
}

/** What GetSessionToken was sent, and who signed it for which region. */
export interface CallKey {
  readonly accessKeyId: string
  readonly region: string
  readonly serialNumber: string
  readonly code: string
  readonly durationSeconds: number
}

export interface MadeCall {
  readonly key: CallKey
  /** When it was sent (Date.now()): its deadline and the moment a person is told it waits run from there. */
  readonly startedAt: number
  /** What the SDK did for it so far (where it sent the request; the answer's status). */
  readonly seen: Observed
  /** The SDK's answer or error, settled or still on its way. */
  readonly answer: Promise<GetSessionTokenCommandOutput>
  /** When the answer or error came (Date.now()); undefined while it is on its way. */
  readonly settledAt: () => number | undefined
  readonly abort: () => void
}

export interface Handover {
  readonly lock?: HeldLock
  readonly call?: MadeCall
}

let handed: Handover = {}

/** Called once, before the full program runs. */
export const handOver = (handover: Handover) => {
  handed = handover
}

/** The lock's holding, when the launcher holds `file`: taken over once. */
export const takeLock = (file: string): string | undefined => {
  const lock = handed.lock
  if (lock?.file !== file) return undefined
  const { lock: _, ...rest } = handed
  handed = rest
  return lock.nonce
}

/**
 * The call already made with this MFA code, when there is one: taken over once. What the files say
 * now may differ from what the launcher read (a hand edit while it waited): the full program's own
 * call keeps what it read when it sent it too, and a code is sent once.
 */
export const takeCall = (code: string): MadeCall | undefined => {
  const call = handed.call
  if (call?.key.code !== code) return undefined
  const { call: _, ...rest } = handed
  handed = rest
  return call
}

/** What the run did not take over. */
export const untaken = (): Handover => handed

/**
 * The launcher's lock, when the run ended before it took it over (a signal while it started): let go
 * of, as the launcher would have. Only Linux's launcher hands a lock over.
 */
export const releaseUntaken = async (): Promise<void> => {
  const lock = handed.lock
  if (lock === undefined) return
  const { lock: _, ...rest } = handed
  handed = rest
  await LockFile.release({ running, liveness: procLiveness() }, lock.file, lock.nonce)
}
