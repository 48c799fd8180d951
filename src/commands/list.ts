import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import {
  formatExpiration,
  LongTermProfile,
  marginText,
  mfaSerialProblem,
  type ProfileName,
  reusable,
  SessionProfile,
  sessionSection,
  showTime,
  timeLeft,
} from "../schema/Credentials.js"
import * as Ini from "../schema/Ini.js"
import { holdsKey, keyLocation, storedKeyOf } from "../schema/KeyStore.js"
import {
  CredentialsFile,
  decodeSection,
  describeSection,
  type IniFile,
  profileNames,
} from "../services/CredentialsFile.js"
import { Iam } from "../services/Iam.js"
import { Session } from "../services/Session.js"

const keys = Options.boolean("keys").pipe(
  Options.withDescription("Also ask IAM how old each profile's key is (one call per profile)"),
)
const json = Options.boolean("json").pipe(Options.withDescription("Print the list as JSON"))

/** The age in days of the profile's key, from IAM; Left: why it is not known. */
const keyAge = (
  name: ProfileName,
  userName: string | undefined,
  now: number,
): Effect.Effect<Either.Either<number, string>, never, Session | Iam> =>
  Effect.gen(function* () {
    if (userName === undefined) return Either.left("no username: run init")
    const session = yield* Session
    const located = yield* session.locate(name)
    const signer = yield* session.reader(located)
    if (Either.isLeft(signer)) return Either.left(signer.left)
    const listed = yield* (yield* Iam).listAccessKeys(signer.right, userName)
    const mine = listed.find((key) => key.accessKeyId === located.described.aws_access_key_id)
    return mine === undefined
      ? Either.left("not found in IAM")
      : Either.right(Math.floor((now - mine.created.getTime()) / Duration.toMillis("1 day")))
  }).pipe(Effect.catchAll((error) => Effect.succeed(Either.left(error.message))))

export const list = Command.make(
  "list",
  { keys, json },
  Effect.fn("list")(function* ({ keys, json }) {
    const files = yield* CredentialsFile
    const file = yield* files.read
    const config = yield* files.readConfig
    const now = yield* Clock.currentTimeMillis
    // Where each profile's key is kept, as the AWS CLI looks: the credentials file, then the config file.
    const homes = new Map<string, { readonly file: IniFile; readonly section: string }>()
    for (const name of profileNames(file))
      if (holdsKey(file.sections.get(name)?.values)) homes.set(name, { file, section: name })
    for (const [name, section] of Ini.configProfiles(config.sections))
      if (!homes.has(name) && holdsKey(section.values))
        homes.set(name, { file: config, section: section.name })
    // The session of a profile whose key is in the config file is that profile's, not one of its own.
    for (const name of homes.keys())
      if (
        name.endsWith("-sts") &&
        homes.get(name.slice(0, -"-sts".length))?.file === config &&
        file.sections.get(name)?.values.aws_session_token !== undefined
      )
        homes.delete(name)
    const rows = []
    for (const [name, home] of homes) {
      // A profile whose key cannot be used is listed, with the reason, never left out.
      const stored = storedKeyOf(home.file.sections.get(home.section)?.values)
      const decoded = yield* (
        stored === undefined
          ? decodeSection(home.file, home.section, LongTermProfile)
          : Effect.map(describeSection(home.file, home.section), (d) => d.described)
      ).pipe(Effect.either)
      const profile = Either.getRight(decoded)
      const mfaSerial = Option.getOrUndefined(Option.flatMapNullable(profile, (p) => p.mfa_serial))
      // Checked first: the error for a missing section names every profile, which would make list quadratic.
      const expiration = file.sections.has(sessionSection(name as ProfileName))
        ? yield* decodeSection(file, sessionSection(name as ProfileName), SessionProfile).pipe(
            Effect.map((s) => s.expiration),
            Effect.option,
          )
        : Option.none<Date>()
      const username = Option.getOrUndefined(Option.flatMapNullable(profile, (p) => p.username))
      const age =
        keys && Option.isSome(profile)
          ? Option.some(yield* keyAge(name as ProfileName, username, now))
          : Option.none()
      rows.push({
        name,
        username,
        mfaSerial,
        mfaSerialProblem: mfaSerial === undefined ? undefined : mfaSerialProblem(mfaSerial),
        problem: Either.isLeft(decoded) ? decoded.left.message : undefined,
        expiration,
        age,
        location: keyLocation(home.file.path, home.section, stored),
      })
    }
    if (json) {
      // The names status --json uses for the same things.
      const report = rows.map(
        ({ name, username, mfaSerial, mfaSerialProblem, problem, expiration, age, location }) => ({
          profile: name,
          keyLocation: location,
          username: username ?? null,
          mfaSerial: mfaSerial ?? null,
          mfaSerialProblem: mfaSerialProblem ?? null,
          problem: problem ?? null,
          sessionProfile: sessionSection(name as ProfileName),
          sessionExpiration: Option.getOrNull(Option.map(expiration, formatExpiration)),
          sessionValid: Option.exists(expiration, (e) => reusable(e, now)),
          ...(keys ? { keyAgeDays: Option.getOrNull(Option.flatMap(age, Either.getRight)) } : {}),
        }),
      )
      return yield* Console.log(JSON.stringify(report, null, 2))
    }
    if (rows.length === 0)
      return yield* Console.log(`No profile with an access key in ${file.path} or ${config.path}.`)
    const table = rows.map(
      ({ name, username, mfaSerial, mfaSerialProblem, problem, expiration, age, location }) => [
        name,
        location.store === "keyring"
          ? `keyring ${location.account}`
          : location.file === file.path
            ? "file"
            : "config file",
        username ?? "-",
        // The sentence is status's to say: a whole sentence here would widen every row of the table.
        problem !== undefined
          ? "invalid (see status)"
          : mfaSerialProblem !== undefined
            ? "invalid mfa_serial (see status)"
            : (mfaSerial ?? "- (run init)"),
        Option.match(expiration, {
          onNone: () => "none",
          onSome: (e) =>
            e.getTime() <= now
              ? "expired"
              : `until ${showTime(e)} (${timeLeft(e, now)} left${reusable(e, now) ? "" : `: under ${marginText}, renewed at next login`})`,
        }),
        ...(keys
          ? [
              Option.match(age, {
                onNone: () => "",
                onSome: Either.match({
                  onLeft: (reason) => `unknown (${reason})`,
                  onRight: (days) => `${days} days`,
                }),
              }),
            ]
          : []),
      ],
    )
    const header = ["PROFILE", "KEY", "USERNAME", "MFA DEVICE", "SESSION", ...(keys ? ["KEY AGE"] : [])]
    // A loop, not Math.max(...cells): tens of thousands of arguments overflow the stack.
    const widths = table.reduce(
      (w, row) => w.map((width, i) => Math.max(width, row[i]!.length)),
      header.map((h) => h.length),
    )
    yield* Console.log(
      [header, ...table]
        .map((row) =>
          row
            .map((cell, i) => cell.padEnd(widths[i]!))
            .join("  ")
            .trimEnd(),
        )
        .join("\n"),
    )
  }),
).pipe(
  Command.withDescription(
    "List the profiles with a key: where it is kept, username, MFA device, session expiry; --keys adds key ages",
  ),
)
