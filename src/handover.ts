// What the launcher's fast paths (src/fastLogin.ts, src/fastStatus.ts) hand the full program when
// they stop short of the end: the profile's login lock, which the fast login holds, and the AWS call
// it made (GetSessionToken, or status's ListAccessKeys). The full program takes both over where it
// would lock and call (src/layers/Lock.ts, src/layers/Aws.ts) instead of locking again or making
// the call a second time (which would spend the MFA code twice), and finishes the run as usual.
import * as LockFile from "./files/lock.js"
import { procProofs } from "./files/proofs.js"
import { answeredByOther, quietSeconds } from "./layers/sdk/client.js"
import type { Observed } from "./layers/sdk/observe.js"
import type { Signer } from "./services/Sts.js"

export interface HeldLock {
  readonly file: string
  readonly nonce: string
}

/** Which call was sent: its operation, who signed it for which region, and its parameters. */
export interface CallKey {
  readonly operation: string
  readonly accessKeyId: string
  readonly region: string
  readonly input: Readonly<Record<string, string | number>>
}

export const callKey = (
  operation: string,
  signer: Signer,
  input: Readonly<Record<string, string | number>>,
): CallKey => ({ operation, accessKeyId: signer.credentials.accessKeyId, region: signer.region, input })

/** A call made, whose answer is `A` (the SDK's output for the operation its key names). */
export interface MadeCall<A = unknown> {
  readonly key: CallKey
  /** When it was sent (Date.now()): its deadline and the moment a person is told it waits run from there. */
  readonly startedAt: number
  /** What the SDK did for it so far (where it sent the request; the answer's status). */
  readonly seen: Observed
  /** The SDK's answer or error, settled or still on its way. */
  readonly answer: Promise<A>
  /** When the answer or error came (Date.now()); undefined while it is on its way. */
  readonly settledAt: () => number | undefined
  readonly abort: () => void
}

/** A call the launcher sends with `send`, made so that the full program can take it over; `stop` aborts it. */
export const sent = <A>(
  key: CallKey,
  seen: Observed,
  client: { readonly destroy: () => void },
  stop: AbortController,
  send: (signal: AbortSignal) => Promise<A>,
): MadeCall<A> => {
  const startedAt = Date.now()
  const answer = send(stop.signal)
  let settledAt: number | undefined
  void answer
    .finally(() => {
      settledAt = Date.now()
      client.destroy()
    })
    .catch(() => undefined)
  return { key, startedAt, seen, answer, settledAt: () => settledAt, abort: () => stop.abort() }
}

/**
 * The call's answer when AWS gives it before a person at a terminal would be told what the run
 * waits for (or half its deadline, when that is sooner: the full program must take it over in
 * time); undefined for anything else, which the full program then reports.
 */
export const answerInTime = async <A>(call: MadeCall<A>, seconds: number): Promise<A | undefined> => {
  let timer: NodeJS.Timeout | undefined
  const answer = await Promise.race([
    call.answer.then(
      (out) => (answeredByOther(call.seen) ? undefined : out),
      () => undefined,
    ),
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), Math.min(quietSeconds, seconds / 2) * 1000)
    }),
  ])
  clearTimeout(timer)
  return answer
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

/**
 * The lock's holding, when the launcher holds the lock at `file` (by its path, or by the holding its
 * file names: the launcher may have spelled the same path otherwise): taken over once.
 */
export const takeLock = (file: string, named?: string): string | undefined => {
  const lock = handed.lock
  if (lock === undefined || (lock.file !== file && lock.nonce !== named)) return undefined
  const { lock: _, ...rest } = handed
  handed = rest
  return lock.nonce
}

/** Keys made by `callKey` hold their fields in one order. */
export const sameKey = (a: CallKey, b: CallKey) => JSON.stringify(a) === JSON.stringify(b)

/** The call already made of `operation` that `matches`, when there is one: taken over once. */
export const takeCall = <A>(
  operation: string,
  matches: (made: CallKey) => boolean,
): MadeCall<A> | undefined => {
  const call = handed.call
  if (call?.key.operation !== operation || !matches(call.key)) return undefined
  const { call: _, ...rest } = handed
  handed = rest
  // The key names the operation, whose output the answer is.
  return call as MadeCall<A>
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
  await LockFile.release(procProofs(), lock.file, lock.nonce)
}
