import { storeService } from "./StoreService.js"

/** Why the OS secret store could not be used, each with what to do about it on its platform. */
export type StoreProblem =
  | "no-session-bus"
  | "no-secret-service"
  | "locked"
  | "no-reply"
  | "denied"
  | "no-keychain"
  | "no-logon-session"
  | "no-binding"
  | "binding-fails"
  | "timeout"
  | "other"

/**
 * The OS secret store of one platform, in its users' words: its name, the commands that show and
 * remove an item of this tool, and what to do about each way it fails, told apart by the words
 * @napi-rs/keyring reports (its only way of reporting them).
 */
export interface SecretStore {
  readonly name: "Secret Service" | "macOS Keychain" | "Windows Credential Manager"
  /** The command line that shows the item of `keyId`. */
  readonly lookup: (keyId: string) => string
  /** The command line that removes it. */
  readonly clear: (keyId: string) => string
  readonly problemOf: (detail: string) => StoreProblem
  readonly fixes: Partial<Record<StoreProblem, string>>
}

const deadline = "it did not answer within 20 seconds"

/** The native part of @napi-rs/keyring, which the helper could not load: the same on every platform. */
const binding = {
  "no-binding":
    "its native part for this system (an optional dependency of @napi-rs/keyring) is not installed: reinstall aws-iam-login with npm, optional dependencies included (no --omit=optional), and run this again",
  "binding-fails":
    "its native part (from @napi-rs/keyring) is installed but this system does not load it, as when a library it needs is missing: reinstall aws-iam-login with npm, and where that does not help, keep keys in the credentials file on this system",
}

/** Linux (and the BSDs): the freedesktop Secret Service on the D-Bus session bus. */
export const secretService: SecretStore = {
  name: "Secret Service",
  lookup: (keyId) => `secret-tool lookup service ${storeService} username ${keyId}`,
  clear: (keyId) => `secret-tool clear service ${storeService} username ${keyId}`,
  problemOf: (detail) =>
    /org\.freedesktop\.secrets|ServiceUnknown|not provided by any/i.test(detail)
      ? "no-secret-service"
      : /DBUS_SESSION_BUS_ADDRESS|autolaunch|failed to connect to socket|session bus/i.test(detail)
        ? "no-session-bus"
        : /Did not receive a reply|NoReply/i.test(detail)
          ? "no-reply"
          : /\blocked\b|unlock|prompt|dismissed/i.test(detail)
            ? "locked"
            : "other",
  fixes: {
    "no-session-bus":
      "there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset or dead): log in to a desktop session, or run the command under dbus-run-session",
    "no-secret-service":
      "no Secret Service answers on the session bus: start gnome-keyring-daemon --components=secrets (or KeePassXC's or KWallet's secrets API)",
    locked:
      "the keyring is locked: unlock it (log in to the desktop, or without one run gnome-keyring-daemon --replace --unlock, type the keyring's password and press Ctrl-D) and run this again",
    "no-reply":
      "the Secret Service on the session bus did not reply (it is stuck or stopped): restart it (for gnome-keyring, log out and back in) and run this again",
    ...binding,
    timeout: `${deadline} (a keyring prompt nobody answered, or a service that hangs): unlock the keyring and run this again`,
  },
}

/**
 * macOS: the login keychain. Security.framework's own sentences (SecCopyErrorMessageString) for
 * errSecInteractionNotAllowed and errSecUserCanceled, errSecAuthFailed, and errSecNotAvailable,
 * errSecReadOnly, errSecNoSuchKeychain and errSecInvalidKeychain.
 */
export const keychain: SecretStore = {
  name: "macOS Keychain",
  lookup: (keyId) => `security find-generic-password -s ${storeService} -a ${keyId}`,
  clear: (keyId) => `security delete-generic-password -s ${storeService} -a ${keyId}`,
  problemOf: (detail) =>
    /interaction is not allowed|interaction is required|canceled the operation|-25308|-25315|-128\b/i.test(
      detail,
    )
      ? "locked"
      : /passphrase you entered is not correct|-25293/i.test(detail)
        ? "denied"
        : /No keychain is available|keychain could not be found|not a valid keychain|keychain cannot be modified|-2529[1245]/i.test(
              detail,
            )
          ? "no-keychain"
          : "other",
  fixes: {
    locked:
      "the login keychain is locked and macOS could not ask for its password (a session over SSH, or the prompt was dismissed): unlock it with `security unlock-keychain` (or at the Mac's screen) and run this again",
    denied:
      "the Keychain refused access (Deny was chosen, or the password typed was wrong): run this again and choose Allow when macOS asks",
    "no-keychain":
      "there is no usable login keychain (none, damaged, or read-only): repair it in Keychain Access (Settings, Reset Default Keychains) and run this again",
    ...binding,
    timeout: `${deadline} (a Keychain prompt nobody answered): answer it at the Mac's screen, or unlock with \`security unlock-keychain\`, and run this again`,
  },
}

/**
 * Windows: generic credentials of the Credential Manager, the target `<key id>.aws-iam-login`.
 * ERROR_NO_SUCH_LOGON_SESSION: the logon has no credential set of its own.
 */
export const credentialManager: SecretStore = {
  name: "Windows Credential Manager",
  lookup: (keyId) => `cmdkey /list:${keyId}.${storeService}`,
  clear: (keyId) => `cmdkey /delete:${keyId}.${storeService}`,
  problemOf: (detail) =>
    /ERROR_NO_SUCH_LOGON_SESSION|error code 1312\b/i.test(detail) ? "no-logon-session" : "other",
  fixes: {
    "no-logon-session":
      "this Windows logon has no credential store of its own (an SSH or network logon with a key, a service, or a task that runs while you are logged off): run it in a session you logged in to with your password",
    ...binding,
    timeout: `${deadline}: sign out of Windows and back in, and run this again`,
  },
}

/** The store @napi-rs/keyring uses on `os`: the login keychain, the Credential Manager, else the Secret Service. */
export const secretStoreOf = (os: NodeJS.Platform): SecretStore =>
  os === "darwin" ? keychain : os === "win32" ? credentialManager : secretService
