import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { formatExpiration, type Session, sessionSection } from "../schema/Credentials.js"
import { ensureSession } from "./login.js"
import { profile } from "./profile.js"

const format = Options.choice("format", ["credential-process", "env", "json"]).pipe(
  Options.withDefault("credential-process"),
  Options.withDescription(
    "credential-process: JSON for credential_process in ~/.aws/config; env: export lines; json",
  ),
)

const render = (session: Session, as: "credential-process" | "env" | "json"): string => {
  const c = session.credentials
  const fields = {
    AccessKeyId: c.accessKeyId,
    SecretAccessKey: Redacted.value(c.secretAccessKey),
    SessionToken: c.sessionToken ? Redacted.value(c.sessionToken) : "",
    Expiration: formatExpiration(session.expiration),
  }
  switch (as) {
    case "credential-process":
      return JSON.stringify({ Version: 1, ...fields })
    case "json":
      return JSON.stringify(fields, null, 2)
    case "env":
      return [
        `export AWS_ACCESS_KEY_ID=${fields.AccessKeyId}`,
        `export AWS_SECRET_ACCESS_KEY=${fields.SecretAccessKey}`,
        `export AWS_SESSION_TOKEN=${fields.SessionToken}`,
        `export AWS_CREDENTIAL_EXPIRATION=${fields.Expiration}`,
      ].join("\n")
  }
}

export const exportCommand = Command.make(
  "export",
  { profile, format },
  Effect.fn("export")(function* ({ profile, format }) {
    const { session, fresh } = yield* ensureSession(profile, {
      token: Option.none(),
      duration: Duration.hours(12),
      force: false,
    })
    if (fresh) yield* Console.error(`Logged in: [${sessionSection(profile)}] refreshed.`)
    yield* Console.log(render(session, format))
  }),
).pipe(
  Command.withDescription(
    "Print the session for other tools (credential_process, env, json), logging in first if needed",
  ),
)
