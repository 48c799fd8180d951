import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import { Clock, Console, Effect, Option } from "effect"
import { formatExpiration, maskKeyId, SessionProfile, sessionSection } from "../schema/Credentials.js"
import { decodeSection } from "../services/CredentialsFile.js"
import { loadProfile, timeLeft } from "./common.js"
import { root } from "./login.js"

const json = Options.boolean("json").pipe(Options.withDescription("Print the status as JSON"))

export const status = Command.make(
  "status",
  { json },
  Effect.fn("status")(function* ({ json }) {
    const { profile: name } = yield* root
    const { file, profile } = yield* loadProfile(name)
    const now = yield* Clock.currentTimeMillis
    const section = sessionSection(name)
    const session = yield* decodeSection(file, section, SessionProfile).pipe(Effect.option)
    const expiration = Option.map(session, (s) => s.expiration)
    const report = {
      profile: name,
      accessKeyId: maskKeyId(profile.aws_access_key_id),
      username: profile.username ?? null,
      mfaSerial: profile.mfa_serial ?? null,
      session: section,
      expiration: Option.match(expiration, { onNone: () => null, onSome: formatExpiration }),
      valid: Option.exists(expiration, (e) => e.getTime() > now),
    }
    if (json) return yield* Console.log(JSON.stringify(report, null, 2))
    const sessionLine = Option.match(expiration, {
      onNone: () => `none: run aws-iam-login ${name}`,
      onSome: (e) =>
        e.getTime() > now
          ? `valid until ${formatExpiration(e)} (${timeLeft(e, now)} left)`
          : `expired at ${formatExpiration(e)}: run aws-iam-login ${name}`,
    })
    yield* Console.log(
      [
        `profile     ${name}`,
        `key         ${report.accessKeyId}`,
        `username    ${report.username ?? `not set: run aws-iam-login ${name} init`}`,
        `mfa_serial  ${report.mfaSerial ?? `not set: run aws-iam-login ${name} init`}`,
        `session     [${section}] ${sessionLine}`,
      ].join("\n"),
    )
  }),
).pipe(
  Command.withDescription(
    "Show the profile's key (masked), username, MFA device and session expiry; nothing secret",
  ),
)
