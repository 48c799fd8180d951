import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { profile } from "../cli/profile.js"
import { toolLine } from "../schema/CommandLine.js"
import {
  formatExpiration,
  marginText,
  type Session as Stored,
  sessionSection,
} from "../schema/Credentials.js"
import { credentialProcessJson } from "../schema/SessionRules.js"
import { Session } from "../services/Session.js"

const formats = ["credential-process", "env", "fish", "powershell", "json"] as const
type Format = (typeof formats)[number]

const format = Options.choice("format", formats).pipe(
  Options.withDefault("credential-process"),
  Options.withDescription(
    "credential-process (the default): JSON for credential_process in ~/.aws/config; env, fish, powershell: lines for that shell (as `aws configure export-credentials` prints them); json",
  ),
)

/** How each shell sets and unsets a variable, setting as `aws configure export-credentials --format` writes it. */
const shellLine: Record<
  Exclude<Format, "credential-process" | "json">,
  { readonly set: (name: string, value: string) => string; readonly unset: (name: string) => string }
> = {
  env: { set: (name, value) => `export ${name}=${value}`, unset: (name) => `unset ${name}` },
  fish: { set: (name, value) => `set -gx ${name} "${value}"`, unset: (name) => `set -e ${name}` },
  powershell: {
    set: (name, value) => `$Env:${name}="${value}"`,
    unset: (name) => `Remove-Item Env:${name} -ErrorAction SilentlyContinue`,
  },
}

const render = (session: Stored, region: Option.Option<string>, as: Format): string => {
  const c = session.credentials
  const fields = {
    AccessKeyId: c.accessKeyId,
    SecretAccessKey: Redacted.value(c.secretAccessKey),
    SessionToken: c.sessionToken ? Redacted.value(c.sessionToken) : "",
    Expiration: formatExpiration(session.expiration),
  }
  switch (as) {
    case "credential-process":
      return credentialProcessJson(fields)
    case "json":
      return JSON.stringify(fields, null, 2)
    default: {
      const set: ReadonlyArray<readonly [string, string]> = [
        ["AWS_ACCESS_KEY_ID", fields.AccessKeyId],
        ["AWS_SECRET_ACCESS_KEY", fields.SecretAccessKey],
        ["AWS_SESSION_TOKEN", fields.SessionToken],
        ["AWS_CREDENTIAL_EXPIRATION", fields.Expiration],
        // Both, as exec sets them: AWS CLI v1 reads only AWS_DEFAULT_REGION.
        ...Option.match(region, {
          onNone: () => [],
          onSome: (r) => [["AWS_REGION", r] as const, ["AWS_DEFAULT_REGION", r] as const],
        }),
      ]
      // A profile would make the AWS CLI and SDKs look past these credentials.
      const unset = ["AWS_PROFILE", "AWS_DEFAULT_PROFILE"]
      const shell = shellLine[as]
      return [...set.map(([name, value]) => shell.set(name, value)), ...unset.map(shell.unset)].join("\n")
    }
  }
}

export const exportCommand = Command.make(
  "export",
  { profile, format },
  Effect.fn("export")(function* ({ profile, format }) {
    const { session, fresh, region } = yield* (yield* Session).ensure(profile, {
      token: Option.none(),
      duration: Option.none(),
      force: false,
      // The AWS CLI runs credential_process with no way to answer a prompt.
      noTerminal: `No session in [${sessionSection(profile)}] valid for more than ${marginText} (sessions are renewed that long before they end), and no terminal to ask for an MFA code: run \`${toolLine(profile)}\` in a terminal first.`,
    })
    if (fresh) yield* Console.error(`Logged in: [${sessionSection(profile)}] refreshed.`)
    yield* Console.log(render(session, region, format))
  }),
).pipe(
  Command.withDescription(
    "Print the session (logging in first if needed) for other tools: credential_process JSON, shell lines (env, fish, powershell), or JSON",
  ),
)
