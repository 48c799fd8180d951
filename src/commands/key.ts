import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { maskKeyId, type ProfileName } from "../schema/Credentials.js"
import { InvalidInput } from "../schema/Errors.js"
import { type KeyPlace, storedKeyId, storeKey, storeService } from "../schema/KeyStore.js"
import { CredentialsFile } from "../services/CredentialsFile.js"
import { KeyStore } from "../services/KeyStore.js"
import { type LoadedProfile, Session } from "../services/Session.js"
import { profile } from "./profile.js"

const places: ReadonlyArray<KeyPlace> = ["keyring", "file"]

const store = Options.choice("store", places).pipe(
  Options.withDescription(
    "keyring: the OS secret store (Secret Service, Keychain, Credential Manager); file: [<profile>] of the credentials file",
  ),
)

const dryRun = Options.boolean("dry-run").pipe(Options.withDescription("Show the plan; change nothing"))

/** The `credential_process` that gives `aws --profile <name>` the profile's session. */
export const sessionProcess = (name: string) =>
  `aws-iam-login ${/^[\w.@-]+$/.test(name) ? name : `'${name.replaceAll("'", "'\\''")}'`} export`

/** The profile, read again, has `keyId` and `secret` from where it was moved: else why not. */
const resolvesTo = (name: ProfileName, to: KeyPlace, keyId: string, secret: string) =>
  Effect.gen(function* () {
    const again = yield* (yield* Session).load(name)
    const same =
      again.profile.aws_access_key_id === keyId &&
      Redacted.value(again.profile.aws_secret_access_key) === secret
    return (again.stored !== undefined) === (to === "keyring") && same
  })

const toKeyring = (name: ProfileName, loaded: LoadedProfile) =>
  Effect.gen(function* () {
    const keyStore = yield* KeyStore
    const files = yield* CredentialsFile
    const { home, profile } = loaded
    const keyId = profile.aws_access_key_id
    const secret = Redacted.value(profile.aws_secret_access_key)
    yield* files.writable(home.file.path)
    yield* keyStore.write(keyId, profile.aws_secret_access_key)
    // Read back by a new handle: what the next run will find.
    const back = yield* keyStore.read(keyId)
    if (Option.isNone(back) || Redacted.value(back.value) !== secret) {
      return yield* new InvalidInput({
        reason: `The OS secret store did not give back the key ${keyId} as written, so [${name}] still holds it in ${home.file.path}; nothing else was changed.`,
      })
    }
    yield* files.update(
      [
        {
          section: home.section,
          set: { [storeKey]: "keyring", [storedKeyId]: keyId, credential_process: sessionProcess(name) },
          expect: { aws_access_key_id: keyId, aws_secret_access_key: secret },
          unset: ["aws_access_key_id", "aws_secret_access_key"],
        },
      ],
      home.file.path,
    )
    if (!(yield* resolvesTo(name, "keyring", keyId, secret).pipe(Effect.orElseSucceed(() => false)))) {
      yield* files.update(
        [
          {
            section: home.section,
            set: { aws_access_key_id: keyId, aws_secret_access_key: secret },
            expect: { [storeKey]: "keyring", [storedKeyId]: keyId },
            unset: [storeKey, storedKeyId, "credential_process"],
          },
        ],
        home.file.path,
      )
      return yield* new InvalidInput({
        reason: `[${name}] did not read the key back from the OS secret store, so the key is in ${home.file.path} again as before.`,
      })
    }
    yield* Console.log(
      `Moved: the key ${maskKeyId(keyId)} of [${name}] is in the OS secret store (service ${storeService}, account ${keyId}); [${home.section}] in ${home.file.path} points to it and no longer holds it.\n` +
        `The AWS CLI gets the session through credential_process = ${sessionProcess(name)}.`,
    )
  })

const toFile = (name: ProfileName, loaded: LoadedProfile, keyId: string) =>
  Effect.gen(function* () {
    const files = yield* CredentialsFile
    const { home, profile } = loaded
    const secret = Redacted.value(profile.aws_secret_access_key)
    const ours = home.file.sections.get(home.section)?.values.credential_process === sessionProcess(name)
    yield* files.update(
      [
        {
          section: home.section,
          set: { aws_access_key_id: keyId, aws_secret_access_key: secret },
          expect: { [storeKey]: "keyring", [storedKeyId]: keyId },
          unset: [storeKey, storedKeyId, ...(ours ? ["credential_process"] : [])],
        },
      ],
      home.file.path,
    )
    if (!(yield* resolvesTo(name, "file", keyId, secret).pipe(Effect.orElseSucceed(() => false)))) {
      return yield* new InvalidInput({
        reason: `[${name}] in ${home.file.path} does not read back the key ${keyId} written to it; the OS secret store still holds it (service ${storeService}, account ${keyId}).`,
      })
    }
    yield* (yield* KeyStore).remove(keyId).pipe(
      Effect.catchTag("KeyStoreFailed", (error) =>
        Effect.fail(
          new InvalidInput({
            reason: `The key ${maskKeyId(keyId)} is in [${home.section}] of ${home.file.path} again, but its copy in the OS secret store stays (${error.message}): remove it with secret-tool clear service ${storeService} username ${keyId}.`,
          }),
        ),
      ),
    )
    yield* Console.log(
      `Moved: the key ${maskKeyId(keyId)} of [${name}] is in [${home.section}] of ${home.file.path}; the OS secret store no longer holds it.`,
    )
  })

export const key = Command.make(
  "key",
  { profile, store, dryRun },
  Effect.fn("key")(function* ({ profile: name, store: to, dryRun }) {
    const loaded = yield* (yield* Session).load(name)
    const { home, profile, stored } = loaded
    const keyId = profile.aws_access_key_id
    const where = `[${home.section}] of ${home.file.path}`
    if ((stored !== undefined) === (to === "keyring")) {
      return yield* Console.log(
        `The key ${maskKeyId(keyId)} of [${name}] is already ${stored === undefined ? `in ${where}` : "in the OS secret store"}: nothing to move.`,
      )
    }
    if (profile.aws_session_token !== undefined || profile.aws_security_token !== undefined) {
      return yield* new InvalidInput({
        reason: `[${name}] holds a session token beside its key, so the key is a temporary one: only an IAM user's long-term key is moved. Nothing was changed.`,
      })
    }
    const own = home.file.sections.get(home.section)?.values.credential_process
    if (to === "keyring" && own !== undefined) {
      return yield* new InvalidInput({
        reason: `[${home.section}] already has a credential_process (${own}), which the move would replace: remove it first. Nothing was changed.`,
      })
    }
    if (dryRun) {
      return yield* Console.log(
        to === "keyring"
          ? [
              `Would move the key ${maskKeyId(keyId)} of [${name}] into the OS secret store:`,
              `  1. store it (service ${storeService}, account ${keyId}) and read it back`,
              `  2. in one edit of ${where}: remove aws_access_key_id and aws_secret_access_key, point to the stored key, add credential_process = ${sessionProcess(name)}`,
              `  3. check that [${name}] reads the key from the store (else put it back in the file)`,
              "Nothing was changed.",
            ].join("\n")
          : [
              `Would move the key ${maskKeyId(keyId)} of [${name}] back into ${where}:`,
              "  1. in one edit: write aws_access_key_id and aws_secret_access_key, remove the pointer to the stored key and its credential_process",
              `  2. check that [${name}] reads the key from the file`,
              `  3. remove it from the OS secret store (service ${storeService}, account ${keyId})`,
              "Nothing was changed.",
            ].join("\n"),
      )
    }
    return yield* to === "keyring" ? toKeyring(name, loaded) : toFile(name, loaded, keyId)
  }),
).pipe(
  Command.withDescription(
    "Move the long-term key of [<profile>] into the OS secret store (--store keyring) or back into the file (--store file)",
  ),
)
