import * as fs from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { alice, serial, writtenMeanwhile } from "../support/alice.js"
import { fakeKeyStore } from "../support/FakeKeyStore.js"
import { cli, tempHome } from "../support/harness.js"
import { SimulatedAws, validCode } from "../support/SimulatedAws.js"

const text = "# mine\n[other]\nx = 1\n"

/** alice's key, not yet in any file: the person has it from the console. */
const setup = alice(() => text, { at: "2026-11-23T19:00:00Z" })

describe("init --store on a new profile", () => {
  it.effect("keyring: the key asked for goes into the store, [work] points to it, login uses it", () =>
    Effect.gen(function* () {
      const { keyId, secret, read, store, run } = yield* setup
      const out = yield* run(["work", "init", "--store", "keyring"], { input: [keyId, secret] })
      expect(out.stderr).toBe("")
      expect(out.code).toBe(0)
      expect(out.stdout).toContain(
        `the key ${keyId.slice(0, 4)}…${keyId.slice(-4)} is in the Secret Service (service aws-iam-login, account ${keyId}), which [work] points to.`,
      )
      expect(out.stdout + out.shown).not.toContain(secret)
      expect(store.items.get(keyId)).toBe(secret)
      expect(read()).toBe(
        `${text}\n[work]\nusername = alice\nmfa_serial = ${serial}\naws_iam_login_key_store = keyring\naws_iam_login_key_id = ${keyId}\ncredential_process = aws-iam-login work export\n`,
      )
      expect((yield* run(["work", "-t", validCode])).code).toBe(0)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("on a terminal the secret is read without being shown; Ctrl-D at it changes nothing", () =>
    Effect.gen(function* () {
      const { keyId, secret, read, store, run } = yield* setup
      const out = yield* run(["work", "init", "--store", "keyring"], {
        input: [keyId, secret],
        tty: true,
      })
      expect(out.code).toBe(0)
      expect(out.shown).toBe("AWS Access Key ID: AWS Secret Access Key: \n")
      expect(store.items.get(keyId)).toBe(secret)
      const other = tempHome()
      fs.writeFileSync(other.credentials, text)
      const cancelled = yield* cli(other, ["work", "init", "--store", "keyring"], {
        keyStore: store.layer,
        input: [keyId],
        tty: true,
      })
      expect(cancelled.code).toBe(1)
      expect(cancelled.stderr).toBe("aws-iam-login: Cancelled: no answer was given; nothing was changed.")
      expect(fs.readFileSync(other.credentials, "utf8")).toBe(text)
      expect(read()).toContain(`aws_iam_login_key_id = ${keyId}`)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("file: the key asked for goes into [work] with username and mfa_serial", () =>
    Effect.gen(function* () {
      const { keyId, secret, read, store, run } = yield* setup
      const out = yield* run(["init", "work", "--store", "file"], { input: [keyId, secret] })
      expect(out.code).toBe(0)
      expect(read()).toContain(
        `[work]\naws_access_key_id = ${keyId}\naws_secret_access_key = ${secret}\nusername = alice\nmfa_serial = ${serial}\n`,
      )
      expect(store.calls).toEqual([])
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("a key AWS does not take, or a profile that has a key, changes nothing", () =>
    Effect.gen(function* () {
      const { files, keyId, secret, read, store, run } = yield* setup
      const wrong = yield* run(["work", "init", "--store", "keyring"], { input: [keyId, `${secret}x`] })
      expect(wrong.code).toBe(1)
      expect(wrong.stderr).not.toContain(secret)
      expect(store.calls).toEqual([])
      expect(read()).toBe(text)
      const bad = yield* run(["work", "init", "--store", "keyring"], { input: ["nope"] })
      expect(bad.stderr).toBe("aws-iam-login: That is not an access key id. Nothing was changed.")
      fs.appendFileSync(
        files.credentials,
        `[work]\naws_access_key_id = ${keyId}\naws_secret_access_key = ${secret}\n`,
      )
      const had = yield* run(["work", "init", "--store", "keyring"], { input: [keyId, secret] })
      expect(had.code).toBe(1)
      expect(had.stderr).toContain(
        "[work] already has a key: run aws-iam-login work init without --store, then aws-iam-login work key --store keyring",
      )
      expect(store.calls).toEqual([])
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("the file's edit fails: the item this run stored is removed and the file is as it was", () =>
    Effect.gen(function* () {
      const { files, keyId, secret, read, store, run } = yield* setup
      const out = yield* run(["work", "init", "--store", "keyring"], {
        input: [keyId, secret],
        failWrite: 1,
      })
      expect(out.code).toBe(1)
      expect(out.stderr).toBe(
        `aws-iam-login: Could not write ${files.credentials}: no space left on device; the copy this run wrote to the Secret Service is removed.`,
      )
      expect(store.items.size).toBe(0)
      expect(read()).toBe(text)

      // [work] does not read the key back: the edit is undone, the item removed.
      const failing = fakeKeyStore()
      failing.faults.set(4, "locked")
      const undone = yield* cli(files, ["work", "init", "--store", "keyring"], {
        keyStore: failing.layer,
        input: [keyId, secret],
      })
      expect(undone.code).toBe(1)
      expect(undone.stderr).toBe(
        `aws-iam-login: [work] did not read the key back from the Secret Service, so ${files.credentials} is as it was; the copy this run wrote to the Secret Service is removed.`,
      )
      expect(failing.items.size).toBe(0)
      expect(read()).toBe(text)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "a key written into [work] while init asks AWS is kept: init changes nothing and says the file changed",
    () =>
      Effect.gen(function* () {
        const { files, keyId, secret, read, sim } = yield* setup
        const planted = `${text}[work]\naws_access_key_id = AKIAOTHERKEY00000000\naws_secret_access_key = other/secret\n`
        for (const to of ["file", "keyring"] as const) {
          fs.writeFileSync(files.credentials, text)
          sim.paused = undefined
          const store = fakeKeyStore()
          // Another program (aws configure --profile work, an editor) writes [work] meanwhile.
          const out = yield* writtenMeanwhile(
            { sim, files },
            ["work", "init", "--store", to],
            "sts:GetCallerIdentity",
            planted,
            { keyStore: store.layer, input: [keyId, secret] },
          )
          expect(out.code).toBe(1)
          expect(out.stderr).toContain(
            `Refusing to write ${files.credentials}: [work] now holds aws_access_key_id, which it did not hold (the file changed meanwhile)`,
          )
          expect(read()).toBe(planted)
          expect(store.items.size).toBe(0)
        }
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "[work] not read back: a change written into it after init's edit is kept, and init says it left [work] as it is",
    () =>
      Effect.gen(function* () {
        const { files, keyId, secret, read } = yield* setup
        const failing = fakeKeyStore()
        // The read-back fails; as it starts, another program adds a line to the [work] init wrote.
        failing.faults.set(4, "locked")
        let planted = ""
        failing.observers.push(() => {
          if (failing.calls.length !== 4) return
          planted = `${read()}region = eu-west-1\n`
          fs.writeFileSync(files.credentials, planted)
        })
        const out = yield* cli(files, ["work", "init", "--store", "keyring"], {
          keyStore: failing.layer,
          input: [keyId, secret],
        })
        expect(out.code).toBe(1)
        expect(out.stderr).toBe(
          `aws-iam-login: [work] did not read the key back from the Secret Service, and ${files.credentials} changed meanwhile, so [work] is left as it is now; the key is in the Secret Service (service aws-iam-login, account ${keyId}; secret-tool lookup service aws-iam-login username ${keyId}), which [work] of ${files.credentials} points to.`,
        )
        expect(planted).toContain(`[work]\n`)
        expect(read()).toBe(planted)
        // [work] still points to the item: it is kept, not left dangling.
        expect([...failing.items.keys()]).toEqual([keyId])
      }).pipe(Effect.provide(SimulatedAws)),
  )
})
