import * as Duration from "effect/Duration"
import * as Redacted from "effect/Redacted"
import { toolLine } from "./CommandLine.js"
import type { Session } from "./Credentials.js"

/**
 * What makes a stored session usable, as plain functions and patterns without effect/Schema: the
 * full program's schemas (Credentials.ts) are built on these, and the launcher's fast path
 * (src/fast.ts) uses them directly, so both read a session and judge it valid by the same rules.
 */

/** `[^\s[\]#;]…`: a name the files can hold as `[name]`, as ProfileName checks it (with the rest of its rules). */
export const profileNamePattern = /^[^\s[\]#;][^[\]\r\n]*$/

export const accessKeyIdPattern = /^[A-Z0-9]{16,128}$/

/** A secret or session token: one word. */
export const secretPattern = /^\S+$/

/** A session must outlive this to be reused rather than renewed. */
export const sessionMargin = Duration.minutes(5)

/** `5m`: the margin as messages name it. */
export const marginText = `${Duration.toMinutes(sessionMargin)}m`

/** Whether a session ending at `expiration` is reused (valid past the margin) rather than renewed. */
export const reusable = (expiration: Date, now: number): boolean =>
  expiration.getTime() - now > Duration.toMillis(sessionMargin)

export const sessionSection = (profile: string): string => `${profile}-sts`

/** ISO 8601 (`2026-11-24T07:01:58Z`) or the original tool's `2026-11-24 07:01:58+00:00`; undefined for anything else. */
export const parseExpiration = (text: string): Date | undefined => {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}:?\d{2})$/i.exec(text.trim())
  const date = m ? new Date(`${m[1]}T${m[2]}${m[3]?.toUpperCase()}`) : undefined
  return date && !Number.isNaN(date.getTime()) ? date : undefined
}

export const formatExpiration = (date: Date): string => `${date.toISOString().slice(0, 19)}Z`

let localFormat: Intl.DateTimeFormat | undefined

/**
 * `2026-12-03T19:35:06Z (20:35 CET)`: the time as the files hold it (UTC), and as the person's
 * clock shows it where that differs (with the day too when that differs).
 */
export const showTime = (date: Date): string => {
  const utc = formatExpiration(date)
  if (date.getTimezoneOffset() === 0) return utc
  localFormat ??= new Intl.DateTimeFormat("en-GB", {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    timeZoneName: "short",
  })
  const part = Object.fromEntries(localFormat.formatToParts(date).map((p) => [p.type, p.value]))
  const day = `${part.year}-${part.month}-${part.day}`
  return `${utc} (${day === utc.slice(0, 10) ? "" : `${day} `}${part.hour}:${part.minute} ${part.timeZoneName})`
}

/** `11h 59m`, `4m`: how long until `date`. */
export const timeLeft = (date: Date, now: number): string => {
  const minutes = Math.max(0, Math.floor((date.getTime() - now) / 60_000))
  const days = Math.floor(minutes / 1440)
  const hours = Math.floor((minutes % 1440) / 60)
  const parts = [days > 0 ? `${days}d` : "", hours > 0 ? `${hours}h` : "", `${minutes % 60}m`]
  return parts.filter((p) => p !== "").join(" ")
}

/**
 * A stored session as status and list show it: valid past the margin (reused), inside it (the next
 * login, export or exec renews it), or expired.
 */
export const describeSession = (expiration: Date, now: number, profile: string): string =>
  reusable(expiration, now)
    ? `valid until ${showTime(expiration)} (${timeLeft(expiration, now)} left)`
    : expiration.getTime() > now
      ? `valid until ${showTime(expiration)}, but only ${timeLeft(expiration, now)} left: sessions are renewed ${marginText} before they end, so the next ${toolLine(profile)} (or export, exec) asks for a code`
      : `expired at ${showTime(expiration)}: run ${toolLine(profile)}`

export const mfaSerialPattern = /^arn:[\w-]+:iam::\d{12}:(mfa|u2f)\/[\w+=,.@/-]+$|^[A-Z0-9]{9,}$/

export const notMfaSerial = "not an MFA device ARN (arn:aws:iam::<account>:mfa/<name>) or hardware serial"

/** What is wrong with a profile's `mfa_serial`, as status and list show it; undefined when it can be sent. */
export const mfaSerialProblem = (serial: string): string | undefined =>
  mfaSerialPattern.test(serial) ? undefined : serial === "" ? "empty" : notMfaSerial

/** The line a login that finds the session still valid prints. */
export const stillValidLine = (profile: string, expiration: Date, now: number): string =>
  `[${sessionSection(profile)}] is still valid until ${showTime(expiration)} (${timeLeft(expiration, now)} left); use --force to log in again.`

/** Said when a login stops while GetSessionToken is on its way: AWS takes each code once. */
export const codeMaybeSpent =
  "aws-iam-login: nothing was written; AWS may have used the MFA code: log in again with the next one."

/** What a login that made a new session prints. */
export const loggedInLines = (profile: string, expiration: Date, now: number): string => {
  const section = sessionSection(profile)
  return (
    `Logged in: [${section}] holds a session valid until ${showTime(expiration)} (${timeLeft(expiration, now)} left).\n` +
    `Use it with AWS_PROFILE=${section}, or source_profile = ${section} in a role profile.`
  )
}

/** The lines login writes into `[<profile>-sts]`. */
export const sessionValues = (session: Session): Record<string, string> => ({
  aws_access_key_id: session.credentials.accessKeyId,
  aws_secret_access_key: Redacted.value(session.credentials.secretAccessKey),
  aws_session_token: session.credentials.sessionToken ? Redacted.value(session.credentials.sessionToken) : "",
  expiration: formatExpiration(session.expiration),
})

/** What `export --format credential-process` prints: the JSON the AWS CLI reads from a credential_process. */
export const credentialProcessJson = (fields: {
  readonly AccessKeyId: string
  readonly SecretAccessKey: string
  readonly SessionToken: string
  readonly Expiration: string
}): string => JSON.stringify({ Version: 1, ...fields })
