import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { profile } from "../cli/profile.js"
import { commandWords } from "../schema/CommandLine.js"
import { maskKeyId, type ProfileName } from "../schema/Credentials.js"
import { InvalidInput } from "../schema/Errors.js"
import {
  type KeyPlace,
  type SecretStore,
  storedKeyId,
  storedKeyOf,
  storeKey,
  storeService,
} from "../schema/KeyStore.js"
import { sessionSection } from "../schema/SessionRules.js"
import { CredentialsFile } from "../services/CredentialsFile.js"
import { KeyStore } from "../services/KeyStore.js"
import { Platform } from "../services/Platform.js"
import { type LoadedProfile, Session } from "../services/Session.js"

const places: ReadonlyArray<KeyPlace> = ["keyring", "file"]

const store = Options.choice("store", places).pipe(
  Options.withDescription(
    "keyring: the OS secret store (Secret Service, Keychain, Credential Manager); file: [<profile>] of the credentials file",
  ),
)

const dryRun = Options.boolean("dry-run").pipe(Options.withDescription("Show the plan; change nothing"))

/**
 * The `credential_process` that gives `aws --profile <name>` the profile's session: `export <name>`
 * when the name is a command's, which would come first otherwise.
 */
export const sessionProcess = (name: string) => {
  const quoted = /^[\w.@-]+$/.test(name) ? name : `'${name.replaceAll("'", "'\\''")}'`
  return commandWords.includes(name) ? `aws-iam-login export ${quoted}` : `aws-iam-login ${quoted} export`
}

/**
 * Refuses a profile whose credential_process line would hold a ";" or "#" after a space, as its name
 * does: the AWS CLI reads it as part of the line, but a person, and the AWS SDK for JavaScript, read
 * a comment there. Elsewhere in the name both read it as text, so that line is written.
 */
export const processWritable = (name: string, instead: string) => {
  const mark = /\s([;#])/.exec(name)?.[1]
  return mark === undefined
    ? Effect.void
    : new InvalidInput({
        reason: `[${name}] cannot keep its key in the OS secret store: its name holds "${mark}" after a space, so the line that would give \`aws --profile\` its session (credential_process = ${sessionProcess(name)}) would hold it too, where the AWS CLI reads it as part of the line but a person, and the AWS SDK for JavaScript, take it for the start of a comment. Rename the profile to a name without ";" and "#" after a space (its section and ${sessionSection(name)} in the files), or ${instead}. Nothing was changed.`,
      })
}

/** The profile, read again, has `keyId` and `secret` from where it was moved: else why not. */
export const resolvesTo = (name: ProfileName, to: KeyPlace, keyId: string, secret: string) =>
  Effect.gen(function* () {
    const again = yield* (yield* Session).load(name)
    const same =
      again.profile.aws_access_key_id === keyId &&
      Redacted.value(again.profile.aws_secret_access_key) === secret
    return (again.stored !== undefined) === (to === "keyring") && same
  })

/** Where the item of `keyId` is, and how to see it. */
export const storeItem = (store: SecretStore, keyId: string) =>
  `the ${store.name} (service ${storeService}, account ${keyId}; ${store.lookup(keyId)})`

/** The section that holds the key in plain while it is moved (none when init takes a new key). */
type Plain = { readonly path: string; readonly section: string } | undefined

/**
 * What became of the item this run wrote, after the edit that was to point to it failed: removed
 * when no profile points to it and it holds `secret` (and, with `plain`, that section holds the key
 * itself); else kept, and where.
 */
/** The sections of both files, read now, that point to the stored item of `keyId`. */
const pointersTo = (keyId: string) =>
  Effect.gen(function* () {
    const files = yield* CredentialsFile
    // Asked after a store call that may have waited on a prompt: what another run or an editor wrote meanwhile counts.
    yield* files.reread
    const read = [yield* files.read, yield* files.readConfig]
    const pointing = read.flatMap((file) =>
      [...file.sections]
        .filter(([, s]) => storedKeyOf(s.values) === keyId)
        .map(([n]) => `[${n}] of ${file.path}`),
    )
    return { read, pointing }
  })

const dropUnused = (keyId: string, secret: string, plain: Plain) =>
  Effect.flatMap(Platform, ({ secretStore: store }) => dropUnusedFrom(store, keyId, secret, plain))

const dropUnusedFrom = (store: SecretStore, keyId: string, secret: string, plain: Plain) =>
  Effect.gen(function* () {
    const { read, pointing } = yield* pointersTo(keyId)
    if (pointing.length > 0)
      return `the key is in ${storeItem(store, keyId)}, which ${pointing.join(" and ")} points to`
    const holder = plain && read.find((file) => file.path === plain.path)?.sections.get(plain.section)?.values
    if (
      plain !== undefined &&
      (holder?.aws_access_key_id !== keyId || holder.aws_secret_access_key !== secret)
    )
      return `the key stays in ${storeItem(store, keyId)}`
    const keyStore = yield* KeyStore
    const now = yield* keyStore.read(keyId)
    if (Option.isNone(now)) return `nothing this run wrote stays in the ${store.name}`
    if (Redacted.value(now.value) !== secret)
      return `what ${storeItem(store, keyId)} holds is not the key and is left there: remove it with ${store.clear(keyId)}`
    yield* keyStore.remove(keyId)
    return `the copy this run wrote to the ${store.name} is removed`
  }).pipe(
    Effect.catchAll((error) =>
      Effect.succeed(
        `the copy this run wrote may stay in ${storeItem(store, keyId)}, which could not be checked (${error.message.replace(/\.$/, "")}): if no profile points to it (aws-iam-login list), remove it with ${store.clear(keyId)}`,
      ),
    ),
  )

/**
 * Runs `effect`, the edit that points a profile to the item this run wrote (`wrote`): if it fails or
 * is interrupted, the item goes unless something points to it (`dropUnused`), and the one sentence
 * says what became of it.
 */
export const noOrphan =
  (keyId: string, secret: string, wrote: boolean, plain: Plain) =>
  <A, E extends { readonly message: string }, R>(effect: Effect.Effect<A, E, R>) =>
    wrote
      ? effect.pipe(
          Effect.onInterrupt(() => Effect.ignore(dropUnused(keyId, secret, plain))),
          Effect.catchAll((error) =>
            Effect.flatMap(
              Effect.uninterruptible(dropUnused(keyId, secret, plain)),
              (outcome) => new InvalidInput({ reason: `${error.message.replace(/\.$/, "")}; ${outcome}.` }),
            ),
          ),
        )
      : effect

/**
 * Puts the key into the OS secret store and reads it back through a fresh handle: true when this
 * run wrote the item; false when the store held it already, with the same secret (another profile
 * may point to it, so it is never this run's to remove). `stays` says where the key stays meanwhile.
 */
export const placeInStore = (keyId: string, secret: Redacted.Redacted<string>, stays: string, plain: Plain) =>
  Effect.gen(function* () {
    const keyStore = yield* KeyStore
    const { secretStore: store } = yield* Platform
    const before = yield* keyStore.read(keyId)
    if (Option.isSome(before)) {
      if (Redacted.value(before.value) === Redacted.value(secret)) return false
      return yield* new InvalidInput({
        reason: `${storeItem(store, keyId)} already holds another secret for the key ${keyId}, so nothing was written over it and ${stays}: if no profile uses that item, remove it (${store.clear(keyId)}) and run this again.`,
      })
    }
    yield* keyStore
      .write(keyId, secret)
      .pipe(Effect.onInterrupt(() => Effect.ignore(dropUnused(keyId, Redacted.value(secret), plain))))
    yield* Effect.gen(function* () {
      const back = yield* keyStore.read(keyId)
      if (Option.isNone(back) || Redacted.value(back.value) !== Redacted.value(secret)) {
        return yield* new InvalidInput({
          reason: `The ${store.name} did not give back the key ${keyId} as written, so ${stays} and nothing else was changed.`,
        })
      }
    }).pipe(noOrphan(keyId, Redacted.value(secret), true, plain))
    return true
  })

const toKeyring = (name: ProfileName, loaded: LoadedProfile) =>
  Effect.gen(function* () {
    const files = yield* CredentialsFile
    const { secretStore: store } = yield* Platform
    const { home, profile } = loaded
    const keyId = profile.aws_access_key_id
    const secret = Redacted.value(profile.aws_secret_access_key)
    yield* files.writable(home.file.path)
    const plain = { path: home.file.path, section: home.section }
    const wrote = yield* placeInStore(
      keyId,
      profile.aws_secret_access_key,
      `[${name}] still holds it in ${home.file.path}`,
      plain,
    )
    yield* Effect.gen(function* () {
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
          reason: `[${name}] did not read the key back from the ${store.name}, so the key is in ${home.file.path} again as before.`,
        })
      }
    }).pipe(noOrphan(keyId, secret, wrote, plain))
    yield* Console.log(
      `Moved: the key ${maskKeyId(keyId)} of [${name}] is in the ${store.name} (service ${storeService}, account ${keyId}); [${home.section}] in ${home.file.path} points to it and no longer holds it.\n` +
        `The AWS CLI gets the session through credential_process = ${sessionProcess(name)}.`,
    )
  })

/** Removes the store's copy of a key the file holds (`where`); a failure says how to remove it by hand. */
const removeCopy = (keyId: string, where: string) =>
  Effect.flatMap(KeyStore, (keyStore) => keyStore.remove(keyId)).pipe(
    Effect.catchTag("KeyStoreFailed", (error) =>
      Effect.fail(
        new InvalidInput({
          reason: `The key ${maskKeyId(keyId)} is in ${where}, but its copy in the ${error.store.name} stays (${error.message.replace(/\.$/, "")}): remove it with ${error.store.clear(keyId)}.`,
        }),
      ),
    ),
  )

const toFile = (name: ProfileName, loaded: LoadedProfile, keyId: string) =>
  Effect.gen(function* () {
    const files = yield* CredentialsFile
    const { secretStore: store } = yield* Platform
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
        reason: `[${name}] in ${home.file.path} does not read back the key ${keyId} written to it; the ${store.name} still holds it (service ${storeService}, account ${keyId}).`,
      })
    }
    const moved = `Moved: the key ${maskKeyId(keyId)} of [${name}] is in [${home.section}] of ${home.file.path}`
    const { pointing } = yield* pointersTo(keyId)
    if (pointing.length > 0)
      return yield* Console.log(
        `${moved}; the ${store.name} keeps it for ${pointing.join(" and ")}, which points to it.`,
      )
    yield* removeCopy(keyId, `[${home.section}] of ${home.file.path} again`)
    yield* Console.log(`${moved}; the ${store.name} no longer holds it.`)
  })

/**
 * A move back cut off before it removed the stored copy leaves the key in the file and in the store:
 * the copy is removed when it is the same secret, so proven to be the file's key. A store that cannot
 * be reached changes nothing here.
 */
const leftCopy = (already: string, where: string, keyId: string, secret: Redacted.Redacted<string>) =>
  Effect.gen(function* () {
    const { secretStore: store } = yield* Platform
    const item = `service ${storeService}, account ${keyId}`
    const copy = yield* (yield* KeyStore).read(keyId).pipe(Effect.orElseSucceed(() => Option.none()))
    if (Option.isNone(copy)) return yield* Console.log(`${already}: nothing to move.`)
    const { pointing } = yield* pointersTo(keyId)
    if (pointing.length > 0)
      return yield* Console.log(
        `${already}: nothing to move; ${pointing.join(" and ")} points to its copy in the ${store.name}, which stays.`,
      )
    if (Redacted.value(copy.value) !== Redacted.value(secret))
      return yield* Console.log(
        `${already}; the ${store.name} holds another secret under its key id (${item}), left as it is.`,
      )
    yield* removeCopy(keyId, where)
    yield* Console.log(`${already}; removed the copy a cut-off move left in the ${store.name} (${item}).`)
  })

export const key = Command.make(
  "key",
  { profile, store, dryRun },
  Effect.fn("key")(function* ({ profile: name, store: to, dryRun }) {
    const loaded = yield* (yield* Session).load(name)
    const { secretStore: keptIn } = yield* Platform
    const { home, profile, stored } = loaded
    const keyId = profile.aws_access_key_id
    const where = `[${home.section}] of ${home.file.path}`
    if ((stored !== undefined) === (to === "keyring")) {
      const already = `The key ${maskKeyId(keyId)} of [${name}] is already ${stored === undefined ? `in ${where}` : `in the ${keptIn.name}`}`
      return yield* to === "file"
        ? leftCopy(already, where, keyId, profile.aws_secret_access_key)
        : Console.log(`${already}: nothing to move.`)
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
    if (to === "keyring") yield* processWritable(name, `keep its key in ${where}`)
    if (dryRun) {
      return yield* Console.log(
        to === "keyring"
          ? [
              `Would move the key ${maskKeyId(keyId)} of [${name}] into the ${keptIn.name}:`,
              `  1. store it (service ${storeService}, account ${keyId}) and read it back`,
              `  2. in one edit of ${where}: remove aws_access_key_id and aws_secret_access_key, point to the stored key, add credential_process = ${sessionProcess(name)}`,
              `  3. check that [${name}] reads the key from the store (else put it back in the file, and remove the item this run wrote)`,
              "Nothing was changed.",
            ].join("\n")
          : [
              `Would move the key ${maskKeyId(keyId)} of [${name}] back into ${where}:`,
              "  1. in one edit: write aws_access_key_id and aws_secret_access_key, remove the pointer to the stored key and its credential_process",
              `  2. check that [${name}] reads the key from the file`,
              `  3. remove it from the ${keptIn.name} (service ${storeService}, account ${keyId})`,
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
