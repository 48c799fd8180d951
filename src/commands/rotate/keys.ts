import * as Option from "effect/Option"
import { maskKeyId, printable } from "../../schema/Display.js"
import type { AccessKeyInfo } from "../../services/Iam.js"

/** The user's keys as seen from the file's key, when no rotation of this tool is unfinished. */
export type KeyState =
  | { readonly _tag: "NotListed"; readonly keys: ReadonlyArray<AccessKeyInfo> }
  | { readonly _tag: "Inactive"; readonly mine: AccessKeyInfo }
  | { readonly _tag: "Alone"; readonly mine: AccessKeyInfo }
  /** A second key no journal names: someone made it, and it may be in use. */
  | {
      readonly _tag: "Second"
      readonly mine: AccessKeyInfo
      readonly other: AccessKeyInfo
      /** When the other key was last used, where the policy lets the user ask. */
      readonly lastUsed?: Option.Option<Date>
    }

export const keyState = (keys: ReadonlyArray<AccessKeyInfo>, fileId: string): KeyState => {
  const mine = keys.find((k) => k.accessKeyId === fileId)
  if (mine === undefined) return { _tag: "NotListed", keys }
  if (mine.status !== "Active") return { _tag: "Inactive", mine }
  const other = keys.find((k) => k.accessKeyId !== fileId)
  return other === undefined ? { _tag: "Alone", mine } : { _tag: "Second", mine, other }
}

const day = (date: Date) => date.toISOString().slice(0, 10)

/** `AKIA… (Active, created 2026-11-02, last used 2026-11-30)`; `lastUsed` only where AWS told. */
export const describeKey = (key: AccessKeyInfo, lastUsed?: Option.Option<Date>) => {
  const used =
    lastUsed === undefined
      ? ""
      : `, ${Option.match(lastUsed, { onNone: () => "never used", onSome: (d) => `last used ${day(d)}` })}`
  return `${printable(key.accessKeyId)} (${printable(key.status)}, created ${day(key.created)}${used})`
}

export const removeCommand = (userName: string, id: string) =>
  printable(`aws iam delete-access-key --user-name ${userName} --access-key-id ${id}`)

/** What a person needs to know about a state other than "Alone", in plain sentences. */
export const explain = (
  state: Exclude<KeyState, { _tag: "Alone" }>,
  userName: string,
  profile: string,
): string => {
  switch (state._tag) {
    case "NotListed":
      return `The key in [${profile}] is not one of ${userName}'s keys (${state.keys.map((k) => describeKey(k)).join(", ") || "none"}).`
    case "Inactive":
      return `The key in [${profile}] (${maskKeyId(state.mine.accessKeyId)}) is Inactive: reactivate it in the IAM console, or put ${userName}'s active key in the file.`
    case "Second":
      return (
        `${userName} has a second key, ${describeKey(state.other, state.lastUsed)}, besides the one in [${profile}], and no rotation of this tool made it: ` +
        "it may be in use elsewhere (a CI job, another machine), so rotate does not touch it. " +
        `If nothing needs it, remove it (${removeCommand(userName, state.other.accessKeyId)}) and run rotate again.`
      )
  }
}
