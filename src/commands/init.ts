import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Terminal from "@effect/platform/Terminal"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { profile } from "../cli/profile.js"
import { derivedMfaSerial, parseIamUser } from "../schema/Arn.js"
import { toolLine } from "../schema/CommandLine.js"
import {
  AccessKeyId,
  fallbackRegion,
  maskKeyId,
  mfaSerialProblem,
  type ProfileName,
  Secret,
} from "../schema/Credentials.js"
import { InvalidInput, NoMfaDevice } from "../schema/Errors.js"
import * as Ini from "../schema/Ini.js"
import { holdsKey, type KeyPlace, storedKeyId, storeKey, storeService } from "../schema/KeyStore.js"
import { CredentialsFile } from "../services/CredentialsFile.js"
import { Iam, type MfaDevice } from "../services/Iam.js"
import { Platform } from "../services/Platform.js"
import { Session } from "../services/Session.js"
import { type Signer, Sts } from "../services/Sts.js"
import { ask, askHidden } from "../services/Terminal.js"
import { noOrphan, placeInStore, processWritable, resolvesTo, sessionProcess } from "./key.js"

const force = Options.boolean("force").pipe(
  Options.withAlias("f"),
  Options.withDescription("Read username and mfa_serial from AWS again, even if they are stored"),
)
const yes = Options.boolean("yes").pipe(
  Options.withAlias("y"),
  Options.withDescription("With several MFA devices, take the first without asking"),
)

/** FIDO keys (`:u2f/`) cannot answer STS GetSessionToken; virtual and hardware TOTP devices can. */
const usable = (device: MfaDevice) => !device.serialNumber.includes(":u2f/")

const chooseDevice = (userName: string, devices: ReadonlyArray<MfaDevice>, yes: boolean) =>
  Effect.gen(function* () {
    const serials = devices.filter(usable).map((d) => d.serialNumber)
    const [first] = serials
    if (first === undefined) return yield* new NoMfaDevice({ userName })
    if (serials.length === 1 || yes) return first
    const list = serials.map((serial, i) => `  ${i + 1}. ${serial}`).join("\n")
    const terminal = yield* Terminal.Terminal
    if (!(yield* terminal.isTTY)) {
      return yield* new InvalidInput({
        reason: `IAM user ${userName} has ${serials.length} MFA devices (${serials.join(", ")}): run init on a terminal to choose, or pass --yes to take the first.`,
      })
    }
    yield* terminal
      .display(`IAM user ${userName} has ${serials.length} MFA devices:\n${list}\n`)
      .pipe(Effect.orDie)
    return yield* ask(`Which one (1-${serials.length})? `, (answer) => {
      const chosen = serials[Number(answer.trim()) - 1]
      return chosen !== undefined && /^\d+$/.test(answer.trim())
        ? Either.right(chosen)
        : Either.left(`Answer with a number from 1 to ${serials.length}.`)
    })
  })

const store = Options.choice("store", ["keyring", "file"] as const).pipe(
  Options.optional,
  Options.withDescription(
    "For a profile that has no key yet: ask for its access key (on the terminal, or two lines of stdin; never on the command line) and keep it in the OS secret store (keyring) or in [<profile>] of the credentials file (file)",
  ),
)

/** The IAM user the key belongs to, and its MFA device. */
const identify = (name: ProfileName, signer: Signer, yes: boolean) =>
  Effect.gen(function* () {
    const identity = yield* (yield* Sts).getCallerIdentity(signer)
    const user = yield* parseIamUser(identity.arn)
    const serial = yield* (yield* Iam).listMfaDevices(signer, user.userName).pipe(
      Effect.flatMap((devices) => chooseDevice(user.userName, devices, yes)),
      Effect.catchTag("AccessDenied", () =>
        Console.error(
          `Note: the policy does not allow iam:ListMFADevices, so mfa_serial was derived from the user name; if login fails, set mfa_serial in [${name}] to your device's ARN.`,
        ).pipe(Effect.as(derivedMfaSerial(user))),
      ),
    )
    return { userName: user.userName, serial }
  })

/**
 * One value asked on the terminal (`hidden`: not shown as typed), else read as a line of stdin;
 * never repeated in a message.
 */
const readValue = <A, I>(question: string, what: string, schema: Schema.Schema<A, I>, hidden = false) =>
  Effect.gen(function* () {
    const decode = (answer: string) =>
      Schema.decodeUnknownEither(schema)(answer.trim()).pipe(Either.mapLeft(() => `That is not ${what}.`))
    const terminal = yield* Terminal.Terminal
    const tty = yield* terminal.isTTY
    if (tty && !hidden) return yield* ask(question, decode)
    const line = tty
      ? Redacted.value(yield* askHidden(question))
      : yield* terminal.readLine.pipe(
          Effect.catchTag(
            "QuitException",
            () =>
              new InvalidInput({
                reason: `No ${what}: give it on the terminal, or as a line of stdin. Nothing was changed.`,
              }),
          ),
        )
    return yield* Either.mapLeft(
      decode(line),
      (reason) => new InvalidInput({ reason: `${reason} Nothing was changed.` }),
    )
  })

/** init on a profile with no key yet: the key is asked for, checked with AWS, and kept where `to` says. */
const initNew = (name: ProfileName, to: KeyPlace, yes: boolean) =>
  Effect.gen(function* () {
    const files = yield* CredentialsFile
    const file = yield* files.read
    const config = yield* files.readConfig
    const own = file.sections.get(name)
    const holders = [own?.values, Ini.configProfile(config.sections, name)?.values]
    if (holders.some(holdsKey)) {
      return yield* new InvalidInput({
        reason: `[${name}] already has a key: run ${toolLine(name, "init")} without --store, then ${toolLine(name, `key --store ${to}`)} to move it. Nothing was changed.`,
      })
    }
    if (to === "keyring")
      yield* processWritable(
        name,
        `run ${toolLine(name, "init")} without --store keyring, which keeps the key in the file`,
      )
    yield* files.writable()
    const keyId = yield* readValue("AWS Access Key ID: ", "an access key id", AccessKeyId)
    const secret = yield* readValue("AWS Secret Access Key: ", "a secret access key", Secret, true)
    const region = yield* files.region(name, file)
    const signer = {
      credentials: { accessKeyId: keyId, secretAccessKey: secret },
      region: Option.getOrElse(region, () => fallbackRegion),
      profile: name,
    }
    const { userName, serial } = yield* identify(name, signer, yes)
    const values = { username: userName, mfa_serial: serial }
    // Made only if [name] still holds no key, and what it sets is as read before the questions and calls.
    const edit = (set: Readonly<Record<string, string>>) => ({
      section: name,
      set,
      expect: Object.fromEntries(
        [
          ...new Set([
            "aws_access_key_id",
            "aws_secret_access_key",
            storeKey,
            storedKeyId,
            ...Object.keys(set),
          ]),
        ].map((key) => [key, own?.values[key]]),
      ),
    })
    const done = `Initialised [${name}]: username ${userName}, mfa_serial ${serial}`
    if (to === "file") {
      yield* files.update([
        edit({ aws_access_key_id: keyId, aws_secret_access_key: Redacted.value(secret), ...values }),
      ])
      return yield* Console.log(
        `${done}; the key ${maskKeyId(keyId)} is in [${name}] of ${file.path}.\nNext: ${toolLine(name)}`,
      )
    }
    const wrote = yield* placeInStore(keyId, secret, `nothing was written to [${name}]`, undefined)
    const { secretStore: keptIn } = yield* Platform
    const pointer = { [storeKey]: "keyring", [storedKeyId]: keyId, credential_process: sessionProcess(name) }
    yield* Effect.gen(function* () {
      yield* files.update([edit({ ...values, ...pointer })])
      if (
        !(yield* resolvesTo(name, "keyring", keyId, Redacted.value(secret)).pipe(
          Effect.orElseSucceed(() => false),
        ))
      ) {
        // Undone only while [name] is as this run wrote it: what was written there since is kept.
        const written = { ...values, ...pointer }
        const undone = yield* (
          own === undefined
            ? files.remove(name, written)
            : files.update([
                {
                  section: name,
                  set: Object.fromEntries(
                    Object.keys(written).flatMap((key) => {
                      const was = own.values[key]
                      return was === undefined ? [] : [[key, was]]
                    }),
                  ),
                  expect: written,
                  unset: Object.keys(written).filter((key) => own.values[key] === undefined),
                },
              ])
        ).pipe(
          Effect.as(true),
          Effect.catchTag("InvalidInput", () => Effect.succeed(false)),
        )
        return yield* new InvalidInput({
          reason: undone
            ? `[${name}] did not read the key back from the ${keptIn.name}, so ${file.path} is as it was`
            : `[${name}] did not read the key back from the ${keptIn.name}, and ${file.path} changed meanwhile, so [${name}] is left as it is now`,
        })
      }
    }).pipe(noOrphan(keyId, Redacted.value(secret), wrote, undefined))
    yield* Console.log(
      `${done}; the key ${maskKeyId(keyId)} is in the ${keptIn.name} (service ${storeService}, account ${keyId}), which [${name}] points to.\n` +
        `The AWS CLI gets the session through credential_process = ${sessionProcess(name)}.\nNext: ${toolLine(name)}`,
    )
  })

export const init = Command.make(
  "init",
  { profile, force, yes, store },
  Effect.fn("init")(function* ({ profile: name, force, yes, store }) {
    if (Option.isSome(store)) return yield* initNew(name, store.value, yes)
    const { home, profile, signer } = yield* (yield* Session).load(name)
    if (
      !force &&
      profile.username !== undefined &&
      profile.mfa_serial !== undefined &&
      mfaSerialProblem(profile.mfa_serial) === undefined
    ) {
      return yield* Console.log(
        `[${name}] is already initialised: username ${profile.username}, mfa_serial ${profile.mfa_serial}. Use --force to read them again.`,
      )
    }
    const { userName, serial } = yield* identify(name, signer, yes)
    // Written only while the key AWS named the user by, and what this overwrites, are as read before the calls.
    const read = home.file.sections.get(home.section)?.values
    yield* (yield* CredentialsFile).update(
      [
        {
          section: home.section,
          set: { username: userName, mfa_serial: serial },
          expect: Object.fromEntries(
            [
              "aws_access_key_id",
              "aws_secret_access_key",
              storeKey,
              storedKeyId,
              "username",
              "mfa_serial",
            ].map((key) => [key, read?.[key]]),
          ),
        },
      ],
      home.file.path,
    )
    yield* Console.log(
      `Initialised [${name}]: username ${userName}, mfa_serial ${serial}.\nNext: ${toolLine(name)}`,
    )
  }),
).pipe(
  Command.withDescription(
    "Store your IAM username and MFA device (mfa_serial) in [<profile>], read from AWS; with --store, a new profile's key too",
  ),
)
