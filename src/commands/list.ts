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
  mfaSerialProblem,
  type ProfileName,
  SessionProfile,
  sessionSection,
  timeLeft,
} from "../schema/Credentials.js"
import { CredentialsFile, decodeSection, profileNames } from "../services/CredentialsFile.js"
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
    const { signer } = yield* (yield* Session).load(name)
    const listed = yield* (yield* Iam).listAccessKeys(signer, userName)
    const mine = listed.find((key) => key.accessKeyId === signer.credentials.accessKeyId)
    return mine === undefined
      ? Either.left("not found in IAM")
      : Either.right(Math.floor((now - mine.created.getTime()) / Duration.toMillis("1 day")))
  }).pipe(Effect.catchAll((error) => Effect.succeed(Either.left(error.message))))

export const list = Command.make(
  "list",
  { keys, json },
  Effect.fn("list")(function* ({ keys, json }) {
    const file = yield* (yield* CredentialsFile).read
    const now = yield* Clock.currentTimeMillis
    const rows = []
    for (const name of profileNames(file)) {
      if (file.sections.get(name)?.values.aws_access_key_id === undefined) continue
      // A profile whose key cannot be used is listed, with the reason, never left out.
      const decoded = yield* decodeSection(file, name, LongTermProfile).pipe(Effect.either)
      const profile = Either.getRight(decoded)
      const problem = Either.match(decoded, {
        onLeft: (e) => e.message,
        onRight: (p) =>
          p.mfa_serial === undefined
            ? undefined
            : Option.match(Option.fromNullable(mfaSerialProblem(p.mfa_serial)), {
                onNone: () => undefined,
                onSome: (why) => `mfa_serial is ${why}: run aws-iam-login ${name} init`,
              }),
      })
      const expiration = yield* decodeSection(file, sessionSection(name as ProfileName), SessionProfile).pipe(
        Effect.map((s) => s.expiration),
        Effect.option,
      )
      const username = Option.getOrUndefined(Option.flatMapNullable(profile, (p) => p.username))
      const age =
        keys && Option.isSome(profile)
          ? Option.some(yield* keyAge(name as ProfileName, username, now))
          : Option.none()
      rows.push({
        name,
        username,
        mfaSerial: Option.getOrUndefined(Option.flatMapNullable(profile, (p) => p.mfa_serial)),
        problem,
        expiration,
        age,
      })
    }
    if (json) {
      const report = rows.map(({ name, username, mfaSerial, problem, expiration, age }) => ({
        profile: name,
        username: username ?? null,
        mfaSerial: mfaSerial ?? null,
        problem: problem ?? null,
        expiration: Option.getOrNull(Option.map(expiration, formatExpiration)),
        valid: Option.exists(expiration, (e) => e.getTime() > now),
        ...(keys ? { keyAgeDays: Option.getOrNull(Option.flatMap(age, Either.getRight)) } : {}),
      }))
      return yield* Console.log(JSON.stringify(report, null, 2))
    }
    if (rows.length === 0) return yield* Console.log(`No profile with an access key in ${file.path}.`)
    const table = rows.map(({ name, username, mfaSerial, problem, expiration, age }) => [
      name,
      username ?? "-",
      problem === undefined ? (mfaSerial ?? "- (run init)") : `invalid: ${problem}`,
      Option.match(expiration, {
        onNone: () => "none",
        onSome: (e) =>
          e.getTime() > now ? `until ${formatExpiration(e)} (${timeLeft(e, now)} left)` : "expired",
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
    ])
    const header = ["PROFILE", "USERNAME", "MFA DEVICE", "SESSION", ...(keys ? ["KEY AGE"] : [])]
    const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)))
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
    "List the profiles with a key: username, MFA device, session expiry; --keys adds key ages",
  ),
)
