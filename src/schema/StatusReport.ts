import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { explain, keyState } from "../commands/rotate/keys.js"
import type { AccessKeyInfo } from "../services/Iam.js"
import { toolLine } from "./CommandLine.js"
import { maskKeyId } from "./Display.js"
import { keyLocation, keyLocationText } from "./KeyLocation.js"
import {
  describeSession,
  formatExpiration,
  mfaSerialProblem,
  reusable,
  sessionSection,
  showTime,
} from "./SessionRules.js"

/**
 * What `status` prints, from what it found: the command gathers the facts through its services, and
 * the launcher's fast path (src/fastStatus.ts) gathers them for a plain profile without the program.
 */

/** Keys older than this many days get a reminder to rotate. */
const rotateAfterDays = 90

/** An unfinished rotation's journal, as status reads it. */
export interface Unfinished {
  readonly path: string
  readonly entry: { readonly started: Date; readonly newKey?: { readonly id: string } | undefined }
}

export interface StatusFacts {
  readonly profile: string
  /** `[<profile>]` without its secret. */
  readonly described: {
    readonly aws_access_key_id: string
    readonly username?: string | undefined
    readonly mfa_serial?: string | undefined
  }
  /** The file and section that hold the key, or point to it in the OS secret store (`stored`, its key id). */
  readonly home: { readonly path: string; readonly section: string }
  readonly stored: string | undefined
  /** The stored session's end, when `[<profile>-sts]` holds one. */
  readonly expiration: Option.Option<Date>
  /** The unfinished rotation that names the profile, or why its journal cannot be read. */
  readonly journal: Either.Either<
    Option.Option<Unfinished>,
    { readonly path: string; readonly message: string }
  >
  readonly region: Option.Option<string>
  /** Where calls go when no region is set. */
  readonly callRegion: string
  /** The user's keys as IAM lists them, or why they are not known. */
  readonly keys: Either.Either<ReadonlyArray<AccessKeyInfo>, string>
  readonly now: number
}

/** The report `status --json` prints, and the text lines are made of. */
export const statusReport = (facts: StatusFacts) => {
  const { profile: name, described: profile, journal, keys, now } = facts
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
        : Option.some(explain(s, profile.username ?? "", name)),
  })
  return {
    profile: name,
    accessKeyIdMasked: maskKeyId(profile.aws_access_key_id),
    keyLocation: keyLocation(facts.home.path, facts.home.section, facts.stored),
    keyAgeDays: Option.getOrNull(ageDays),
    keyStatus: Option.getOrNull(Option.map(mine, (k) => k.status)),
    username: profile.username ?? null,
    mfaSerial: profile.mfa_serial ?? null,
    mfaSerialProblem:
      profile.mfa_serial === undefined ? null : (mfaSerialProblem(profile.mfa_serial) ?? null),
    sessionProfile: sessionSection(name),
    sessionExpiration: Option.getOrNull(Option.map(facts.expiration, formatExpiration)),
    sessionValid: Option.exists(facts.expiration, (e) => reusable(e, now)),
    region: Option.getOrNull(facts.region),
    rotationNotice: Option.getOrNull(notice),
    unfinishedRotation: Option.getOrNull(unfinished),
  }
}

/** What `status` prints (without the final newline): the report as text, or as JSON with `json`. */
export const statusOutput = (facts: StatusFacts, json: boolean): string => {
  const report = statusReport(facts)
  if (json) return JSON.stringify(report, null, 2)
  const name = facts.profile
  const init = `not set: run ${toolLine(name, "init")}`
  const age = Either.match(facts.keys, {
    onLeft: (reason) => `age unknown (${reason})`,
    onRight: () =>
      report.keyAgeDays === null
        ? "not found in IAM"
        : `${report.keyAgeDays} days old${report.keyAgeDays > rotateAfterDays ? `: time to rotate (${toolLine(name, "rotate")})` : ""}`,
  })
  const sessionLine = Option.match(facts.expiration, {
    onNone: () => `none: run ${toolLine(name)}`,
    onSome: (e) => describeSession(e, facts.now, name),
  })
  const unfinished = report.unfinishedRotation
  return [
    `profile     ${name}`,
    `key         ${report.accessKeyIdMasked}, ${age}`,
    `kept in     ${keyLocationText(facts.home.path, facts.home.section, facts.stored)}`,
    `username    ${report.username ?? init}`,
    `mfa_serial  ${
      report.mfaSerial === null
        ? init
        : report.mfaSerialProblem === null
          ? report.mfaSerial
          : `"${report.mfaSerial}" is invalid (${report.mfaSerialProblem}): login needs it; run ${toolLine(name, "init")}`
    }`,
    `session     [${report.sessionProfile}] ${sessionLine}`,
    `region      ${Option.getOrElse(facts.region, () => `none set (calls go to ${facts.callRegion})`)}`,
    ...(report.rotationNotice === null ? [] : [`rotation    ${report.rotationNotice}`]),
    ...(unfinished === null
      ? []
      : [
          unfinished.problem === null
            ? `rotation    unfinished, started ${unfinished.started === null ? "at an unknown time" : showTime(new Date(unfinished.started))} (journal ${unfinished.journal}): run ${toolLine(name, "rotate")} to finish or undo it`
            : `rotation    ${unfinished.problem}`,
        ]),
  ].join("\n")
}
