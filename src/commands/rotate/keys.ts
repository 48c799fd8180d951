import { maskKeyId } from "../../schema/Credentials.js"
import type { AccessKeyInfo } from "../../services/Iam.js"

/** The user's keys as seen from the file's key: what a rotation may do next. */
export type KeyState =
  | { readonly _tag: "NotListed"; readonly keys: ReadonlyArray<AccessKeyInfo> }
  | { readonly _tag: "Inactive"; readonly mine: AccessKeyInfo }
  | { readonly _tag: "Alone"; readonly mine: AccessKeyInfo }
  /** A second key newer than the file's: a rotation cut off before it saved the new key. */
  | { readonly _tag: "Newer"; readonly mine: AccessKeyInfo; readonly other: AccessKeyInfo }
  /** A second key older than the file's: a rotation cut off before it removed the old key. */
  | { readonly _tag: "Older"; readonly mine: AccessKeyInfo; readonly other: AccessKeyInfo }

export const keyState = (keys: ReadonlyArray<AccessKeyInfo>, fileId: string): KeyState => {
  const mine = keys.find((k) => k.accessKeyId === fileId)
  if (mine === undefined) return { _tag: "NotListed", keys }
  if (mine.status !== "Active") return { _tag: "Inactive", mine }
  const other = keys.find((k) => k.accessKeyId !== fileId)
  if (other === undefined) return { _tag: "Alone", mine }
  return other.created.getTime() > mine.created.getTime()
    ? { _tag: "Newer", mine, other }
    : { _tag: "Older", mine, other }
}

const describeKey = (key: AccessKeyInfo) =>
  `${key.accessKeyId} (${key.status}, created ${key.created.toISOString().slice(0, 10)})`

const removeCommand = (userName: string, key: AccessKeyInfo) =>
  `aws iam delete-access-key --user-name ${userName} --access-key-id ${key.accessKeyId}`

/** What a person needs to know about a state other than "Alone", in plain sentences. */
export const explain = (
  state: Exclude<KeyState, { _tag: "Alone" }>,
  userName: string,
  profile: string,
): string => {
  switch (state._tag) {
    case "NotListed":
      return `The key in [${profile}] is not one of ${userName}'s keys (${state.keys.map(describeKey).join(", ") || "none"}).`
    case "Inactive":
      return `The key in [${profile}] (${maskKeyId(state.mine.accessKeyId)}) is Inactive: reactivate it in the IAM console, or put ${userName}'s active key in the file.`
    case "Newer":
      return (
        `${userName} has a second key, ${describeKey(state.other)}, newer than the one in [${profile}] and not in the file: ` +
        "a rotation cut off before it saved the new key leaves this, and its secret is lost. " +
        `If you made it yourself and still need it, keep it and rotate later; else it can be deleted (${removeCommand(userName, state.other)}).`
      )
    case "Older":
      return (
        `${userName} has a second key, ${describeKey(state.other)}, older than the one in [${profile}]: ` +
        "a rotation cut off before it removed the old key leaves this. Finishing removes the older key " +
        `(${removeCommand(userName, state.other)}); anything still using it stops working.`
      )
  }
}
