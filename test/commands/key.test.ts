import * as fs from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import { alice, serial } from "../support/alice.js"
import { fakeKeyStore } from "../support/FakeKeyStore.js"
import { cli, passingTime } from "../support/harness.js"
import { SimulatedAws, validCode } from "../support/SimulatedAws.js"

/** alice's key in [work], with her user name and MFA device, and another section. */
const setup = alice(
  (keyId, secret) =>
    `# mine\n[work]\naws_access_key_id = ${keyId}\naws_secret_access_key = ${secret}\nmfa_serial = ${serial}\nusername = alice\n\n[other]\nx = 1\n`,
  { at: "2026-11-23T19:00:00Z" },
)

describe("key --store", () => {
  it.effect("moves the key into the store and back; login signs with the stored key", () =>
    Effect.gen(function* () {
      const { original, keyId, secret, read, store, run } = yield* setup
      const moved = yield* run(["work", "key", "--store", "keyring"])
      expect(moved.code).toBe(0)
      expect(store.items.get(keyId)).toBe(secret)
      expect(read()).toBe(
        `# mine\n[work]\nmfa_serial = ${serial}\nusername = alice\naws_iam_login_key_store = keyring\naws_iam_login_key_id = ${keyId}\ncredential_process = aws-iam-login work export\n\n[other]\nx = 1\n`,
      )
      expect((yield* run(["work", "-t", validCode])).code).toBe(0)
      const back = yield* run(["work", "key", "--store", "file"])
      expect(back.code).toBe(0)
      expect(store.items.size).toBe(0)
      expect(read()).toContain(`aws_secret_access_key = ${secret}`)
      expect(read()).not.toContain("credential_process")
      expect(
        read().startsWith(original.slice(0, original.indexOf("\n\n[other]")).split("aws_access_key_id")[0]!),
      ).toBe(true)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "status and list say where a stored key lives without opening the store; login opens it once",
    () =>
      Effect.gen(function* () {
        const { files, keyId, secret, store, run } = yield* setup
        expect((yield* run(["work", "key", "--store", "keyring"])).code).toBe(0)
        store.calls.length = 0
        const status = yield* run(["work", "status"])
        expect(status.code).toBe(0)
        expect(status.stdout).toContain(
          `kept in     the OS secret store (service aws-iam-login, account ${keyId}), which [work] of ${files.credentials} points to`,
        )
        expect(status.stdout).toContain(
          "age unknown (the key is in the OS secret store, not opened to show this: log in (aws-iam-login work) and IAM is asked with the session)",
        )
        const list = yield* run(["list", "--keys"])
        expect(list.code).toBe(0)
        expect(list.stdout).toMatch(
          new RegExp(`^work +keyring ${keyId} +alice .* unknown \\(the key is in`, "m"),
        )
        expect(store.calls).toEqual([])

        expect((yield* run(["work", "-t", validCode])).code).toBe(0)
        expect(store.calls).toEqual(["read"])
        // With a session, IAM is asked the key's age with it: the store stays closed.
        const location = {
          store: "keyring",
          service: "aws-iam-login",
          account: keyId,
          file: files.credentials,
          section: "work",
        }
        const json = yield* run(["work", "status", "--json"])
        expect(JSON.parse(json.stdout)).toMatchObject({
          keyLocation: location,
          keyAgeDays: 0,
          keyStatus: "Active",
        })
        const listed = yield* run(["list", "--keys", "--json"])
        expect(JSON.parse(listed.stdout)).toEqual([
          expect.objectContaining({ profile: "work", keyLocation: location, keyAgeDays: 0 }),
        ])
        expect((yield* run(["work", "-t", validCode])).stdout).toContain("still valid")
        expect(store.calls).toEqual(["read"])
        for (const out of [status, list, json, listed]) expect(out.stdout + out.stderr).not.toContain(secret)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "[work-sts] of a stored key's profile is named as [work]'s session, before and after a login",
    () =>
      Effect.gen(function* () {
        const { run } = yield* setup
        expect((yield* run(["work", "key", "--store", "keyring"])).code).toBe(0)
        const said =
          "[work-sts] is the session aws-iam-login writes for [work], not a profile with your IAM user's key"
        expect((yield* run(["work-sts", "status"])).stderr).toContain(said)
        expect((yield* run(["work", "-t", validCode])).code).toBe(0)
        expect((yield* run(["work-sts", "-t", validCode])).stderr).toContain(said)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  // Store calls of a move in: 1 read (nothing there yet), 2 write, 3 read back, 4 read by the check that [work] resolves.
  for (const call of [1, 2, 3, 4]) {
    it.effect(
      `a store failure at call ${call} of a move in leaves the key in the file and nothing in the store, one sentence said`,
      () =>
        Effect.gen(function* () {
          const { files, original, secret, read, store, run } = yield* setup
          store.faults.set(call, "locked")
          const out = yield* run(["work", "key", "--store", "keyring"])
          expect(out.code).toBe(1)
          expect(out.stderr.split("\n")).toHaveLength(1)
          if (call > 2)
            expect(out.stderr).toContain("the copy this run wrote to the Secret Service is removed.")
          expect(store.items.size).toBe(0)
          // Before the edit the file is untouched; after it, the edit is undone (the key's lines come back last).
          if (call < 4) expect(read()).toBe(original)
          expect(read()).toContain(`aws_secret_access_key = ${secret}`)
          expect(read()).not.toContain("aws_iam_login_key_store")
          expect((yield* cli(files, ["work", "-t", validCode])).code).toBe(0)
        }).pipe(Effect.provide(SimulatedAws)),
    )
  }

  it.effect(
    "the file's edit fails after the key was stored: the copy this run wrote is removed, or named with how to remove it",
    () =>
      Effect.gen(function* () {
        const { files, original, keyId, secret, read, store, run } = yield* setup
        const full = yield* run(["work", "key", "--store", "keyring"], { failWrite: 1 })
        expect(full.code).toBe(1)
        expect(full.stderr).toBe(
          `aws-iam-login: Could not write ${files.credentials}: no space left on device; the copy this run wrote to the Secret Service is removed.`,
        )
        expect(read()).toBe(original)
        expect(store.items.size).toBe(0)
        expect(store.calls).toEqual(["read", "write", "read", "read", "remove"])

        // The store fails when asked to check its copy: the copy stays, and the sentence says where.
        const stuck = fakeKeyStore()
        stuck.faults.set(4, "no-secret-service")
        const out = yield* cli(files, ["work", "key", "--store", "keyring"], {
          keyStore: stuck.layer,
          failWrite: 1,
        })
        expect(out.code).toBe(1)
        expect(out.stderr.split("\n")).toHaveLength(1)
        expect(out.stderr).toContain(
          `may stay in the Secret Service (service aws-iam-login, account ${keyId}; secret-tool lookup service aws-iam-login username ${keyId}), which could not be checked`,
        )
        expect(out.stderr).toContain(
          `remove it with secret-tool clear service aws-iam-login username ${keyId}.`,
        )
        expect(read()).toBe(original)
        expect(stuck.items.get(keyId)).toBe(secret)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "when [work] does not resolve and the edit cannot be undone, the stored copy is what [work] points to, and it stays",
    () =>
      Effect.gen(function* () {
        const { files, keyId, secret, read, store, run } = yield* setup
        store.faults.set(4, "timeout")
        const out = yield* run(["work", "key", "--store", "keyring"], { failWrite: 2 })
        expect(out.code).toBe(1)
        expect(out.stderr).toBe(
          `aws-iam-login: Could not write ${files.credentials}: no space left on device; the key is in the Secret Service (service aws-iam-login, account ${keyId}; secret-tool lookup service aws-iam-login username ${keyId}), which [work] of ${files.credentials} points to.`,
        )
        expect(store.items.get(keyId)).toBe(secret)
        expect(read()).toContain(`aws_iam_login_key_id = ${keyId}`)
        expect((yield* run(["work", "-t", validCode])).code).toBe(0)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "an item the store held before is never removed; one with another secret is not written over",
    () =>
      Effect.gen(function* () {
        const { files, original, keyId, secret, read, store, run } = yield* setup
        store.items.set(keyId, secret)
        const out = yield* run(["work", "key", "--store", "keyring"], { failWrite: 1 })
        expect(out.code).toBe(1)
        expect(store.items.get(keyId)).toBe(secret)
        expect(store.calls).not.toContain("write")
        expect(read()).toBe(original)

        store.items.set(keyId, "someone else's")
        const other = yield* run(["work", "key", "--store", "keyring"])
        expect(other.code).toBe(1)
        expect(other.stderr).toContain(`already holds another secret for the key ${keyId}`)
        expect(other.stderr).toContain(`[work] still holds it in ${files.credentials}`)
        expect(store.items.get(keyId)).toBe("someone else's")
        expect(read()).toBe(original)

        // A copy left by a run killed before its edit is taken as it is, and the move finishes.
        store.items.set(keyId, secret)
        expect((yield* run(["work", "key", "--store", "keyring"])).code).toBe(0)
        expect(read()).toContain(`aws_iam_login_key_id = ${keyId}`)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "Ctrl-C while the stored key is read back: the copy this run wrote is removed, the file untouched",
    () =>
      Effect.gen(function* () {
        const { original, read, store, run } = yield* setup
        store.hangs.add(3)
        const running = yield* Effect.fork(run(["work", "key", "--store", "keyring"]))
        while (store.calls.length < 3) yield* Effect.promise(() => new Promise((r) => setTimeout(r, 1)))
        expect(Exit.isInterrupted(yield* Fiber.interrupt(running))).toBe(true)
        expect(store.items.size).toBe(0)
        expect(store.calls).toEqual(["read", "write", "read", "read", "remove"])
        expect(read()).toBe(original)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "a store that gives back another secret, or a file that cannot be written, leaves the key in the file",
    () =>
      Effect.gen(function* () {
        const { files, original, read } = yield* setup
        const mangling = fakeKeyStore()
        mangling.mangling()
        const out = yield* cli(files, ["work", "key", "--store", "keyring"], { keyStore: mangling.layer })
        expect(out.code).toBe(1)
        expect(out.stderr).toContain("did not give back the key")
        expect(read()).toBe(original)
        const full = yield* cli(files, ["work", "key", "--store", "keyring"], { failWrite: 1 })
        expect(full.code).toBe(1)
        expect(read()).toBe(original)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "moving back: a store that fails to remove its copy leaves the key in the file, and says how to remove the copy",
    () =>
      Effect.gen(function* () {
        const { keyId, secret, read, store, run } = yield* setup
        expect((yield* run(["work", "key", "--store", "keyring"])).code).toBe(0)
        // Move back: 5 read (load), 6 remove.
        store.faults.set(6, "no-secret-service")
        const out = yield* run(["work", "key", "--store", "file"])
        expect(out.code).toBe(1)
        expect(out.stderr).toContain(`secret-tool clear service aws-iam-login username ${keyId}`)
        expect(read()).toContain(`aws_secret_access_key = ${secret}`)
        expect(store.items.get(keyId)).toBe(secret)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "moving back a key already in the file removes a copy a cut-off move left in the store, and leaves another secret under its id",
    () =>
      Effect.gen(function* () {
        const { original, keyId, secret, read, store, run } = yield* setup
        store.items.set(keyId, secret)
        const done = yield* run(["work", "key", "--store", "file"])
        expect(done.code).toBe(0)
        expect(done.stdout).toContain("removed the copy a cut-off move left in the Secret Service")
        expect(store.items.size).toBe(0)
        store.items.set(keyId, "not-the-same")
        const other = yield* run(["work", "key", "--store", "file"])
        expect(other.code).toBe(0)
        expect(other.stdout).toContain("holds another secret under its key id")
        expect(store.items.get(keyId)).toBe("not-the-same")
        expect(read()).toBe(original)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "moving one profile's key back keeps the stored item while another profile still points to it",
    () =>
      Effect.gen(function* () {
        const { files, keyId, secret, read, store, run } = yield* setup
        fs.appendFileSync(
          files.credentials,
          `\n[copy]\naws_access_key_id = ${keyId}\naws_secret_access_key = ${secret}\nmfa_serial = ${serial}\n`,
        )
        for (const name of ["work", "copy"])
          expect((yield* run([name, "key", "--store", "keyring"])).code).toBe(0)

        const back = yield* run(["work", "key", "--store", "file"])
        expect(back.code).toBe(0)
        expect(back.stdout).toContain(
          `the Secret Service keeps it for [copy] of ${files.credentials}, which points to it.`,
        )
        expect(store.items.get(keyId)).toBe(secret)
        expect((yield* run(["copy", "-t", validCode])).code).toBe(0)

        // Run again on a key already in the file: the copy [copy] uses is not "left by a cut-off move".
        const again = yield* run(["work", "key", "--store", "file"])
        expect(again.code).toBe(0)
        expect(again.stdout).toContain(
          `[copy] of ${files.credentials} points to its copy in the Secret Service`,
        )
        expect(store.items.get(keyId)).toBe(secret)

        expect((yield* run(["copy", "key", "--store", "file"])).code).toBe(0)
        expect(store.items.size).toBe(0)
        expect(read()).not.toContain("aws_iam_login_key_id")
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "a profile pointed to the stored item while the store is asked keeps it: the files are read again before an item is removed",
    () =>
      Effect.gen(function* () {
        const { files, keyId, secret, original, store, run } = yield* setup
        // What another run (key --store keyring of [copy]) or an editor does while the store answers.
        const pointCopy = () =>
          fs.appendFileSync(
            files.credentials,
            `\n[copy]\naws_iam_login_key_store = keyring\naws_iam_login_key_id = ${keyId}\n`,
          )
        store.items.set(keyId, secret)
        store.observers.push((op) => {
          if (op === "read" && store.calls.length === 1) pointCopy()
        })
        const back = yield* run(["work", "key", "--store", "file"])
        expect(back.code).toBe(0)
        expect(back.stdout).toContain(
          `[copy] of ${files.credentials} points to its copy in the Secret Service`,
        )
        expect(store.items.get(keyId)).toBe(secret)

        // A move whose read-back fails removes the item it wrote only if nothing points to it by then.
        fs.writeFileSync(files.credentials, original)
        store.items.clear()
        store.calls.length = 0
        store.observers.length = 0
        store.observers.push((op) => {
          if (op === "write") pointCopy()
        })
        store.faults.set(3, "locked")
        const moved = yield* run(["work", "key", "--store", "keyring"])
        expect(moved.code).toBe(1)
        expect(moved.stderr).toContain(`[copy] of ${files.credentials} points to`)
        expect(store.items.get(keyId)).toBe(secret)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "the credential_process line a move writes gives the session of a profile named like a command",
    () =>
      Effect.gen(function* () {
        const { files, read } = yield* setup
        const store = fakeKeyStore()
        const options = { keyStore: store.layer }
        for (const name of ["status", "export", "help"]) {
          fs.writeFileSync(files.credentials, read().replace(/^\[[^\]]+\]$/m, `[${name}]`))
          expect((yield* cli(files, ["key", "--profile", name, "--store", "keyring"], options)).code).toBe(0)
          expect((yield* cli(files, ["login", "--profile", name, "-t", validCode], options)).code).toBe(0)
          const line = /^credential_process = aws-iam-login (.*)$/m.exec(read())?.[1] ?? ""
          const out = yield* cli(files, line.split(" "), options)
          expect(out.stderr).toBe("")
          expect(JSON.parse(out.stdout)).toMatchObject({ Version: 1 })
          expect((yield* cli(files, ["key", "--profile", name, "--store", "file"], options)).code).toBe(0)
          expect(read()).not.toContain("credential_process")
        }
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    'a profile named with ";" or "#" moves into the store, its credential_process giving its session; after a space, the sentence says why not and what to do',
    () =>
      Effect.gen(function* () {
        const { files, read, store, run } = yield* setup
        for (const name of ["a$b;c", "team#2"]) {
          fs.writeFileSync(files.credentials, read().replace(/^\[[^\]]+\]$/m, `[${name}]`))
          expect((yield* run([name, "key", "--store", "keyring"])).code).toBe(0)
          expect(read()).toContain(`credential_process = aws-iam-login '${name}' export\n`)
          expect((yield* run([name, "-t", validCode])).code).toBe(0)
          // What the AWS CLI runs: the line split as shlex splits it, without the quotes.
          const out = yield* run([name, "export"])
          expect(out.stderr).toBe("")
          expect(JSON.parse(out.stdout)).toMatchObject({ Version: 1 })
          expect((yield* run([name, "key", "--store", "file"])).code).toBe(0)
          expect(read()).not.toContain("credential_process")
        }

        const name = "a ;b"
        fs.writeFileSync(files.credentials, read().replace(/^\[[^\]]+\]$/m, `[${name}]`))
        const before = read()
        store.calls.length = 0
        for (const args of [[], ["--dry-run"]]) {
          const out = yield* run([name, "key", "--store", "keyring", ...args])
          expect(out.code).toBe(1)
          expect(out.stderr).toBe(
            `aws-iam-login: [${name}] cannot keep its key in the OS secret store: its name holds ";" after a space, so the line that would give \`aws --profile\` its session (credential_process = aws-iam-login '${name}' export) would hold it too, where the AWS CLI reads it as part of the line but a person, and the AWS SDK for JavaScript, take it for the start of a comment. Rename the profile to a name without ";" and "#" after a space (its section and ${name}-sts in the files), or keep its key in [${name}] of ${files.credentials}. Nothing was changed.`,
          )
        }
        expect(read()).toBe(before)
        expect(store.calls).toEqual([])
        const init = yield* run(["init", "--profile", "new #one", "--store", "keyring"])
        expect(init.code).toBe(1)
        expect(init.stderr).toContain(
          "or run aws-iam-login 'new #one' init without --store keyring, which keeps the key in the file. Nothing was changed.",
        )
        expect(store.calls).toEqual([])
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "for a profile named like a command, the command lines the sentences give run on that profile",
    () =>
      Effect.gen(function* () {
        const { files, read, run } = yield* setup
        fs.writeFileSync(files.credentials, read().replace("[work]", "[list]"))
        const init = yield* run(["init", "--profile", "list", "--force"])
        expect(init.stdout).toContain("Next: aws-iam-login login list")
        const status = yield* run(["status", "--profile", "list"])
        expect(status.stdout).toContain("none: run aws-iam-login login list")
        const exported = yield* run(["export", "--profile", "list"])
        expect(exported.stderr).toContain("run `aws-iam-login login list` in a terminal first.")
        expect((yield* run(["login", "list", "-t", validCode])).code).toBe(0)
        const session = yield* run(["status", "--profile", "list-sts"])
        expect(session.stderr).toContain("e.g. `aws-iam-login login list` or `aws-iam-login status list`.")
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "a key kept in [profile work] of the config file moves into the store and back there; login and rotate use it",
    () =>
      Effect.gen(function* () {
        const { files, keyId, secret, store, run } = yield* setup
        fs.writeFileSync(files.credentials, "[other]\nx = 1\n")
        fs.writeFileSync(
          files.config,
          `[profile work]\naws_access_key_id = ${keyId}\naws_secret_access_key = ${secret}\nmfa_serial = ${serial}\nusername = alice\n`,
        )
        const config = () => fs.readFileSync(files.config, "utf8")
        const moved = yield* run(["work", "key", "--store", "keyring"])
        expect(moved.stderr).toBe("")
        expect(config()).not.toContain(secret)
        expect(config()).toContain("credential_process = aws-iam-login work export")
        expect(store.items.get(keyId)).toBe(secret)
        expect((yield* run(["work", "-t", validCode])).code).toBe(0)
        const rotated = yield* passingTime(run(["work", "rotate", "--yes"]))
        expect(rotated.code, rotated.stderr).toBe(0)
        const newId = /aws_iam_login_key_id = (\S+)/.exec(config())?.[1]
        expect(newId).not.toBe(keyId)
        expect([...store.items.keys()]).toEqual([newId])
        const newSecret = store.items.get(newId ?? "") ?? "none"
        const back = yield* run(["work", "key", "--store", "file"])
        expect(back.code, back.stderr).toBe(0)
        expect(config()).toContain(`aws_secret_access_key = ${newSecret}`)
        expect(config()).not.toContain("aws_iam_login_key_id")
        expect(store.items.size).toBe(0)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "a stored secret AWS refuses (changed behind the tool's back) is named with the item it was read from",
    () =>
      Effect.gen(function* () {
        const { keyId, store, run } = yield* setup
        expect((yield* run(["work", "key", "--store", "keyring"])).code).toBe(0)
        store.items.set(keyId, "changed-behind-its-back")
        const login = yield* run(["work", "-t", validCode])
        expect(login.code).toBe(1)
        expect(login.stderr).toContain(
          `the key is wrong, inactive or deleted (its secret was read from the OS secret store (service aws-iam-login, account ${keyId})).`,
        )
        expect(login.stderr).not.toContain("changed-behind-its-back")
      }).pipe(Effect.provide(SimulatedAws)),
  )
})
