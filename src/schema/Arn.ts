import * as Either from "effect/Either"
import { NotAnIamUser } from "./Errors.js"

export interface IamUser {
  readonly partition: string
  readonly account: string
  /** The user's path without its name, `/` for most users. */
  readonly path: string
  readonly userName: string
}

const kinds: ReadonlyArray<readonly [RegExp, string]> = [
  [/^arn:[\w-]+:iam::\d{12}:root$/, "the account's root user"],
  [/^arn:[\w-]+:sts::\d{12}:assumed-role\//, "an assumed role"],
  [/^arn:[\w-]+:sts::\d{12}:federated-user\//, "a federated user"],
]

/** `arn:<partition>:iam::<account>:user/<path>/<name>`; anything else is refused with its kind. */
export const parseIamUser = (arn: string): Either.Either<IamUser, NotAnIamUser> => {
  const m = /^arn:([\w-]+):iam::(\d{12}):user(\/(?:[\w+=,.@-]+\/)*)([\w+=,.@-]+)$/.exec(arn)
  if (m) return Either.right({ partition: m[1]!, account: m[2]!, path: m[3]!, userName: m[4]! })
  const kind = kinds.find(([re]) => re.test(arn))?.[1] ?? "something other than an IAM user"
  return Either.left(new NotAnIamUser({ arn, kind }))
}

export const derivedMfaSerial = (user: IamUser): string =>
  `arn:${user.partition}:iam::${user.account}:mfa/${user.userName}`
