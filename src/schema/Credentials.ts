import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import {
  accessKeyIdPattern,
  formatExpiration,
  mfaSerialPattern,
  notMfaSerial,
  parseExpiration,
  profileNamePattern,
  secretPattern,
} from "./SessionRules.js"

export { maskKeyId, printable } from "./Display.js"
export {
  describeSession,
  formatExpiration,
  marginText,
  mfaSerialProblem,
  reusable,
  sessionMargin,
  sessionSection,
  sessionValues,
  showTime,
  timeLeft,
} from "./SessionRules.js"
export { fallbackRegion } from "./Settings.js"

export const ProfileName = Schema.String.pipe(
  Schema.filter((s) => (s.startsWith("-") ? `"${s}" cannot be a profile name: it starts with -` : undefined)),
  Schema.filter((s) =>
    profileNamePattern.test(s) && s.trim() === s && s !== "__proto__"
      ? undefined
      : `"${s}" cannot be a profile name: it must not be empty, start with # or ;, or hold [, ], a newline or surrounding spaces`,
  ),
  Schema.brand("ProfileName"),
)
export type ProfileName = typeof ProfileName.Type

export const AccessKeyId = Schema.String.pipe(
  Schema.pattern(accessKeyIdPattern, {
    message: () => "not an access key id (16 or more capital letters and digits)",
  }),
  Schema.brand("AccessKeyId"),
)
export type AccessKeyId = typeof AccessKeyId.Type

export const Secret = Schema.Redacted(
  Schema.String.pipe(Schema.pattern(secretPattern, { message: () => "empty, or holds spaces" })),
)

export const MfaSerial = Schema.String.pipe(Schema.pattern(mfaSerialPattern, { message: () => notMfaSerial }))

/** Authenticator apps show the code as `123 456`: spaces anywhere are ignored. */
export const MfaCode = Schema.transform(Schema.String, Schema.String, {
  strict: true,
  decode: (typed) => typed.replace(/\s+/g, ""),
  encode: (code) => code,
}).pipe(
  Schema.compose(
    Schema.String.pipe(
      Schema.pattern(/^\d{6}$/, { message: () => "The MFA code must be exactly 6 digits." }),
      Schema.brand("MfaCode"),
    ),
  ),
)
export type MfaCode = typeof MfaCode.Type

/** A profile's `mfa_process` failed; the message says how and what to do. */
export class MfaProcessFailed extends Data.TaggedError("MfaProcessFailed")<{
  readonly command: string
  readonly reason: string
}> {
  override get message() {
    return `mfa_process \`${this.command}\` failed: ${this.reason}; fix it in the profile, or pass --token CODE.`
  }
}

/** How long a session lasts when neither --duration nor the profile's `duration_seconds` says: AWS's own default. */
export const defaultSessionDuration = Duration.hours(12)

/** AWS's own bounds for GetSessionToken as an IAM user. */
export const minSessionDuration = Duration.minutes(15)
export const maxSessionDuration = Duration.hours(36)

const parseDuration = (text: string): Duration.Duration | undefined => {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?$/.exec(text.trim())
  if (!m || text.trim() === "") return undefined
  const [h, min, s] = [m[1], m[2], m[3]].map((part) => Number(part ?? 0)) as [number, number, number]
  return Duration.seconds(h * 3600 + min * 60 + s)
}

const withinLimits = (duration: Duration.Duration) =>
  Duration.between(duration, { minimum: minSessionDuration, maximum: maxSessionDuration })

/** `12h`, `90m`, `3600s`, `1h30m` or plain seconds, within AWS's limits. */
export const SessionDuration = Schema.transformOrFail(Schema.String, Schema.DurationFromSelf, {
  strict: true,
  decode: (text, _, ast) => {
    const duration = parseDuration(text)
    if (duration === undefined) {
      return ParseResult.fail(
        new ParseResult.Type(ast, text, `"${text}" is not a duration: use e.g. 12h, 90m, 1h30m or 3600s.`),
      )
    }
    if (!withinLimits(duration)) {
      // A bare number reads as seconds; `-d 12` most likely meant hours.
      const meant = /^\d+$/.test(text.trim())
        ? ["h", "m"].find((unit) => withinLimits(parseDuration(`${text.trim()}${unit}`)!))
        : undefined
      if (meant !== undefined) {
        return ParseResult.fail(
          new ParseResult.Type(
            ast,
            text,
            `${text.trim()} is not a duration: did you mean ${text.trim()}${meant}?`,
          ),
        )
      }
      return ParseResult.fail(
        new ParseResult.Type(
          ast,
          text,
          `The duration ${text} is outside AWS's limits for IAM users: 15m to 36h.`,
        ),
      )
    }
    return ParseResult.succeed(duration)
  },
  encode: (duration) => ParseResult.succeed(`${Duration.toSeconds(duration)}s`),
})

/** ISO 8601 (`2026-11-24T07:01:58Z`) or the original tool's `2026-11-24 07:01:58+00:00`. */
export const Expiration = Schema.transformOrFail(Schema.String, Schema.DateFromSelf, {
  strict: true,
  decode: (text, _, ast) => {
    const date = parseExpiration(text)
    return date !== undefined
      ? ParseResult.succeed(date)
      : ParseResult.fail(new ParseResult.Type(ast, text, `"${text}" is not a date and time`))
  },
  encode: (date) => ParseResult.succeed(formatExpiration(date)),
})

export interface AwsCredentials {
  readonly accessKeyId: AccessKeyId
  readonly secretAccessKey: Redacted.Redacted<string>
  readonly sessionToken?: Redacted.Redacted<string>
}

/**
 * The keys whose value must be exactly what the line shows, or the profile is refused where they are
 * read: a key id in quotes or a secret followed by `# comment` is sent to AWS as written, which the
 * person surely did not mean. Every other value is used as botocore reads it (`mfa_process` runs
 * through a shell, quotes and `;` included), and checked only where it is used.
 */
export const exactKeys: ReadonlySet<string> = new Set([
  "aws_access_key_id",
  "aws_secret_access_key",
  "aws_session_token",
  "aws_security_token",
])

/**
 * `[<profile>]`: the long-term key and what init stored. `mfa_serial` is checked (`MfaSerial`) only
 * where it is sent: an invalid one does not stop a command that does not use it.
 */
export const LongTermProfile = Schema.Struct({
  aws_access_key_id: AccessKeyId,
  aws_secret_access_key: Secret,
  mfa_serial: Schema.optional(Schema.String),
  username: Schema.optional(Schema.String),
  /** A command that prints an MFA code (aws-vault's name), run when no --token is given. */
  mfa_process: Schema.optional(Schema.String),
  /** A session token beside the key (a temporary key): the AWS CLI signs with it, and so does this tool. */
  aws_session_token: Schema.optional(Schema.Redacted(Schema.String)),
  /** The token's older name, which botocore reads first. */
  aws_security_token: Schema.optional(Schema.Redacted(Schema.String)),
})
export type LongTermProfile = typeof LongTermProfile.Type

/** `[<profile>]` as shown, without its secret: what is known without opening the OS secret store. */
export const DescribedProfile = LongTermProfile.omit("aws_secret_access_key")
export type DescribedProfile = typeof DescribedProfile.Type

/** The part of `[<profile>]` that login sends with the code. */
export const MfaSerialToSend = Schema.Struct({ mfa_serial: MfaSerial })

/** `[<profile>-sts]`: the session written by login. */
export const SessionProfile = Schema.Struct({
  aws_access_key_id: AccessKeyId,
  aws_secret_access_key: Secret,
  aws_session_token: Secret,
  expiration: Expiration,
})
export type SessionProfile = typeof SessionProfile.Type

export interface Session {
  readonly credentials: AwsCredentials
  readonly expiration: Date
}

/** The profile's key as botocore's shared-credentials provider reads it, with its token when it has one. */
export const longTermKey = (profile: LongTermProfile): AwsCredentials => {
  const token = profile.aws_security_token ?? profile.aws_session_token
  return {
    accessKeyId: profile.aws_access_key_id,
    secretAccessKey: profile.aws_secret_access_key,
    // botocore signs without a token whose value is empty.
    ...(token === undefined || Redacted.value(token) === "" ? {} : { sessionToken: token }),
  }
}

export const sessionOf = (profile: SessionProfile): Session => ({
  credentials: {
    accessKeyId: profile.aws_access_key_id,
    secretAccessKey: profile.aws_secret_access_key,
    sessionToken: profile.aws_session_token,
  },
  expiration: profile.expiration,
})
