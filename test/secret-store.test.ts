import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { KeyStoreFailed } from "../src/schema/KeyStore.js"
import { Platform } from "../src/services/Platform.js"
import { aliceAtWork } from "./support/alice.js"
import { fakeKeyStore } from "./support/FakeKeyStore.js"
import { cli } from "./support/harness.js"
import { fakePlatform } from "./support/platforms.js"
import { SimulatedAws } from "./support/SimulatedAws.js"

/** What a person reads when `os`'s store answers `detail` (the words @napi-rs/keyring reports). */
const sentence = (os: "linux" | "darwin" | "win32", detail: string) => {
  const store = fakePlatform(os).secretStore
  return new KeyStoreFailed({ action: "write to", store, problem: store.problemOf(detail), detail }).message
}

const linuxOnly = /secret-tool|gnome-keyring|D-Bus|dbus|Secret Service|keyring is locked/

describe("the OS secret store of each platform, named with what to do when it fails", () => {
  it("macOS: the Keychain's own words for a locked keychain, a refused prompt and a missing keychain each get their fix", () => {
    const locked = sentence(
      "darwin",
      "Couldn't access platform secure storage: User interaction is not allowed.",
    )
    expect(locked).toBe(
      "Could not write to the macOS Keychain: the login keychain is locked and macOS could not ask for its password (a session over SSH, or the prompt was dismissed): unlock it with `security unlock-keychain` (or at the Mac's screen) and run this again.",
    )
    expect(sentence("darwin", "Platform secure storage failure: User canceled the operation.")).toBe(locked)
    expect(
      sentence(
        "darwin",
        "Platform secure storage failure: The user name or passphrase you entered is not correct.",
      ),
    ).toMatch(/^Could not write to the macOS Keychain: the Keychain refused access .*choose Allow/)
    for (const missing of [
      "Couldn't access platform secure storage: No keychain is available. You may need to restart your computer.",
      "Couldn't access platform secure storage: The specified keychain could not be found.",
      "Couldn't access platform secure storage: This keychain cannot be modified.",
    ])
      expect(sentence("darwin", missing)).toMatch(
        /^Could not write to the macOS Keychain: there is no usable login keychain .*Reset Default Keychains/,
      )
  })

  it("Windows: a logon without its own credential store (ERROR_NO_SUCH_LOGON_SESSION) says to log in with a password; other codes are named", () => {
    expect(
      sentence(
        "win32",
        "Couldn't access platform secure storage: Windows ERROR_NO_SUCH_LOGON_SESSION\n\nCaused by:\n    Windows ERROR_NO_SUCH_LOGON_SESSION",
      ),
    ).toMatch(
      /^Could not write to the Windows Credential Manager: this Windows logon has no credential store of its own .*logged in to with your password\.$/,
    )
    expect(
      sentence(
        "win32",
        "Platform secure storage failure: Windows error code 1783\n\nCaused by:\n    Windows error code 1783",
      ),
    ).toBe(
      "Could not write to the Windows Credential Manager: Platform secure storage failure: Windows error code 1783.",
    )
  })

  it("a native part that is missing or does not load, and a store that never answers, are said in each platform's words; secret-tool and D-Bus only on Linux", () => {
    const names = { linux: "Secret Service", darwin: "macOS Keychain", win32: "Windows Credential Manager" }
    for (const os of ["linux", "darwin", "win32"] as const) {
      const store = fakePlatform(os).secretStore
      expect(store.name).toBe(names[os])
      const missing = new KeyStoreFailed({
        action: "write to",
        store,
        problem: "no-binding",
        detail: "Cannot find native binding. npm has a bug related to optional dependencies.",
      }).message
      expect(missing).toMatch(
        new RegExp(
          `^Could not write to the ${names[os]}: its native part for this system .* reinstall aws-iam-login`,
        ),
      )
      expect(missing).not.toContain("npm has a bug")
      const fails = new KeyStoreFailed({
        action: "write to",
        store,
        problem: "binding-fails",
        detail: "Module not found.\n\\\\?\\Z:\\x\\keyring.win32-x64-msvc.node",
      }).message
      expect(fails).toMatch(
        new RegExp(
          `^Could not write to the ${names[os]}: its native part .* does not load it, .* keep keys in the credentials file on this system \\(the system said: Module not found\\)\\.$`,
        ),
      )
      const timeout = new KeyStoreFailed({ action: "read from", store, problem: "timeout", detail: "" })
        .message
      expect(timeout).toMatch(
        new RegExp(`^Could not read from the ${names[os]}: it did not answer within 20 seconds`),
      )
      if (os !== "linux") {
        expect(timeout).not.toMatch(linuxOnly)
        expect(store.lookup("AKIAEXAMPLE") + store.clear("AKIAEXAMPLE")).not.toMatch(linuxOnly)
      }
    }
    expect(
      sentence("linux", "The name org.freedesktop.secrets was not provided by any .service files"),
    ).toMatch(
      /^Could not write to the Secret Service: no Secret Service answers on the session bus: start gnome-keyring-daemon/,
    )
  })
})

/** alice's key in [work] of a fresh credentials file: its id, and the file as it was. */
const setup = Effect.gen(function* () {
  const { sim, files, read } = yield* aliceAtWork
  const [key] = sim.keysOf("alice")
  return { files, read, text: read(), keyId: key!.id }
})

const moveIn = ["work", "key", "--store", "keyring"]

describe("key --store through each platform's store", () => {
  const platforms = [
    {
      os: "darwin",
      name: "macOS Keychain",
      lookup: (id: string) => `security find-generic-password -s aws-iam-login -a ${id}`,
      clear: (id: string) => `security delete-generic-password -s aws-iam-login -a ${id}`,
      locked: "the login keychain is locked",
    },
    {
      os: "win32",
      name: "Windows Credential Manager",
      lookup: (id: string) => `cmdkey /list:${id}.aws-iam-login`,
      clear: (id: string) => `cmdkey /delete:${id}.aws-iam-login`,
      locked: "it did not answer within 20 seconds: sign out of Windows and back in",
    },
  ] as const

  for (const p of platforms) {
    it.effect(
      `${p.os}: the move names the ${p.name}, and a failing store says what to do there, never secret-tool`,
      () =>
        Effect.gen(function* () {
          const { files, text, keyId, read } = yield* setup
          const store = fakeKeyStore()
          store.faults.set(2, p.os === "darwin" ? "locked" : "timeout")
          const failed = yield* cli(files, moveIn, { keyStore: store.layer })
          expect(failed.code).toBe(1)
          expect(
            failed.stderr.startsWith(`aws-iam-login: Could not write in the ${p.name}: ${p.locked}`),
          ).toBe(true)
          expect(failed.stderr.split("\n")).toHaveLength(1)
          expect(failed.stderr).not.toMatch(linuxOnly)
          expect(read()).toBe(text)

          // The file cannot be written, and the store fails when asked to check the copy: where it is, and how to see and remove it.
          const stuck = fakeKeyStore()
          stuck.faults.set(4, "timeout")
          const left = yield* cli(files, moveIn, { keyStore: stuck.layer, failWrite: 1 })
          expect(left.code).toBe(1)
          expect(left.stderr).toContain(
            `may stay in the ${p.name} (service aws-iam-login, account ${keyId}; ${p.lookup(keyId)}), which could not be checked`,
          )
          expect(left.stderr).toContain(`remove it with ${p.clear(keyId)}.`)
          expect(left.stderr).not.toMatch(linuxOnly)
          expect(read()).toBe(text)

          const moved = yield* cli(files, moveIn, { keyStore: store.layer })
          expect(moved.code).toBe(0)
          expect(moved.stdout).toContain(`is in the ${p.name} (service aws-iam-login, account ${keyId})`)
          const back = yield* cli(files, ["work", "key", "--store", "file"], { keyStore: store.layer })
          expect(back.code).toBe(0)
          expect(back.stdout).toContain(`the ${p.name} no longer holds it.`)
          expect(store.items.size).toBe(0)

          // doctor reads the stored key from this platform's store, and says what to do when it cannot.
          expect((yield* cli(files, moveIn, { keyStore: store.layer })).code).toBe(0)
          const answered = yield* cli(files, ["work", "doctor"], { keyStore: store.layer })
          expect(answered.stdout).toMatch(
            new RegExp(
              `^ok +key +the key AKIA…\\w{4} is in the ${p.name} \\(service aws-iam-login, account ${keyId}\\), which answered, unlocked$`,
              "m",
            ),
          )
          store.faults.set(store.calls.length + 1, p.os === "darwin" ? "locked" : "timeout")
          const refused = yield* cli(files, ["work", "doctor"], { keyStore: store.layer })
          expect(refused.code).toBe(1)
          expect(refused.stdout).toContain(`Could not read in the ${p.name}: ${p.locked}`)
          expect(refused.stdout).toMatch(/^PROBLEM +key +Could not read in the /m)
          expect(refused.stdout).not.toMatch(linuxOnly)
        }).pipe(Effect.provideService(Platform, fakePlatform(p.os)), Effect.provide(SimulatedAws)),
    )
  }
})
