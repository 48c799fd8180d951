// `login` with the MFA code on the command line, before the full program loads (see src/fast.ts):
// for a plain profile on Linux (its key and mfa_serial as plain text in the credentials file, no
// session still valid, settings the full program takes), it takes the profile's login lock, runs the
// full program's checks that the file can be written, calls STS GetSessionToken with the full
// program's client settings (src/layers/sdk/client.ts), writes the session with the full program's
// safe write (src/files/) and prints what it prints. Anything unusual before the call goes to the
// full program before the code is spent; after the call, any failure, an answer not from AWS, or no
// answer within the moment after which a person at a terminal is told what the run waits for hands
// the lock and the call to the full program (src/handover.ts), which finishes the run as its own.
import * as fs from "node:fs"
import * as path from "node:path"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import { keyPatterns, plain, type readFiles, sessionPatterns, tokenKeys } from "./fastRead.js"
import { replaceFile } from "./files/atomicWrite.js"
import * as LockFile from "./files/lock.js"
import { procProofs, running } from "./files/proofs.js"
import { writeTarget } from "./files/writeTarget.js"
import { answerInTime, callKey, type Handover, sent } from "./handover.js"
import { callSeconds, clientConfig, sessionFrom } from "./layers/sdk/client.js"
import type { Observed } from "./layers/sdk/observe.js"
import type * as StsSdk from "./layers/sdk/sts.js"
import type { AccessKeyId } from "./schema/Credentials.js"
import * as Ini from "./schema/Ini.js"
import {
  codeMaybeSpent,
  loggedInLines,
  mfaSerialPattern,
  parseExpiration,
  reusable,
  sessionSection,
  sessionValues,
} from "./schema/SessionRules.js"
import { callSettings, type Environment, fallbackRegion, profileRegion } from "./schema/Settings.js"
import type { Signer } from "./services/Sts.js"

/** dist/sdk/sts.cjs, loaded as the full program loads it. */
export type LoadSts = () => Promise<typeof StsSdk>

type Files = NonNullable<ReturnType<typeof readFiles>>

export interface Asked {
  readonly profile: string
  readonly code: string
  readonly force: boolean
  readonly env: Environment
  readonly files: Files
  /** The files read again, under the profile's login lock. */
  readonly reread: () => Files | undefined
  readonly loadSts: LoadSts
  /**
   * Given what a signal must do while the run is the launcher's: abort the call and the write,
   * release the lock, and give what the full program would add to its "interrupted" line.
   */
  readonly whenStopped: (stop: (() => Promise<string>) | undefined) => void
}

/** A profile's `duration_seconds` as the full program takes it; undefined for one it refuses. */
const durationOf = (files: Files, name: string): number | undefined => {
  const own = files.credentials.sections.get(name)?.keys.get("duration_seconds")
  const key = own ?? Ini.configProfile(files.config.sections, name)?.keys.get("duration_seconds")
  if (key === undefined) return 12 * 3600
  const seconds = /^\d+$/.test(key.value) ? Number(key.value) : Number.NaN
  return seconds >= 900 && seconds <= 129_600 ? seconds : undefined
}

/** Whether the full program would log in anew: no session, or one that reads plainly and is not valid past the margin. */
const needsLogin = (files: Files, name: string, force: boolean) => {
  const stored = files.credentials.sections.get(sessionSection(name))
  if (force || stored === undefined) return true
  if (Object.keys(sessionPatterns).some((key) => stored.keys.get(key)?.unclear !== undefined)) return false
  const expiration = parseExpiration(stored.values.expiration ?? "")
  return !(plain(stored, sessionPatterns) && expiration !== undefined && reusable(expiration, Date.now()))
}

/** What the full program would send to STS, and how; undefined when the full program must decide. */
const planFor = (files: Files, env: Environment, name: string, code: string, force: boolean) => {
  const { credentials, config } = files
  const profile = credentials.sections.get(name)
  const durationSeconds = durationOf(files, name)
  const region = profileRegion(env, credentials, config, name)
  const settings = callSettings(env, credentials, config, name).sts
  const seconds = callSeconds(env.AWS_IAM_LOGIN_TIMEOUT)
  if (
    profile === undefined ||
    name.endsWith("-sts") ||
    !plain(profile, { ...keyPatterns, mfa_serial: mfaSerialPattern }) ||
    !tokenKeys.every((key) => !profile.keys.has(key)) ||
    !needsLogin(files, name, force) ||
    durationSeconds === undefined ||
    Either.isLeft(region) ||
    Either.isLeft(settings) ||
    seconds === undefined
  )
    return undefined
  const signer: Signer = {
    credentials: {
      accessKeyId: profile.values.aws_access_key_id as AccessKeyId,
      secretAccessKey: Redacted.make(profile.values.aws_secret_access_key!),
    },
    region: region.right ?? fallbackRegion,
    profile: name,
  }
  const input = {
    SerialNumber: profile.values.mfa_serial!,
    TokenCode: code,
    DurationSeconds: durationSeconds,
  }
  return {
    signer,
    input,
    key: callKey("sts:GetSessionToken", signer, input),
    settings: settings.right,
    seconds,
  }
}

type Plan = NonNullable<ReturnType<typeof planFor>>

const samePlan = (a: Plan, b: Plan) =>
  JSON.stringify([a.key, a.settings, a.seconds, Redacted.value(a.signer.credentials.secretAccessKey)]) ===
  JSON.stringify([b.key, b.settings, b.seconds, Redacted.value(b.signer.credentials.secretAccessKey)])

const proofs = procProofs()

/** The full program's checks of where the file is written, where none of them has anything to say. */
const target = writeTarget({
  uid: process.getuid?.(),
  // A directory others may write to is refused or warned about: either way the full program says so.
  modesIgnored: () => true,
  advice: { notYours: () => "", readOnly: () => "" },
})

/** The file a write replaces, when no check has anything to say about it. */
const quietFile = async (named: string) => {
  const { file, warnings } = await target.realFile(named)
  if (warnings.length > 0) throw new Error("a warning to show")
  return file
}

/** The credentials file's lock while `holding` holds it, by its nonce: a signal lets go of it too. */
const holdings = new Map<string, string>()

/** Tries at a lock under way: a signal waits for them (each removes what it wrote aside), then lets go of what they took. */
const trying = new Set<Promise<void>>()
let stopped = false

/** One try at the lock `file`; none once a signal came. */
const attempt = (file: string) => {
  if (stopped) return Promise.reject(new Error("stopped"))
  const pending = LockFile.attempt(proofs, file, LockFile.me(proofs))
  const settled = pending.then(
    () => undefined,
    () => undefined,
  )
  trying.add(settled)
  void settled.then(() => trying.delete(settled))
  return pending
}

/** Holds `file` for `use`, when no one else does; else fails (the full program waits for it). */
const holding = async <A>(file: string, use: () => Promise<A>): Promise<A> => {
  const taken = await attempt(file)
  if (taken._tag !== "Taken") throw new Error("held")
  holdings.set(taken.nonce, file)
  try {
    await LockFile.sweep(proofs, file)
    return await use()
  } finally {
    holdings.delete(taken.nonce)
    await LockFile.release(proofs, file, taken.nonce)
  }
}

/** The full program's `writable`: the file is the user's to replace, its directory takes the new one, its lock is free. */
const writable = async (named: string) => {
  const file = await quietFile(named)
  await target.replaceable(file)
  await fs.promises.access(path.dirname(file), fs.constants.W_OK)
  await holding(`${file}.lock`, async () => undefined)
}

/** The full program's locked read-modify-write of the credentials file, with the new session in `[<profile>-sts]`. */
const write = (named: string, edit: Ini.Edit, signal: AbortSignal) =>
  quietFile(named).then((file) =>
    holding(`${file}.lock`, async () => {
      const kept = await target.replaceable(file)
      const text = Ini.decode(await fs.promises.readFile(file))
      const edited = Either.isRight(text) ? Ini.applyEdits(text.right, [edit]) : undefined
      if (edited === undefined || Either.isLeft(edited)) throw new Error("not written")
      await replaceFile(file, edited.right, kept, { running, rename: fs.promises.rename, signal })
    }),
  )

/** What login prints, or what the full program is handed to finish the run. */
export const fastLogin = async (asked: Asked): Promise<string | Handover> => {
  const { profile: name, code, force, env } = asked
  const first = planFor(asked.files, env, name, code, force)
  if (first === undefined || process.platform !== "linux") return {}
  const named = asked.files.credentials.path
  const stopping = new AbortController()
  let said = ""
  let lock: { readonly file: string; readonly nonce: string } | undefined
  const release = () =>
    lock === undefined ? Promise.resolve() : LockFile.release(proofs, lock.file, lock.nonce)
  asked.whenStopped(async () => {
    stopping.abort()
    stopped = true
    // Those that took their lock have noted it by now: their caller goes on before this.
    await Promise.all(trying)
    await release()
    for (const [nonce, file] of holdings) await LockFile.release(proofs, file, nonce)
    return said
  })
  const seen: Observed = {}
  let ready:
    | { readonly plan: Plan; readonly sdk: typeof StsSdk; readonly client: StsSdk.STSClient }
    | undefined
  try {
    const loginLock = `${await quietFile(named)}.${encodeURIComponent(name)}.login.lock`
    const taken = await attempt(loginLock)
    if (taken._tag !== "Taken") throw new Error("held")
    lock = { file: loginLock, nonce: taken.nonce }
    await LockFile.sweep(proofs, loginLock)
    const files = asked.reread()
    const plan = files && planFor(files, env, name, code, force)
    if (plan === undefined || !samePlan(plan, first)) throw new Error("changed")
    await writable(named)
    stopping.signal.throwIfAborted()
    said = `${codeMaybeSpent}\n`
    const sdk = await asked.loadSts()
    const client = new sdk.STSClient(
      clientConfig(plan.settings, "sts", plan.signer, plan.seconds, "once", seen),
    )
    ready = { plan, sdk, client }
  } catch {
    await release()
    asked.whenStopped(undefined)
    return {}
  }
  const { plan, sdk, client } = ready
  const call = sent(plan.key, seen, client, stopping, (signal) =>
    client.send(new sdk.GetSessionTokenCommand(plan.input), { abortSignal: signal }),
  )
  // Until the full program's own handlers are in place, a signal still stops the call and releases the lock here.
  const handover = (): Handover => ({ call, ...(lock === undefined ? {} : { lock }) })
  const settled = await answerInTime(call, plan.seconds)
  if (settled === undefined) return handover()
  said = ""
  try {
    const session = sessionFrom(settled)
    await write(named, { section: sessionSection(name), set: sessionValues(session) }, stopping.signal)
    const lines = `${loggedInLines(name, session.expiration, Date.now())}\n`
    await release()
    asked.whenStopped(undefined)
    return lines
  } catch {
    return handover()
  }
}
