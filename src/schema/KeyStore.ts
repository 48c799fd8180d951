import * as Data from "effect/Data"

import type { SecretStore, StoreProblem } from "./SecretStore.js"
import { storeService } from "./StoreService.js"

export { keyLocation, keyLocationText } from "./KeyLocation.js"
export type { SecretStore, StoreProblem }
export { storeService }

/** The keys of `[<profile>]` that point to its stored key: which store, and the key id. */
export const storeKey = "aws_iam_login_key_store"
export const storedKeyId = "aws_iam_login_key_id"

/** The key id `[<profile>]` points to in the OS secret store, if it points to one. */
export const storedKeyOf = (values: Readonly<Record<string, string>> | undefined): string | undefined =>
  values?.[storeKey] === "keyring" && values.aws_access_key_id === undefined ? values[storedKeyId] : undefined

/** Whether `[<profile>]` holds a key: in its own lines, or as a pointer to the OS secret store. */
export const holdsKey = (values: Readonly<Record<string, string>> | undefined): boolean =>
  values?.aws_access_key_id !== undefined || storedKeyOf(values) !== undefined

/** Where a profile's long-term key can be kept. */
export type KeyPlace = "keyring" | "file"

/** The OS secret store could not be reached or refused a call; nothing secret is in the reason. */
export class KeyStoreFailed extends Data.TaggedError("KeyStoreFailed")<{
  readonly action: string
  /** The store of this platform, named in the message with its fix. */
  readonly store: SecretStore
  readonly problem: StoreProblem
  /** The store's own words, for a problem not told apart. */
  readonly detail: string
}> {
  override get message() {
    const fix = this.store.fixes[this.problem] ?? firstLine(this.detail)
    const said = this.problem === "binding-fails" ? ` (the system said: ${firstLine(this.detail)})` : ""
    return `Could not ${this.action} the ${this.store.name}: ${fix}${said}.`
  }
}

/** The first line of the store's words: its library adds the chain of causes on further lines. */
const firstLine = (detail: string) => detail.split("\n", 1)[0]!.trim().replace(/\.$/, "")

/** The key the profile points to is not in the store. */
export class StoredKeyMissing extends Data.TaggedError("StoredKeyMissing")<{
  readonly profile: string
  readonly keyId: string
}> {
  override get message() {
    return `[${this.profile}] points to the key ${this.keyId} in the OS secret store, and the store has no such item: restore it, or put the key back into [${this.profile}] by hand.`
  }
}
