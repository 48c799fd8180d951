import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Terminal from "@effect/platform/Terminal"
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { profile } from "../../cli/profile.js"
import { toolLine } from "../../schema/CommandLine.js"
import { type AwsCredentials, maskKeyId, type ProfileName, showTime } from "../../schema/Credentials.js"
import { Cancelled, InvalidInput } from "../../schema/Errors.js"
import { storedKeyId, storedKeyOf, storeService } from "../../schema/KeyStore.js"
import { CredentialsFile, type IniFile } from "../../services/CredentialsFile.js"
import { Iam } from "../../services/Iam.js"
import { type Found, Journal } from "../../services/Journal.js"
import { type LoadedProfile, Session } from "../../services/Session.js"
import type { Signer } from "../../services/Sts.js"
import { ask } from "../../services/Terminal.js"
import { noteIfStopped } from "../../signals.js"
import { describeKey, explain, keyState, removeCommand } from "./keys.js"
import {
  type Created,
  checkStep,
  createStep,
  deactivateStep,
  deleteStep,
  discardStep,
  forgetStep,
  holds,
  iamSigner,
  type Journaled,
  journalKeys,
  madeBy,
  profileList,
  type Rotation,
  reactivateStep,
  readBackStep,
  recordStep,
  removeItemStep,
  type StepContext,
  type StepError,
  waitStep,
  whatFileHolds,
  writeKeyStep,
  writeNewStep,
} from "./steps.js"
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

/**
 * Profiles in the file that hold the profile's key, id and secret (people copy one key into several
 * profiles), or for a stored key, that point to its item.
 */
const profilesHolding = ({ home, signer, stored }: LoadedProfile) => [
  home.section,
  ...[...home.file.sections.keys()].filter(
    (section) =>
      section !== home.section && holds(home.file, [section], signer.credentials, stored !== undefined),
  ),
]

/** A plan ready to show and to run: the same list of steps for both. */
interface Chosen {
  readonly heading: string
  readonly steps: string
  readonly question: string
  /** Runs the plan; `rerun` says what to run if the process is stopped at once midway. */
  readonly execute: (rerun: string) => Effect.Effect<void, Transaction.StepFailed, StepContext>
}

const choose = <In, Out>(
  heading: string,
  question: string,
  plan: Transaction.Plan<In, Out, StepError, StepContext>,
  input: In,
  options: Omit<Transaction.RunOptions<Out, StepContext>, "rerun">,
): Chosen => ({
  heading,
  question,
  steps: Transaction.describe(plan),
  execute: (rerun) => Effect.asVoid(Transaction.run(plan, input, { ...options, rerun })),
})

/** "[work] uses", "[work], [work-copy] use". */
const verb = (r: Rotation, word: string) => (r.profiles.length > 1 ? word : `${word}s`)

const unchanged = (name: string) =>
  `before rotate changed any key: run \`${toolLine(name, "rotate")}\` again when you are ready.`

const rerun = (name: string) =>
  `Run \`${toolLine(name, "rotate")}\` again: it finishes or undoes the rest from the journal.`

/** A rotation from the start: the file's key is the user's only key. */
const rotation = (
  name: ProfileName,
  loaded: LoadedProfile,
  userName: string,
  reader: Signer,
  mfaSession: Option.Option<Signer>,
) =>
  Effect.gen(function* () {
    const keys = yield* (yield* Iam).listAccessKeys(reader, userName).pipe(
      Effect.catchTag("AccessDenied", (e) =>
        Effect.fail(
          Option.isSome(mfaSession)
            ? e
            : new KeysNotRotatable({
                reason: `${e.message} If your policy requires MFA for IAM calls, run \`${toolLine(name, "rotate --mfa")}\`.`,
              }),
        ),
      ),
    )
    const state = keyState(keys, loaded.signer.credentials.accessKeyId)
    if (state._tag === "Second") {
      // Whether it is in use helps decide what to do with it; a policy may not allow asking.
      const lastUsed = yield* (yield* Iam)
        .accessKeyLastUsed(reader, state.other.accessKeyId)
        .pipe(Effect.option)
      const known = Option.isSome(lastUsed) ? { ...state, lastUsed: lastUsed.value } : state
      return yield* new KeysNotRotatable({ reason: explain(known, userName, name) })
    }
    if (state._tag !== "Alone") return yield* new KeysNotRotatable({ reason: explain(state, userName, name) })
    const r: Rotation = {
      profile: name,
      userName,
      profiles: profilesHolding(loaded),
      oldKey: loaded.signer.credentials,
      region: loaded.signer.region,
      mfaSession,
      before: keys.map((k) => k.accessKeyId),
      credentials: loaded.file.path,
      file: loaded.home.file.path,
      stored: loaded.stored !== undefined,
    }
    const old = maskKeyId(r.oldKey.accessKeyId)
    // Copies in the other file (and, for a stored key, in plain text in its own) are not rotated: each is named, before and after.
    const other = r.file === r.credentials ? yield* (yield* CredentialsFile).readConfig : loaded.file
    const sectionsOf = (file: IniFile, pointer: boolean) =>
      [...file.sections.entries()]
        .filter(([, section]) =>
          pointer
            ? storedKeyOf(section.values) === r.oldKey.accessKeyId
            : section.values.aws_access_key_id === r.oldKey.accessKeyId,
        )
        .map(([name]) => `[${name}]`)
    const copiesIn = (file: IniFile, pointer: boolean, fix: (them: string) => string) => {
      const copies = sectionsOf(file, pointer)
      const many = copies.length > 1
      const what = pointer
        ? `${many ? "point" : "points"} to the old key ${old}'s item in the OS secret store`
        : `${many ? "hold copies" : "holds a copy"} of the old key ${old}`
      return copies.length === 0
        ? ""
        : ` Not rotated: ${copies.join(", ")} in ${file.path} ${what}, which will stop working: ${fix(many ? "them" : "it")}, or remove ${many ? "them" : "it"}.`
    }
    // A profile that points to the stored item of a key rotated in plain text keeps its old secret.
    const pointNew = (them: string) =>
      `once [${name}] keeps the new key there (${toolLine(name, "key --store keyring")}), point ${them} to it (${storedKeyId})`
    const notRotated =
      copiesIn(other, false, () => `copy the new key there from [${name}]`) +
      copiesIn(
        other,
        true,
        r.stored
          ? (them) => `point ${them} to the new key's item as [${name}] does (${storedKeyId})`
          : pointNew,
      ) +
      (r.stored
        ? copiesIn(
            loaded.home.file,
            false,
            (them) => `point ${them} to the new key's item as [${name}] does (${storedKeyId})`,
          )
        : copiesIn(loaded.home.file, true, pointNew))
    const record = recordStep(r)
    const create = createStep(r)
    // Undone in reverse, so when only these are left the old key is back, Active, in the file.
    const afterOldKeyBack = [create, record].flatMap((step) => (step.undo ? [step.undo.name] : []))
    const oldKeyBack = (notUndone: ReadonlyArray<string>) =>
      notUndone.every((item) => afterOldKeyBack.some((undo) => item.startsWith(undo)))
    const created = Transaction.Plan.start<Rotation, StepError, StepContext>().next(record).next(create)
    const deleted = (r.stored ? created.next(readBackStep) : created)
      .next(writeNewStep(r))
      .next(waitStep("the new key"))
      .next(deactivateStep(r))
      .next(deleteStep(r))
    const plan = (
      r.stored
        ? deleted.next(removeItemStep<Created>(r.oldKey.accessKeyId, `the old key ${old}`, (s) => s.newKey))
        : deleted
    ).next(forgetStep<Created>((s) => s.newKey))
    const keeps = r.stored
      ? "the OS secret store keeps the new key"
      : "the journal keeps the new key's secret"
    return choose(
      `Plan to rotate the key of [${name}] (IAM user ${userName}):${notRotated}`,
      "Rotate now?",
      plan,
      r,
      {
        state: (outcome) =>
          Effect.succeed(
            outcome.committed
              ? `The old key ${old} is deleted; ${keeps}. ${rerun(name)}`
              : outcome.stoppedBy === "Unproven"
                ? `Your key ${old} is still the one in ${profileList(r.profiles)}, Active and working; the journal stays until rotate ends the rotation.`
                : outcome.stopped
                  ? `${keeps.slice(0, 1).toUpperCase()}${keeps.slice(1)}: put the new key back into ${profileList(r.profiles)}, or ${rerun(name).slice(0, 1).toLowerCase()}${rerun(name).slice(1)}`
                  : oldKeyBack(outcome.notUndone)
                    ? `Your key ${old} is still the one in [${name}], Active and working.${outcome.notUndone.length === 0 ? "" : ` ${rerun(name)}`}`
                    : rerun(name),
          ),
        finish: (c) =>
          Console.log(
            `Rotated: ${profileList(r.profiles)} now ${verb(r, "use")} ${maskKeyId(c.newKey.accessKeyId)}; the old key ${old} is deleted.${notRotated}`,
          ),
      },
    )
  })

export class RotationUnfinished extends Data.TaggedError("RotationUnfinished")<{
  readonly path: string
  readonly reason: string
}> {
  override get message() {
    return `An unfinished rotation was found (journal ${this.path}), and ${this.reason} Nothing was changed.`
  }
}

/** Lists the user's keys signed with the first of `signers` AWS accepts. */
const listWithAny = (userName: string, signers: ReadonlyArray<Signer>) =>
  Effect.flatMap(Iam, (iam) => Effect.firstSuccessOf(signers.map((s) => iam.listAccessKeys(s, userName))))

/** A rotation that was cut off: finish it or undo it, from what the journal names and the account shows. */
const recovery = (
  name: ProfileName,
  loaded: LoadedProfile,
  found: Found,
  mfaSession: Option.Option<Signer>,
) =>
  Effect.gen(function* () {
    const { entry, path } = found
    const known = yield* journalKeys(entry)
    const r: Rotation = {
      profile: name,
      userName: entry.userName,
      profiles: entry.profiles,
      oldKey: known.oldKey,
      region: loaded.signer.region,
      mfaSession,
      before: entry.before,
      // The journal was found beside this run's credentials file, whatever spelling of its path it recorded.
      credentials: loaded.file.path,
      file: loaded.home.file.path,
      stored: entry.store === "keyring",
    }
    const oldKey = r.oldKey
    const newKey = known.newKey
    const old = `the old key ${maskKeyId(oldKey.accessKeyId)}`
    const fresh = (key: AwsCredentials) => `the new key ${maskKeyId(key.accessKeyId)}`
    const names: Array<readonly [AwsCredentials, string]> = [[oldKey, old]]
    if (Option.isSome(newKey)) names.push([newKey.value, fresh(newKey.value)])
    const file = loaded.home.file
    const holdsOld = holds(file, r.profiles, oldKey, r.stored)
    const holdsNew = Option.exists(newKey, (k) => holds(file, r.profiles, k, r.stored))
    const unfinished = (reason: string) => new RotationUnfinished({ path, reason })
    // Only a key the user did not have before can be the rotation's: this journal proves nothing.
    if (Option.isSome(newKey) && r.before.includes(newKey.value.accessKeyId)) {
      return yield* unfinished(
        `it names ${maskKeyId(newKey.value.accessKeyId)}, a key ${r.userName} had before the rotation started, as the key it made: the journal is damaged, so rotate touches no key. Check ${r.userName}'s keys in the IAM console, then remove the journal.`,
      )
    }
    if (!holdsOld && !holdsNew) {
      return yield* unfinished(
        `${whatFileHolds(file, r.profiles, names, r.stored)}, not a key it names. Put ${old} or the new key back (${r.stored ? "the OS secret store holds both keys' items" : "the journal holds both secrets"}), then run rotate again.`,
      )
    }
    const inFile = holdsNew && Option.isSome(newKey) ? newKey.value : oldKey
    const keys = yield* listWithAny(r.userName, [
      iamSigner(r, inFile),
      ...names
        .filter(([k]) => k !== inFile && (k !== oldKey || known.oldSecretKnown))
        .map(([k]) => iamSigner(r, k)),
    ])
    const listed = (key: AwsCredentials) => keys.find((k) => k.accessKeyId === key.accessKeyId)
    const oldInfo = listed(oldKey)
    const newInfo = Option.flatMap(newKey, (k) => Option.fromNullable(listed(k)))
    const newActive = Option.filter(newKey, () => Option.exists(newInfo, (k) => k.status === "Active"))
    const started = `started ${showTime(entry.started)}`
    const finished = (text: string) => () => Console.log(text)
    const state = () => Effect.succeed(rerun(name))

    if (holdsNew && Option.isSome(newActive)) {
      // The file has the new key and AWS lists it Active: finish what was started.
      const input: Created = { rotation: r, entry, journal: path, newKey: newActive.value }
      let plan = Transaction.Plan.start<Created, StepError, StepContext>().next(
        waitStep(fresh(newActive.value)),
      )
      if (oldInfo?.status === "Active") plan = plan.next(deactivateStep(r))
      if (oldInfo !== undefined) plan = plan.next(deleteStep(r))
      if (r.stored) plan = plan.next(removeItemStep<Created>(oldKey.accessKeyId, old, (s) => s.newKey))
      return choose(
        `A rotation of [${entry.profile}] was cut off (${started}; journal ${path}): ${profileList(r.profiles)} ${verb(r, "hold")} ${fresh(newActive.value)}. To finish it:`,
        "Finish it?",
        plan.next(forgetStep<Created>((s) => s.newKey)),
        input,
        {
          state,
          finish: finished(
            `Rotated: ${profileList(r.profiles)} ${verb(r, "use")} ${fresh(newActive.value)}; ${old} is deleted.`,
          ),
        },
      )
    }
    const input: Journaled = { rotation: r, entry, journal: path }
    if (oldInfo === undefined) {
      if (holdsOld && Option.isSome(newActive)) {
        // The old key is gone and the file lost the new one (an older copy was saved over it).
        const written = Transaction.Plan.start<Journaled, StepError, StepContext>()
          .next(checkStep<Journaled>(newActive.value, fresh(newActive.value)))
          .next(writeKeyStep<Journaled>(r, newActive.value, fresh(newActive.value), oldKey))
        const plan = (
          r.stored
            ? written.next(removeItemStep<Journaled>(oldKey.accessKeyId, old, () => newActive.value))
            : written
        ).next(forgetStep<Journaled>(() => newActive.value))
        return choose(
          `A rotation of [${entry.profile}] was cut off (${started}; journal ${path}): ${old} is deleted and ${profileList(r.profiles)} still ${verb(r, "hold")} it. To finish it:`,
          "Finish it?",
          plan,
          input,
          {
            state,
            finish: finished(
              `Rotated: ${profileList(r.profiles)} ${verb(r, "use")} ${fresh(newActive.value)}.`,
            ),
          },
        )
      }
      return yield* unfinished(
        `AWS no longer lists ${old}${Option.isSome(newKey) ? `, and ${fresh(newKey.value)} is ${Option.match(newInfo, { onNone: () => "gone", onSome: (k) => k.status })}` : ""}: no key the journal names can be kept. Make a new key in the IAM console.`,
      )
    }
    // Undo: keep the old key, remove what the rotation made.
    let plan = Transaction.Plan.start<Journaled, StepError, StepContext>()
    if (oldInfo.status !== "Active") {
      if (Option.isNone(newActive) && Option.isNone(mfaSession)) {
        return yield* unfinished(
          `${old} is Inactive and no other key the journal names works: reactivate it in the IAM console, then run rotate again.`,
        )
      }
      // Signed with the new key, or with --mfa the MFA session (the key passed is then unused).
      plan = plan.next(
        reactivateStep<Journaled>(
          r,
          Option.getOrElse(newActive, () => oldKey),
        ),
      )
    }
    if (!known.oldSecretKnown) {
      return yield* unfinished(
        `the OS secret store has no item for ${old}, which AWS still lists: put its secret back (service ${storeService}, account ${oldKey.accessKeyId}), then run rotate again.`,
      )
    }
    plan = plan.next(checkStep<Journaled>(oldKey, old))
    if (holdsNew && Option.isSome(newKey))
      plan = plan.next(writeKeyStep<Journaled>(r, oldKey, old, newKey.value))
    const stranger = keys.find((k) => !r.before.includes(k.accessKeyId) && !madeBy(entry, k))
    if (stranger !== undefined) {
      // Cut off during CreateAccessKey: the key may be the one it made, or one made since; no telling.
      const reason =
        entry.newKey === undefined
          ? `${r.userName} has a second key, ${describeKey(stranger)}, besides the one in [${name}]. The rotation was cut off during CreateAccessKey, so it may be the key that call made, whose secret never arrived (nobody can use that one), or a key someone made since (a CI job, another machine): rotate cannot tell, so it does not touch it. If nothing needs it, remove it (${removeCommand(r.userName, stranger.accessKeyId)}) and run rotate again.`
          : `${explain({ _tag: "Second", mine: oldInfo, other: stranger }, r.userName, name)} Until then the rotation is not undone.`
      return yield* unfinished(reason)
    }
    for (const made of keys.filter((k) => madeBy(entry, k))) {
      plan = plan.next(
        discardStep<Journaled>(r, made.accessKeyId, `the new key ${maskKeyId(made.accessKeyId)}`),
      )
    }
    // A new key AWS no longer lists (an undo deleted it) may still have its item.
    const gone = entry.newKey?.id
    if (r.stored && gone !== undefined && !keys.some((k) => k.accessKeyId === gone)) {
      plan = plan.next(
        removeItemStep<Journaled>(gone, `the new key ${maskKeyId(gone)}`, (s) => s.rotation.oldKey),
      )
    }
    return choose(
      `A rotation of [${entry.profile}] was cut off (${started}; journal ${path}): ${profileList(r.profiles)} ${verb(r, "hold")} ${holdsNew ? "the new key, which AWS no longer accepts" : old}. To undo it:`,
      "Undo it?",
      plan.next(forgetStep<Journaled>((s) => s.rotation.oldKey)),
      input,
      {
        state,
        finish: finished(
          `Undone: ${profileList(r.profiles)} ${verb(r, "keep")} ${old}, Active and working. Run rotate again to rotate it.`,
        ),
      },
    )
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
    // Until the steps run (the transaction then reports an interruption itself), a Ctrl-C leaves every key as it was.
    const chosen = yield* Effect.gen(function* () {
      const journal = yield* Journal
      // One rotation of the file at a time; the file is read once the lock is held.
      if (!dryRun) {
        yield* journal.lock((pid) =>
          Console.error(
            `Another rotation (${Option.match(pid, { onNone: () => "its lock names no process yet", onSome: (p) => `process ${p}` })}) is running: waiting for it to end…`,
          ),
        )
      }
      const loaded = yield* (yield* Session).load(name)
      if (loaded.signer.credentials.sessionToken !== undefined) {
        return yield* new KeysNotRotatable({
          reason: `[${loaded.home.section}] in ${loaded.home.file.path} holds a session token beside its key, so the key is a temporary one from STS, which IAM cannot rotate: put your IAM user's long-term key there, without aws_session_token.`,
        })
      }
      // Before any key is made: a file that cannot take the new key would leave it with the journal.
      if (!dryRun) yield* (yield* CredentialsFile).writable(loaded.home.file.path)
      const userName = loaded.profile.username
      if (userName === undefined) {
        return yield* new InvalidInput({
          reason: `Profile [${name}] has no username: run \`${toolLine(name, "init")}\` first.`,
        })
      }
      const mfaSession = mfa
        ? Option.some({
            credentials: (yield* (yield* Session).ensure(name, {
              token: Option.none(),
              duration: Option.some(Duration.hours(1)),
              force: false,
            })).session.credentials,
            region: loaded.signer.region,
            profile: name,
          })
        : Option.none()
      const found = yield* journal.find(name)
      const chosen = Option.isSome(found)
        ? yield* recovery(name, loaded, found.value, mfaSession)
        : yield* rotation(
            name,
            loaded,
            userName,
            Option.getOrElse(mfaSession, () => loaded.signer),
            mfaSession,
          )
      yield* Console.log(`${chosen.heading}\n${chosen.steps}`)
      if (dryRun) return yield* Effect.as(Console.log("Dry run: nothing was changed."), Option.none<Chosen>())
      if (!yes && !(yield* confirm(chosen.question))) {
        return yield* new Cancelled({ reason: "Cancelled: nothing was changed." })
      }
      return Option.some(chosen)
    }).pipe(
      Effect.onInterrupt(() => Console.error(`aws-iam-login: interrupted ${unchanged(name)}`)),
      // Stopped at once while the interruption waits for a call that cannot be cut short (an open that never returns).
      noteIfStopped(() => `Stopped ${unchanged(name)}`),
    )
    if (Option.isNone(chosen)) return
    yield* chosen.value.execute(rerun(name))
  }, Effect.scoped),
).pipe(
  Command.withDescription("Replace the profile's access key with a new one, never leaving you locked out"),
)
