import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { profile } from "../cli/profile.js"
import { toolLine } from "../schema/CommandLine.js"
import {
  describeSession,
  formatExpiration,
  maskKeyId,
  mfaSerialProblem,
  reusable,
  SessionProfile,
  sessionSection,
  showTime,
} from "../schema/Credentials.js"
import { keyLocation, keyLocationText } from "../schema/KeyStore.js"
import { decodeSection } from "../services/CredentialsFile.js"
import { Iam } from "../services/Iam.js"
import { Journal } from "../services/Journal.js"
import { Session } from "../services/Session.js"
import { explain, keyState } from "./rotate/keys.js"

const json = Options.boolean("json").pipe(Options.withDescription("Print the status as JSON"))

/** Keys older than this many days get a reminder to rotate. */
const rotateAfterDays = 90

export const status = Command.make(
  "status",
  { profile, json },
  Effect.fn("status")(function* ({ profile: name, json }) {
    const session = yield* Session
    const located = yield* session.locate(name)
    const { file, described: profile, region, home, stored } = located
    const signer = yield* session.reader(located)
    const now = yield* Clock.currentTimeMillis
    const section = sessionSection(name)
    const expiration = Option.map(
      yield* decodeSection(file, section, SessionProfile).pipe(Effect.option),
      (s) => s.expiration,
    )
    const journal = yield* (yield* Journal).find(name).pipe(Effect.either)
    const unfinished: Option.Option<{
      readonly journal: string
      readonly started: string | null
      readonly newKeyId: string | null
      readonly problem: string | null
    }> = Either.match(journal, {
      onLeft: (e) => Option.some({ journal: e.path, started: null, newKeyId: null, problem: e.message }),
      onRight: Option.map(({ entry, path }) => ({
        journal: path,
        started: formatExpiration(entry.started),
        newKeyId: entry.newKey === undefined ? null : maskKeyId(entry.newKey.id),
        problem: null,
      })),
    })
    const userName = profile.username
    const keys =
      userName === undefined
        ? Either.left("no username: run init")
        : Either.isLeft(signer)
          ? Either.left(signer.left)
          : yield* (yield* Iam).listAccessKeys(signer.right, userName).pipe(
              Effect.mapError((e) => e.message),
              Effect.either,
            )
    const state = Either.map(keys, (list) => keyState(list, profile.aws_access_key_id))
    const mine = Either.getRight(state).pipe(
      Option.flatMap((s) => ("mine" in s ? Option.some(s.mine) : Option.none())),
    )
    const ageDays = Option.map(mine, (k) =>
      Math.floor((now - k.created.getTime()) / Duration.toMillis("1 day")),
    )
    const notice = Either.match(state, {
      onLeft: () => Option.none<string>(),
      // While a rotation is unfinished its second key is expected: the journal's line says what to do.
      onRight: (s) =>
        s._tag === "Alone" || Option.isSome(Option.flatten(Either.getRight(journal)))
          ? Option.none()
          : Option.some(explain(s, userName ?? "", name)),
    })
    const report = {
      profile: name,
      accessKeyIdMasked: maskKeyId(profile.aws_access_key_id),
      keyLocation: keyLocation(home.file.path, home.section, stored),
      keyAgeDays: Option.getOrNull(ageDays),
      keyStatus: Option.getOrNull(Option.map(mine, (k) => k.status)),
      username: profile.username ?? null,
      mfaSerial: profile.mfa_serial ?? null,
      mfaSerialProblem:
        profile.mfa_serial === undefined ? null : (mfaSerialProblem(profile.mfa_serial) ?? null),
      sessionProfile: section,
      sessionExpiration: Option.getOrNull(Option.map(expiration, formatExpiration)),
      sessionValid: Option.exists(expiration, (e) => reusable(e, now)),
      region: Option.getOrNull(region),
      rotationNotice: Option.getOrNull(notice),
      unfinishedRotation: Option.getOrNull(unfinished),
    }
    if (json) return yield* Console.log(JSON.stringify(report, null, 2))
    const init = `not set: run ${toolLine(name, "init")}`
    const age = Either.match(keys, {
      onLeft: (reason) => `age unknown (${reason})`,
      onRight: () =>
        Option.match(ageDays, {
          onNone: () => "not found in IAM",
          onSome: (days) =>
            `${days} days old${days > rotateAfterDays ? `: time to rotate (${toolLine(name, "rotate")})` : ""}`,
        }),
    })
    const sessionLine = Option.match(expiration, {
      onNone: () => `none: run ${toolLine(name)}`,
      onSome: (e) => describeSession(e, now, name),
    })
    yield* Console.log(
      [
        `profile     ${name}`,
        `key         ${report.accessKeyIdMasked}, ${age}`,
        `kept in     ${keyLocationText(home.file.path, home.section, stored)}`,
        `username    ${report.username ?? init}`,
        `mfa_serial  ${
          report.mfaSerial === null
            ? init
            : report.mfaSerialProblem === null
              ? report.mfaSerial
              : `"${report.mfaSerial}" is invalid (${report.mfaSerialProblem}): login needs it; run ${toolLine(name, "init")}`
        }`,
        `session     [${section}] ${sessionLine}`,
        `region      ${Option.getOrElse(region, () => `none set (calls go to ${located.callRegion})`)}`,
        ...Option.toArray(Option.map(notice, (n) => `rotation    ${n}`)),
        ...Option.toArray(
          Option.map(unfinished, (u) =>
            u.problem === null
              ? `rotation    unfinished, started ${u.started === null ? "at an unknown time" : showTime(new Date(u.started))} (journal ${u.journal}): run ${toolLine(name, "rotate")} to finish or undo it`
              : `rotation    ${u.problem}`,
          ),
        ),
      ].join("\n"),
    )
  }),
).pipe(
  Command.withDescription(
    "Show the key (masked) and its age, username, MFA device, session expiry, any unfinished rotation",
  ),
)
