import * as Terminal from "@effect/platform/Terminal"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import type { AwsError } from "../../schema/AwsErrors.js"
import { type AccessKeyId, type AwsCredentials, maskKeyId } from "../../schema/Credentials.js"
import type { FileError, InvalidInput } from "../../schema/Errors.js"
import { CredentialsFile } from "../../services/CredentialsFile.js"
import { Iam, type KeyStatus } from "../../services/Iam.js"
import { type Signer, Sts } from "../../services/Sts.js"

export type StepError = AwsError | FileError | InvalidInput
export type StepContext = Iam | Sts | CredentialsFile | Terminal.Terminal

/** One step of a transaction: what it does, and how to take it back. */
export interface Step {
  readonly name: string
  /** Which key signs the step's call, for the plan. */
  readonly signedWith: string
  readonly run: Effect.Effect<void, StepError, StepContext>
  readonly undo: Option.Option<{
    readonly name: string
    readonly run: Effect.Effect<void, StepError, StepContext>
  }>
  /** Steps that only wait may be interrupted halfway; the others finish the call they started. */
  readonly interruptible?: boolean
}

export interface Rotation {
  readonly userName: string
  /** Every profile in the file that holds the old key. */
  readonly profiles: ReadonlyArray<string>
  /** The file they are in: the credentials file, or the config file when the key is kept there. */
  readonly file: string
  readonly oldKey: AwsCredentials
  readonly region: string
  /** Signs the IAM calls made before the new key exists (the old key, or the MFA session). */
  readonly before: Signer
  /** With --mfa, the MFA session signs every IAM call; else the new key signs the later ones. */
  readonly mfaSession: Option.Option<Signer>
}

/** How long a new key may take to be accepted: IAM is eventually consistent. */
export const propagationSchedule = Schedule.exponential("1 second", 1.5).pipe(
  Schedule.union(Schedule.spaced("8 seconds")),
  Schedule.upTo("60 seconds"),
)

const keyValues = (key: AwsCredentials) => ({
  aws_access_key_id: key.accessKeyId,
  aws_secret_access_key: Redacted.value(key.secretAccessKey),
})

const writeKey = (profiles: ReadonlyArray<string>, key: AwsCredentials, file: string) =>
  Effect.flatMap(CredentialsFile, (files) =>
    files.update(
      profiles.map((section) => ({ section, set: keyValues(key) })),
      file,
    ),
  )

/** Deactivating (undo: reactivating) and deleting one key: the steps that retire a key. */
const retire = (
  key: string,
  userName: string,
  id: AccessKeyId,
  signer: Effect.Effect<Signer>,
  signedWith: string,
) => {
  const setStatus = (status: KeyStatus) =>
    Effect.flatMap(Effect.zip(Iam, signer), ([iam, s]) => iam.updateAccessKey(s, userName, id, status))
  const deactivate: Step = {
    name: `Deactivate ${key}`,
    signedWith,
    run: setStatus("Inactive"),
    undo: Option.some({ name: `reactivate ${key}`, run: setStatus("Active") }),
  }
  const remove: Step = {
    name: `Delete ${key}`,
    signedWith,
    run: Effect.flatMap(Effect.zip(Iam, signer), ([iam, s]) => iam.deleteAccessKey(s, userName, id)),
    undo: Option.none(),
  }
  return { deactivate, remove }
}

/**
 * The rotation as data: create, write, wait, deactivate, delete. The new key, once created, is
 * held in `created` so that later steps and the undos can sign with it or remove it.
 */
export const rotationSteps = (rotation: Rotation, created: Ref.Ref<Option.Option<AwsCredentials>>) => {
  const { userName, profiles, oldKey, before } = rotation
  const oldId = oldKey.accessKeyId
  const newKey = Ref.get(created).pipe(Effect.map(Option.getOrThrow))
  const withNew = (credentials: AwsCredentials): Signer => ({
    ...before,
    credentials,
    region: rotation.region,
  })
  const after = Option.match(rotation.mfaSession, {
    onNone: () => Effect.map(newKey, withNew),
    onSome: Effect.succeed,
  })
  const afterName = Option.isSome(rotation.mfaSession) ? "the MFA session" : "the new key"
  const beforeName = Option.isSome(rotation.mfaSession)
    ? "the MFA session"
    : `the old key ${maskKeyId(oldId)}`
  const profileList = profiles.map((p) => `[${p}]`).join(", ")
  const retired = retire(`the old key ${maskKeyId(oldId)}`, userName, oldId, after, afterName)

  const deleteNew = Effect.gen(function* () {
    const iam = yield* Iam
    const key = yield* newKey
    yield* iam
      .deleteAccessKey(before, userName, key.accessKeyId)
      .pipe(
        Effect.catchTag("AccessDenied", () =>
          iam.updateAccessKey(before, userName, key.accessKeyId, "Inactive"),
        ),
      )
  })

  const steps: ReadonlyArray<Step> = [
    {
      name: "Create a new access key",
      signedWith: beforeName,
      run: Effect.gen(function* () {
        const { key } = yield* (yield* Iam).createAccessKey(before, userName)
        yield* Ref.set(created, Option.some(key))
      }),
      undo: Option.some({
        name: "delete the new key (or, if that is denied, deactivate it)",
        run: deleteNew,
      }),
    },
    {
      name: `Write the new key into ${profileList}`,
      signedWith: "no call",
      run: Effect.flatMap(newKey, (key) => writeKey(profiles, key, rotation.file)),
      undo: Option.some({
        name: `write the old key back into ${profileList}`,
        run: writeKey(profiles, oldKey, rotation.file),
      }),
    },
    {
      name: "Wait up to 60 s until AWS accepts the new key",
      signedWith: "the new key",
      run: Effect.gen(function* () {
        const terminal = yield* Terminal.Terminal
        const sts = yield* Sts
        const key = yield* newKey
        const interactive = yield* terminal.isTTY
        let waited = 0
        const show = (text: string) =>
          interactive ? terminal.display(text).pipe(Effect.ignore) : Effect.void
        yield* sts.getCallerIdentity(withNew(key)).pipe(
          Effect.tapError(() => show(waited++ === 0 ? "  Waiting for AWS to accept the new key…" : ".")),
          Effect.retry({ schedule: propagationSchedule, while: (e) => e._tag === "InvalidCredentials" }),
          Effect.ensuring(Effect.suspend(() => (waited > 0 ? show("\n") : Effect.void))),
        )
      }),
      undo: Option.none(),
      interruptible: true,
    },
    retired.deactivate,
    retired.remove,
  ]
  return steps
}

/** Finishing a rotation that was cut off after the file got the newer key: remove the older one. */
export const finishSteps = (userName: string, signer: Signer, older: AccessKeyId, active: boolean) => {
  const { deactivate, remove } = retire(
    `the older key ${maskKeyId(older)}`,
    userName,
    older,
    Effect.succeed(signer),
    `the key in the file ${maskKeyId(signer.credentials.accessKeyId)}`,
  )
  return active ? [deactivate, remove] : [remove]
}

/** Undoing a rotation that was cut off before the file got the new key: its secret is lost, so delete it. */
export const discardSteps = (userName: string, signer: Signer, newer: AccessKeyId): ReadonlyArray<Step> => [
  retire(
    `the newer key ${maskKeyId(newer)}, whose secret is not in the file`,
    userName,
    newer,
    Effect.succeed(signer),
    `the key in the file ${maskKeyId(signer.credentials.accessKeyId)}`,
  ).remove,
]
