import * as Data from "effect/Data"

import { storeService } from "./StoreService.js"

export { storeService }

/** The keys of `[<profile>]` that point to its stored key: which store, and the key id. */
export const storeKey = "aws_iam_login_key_store"
export const storedKeyId = "aws_iam_login_key_id"

/** The key id `[<profile>]` points to in the OS secret store, if it points to one. */
export const storedKeyOf = (values: Readonly<Record<string, string>> | undefined): string | undefined =>
  values?.[storeKey] === "keyring" && values.aws_access_key_id === undefined ? values[storedKeyId] : undefined

/** Where a profile's long-term key can be kept. */
export type KeyPlace = "keyring" | "file"

/** Where a profile's key lives, as status and list report it (never the secret). */
export const keyLocation = (path: string, section: string, stored: string | undefined) =>
  stored === undefined
    ? { store: "file" as const, file: path, section }
    : { store: "keyring" as const, service: storeService, account: stored, file: path, section }

/** The same, in words. */
export const keyLocationText = (path: string, section: string, stored: string | undefined) =>
  stored === undefined
    ? `[${section}] of ${path}`
    : `the OS secret store (service ${storeService}, account ${stored}), which [${section}] of ${path} points to`

/** Why the OS secret store could not be used, each with what to do about it. */
export type StoreProblem =
  | "no-session-bus"
  | "no-secret-service"
  | "locked"
  | "no-reply"
  | "timeout"
  | "other"

const fixes: Record<Exclude<StoreProblem, "other">, string> = {
  "no-session-bus":
    "there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset or dead): log in to a desktop session, or run the command under dbus-run-session",
  "no-secret-service":
    "no Secret Service answers on the session bus: start gnome-keyring-daemon --components=secrets (or KeePassXC's or KWallet's secrets API)",
  locked:
    "the keyring is locked: unlock it (log in to the desktop, or without one run gnome-keyring-daemon --replace --unlock, type the keyring's password and press Ctrl-D) and run this again",
  "no-reply":
    "the Secret Service on the session bus did not reply (it is stuck or stopped): restart it (for gnome-keyring, log out and back in) and run this again",
  timeout:
    "it did not answer within 20 seconds (a keyring prompt nobody answered, or a service that hangs): unlock the keyring and run this again",
}

/** The OS secret store could not be reached or refused a call; nothing secret is in the reason. */
export class KeyStoreFailed extends Data.TaggedError("KeyStoreFailed")<{
  readonly action: string
  readonly problem: StoreProblem
  /** The store's own words, for a problem not told apart. */
  readonly detail: string
}> {
  override get message() {
    return this.problem === "other"
      ? `Could not ${this.action} the OS secret store: ${this.detail}.`
      : `Could not ${this.action} the OS secret store: ${fixes[this.problem]}.`
  }
}

/** The key the profile points to is not in the store. */
export class StoredKeyMissing extends Data.TaggedError("StoredKeyMissing")<{
  readonly profile: string
  readonly keyId: string
}> {
  override get message() {
    return `[${this.profile}] points to the key ${this.keyId} in the OS secret store, and the store has no such item: restore it, or put the key back into [${this.profile}] by hand.`
  }
}

/** Tells the store's errors apart by their words, the only way @napi-rs/keyring reports them. */
export const problemOf = (detail: string): StoreProblem =>
  /org\.freedesktop\.secrets|ServiceUnknown|not provided by any/i.test(detail)
    ? "no-secret-service"
    : /DBUS_SESSION_BUS_ADDRESS|autolaunch|failed to connect to socket|session bus/i.test(detail)
      ? "no-session-bus"
      : /Did not receive a reply|NoReply/i.test(detail)
        ? "no-reply"
        : /\blocked\b|unlock|prompt|dismissed/i.test(detail)
          ? "locked"
          : "other"
