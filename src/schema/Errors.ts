import * as os from "node:os"
import * as path from "node:path"
import * as Data from "effect/Data"
import * as ParseResult from "effect/ParseResult"
import { closest } from "../closest.js"
import { shellWord, toolLine } from "./CommandLine.js"

/** `~/.aws/credentials` for a file under the home directory, as people write it (`%USERPROFILE%\.aws\credentials` on Windows). */
const tilde = (file: string): string => {
  const home = os.homedir()
  const written = path.sep === "\\" ? "%USERPROFILE%" : "~"
  return file.startsWith(`${home}${path.sep}`) ? `${written}${file.slice(home.length)}` : file
}

/** The credentials or config file could not be read or written. */
export class FileError extends Data.TaggedError("FileError")<{
  readonly path: string
  readonly action: string
  readonly reason: string
}> {
  override get message() {
    return `Could not ${this.action} ${this.path}: ${this.reason}.`
  }
}

/** The credentials file holds something this tool cannot use; nothing was written. */
export class MalformedFile extends Data.TaggedError("MalformedFile")<{
  readonly path: string
  readonly line: number | undefined
  readonly profile: string
  readonly reason: string
}> {
  override get message() {
    const where = this.line === undefined ? "" : `, line ${this.line}`
    return `${this.path}${where} [${this.profile}]: ${this.reason}. Fix it by hand; nothing was changed.`
  }
}

export class ProfileNotFound extends Data.TaggedError("ProfileNotFound")<{
  readonly profile: string
  readonly path: string
  readonly available: ReadonlyArray<string>
}> {
  override get message() {
    const known = this.available.length === 0 ? "" : ` (it has: ${this.available.join(", ")})`
    const meant = closest(this.profile, this.available)
    return (
      `No profile [${this.profile}] in ${tilde(this.path)}${known}: ` +
      (meant === undefined ? "" : `did you mean [${meant}]? Else `) +
      `add your IAM user's key with \`aws configure --profile ${shellWord(this.profile)}\`, then run \`${toolLine(this.profile, "init")}\`.`
    )
  }
}

/**
 * The profile named holds no IAM user's key but stands for one that does: `<p>-sts`, the session
 * this tool writes for `p`, or a role profile whose `source_profile` chain (`via`) leads to `p-sts`
 * or (`direct`) to `p`'s key itself.
 */
export class StandsForProfile extends Data.TaggedError("StandsForProfile")<{
  readonly profile: string
  readonly owner: string
  readonly via: ReadonlyArray<string>
  readonly direct: boolean
}> {
  override get message() {
    const login = `\`${toolLine(this.owner)}\``
    if (this.via.length === 1)
      return `[${this.profile}] is the session aws-iam-login writes for [${this.owner}], not a profile with your IAM user's key: name ${this.owner} instead, e.g. ${login} or \`${toolLine(this.owner, "status")}\`.`
    const chain = this.via
      .slice(1)
      .map((p) => `[${p}]`)
      .join(" → ")
    return this.direct
      ? `[${this.profile}] is a role profile whose credentials come from ${chain}, your IAM user's key itself, so the AWS CLI assumes the role without MFA. To use the MFA session instead, set source_profile = ${this.owner}-sts where it says source_profile = ${this.owner}, and log in with ${login}.`
      : `[${this.profile}] is a role profile whose credentials come from ${chain}, the session aws-iam-login writes for [${this.owner}]: log in with ${login}, then AWS_PROFILE=${shellWord(this.profile)} uses that session.`
  }
}

export class NotInitialised extends Data.TaggedError("NotInitialised")<{ readonly profile: string }> {
  override get message() {
    return `Profile [${this.profile}] has no mfa_serial: run \`${toolLine(this.profile, "init")}\` first.`
  }
}

/** Input refused before anything was sent or written. */
export class InvalidInput extends Data.TaggedError("InvalidInput")<{ readonly reason: string }> {
  override get message() {
    return this.reason
  }
}

export class NotAnIamUser extends Data.TaggedError("NotAnIamUser")<{
  readonly arn: string
  readonly kind: string
}> {
  override get message() {
    return `The keys belong to ${this.kind} (${this.arn}), not an IAM user: aws-iam-login works only with an IAM user's access key.`
  }
}

export class NoMfaDevice extends Data.TaggedError("NoMfaDevice")<{ readonly userName: string }> {
  override get message() {
    return `IAM user ${this.userName} has no MFA device: assign one in the IAM console, then run init again.`
  }
}

export class Cancelled extends Data.TaggedError("Cancelled")<{ readonly reason: string }> {
  override get message() {
    return this.reason
  }
}

/** The first problem a schema found, as one sentence. */
export const firstIssue = (
  error: ParseResult.ParseError,
): { readonly key: string; readonly message: string } => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
  return { key: String(issue?.path[0] ?? ""), message: issue?.message ?? "invalid" }
}
