import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Terminal from "@effect/platform/Terminal"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { profile } from "../cli/profile.js"
import { derivedMfaSerial, parseIamUser } from "../schema/Arn.js"
import { mfaSerialProblem } from "../schema/Credentials.js"
import { InvalidInput, NoMfaDevice } from "../schema/Errors.js"
import { CredentialsFile } from "../services/CredentialsFile.js"
import { Iam, type MfaDevice } from "../services/Iam.js"
import { Session } from "../services/Session.js"
import { Sts } from "../services/Sts.js"
import { ask } from "../services/Terminal.js"

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

export const init = Command.make(
  "init",
  { profile, force, yes },
  Effect.fn("init")(function* ({ profile: name, force, yes }) {
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
    const identity = yield* (yield* Sts).getCallerIdentity(signer)
    const user = yield* parseIamUser(identity.arn)
    const iam = yield* Iam
    const serial = yield* iam.listMfaDevices(signer, user.userName).pipe(
      Effect.flatMap((devices) => chooseDevice(user.userName, devices, yes)),
      Effect.catchTag("AccessDenied", () =>
        Console.error(
          `Note: the policy does not allow iam:ListMFADevices, so mfa_serial was derived from the user name; if login fails, set mfa_serial in [${name}] to your device's ARN.`,
        ).pipe(Effect.as(derivedMfaSerial(user))),
      ),
    )
    yield* (yield* CredentialsFile).update(
      [{ section: home.section, set: { username: user.userName, mfa_serial: serial } }],
      home.file.path,
    )
    yield* Console.log(
      `Initialised [${name}]: username ${user.userName}, mfa_serial ${serial}.\nNext: aws-iam-login ${name}`,
    )
  }),
).pipe(
  Command.withDescription(
    "Store your IAM username and MFA device (mfa_serial) in [<profile>], read from AWS",
  ),
)
