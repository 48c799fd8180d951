import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Terminal from "@effect/platform/Terminal"
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import { type AwsCredentials, maskKeyId, type ProfileName } from "../../schema/Credentials.js"
import { Cancelled, InvalidInput } from "../../schema/Errors.js"
import { Iam } from "../../services/Iam.js"
import { ask, type LoadedProfile, loadProfile } from "../common.js"
import { ensureSession } from "../login.js"
import { profile } from "../profile.js"
import { explain, keyState } from "./keys.js"
import { discardSteps, finishSteps, type Rotation, rotationSteps, type Step } from "./steps.js"
import * as Transaction from "./transaction.js"

const dryRun = Options.boolean("dry-run").pipe(
  Options.withDescription("Show the plan, built from read-only calls, and change nothing"),
)
const yes = Options.boolean("yes").pipe(
  Options.withAlias("y"),
  Options.withDescription("Do not ask to confirm"),
)
const mfa = Options.boolean("mfa").pipe(
  Options.withDescription(
    "Sign the IAM calls with the profile's MFA session (for policies that require MFA)",
  ),
)

export class KeysNotRotatable extends Data.TaggedError("KeysNotRotatable")<{ readonly reason: string }> {
  override get message() {
    return `${this.reason} Nothing was changed.`
  }
}

/** Profiles in the file whose key is `id`: people copy one key into several profiles. */
const profilesHolding = (loaded: LoadedProfile, name: ProfileName, id: string) => [
  name,
  ...[...loaded.file.sections.entries()]
    .filter(([section, s]) => section !== name && s.values.aws_access_key_id === id)
    .map(([section]) => section),
]

type Plan =
  | { readonly _tag: "Rotate"; readonly steps: ReadonlyArray<Step>; readonly rotation: Rotation }
  | { readonly _tag: "Recover"; readonly steps: ReadonlyArray<Step>; readonly explanation: string }

/** Reads the user's keys (read-only) and decides what a rotation must do, or why it cannot. */
const plan = (
  name: ProfileName,
  loaded: LoadedProfile,
  useMfa: boolean,
  created: Ref.Ref<Option.Option<AwsCredentials>>,
) =>
  Effect.gen(function* () {
    const { profile, signer } = loaded
    const userName = profile.username
    if (userName === undefined) {
      return yield* new InvalidInput({
        reason: `Profile [${name}] has no username: run \`aws-iam-login ${name} init\` first.`,
      })
    }
    const mfaSession = useMfa
      ? Option.some({
          credentials: (yield* ensureSession(name, {
            token: Option.none(),
            duration: Duration.hours(1),
            force: false,
          })).session.credentials,
          region: signer.region,
        })
      : Option.none()
    const reader = Option.getOrElse(mfaSession, () => signer)
    const keys = yield* (yield* Iam).listAccessKeys(reader, userName).pipe(
      Effect.catchTag("AccessDenied", (e) =>
        Effect.fail(
          useMfa
            ? e
            : new KeysNotRotatable({
                reason: `${e.message} If your policy requires MFA for IAM calls, run \`aws-iam-login ${name} rotate --mfa\`.`,
              }),
        ),
      ),
    )
    const state = keyState(keys, signer.credentials.accessKeyId)
    switch (state._tag) {
      case "NotListed":
      case "Inactive":
        return yield* new KeysNotRotatable({ reason: explain(state, userName, name) })
      case "Alone": {
        const rotation: Rotation = {
          userName,
          profiles: profilesHolding(loaded, name, state.mine.accessKeyId),
          oldKey: signer.credentials,
          region: signer.region,
          before: reader,
          mfaSession,
        }
        return { _tag: "Rotate", steps: rotationSteps(rotation, created), rotation } satisfies Plan
      }
      case "Newer":
        return {
          _tag: "Recover",
          steps: discardSteps(userName, reader, state.other.accessKeyId),
          explanation: explain(state, userName, name),
        } satisfies Plan
      case "Older":
        return {
          _tag: "Recover",
          steps: finishSteps(userName, reader, state.other.accessKeyId, state.other.status === "Active"),
          explanation: explain(state, userName, name),
        } satisfies Plan
    }
  })

const confirm = (question: string) =>
  ask(`${question} [y/N] `, (answer) =>
    /^(y|yes)$/i.test(answer.trim())
      ? Either.right(true)
      : /^(n|no|)$/i.test(answer.trim())
        ? Either.right(false)
        : Either.left("Answer y or n."),
  )

export const rotate = Command.make(
  "rotate",
  { profile, dryRun, yes, mfa },
  Effect.fn("rotate")(function* ({ profile: name, dryRun, yes, mfa }) {
    const terminal = yield* Terminal.Terminal
    const interactive = yield* terminal.isTTY
    if (!dryRun && !yes && !interactive) {
      return yield* new InvalidInput({
        reason:
          "rotate changes your access key: run it on a terminal to confirm the plan, or pass --yes (see --dry-run).",
      })
    }
    const loaded = yield* loadProfile(name)
    const created = yield* Ref.make(Option.none<AwsCredentials>())
    const chosen = yield* plan(name, loaded, mfa, created)
    const heading =
      chosen._tag === "Rotate"
        ? `Plan to rotate the key of [${name}] (IAM user ${chosen.rotation.userName}):`
        : `${chosen.explanation}\nPlan:`
    yield* Console.log(`${heading}\n${Transaction.describe(chosen.steps)}`)
    if (dryRun) return yield* Console.log("Dry run: nothing was changed.")
    if (!yes && !(yield* confirm(chosen._tag === "Rotate" ? "Rotate now?" : "Go ahead?"))) {
      return yield* new Cancelled({ reason: "Cancelled: nothing was changed." })
    }
    const state = (undoneAll: boolean) =>
      Effect.gen(function* () {
        const newKey = yield* Ref.get(created)
        if (!undoneAll) {
          return `Run \`aws-iam-login ${name} rotate\` again to see what is left${Option.match(newKey, {
            onNone: () => "",
            onSome: (k) => `; the new key is ${k.accessKeyId}`,
          })}.`
        }
        return `Your key ${maskKeyId(loaded.signer.credentials.accessKeyId)} is still the one in [${name}], Active and working.`
      })
    yield* Transaction.run(chosen.steps, state)
    if (chosen._tag === "Rotate") {
      const key = Option.getOrThrow(yield* Ref.get(created))
      const profiles = chosen.rotation.profiles.map((p) => `[${p}]`).join(", ")
      yield* Console.log(
        `Rotated: ${profiles} now use${chosen.rotation.profiles.length > 1 ? "" : "s"} ${maskKeyId(key.accessKeyId)}; the old key ${maskKeyId(loaded.signer.credentials.accessKeyId)} is deleted.`,
      )
    } else {
      yield* Console.log("Done: run rotate again to rotate the key.")
    }
  }),
).pipe(
  Command.withDescription("Replace the profile's access key with a new one, never leaving you locked out"),
)
