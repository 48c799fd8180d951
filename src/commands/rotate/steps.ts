import * as Terminal from "@effect/platform/Terminal"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type { AwsError } from "../../schema/AwsErrors.js"
import { toolLine } from "../../schema/CommandLine.js"
import {
  AccessKeyId,
  type AwsCredentials,
  maskKeyId,
  type ProfileName,
  printable,
} from "../../schema/Credentials.js"
import { type FileError, InvalidInput } from "../../schema/Errors.js"
import {
  type KeyStoreFailed,
  storedKeyId,
  storedKeyOf,
  storeKey,
  storeService,
} from "../../schema/KeyStore.js"
import { CredentialsFile, type IniFile } from "../../services/CredentialsFile.js"
import { type AccessKeyInfo, Iam, type KeyStatus } from "../../services/Iam.js"
import { type Entry, Journal } from "../../services/Journal.js"
import { KeyStore } from "../../services/KeyStore.js"
import { type Signer, Sts } from "../../services/Sts.js"
import { describeKey, removeCommand } from "./keys.js"
import { FileChanged, type Settled, type Step, Unproven } from "./transaction.js"

/** The journal is not removed: it names a key the account still shows. */
export class JournalKept extends Data.TaggedError("JournalKept")<{ readonly reason: string }> {
  override get message() {
    return this.reason
  }
}

export type StepError =
  | AwsError
  | FileError
  | InvalidInput
  | FileChanged
  | Unproven
  | JournalKept
  | KeyStoreFailed
export type StepContext = Iam | Sts | CredentialsFile | Terminal.Terminal | Journal | KeyStore
type RotationStep<In, Out> = Step<In, Out, StepError, StepContext>

export interface Rotation {
  readonly profile: ProfileName
  readonly userName: string
  /** Every profile in the file that holds the old key. */
  readonly profiles: ReadonlyArray<string>
  readonly oldKey: AwsCredentials
  readonly region: string
  /** With --mfa, the MFA session signs every IAM call. */
  readonly mfaSession: Option.Option<Signer>
  /** The user's keys before the rotation: any other is the one it made. */
  readonly before: ReadonlyArray<AccessKeyId>
  readonly credentials: string
  /** The file the profiles are in: the credentials file, or the config file when the key is kept there. */
  readonly file: string
  /**
   * The key is kept in the OS secret store: the profiles point to it by key id, each key's secret is
   * the store's item of that id, and the journal holds key ids only.
   */
  readonly stored: boolean
}

/** The rotation once the journal records it. */
export interface Journaled {
  readonly rotation: Rotation
  readonly entry: Entry
  /** Where the journal is, for messages. */
  readonly journal: string
}

/** The rotation once the new key exists, its secret in the journal (or for a stored key, the OS secret store). */
export interface Created extends Journaled {
  readonly newKey: AwsCredentials
  /** Why the OS secret store did not take the new key, whose secret the journal then keeps. */
  readonly unstored?: string
}

/** `key` signing for the rotation's profile, in its region. */
const keySigner = (rotation: Rotation, key: AwsCredentials): Signer => ({
  credentials: key,
  region: rotation.region,
  profile: rotation.profile,
})

/** What signs the IAM calls: the MFA session with --mfa, else `key`. */
export const iamSigner = (rotation: Rotation, key: AwsCredentials): Signer =>
  Option.getOrElse(rotation.mfaSession, () => keySigner(rotation, key))

export const signerName = (rotation: Rotation, key: string) =>
  Option.isSome(rotation.mfaSession) ? "the MFA session" : key

export const profileList = (profiles: ReadonlyArray<string>) => profiles.map((p) => `[${p}]`).join(", ")

/** How long a new key may take to be accepted: IAM is eventually consistent. */
export const propagationSchedule = Schedule.exponential("1 second", 1.5).pipe(
  Schedule.union(Schedule.spaced("8 seconds")),
  Schedule.upTo("60 seconds"),
)

/** What a profile holds for `key`: the key itself, or when `stored`, the pointer to its item in the OS secret store. */
const keyValues = (key: AwsCredentials, stored: boolean): Record<string, string> =>
  stored
    ? { [storeKey]: "keyring", [storedKeyId]: key.accessKeyId }
    : {
        aws_access_key_id: key.accessKeyId,
        aws_secret_access_key: Redacted.value(key.secretAccessKey),
      }

/** Writes `key` into the rotation's profiles, in the same locked write as the check that they hold `expected`. */
const writeKey = (rotation: Rotation, key: AwsCredentials, expected: AwsCredentials) =>
  Effect.flatMap(CredentialsFile, (files) =>
    files.update(
      rotation.profiles.map((section) => ({
        section,
        set: keyValues(key, rotation.stored),
        expect: keyValues(expected, rotation.stored),
      })),
      rotation.file,
    ),
  )

/** The file that holds the rotation's profiles, as it is now. */
const readKeyFile = (rotation: Rotation) =>
  Effect.flatMap(CredentialsFile, (files) =>
    Effect.zipRight(files.reread, rotation.file === rotation.credentials ? files.read : files.readConfig),
  )

/** Whether every one of `profiles` holds `key` (id and secret), or when `stored`, points to its stored item. */
export const holds = (file: IniFile, profiles: ReadonlyArray<string>, key: AwsCredentials, stored: boolean) =>
  profiles.every((p) => {
    const values = file.sections.get(p)?.values
    if (stored) return storedKeyOf(values) === key.accessKeyId
    return (
      values?.aws_access_key_id === key.accessKeyId &&
      values.aws_secret_access_key === Redacted.value(key.secretAccessKey)
    )
  })

/** What the profiles hold now, for a person: masked ids only. */
export const whatFileHolds = (
  file: IniFile,
  profiles: ReadonlyArray<string>,
  names: ReadonlyArray<readonly [AwsCredentials, string]>,
  stored: boolean,
) =>
  profiles
    .map((p) => {
      const values = file.sections.get(p)?.values
      const id = values?.aws_access_key_id ?? storedKeyOf(values)
      if (id === undefined) return `[${p}] holds no key`
      const known = names.find(([key]) => holds(file, [p], key, stored))
      return `[${p}] holds ${known?.[1] ?? `${maskKeyId(id)}, a key this rotation did not expect`}`
    })
    .join(", ")

/** Re-reads the file and goes on only if every profile of the rotation still holds `key`. */
const expectInFile = (
  rotation: Rotation,
  key: AwsCredentials,
  names: ReadonlyArray<readonly [AwsCredentials, string]>,
) =>
  Effect.gen(function* () {
    const file = yield* readKeyFile(rotation)
    if (holds(file, rotation.profiles, key, rotation.stored)) return
    return yield* new FileChanged({
      reason:
        `${file.path} changed during the rotation: ${whatFileHolds(file, rotation.profiles, names, rotation.stored)}, ` +
        `not ${names.find(([k]) => k === key)?.[1] ?? maskKeyId(key.accessKeyId)} as expected. Stopped, and left every key as it is`,
    })
  })

const listKeys = (signer: Signer, userName: string) =>
  Effect.flatMap(Iam, (iam) => iam.listAccessKeys(signer, userName))

/** Deletes `id`; where that is denied, deactivates it and says what is left. */
const discard = (signer: Signer, userName: string, id: AccessKeyId) =>
  Effect.flatMap(Iam, (iam) =>
    iam.deleteAccessKey(signer, userName, id).pipe(
      Effect.as(Option.none<string>()),
      Effect.catchTag("AccessDenied", () =>
        iam
          .updateAccessKey(signer, userName, id, "Inactive")
          .pipe(
            Effect.as(
              Option.some(
                `${id} is Inactive but not deleted (DeleteAccessKey is denied): remove it with \`${removeCommand(userName, id)}\``,
              ),
            ),
          ),
      ),
    ),
  )

/** GetCallerIdentity signed with `key`, retried while AWS does not accept it yet. */
export const untilWorks = (signer: Signer) =>
  Effect.gen(function* () {
    const terminal = yield* Terminal.Terminal
    const sts = yield* Sts
    const interactive = yield* terminal.isTTY
    let waited = 0
    const show = (text: string) => (interactive ? terminal.display(text).pipe(Effect.ignore) : Effect.void)
    yield* sts.getCallerIdentity(signer).pipe(
      Effect.tapError(() =>
        show(
          waited++ === 0 ? `  Waiting for AWS to accept ${maskKeyId(signer.credentials.accessKeyId)}…` : ".",
        ),
      ),
      Effect.retry({ schedule: propagationSchedule, while: (e) => e._tag === "InvalidCredentials" }),
      Effect.ensuring(Effect.suspend(() => (waited > 0 ? show("\n") : Effect.void))),
    )
  })

type Stage = Journaled & { readonly newKey?: AwsCredentials }

const keyNames = (s: Stage) => {
  const old = [s.rotation.oldKey, `the old key ${maskKeyId(s.rotation.oldKey.accessKeyId)}`] as const
  return s.newKey === undefined
    ? [old]
    : [old, [s.newKey, `the new key ${maskKeyId(s.newKey.accessKeyId)}`] as const]
}

/**
 * Whether the journal proves the rotation made `key`: it is the new key whose id (and secret) the
 * journal recorded. A key whose CreateAccessKey answer never arrived is not proved to be anyone's:
 * no id came back, and a key someone else made meanwhile looks just the same.
 */
export const madeBy = (entry: Entry, key: AccessKeyInfo) =>
  entry.newKey !== undefined && key.accessKeyId === entry.newKey.id && !entry.before.includes(key.accessKeyId)

/** What a person needs to know about keys AWS lists that a lost CreateAccessKey answer may or may not have made. */
export const unprovenKeys = (
  rotation: Rotation,
  keys: ReadonlyArray<{ readonly key: AccessKeyInfo; readonly lastUsed: Option.Option<Option.Option<Date>> }>,
) => {
  const named = keys.map(({ key, lastUsed }) =>
    Option.match(lastUsed, { onNone: () => describeKey(key), onSome: (used) => describeKey(key, used) }),
  )
  const removal = keys.map(({ key }) => removeCommand(rotation.userName, key.accessKeyId)).join("; ")
  const one = keys.length === 1
  return (
    `AWS now lists ${named.join(" and ")}, which ${one ? "was" : "were"} not there before the call: ` +
    `${one ? "it" : "one"} may be the key the call made, whose secret never arrived (nobody can use it), or a key someone else made meanwhile (a CI job, another machine). ` +
    `Rotate cannot tell, so it deleted nothing and left every key as it is. If nothing needs ${one ? "that key" : "them"}, remove ${one ? "it" : "them"} (${removal}), ` +
    `then run \`${toolLine(rotation.profile, "rotate")}\`: it finds the journal and ends the rotation`
  )
}

// The steps. Each takes the rotation so far and returns it, or the next stage of it.

export const recordStep = (rotation: Rotation): RotationStep<Rotation, Journaled> => ({
  name: rotation.stored
    ? "Record the rotation in the journal (key ids only: the secrets stay in the OS secret store)"
    : "Record the rotation in the journal (it keeps the keys' secrets until the rotation ends)",
  run: (r) =>
    Effect.gen(function* () {
      const rotation = {
        version: 1 as const,
        profile: r.profile,
        credentials: r.credentials,
        userName: r.userName,
        profiles: r.profiles,
        before: r.before,
        started: new Date(yield* Clock.currentTimeMillis),
      }
      const entry: Entry = r.stored
        ? { ...rotation, store: "keyring", oldKey: { id: r.oldKey.accessKeyId } }
        : { ...rotation, oldKey: { id: r.oldKey.accessKeyId, secret: r.oldKey.secretAccessKey } }
      const journal = yield* (yield* Journal).begin(entry)
      return { rotation: r, entry, journal }
    }),
  undo: {
    name: "remove the journal",
    run: (s) => forgetUnlessLeft(s, iamSigner(s.rotation, s.rotation.oldKey)),
  },
})

/** The journal's record of the new key: with its secret, unless the OS secret store keeps that. */
const withNewKey = (entry: Entry, key: AwsCredentials, secret: boolean): Entry =>
  entry.store === "keyring"
    ? {
        ...entry,
        newKey: secret ? { id: key.accessKeyId, secret: key.secretAccessKey } : { id: key.accessKeyId },
      }
    : { ...entry, newKey: { id: key.accessKeyId, secret: key.secretAccessKey } }

/** The new key's secret into the journal, where the OS secret store does not keep it: it is never lost. */
const keepInJournal = (s: Created) =>
  Effect.gen(function* () {
    if (s.entry.newKey?.secret !== undefined) return s
    const entry = withNewKey(s.entry, s.newKey, true)
    yield* (yield* Journal).record(entry)
    return { ...s, entry }
  })

/** Removes `id`'s item from the OS secret store; where the store fails, says what is left and how to remove it. */
const removeItem = (id: AccessKeyId, name: string) =>
  Effect.flatMap(KeyStore, (store) =>
    store.remove(id).pipe(
      Effect.as(Option.none<string>()),
      Effect.catchTag("KeyStoreFailed", (e) =>
        Effect.succeed(
          Option.some(
            `the ${e.store.name} still holds ${name} (${e.message.replace(/\.$/, "")}): remove it with \`${printable(e.store.clear(id))}\``,
          ),
        ),
      ),
    ),
  )

/** Keys AWS lists that were not there before a CreateAccessKey whose answer never arrived: named, with when each was last used. */
const unknownKeys = (rotation: Rotation, signer: Signer, keys: ReadonlyArray<AccessKeyInfo>) =>
  Effect.flatMap(Iam, (iam) =>
    Effect.map(
      Effect.forEach(keys, (key) =>
        Effect.map(Effect.option(iam.accessKeyLastUsed(signer, key.accessKeyId)), (lastUsed) => ({
          key,
          lastUsed,
        })),
      ),
      (described) => unprovenKeys(rotation, described),
    ),
  )

/**
 * Removes the journal, unless the account still shows a key that was not there before. One whose id
 * the journal recorded is the rotation's own, which a later rotate removes; any other appeared after
 * CreateAccessKey's answer was lost (the account read then did not show it yet) or someone made it,
 * and is named with the command that removes it.
 */
const forgetUnlessLeft = (s: Journaled, signer: Signer) =>
  Effect.gen(function* () {
    const keys = yield* listKeys(signer, s.rotation.userName)
    const made = keys.filter((k) => !s.rotation.before.includes(k.accessKeyId))
    if (made.length > 0) {
      const found = yield* (yield* Journal).find(s.rotation.profile)
      const unknown = made.filter((k) => !Option.exists(found, ({ entry }) => madeBy(entry, k)))
      return yield* new JournalKept({
        reason:
          unknown.length > 0
            ? `the journal stays: ${yield* unknownKeys(s.rotation, signer, unknown)}`
            : `it stays while ${made.map((k) => printable(k.accessKeyId)).join(", ")} exists, so that \`${toolLine(s.rotation.profile, "rotate")}\` can remove that key later`,
      })
    }
    yield* (yield* Journal).remove(s.entry)
    return Option.none<string>()
  })

export const createStep = (rotation: Rotation): RotationStep<Journaled, Created> => {
  const signer = iamSigner(rotation, rotation.oldKey)
  return {
    name: "Create a new access key",
    signedWith: signerName(rotation, `the old key ${maskKeyId(rotation.oldKey.accessKeyId)}`),
    run: (s) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function* () {
          const { key } = yield* restore((yield* Iam).createAccessKey(signer, s.rotation.userName))
          if (s.rotation.before.includes(key.accessKeyId)) {
            // Undoing would delete a key the user already had, perhaps the only one.
            return yield* new Unproven({
              reason: `AWS's answer to CreateAccessKey names ${maskKeyId(key.accessKeyId)}, a key ${s.rotation.userName} had before the call, as the new key: the answer is wrong (a proxy or a fault on the way), so the rotation stopped and changed nothing more`,
            })
          }
          if (!Schema.is(AccessKeyId)(key.accessKeyId)) {
            return yield* new Unproven({
              reason: `AWS's answer to CreateAccessKey names "${printable(key.accessKeyId)}", which is not an access key id: the answer is wrong (a proxy or a fault on the way), so the rotation stopped and changed nothing more`,
            })
          }
          // The secret exists only in this answer: it goes into the journal before anything else (for a
          // stored key, its id does, and the secret into the store, or, if the store fails, the journal).
          const entry = withNewKey(s.entry, key, !s.rotation.stored)
          yield* (yield* Journal).record(entry)
          const created: Created = { ...s, entry, newKey: key }
          if (!s.rotation.stored) return created
          // A store that hangs can be interrupted: the secret then goes into the journal, and the run stops at the next step.
          const written = yield* Effect.exit(
            restore((yield* KeyStore).write(key.accessKeyId, key.secretAccessKey)),
          )
          if (Exit.isSuccess(written)) return created
          const kept = yield* keepInJournal(created)
          const failure = Cause.failureOption(written.cause)
          // Interrupted, the run reports only how the step ended: where the secret is, is said here.
          if (Option.isNone(failure)) {
            yield* Console.error(
              `Interrupted while the OS secret store took the new key ${maskKeyId(key.accessKeyId)}: its secret is in the journal ${s.journal} until the key is deleted.`,
            )
          }
          return {
            ...kept,
            unstored: Option.match(failure, { onSome: (e) => e.message, onNone: () => "it was interrupted" }),
          }
        }),
      ),
    // The answer was lost: without a new key AWS shows nothing was made; with one, whose it is cannot be told.
    settle: (s) =>
      Effect.gen(function* () {
        const keys = yield* listKeys(signer, s.rotation.userName)
        const unknown = keys.filter((k) => !s.rotation.before.includes(k.accessKeyId))
        if (unknown.length === 0)
          return { done: Option.none(), seen: "AWS then listed no key that was not there before" }
        // The answer did arrive, and the journal recorded it, when the interruption came as the step ended.
        const found = yield* (yield* Journal).find(s.rotation.profile)
        if (Option.isSome(found) && unknown.length === 1 && madeBy(found.value.entry, unknown[0]!)) {
          const { newKey } = yield* journalKeys(found.value.entry)
          if (Option.isSome(newKey))
            return {
              done: Option.some({ ...s, entry: found.value.entry, newKey: newKey.value }),
              seen: `AWS then listed ${maskKeyId(newKey.value.accessKeyId)}, the new key the journal recorded`,
            }
        }
        return yield* new Unproven({ reason: yield* unknownKeys(s.rotation, signer, unknown) })
      }),
    undo: {
      name: rotation.stored
        ? "delete the new key (or, if that is denied, deactivate it), then its item in the OS secret store"
        : "delete the new key (or, if that is denied, deactivate it)",
      run: (s) =>
        Effect.gen(function* () {
          const left = yield* discard(signer, s.rotation.userName, s.newKey.accessKeyId)
          if (Option.isSome(left) || !s.rotation.stored) return left
          return yield* removeItem(s.newKey.accessKeyId, "the deleted new key's item")
        }),
    },
  }
}

/** The new key's secret, read back from the OS secret store by a new handle: what the next run will find. */
export const readBackStep: RotationStep<Created, Created> = {
  name: `Read the new key back from the OS secret store (service ${storeService}) and compare`,
  run: (s) =>
    Effect.gen(function* () {
      const back = yield* Effect.either((yield* KeyStore).read(s.newKey.accessKeyId))
      const expected = Redacted.value(s.newKey.secretAccessKey)
      if (Either.isRight(back) && Option.exists(back.right, (secret) => Redacted.value(secret) === expected))
        return s
      const kept = yield* keepInJournal(s)
      const why =
        s.unstored ??
        (Either.isLeft(back)
          ? back.left.message
          : Option.isNone(back.right)
            ? "it holds no item for it."
            : "it gave back another secret.")
      return yield* new InvalidInput({
        reason: `the OS secret store did not keep the new key ${maskKeyId(s.newKey.accessKeyId)}: ${why.replace(/\.$/, "")}; its secret is in the journal ${kept.journal} until the key is deleted`,
      })
    }),
}

export const writeNewStep = (rotation: Rotation): RotationStep<Created, Created> => ({
  name: rotation.stored
    ? `Point ${profileList(rotation.profiles)} to the new key's item in the OS secret store`
    : `Write the new key into ${profileList(rotation.profiles)}`,
  run: (s) => Effect.as(writeKey(s.rotation, s.newKey, s.rotation.oldKey), s),
  settle: (s) => writeSettled(s, s.newKey, keyNames(s)),
  undo: {
    name: rotation.stored
      ? `point ${profileList(rotation.profiles)} back to the old key`
      : `write the old key back into ${profileList(rotation.profiles)}`,
    run: (s) => Effect.as(writeBack(s, s.rotation.oldKey, s.newKey), Option.none()),
  },
})

/** Whether the rotation's profiles hold `key` once the file is read again, and what they hold. */
const writeSettled = <S extends Stage>(
  s: S,
  key: AwsCredentials,
  names: ReadonlyArray<readonly [AwsCredentials, string]>,
): Effect.Effect<Settled<S>, FileError, CredentialsFile> =>
  Effect.map(readKeyFile(s.rotation), (file) => ({
    done: holds(file, s.rotation.profiles, key, s.rotation.stored) ? Option.some(s) : Option.none(),
    seen: `${file.path}, read again: ${whatFileHolds(file, s.rotation.profiles, names, s.rotation.stored)}`,
  }))

/** Writes `key` into the rotation's profiles, if they still hold `expected` (else stops). */
const writeBack = (s: Stage, key: AwsCredentials, expected: AwsCredentials) =>
  Effect.gen(function* () {
    const file = yield* readKeyFile(s.rotation)
    if (holds(file, s.rotation.profiles, key, s.rotation.stored)) return
    yield* expectInFile(s.rotation, expected, keyNames(s))
    // Changed between that read and the write: stop as the read would have.
    yield* writeKey(s.rotation, key, expected).pipe(
      Effect.catchTag("InvalidInput", (refused) =>
        Effect.zipRight(expectInFile(s.rotation, expected, keyNames(s)), Effect.fail(refused)),
      ),
    )
  })

export const waitStep = (key: string): RotationStep<Created, Created> => ({
  name: `Wait up to 60 s until AWS accepts ${key}`,
  signedWith: "it",
  run: (s) => Effect.as(untilWorks(keySigner(s.rotation, s.newKey)), s),
})

const setStatus = (s: Created, status: KeyStatus) =>
  Effect.flatMap(Iam, (iam) =>
    iam.updateAccessKey(
      iamSigner(s.rotation, s.newKey),
      s.rotation.userName,
      s.rotation.oldKey.accessKeyId,
      status,
    ),
  )

/** The old key as AWS lists it now, and that in words. */
const oldKeyListed = (s: Created) =>
  Effect.map(listKeys(iamSigner(s.rotation, s.newKey), s.rotation.userName), (keys) => {
    const key = Option.fromNullable(keys.find((k) => k.accessKeyId === s.rotation.oldKey.accessKeyId))
    const old = `the old key ${maskKeyId(s.rotation.oldKey.accessKeyId)}`
    return {
      key,
      seen: Option.match(key, {
        onNone: () => `AWS then no longer listed ${old}`,
        onSome: (k) => `AWS then listed ${old} as ${k.status}`,
      }),
    }
  })

export const deactivateStep = (rotation: Rotation): RotationStep<Created, Created> => {
  const old = `the old key ${maskKeyId(rotation.oldKey.accessKeyId)}`
  return {
    name: `Deactivate ${old}`,
    signedWith: signerName(rotation, "the new key"),
    run: (s) =>
      Effect.zipRight(
        expectInFile(s.rotation, s.newKey, keyNames(s)),
        Effect.as(setStatus(s, "Inactive"), s),
      ),
    settle: (s) =>
      Effect.map(oldKeyListed(s), ({ key, seen }) => ({
        seen,
        done: Option.exists(key, (k) => k.status === "Inactive") ? Option.some(s) : Option.none(),
      })),
    undo: { name: `reactivate ${old}`, run: (s) => Effect.as(setStatus(s, "Active"), Option.none()) },
  }
}

export const deleteStep = (rotation: Rotation): RotationStep<Created, Created> => ({
  name: `Delete the old key ${maskKeyId(rotation.oldKey.accessKeyId)}`,
  signedWith: signerName(rotation, "the new key"),
  run: (s) =>
    Effect.gen(function* () {
      yield* expectInFile(s.rotation, s.newKey, keyNames(s))
      yield* (yield* Iam).deleteAccessKey(
        iamSigner(s.rotation, s.newKey),
        s.rotation.userName,
        s.rotation.oldKey.accessKeyId,
      )
      return s
    }),
  settle: (s) =>
    Effect.map(oldKeyListed(s), ({ key, seen }) => ({
      seen,
      done: Option.isNone(key) ? Option.some(s) : Option.none(),
    })),
  commits: true,
})

/**
 * Removes the journal, once the file holds `kept(s)`, the key the run leaves the user with: while
 * it does not (another program saved an older copy), the journal keeps that key's secret.
 */
export const forgetStep = <S extends Stage>(kept: (s: S) => AwsCredentials): RotationStep<S, S> => ({
  name: "Remove the journal",
  run: (s) =>
    Effect.gen(function* () {
      yield* expectInFile(s.rotation, kept(s), keyNames(s))
      yield* (yield* Journal).remove(s.entry)
      return s
    }),
})

/**
 * Removes the item of `id` (a key AWS deleted) from the OS secret store, once the profiles point to
 * `kept(s)`, the key the run leaves the user with.
 */
export const removeItemStep = <S extends Stage>(
  id: AccessKeyId,
  name: string,
  kept: (s: S) => AwsCredentials,
): RotationStep<S, S> => ({
  name: `Remove ${name}'s item from the OS secret store`,
  run: (s) =>
    Effect.gen(function* () {
      yield* expectInFile(s.rotation, kept(s), keyNames(s))
      const left = yield* removeItem(id, `${name}'s item`)
      if (Option.isSome(left)) return yield* new InvalidInput({ reason: left.value })
      return s
    }),
})

/**
 * The keys the journal names, each with its secret: from the journal, else (for a stored key) from
 * the OS secret store; a new key whose secret neither holds is none, an old one has an empty secret.
 */
export const journalKeys = (entry: Entry) =>
  Effect.gen(function* () {
    const store = yield* KeyStore
    const secretOf = (key: {
      readonly id: AccessKeyId
      readonly secret?: Redacted.Redacted<string> | undefined
    }) => (key.secret === undefined ? store.read(key.id) : Effect.succeed(Option.some(key.secret)))
    const old = yield* secretOf(entry.oldKey)
    const fresh = entry.newKey === undefined ? Option.none() : yield* secretOf(entry.newKey)
    const newId = entry.newKey?.id
    return {
      oldKey: {
        accessKeyId: entry.oldKey.id,
        secretAccessKey: Option.getOrElse(old, () => Redacted.make("")),
      } satisfies AwsCredentials,
      oldSecretKnown: Option.isSome(old),
      newKey: Option.flatMap(fresh, (secret) =>
        newId === undefined ? Option.none() : Option.some({ accessKeyId: newId, secretAccessKey: secret }),
      ),
    }
  })

// Steps that only recovery needs: the journal names every key they touch.

/** The new key is in the file and works; the old one is gone: the file gets nothing, AWS nothing. */
export const writeKeyStep = <S extends Journaled>(
  rotation: Rotation,
  key: AwsCredentials,
  name: string,
  expected: AwsCredentials,
): RotationStep<S, S> => ({
  name: `Write ${name} into ${profileList(rotation.profiles)}`,
  run: (s) => Effect.as(writeBack(s, key, expected), s),
  settle: (s) => writeSettled(s, key, [...keyNames(s), [key, name]]),
})

export const checkStep = <S extends Journaled>(key: AwsCredentials, name: string): RotationStep<S, S> => ({
  name: `Check that AWS accepts ${name}`,
  signedWith: "it",
  run: (s) => Effect.as(untilWorks(keySigner(s.rotation, key)), s),
})

export const reactivateStep = <S extends Journaled>(
  rotation: Rotation,
  newKey: AwsCredentials,
): RotationStep<S, S> => ({
  name: `Reactivate the old key ${maskKeyId(rotation.oldKey.accessKeyId)}`,
  signedWith: signerName(rotation, "the new key"),
  run: (s) => Effect.as(setStatus({ ...s, newKey }, "Active"), s),
})

export const discardStep = <S extends Journaled>(
  rotation: Rotation,
  id: AccessKeyId,
  name: string,
): RotationStep<S, S> => ({
  name: rotation.stored
    ? `Delete ${name} (or deactivate it if deleting is denied), then its item in the OS secret store`
    : `Delete ${name}, or deactivate it if deleting is denied`,
  signedWith: signerName(rotation, `the old key ${maskKeyId(rotation.oldKey.accessKeyId)}`),
  run: (s) =>
    Effect.gen(function* () {
      const left = yield* discard(iamSigner(rotation, rotation.oldKey), rotation.userName, id).pipe(
        Effect.flatMap((left) =>
          Option.isNone(left) && rotation.stored ? removeItem(id, `${name}'s item`) : Effect.succeed(left),
        ),
      )
      // The journal stays (the next step does not run), so that a later rotate removes the key.
      if (Option.isSome(left))
        return yield* new InvalidInput({ reason: `${left.value}, then run rotate again` })
      return s
    }),
})
