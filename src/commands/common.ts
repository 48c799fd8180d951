import * as Terminal from "@effect/platform/Terminal"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import {
  LongTermProfile,
  longTermKey,
  type ProfileName,
  type Session,
  SessionProfile,
  sessionOf,
  sessionSection,
} from "../schema/Credentials.js"
import { Cancelled } from "../schema/Errors.js"
import * as Ini from "../schema/Ini.js"
import { CredentialsFile, decodeSection, type IniFile, unclearValue } from "../services/CredentialsFile.js"
import type { Signer } from "../services/Sts.js"

/** STS answers in every region; us-east-1 is where the AWS CLI sends it when none is set. */
const fallbackRegion = "us-east-1"

export interface LoadedProfile {
  /** The credentials file (where sessions go). */
  readonly file: IniFile
  /** Where the profile's key is kept, so that changes to it are written back there. */
  readonly home: { readonly file: IniFile; readonly section: string }
  readonly profile: LongTermProfile
  /** The profile's long-term key, as it signs calls. */
  readonly signer: Signer
  /** The region configured for the profile, as the AWS CLI finds it; none when nothing sets one. */
  readonly region: Option.Option<string>
}

export const loadProfile = Effect.fn("loadProfile")(function* (name: ProfileName) {
  const files = yield* CredentialsFile
  const file = yield* files.read
  const home = yield* keyHome(file, name)
  const profile = yield* decodeSection(home.file, home.section, LongTermProfile)
  const region = yield* files.region(name, file)
  return {
    file,
    home,
    profile,
    signer: {
      credentials: longTermKey(profile),
      region: Option.getOrElse(region, () => fallbackRegion),
      profile: name,
    },
    region,
  } satisfies LoadedProfile
})

/**
 * Where the AWS CLI reads the profile's key from (botocore's shared-credentials-file provider, then
 * its config-file one): `[name]` in the credentials file when it holds aws_access_key_id, else
 * `[profile name]` (`[default]`) in the config file when that does.
 */
const keyHome = (file: IniFile, name: ProfileName) =>
  Effect.gen(function* () {
    if (file.sections.get(name)?.values.aws_access_key_id !== undefined) return { file, section: name }
    const config = yield* (yield* CredentialsFile).readConfig
    const section = Ini.configProfile(config.sections, name)
    const inConfig = section !== undefined && section.values.aws_access_key_id !== undefined
    yield* Effect.logDebug(
      `the key of [${name}] is ${inConfig ? `in [${section.name}] of ${config.path}` : "not in the config file either"}`,
    )
    return inConfig ? { file: config, section: section.name } : { file, section: name }
  })

/** A session must outlive this to be reused rather than renewed. */
export const sessionMargin = Duration.minutes(5)

/** The session in `[<profile>-sts]`, when it is still valid for longer than the margin. */
export const currentSession = (file: IniFile, name: ProfileName) =>
  Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    const stored = file.sections.get(sessionSection(name))
    if (stored === undefined) return Option.none<Session>()
    const unclear = unclearValue(file, sessionSection(name), SessionProfile)
    if (unclear !== undefined) return yield* unclear
    const decoded = Schema.decodeUnknownEither(SessionProfile)(stored.values)
    return Either.isRight(decoded) &&
      decoded.right.expiration.getTime() - now > Duration.toMillis(sessionMargin)
      ? Option.some(sessionOf(decoded.right))
      : Option.none<Session>()
  })

/** `11h 59m`, `4m`: how long until `date`. */
export const timeLeft = (date: Date, now: number): string => {
  const minutes = Math.max(0, Math.floor((date.getTime() - now) / 60_000))
  const days = Math.floor(minutes / 1440)
  const hours = Math.floor((minutes % 1440) / 60)
  const parts = [days > 0 ? `${days}d` : "", hours > 0 ? `${hours}h` : "", `${minutes % 60}m`]
  return parts.filter((p) => p !== "").join(" ")
}

/** Asks on the terminal until `parse` accepts the answer; Ctrl-D or Ctrl-C cancels. */
export const ask = <A>(question: string, parse: (answer: string) => Either.Either<A, string>, attempts = 5) =>
  Effect.gen(function* () {
    const terminal = yield* Terminal.Terminal
    for (let attempt = 1; ; attempt++) {
      yield* terminal.display(question).pipe(Effect.orDie)
      const answer = yield* terminal.readLine.pipe(
        Effect.catchTag("QuitException", () => new Cancelled({ reason: "Cancelled: no answer was given." })),
      )
      const parsed = parse(answer)
      if (Either.isRight(parsed)) return parsed.right
      if (attempt >= attempts)
        return yield* new Cancelled({ reason: `${parsed.left} Giving up after ${attempts} tries.` })
      yield* terminal.display(`${parsed.left}\n`).pipe(Effect.orDie)
    }
  })
