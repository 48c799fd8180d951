import * as fs from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Exit, Fiber, Redacted } from "effect"
import { parse } from "../../src/schema/Ini.js"
import { storedKeyOf } from "../../src/schema/KeyStore.js"
import { Platform } from "../../src/services/Platform.js"
import {
  alice,
  eachCallFaulted,
  eachFaultUndone,
  type Fault,
  kill,
  killedAt,
  laterKillPoints,
  oneActiveKey,
  type Rotation,
  reached,
  rotationFaults,
  serial,
  signers,
  writtenMeanwhile,
} from "../support/alice.js"
import { cliTimed, newIo, type RunOptions } from "../support/harness.js"
import { fakePlatform } from "../support/platforms.js"
import { lostAnswer, SimulatedAws } from "../support/SimulatedAws.js"

/** alice's one key in the OS secret store, [work] and [work-copy] pointing to it. */
const setup = Effect.tap(
  alice(
    (id) =>
      `[work]\nusername = alice\nmfa_serial = ${serial}\naws_iam_login_key_store = keyring\naws_iam_login_key_id = ${id}\n` +
      "credential_process = aws-iam-login work export\n\n[work-copy]\naws_iam_login_key_store = keyring\n" +
      `aws_iam_login_key_id = ${id}\n\n[unrelated]\naws_access_key_id = AKIAUNRELATED0000000\n`,
    { age: Duration.days(100) },
  ),
  (s) => s.store.items.set(s.keyId, s.secret),
)

type Setup = Effect.Effect.Success<typeof setup>

const run = (s: Setup, args: ReadonlyArray<string>, options: RunOptions = {}) =>
  cliTimed(s.files, args, { keyStore: s.store.layer, ...options })

const rotate = (s: Setup, options: RunOptions = {}) => run(s, ["work", "rotate", "--yes"], options)

/** Store call `n` from now (1 = the next one). */
const nextStoreCall = (s: Setup, n: number) => s.store.calls.length + n

/**
 * The invariant in keyring mode: exactly one Active key; [work] and [work-copy] point to it; the
 * store holds its item and no other; AWS accepts it.
 */
const oneStoredKey = (s: Setup) =>
  Effect.gen(function* () {
    const active = yield* oneActiveKey(s)
    const file = parse(s.read())
    for (const profile of ["work", "work-copy"]) {
      expect(storedKeyOf(file.get(profile)?.values)).toBe(active.id)
    }
    expect([...s.store.items]).toEqual([[active.id, active.secret]])
    return active
  })

/** Waits (in real time) until the store has been called `n` times. */
const storeReached = (s: Setup, n: number) =>
  Effect.gen(function* () {
    while (s.store.calls.length < n) yield* Effect.promise(() => new Promise((r) => setTimeout(r, 1)))
  })

/** The end every fault must reach: one stored key, Active, working, no journal left. */
const settled = (s: Setup) =>
  Effect.gen(function* () {
    if (fs.existsSync(s.journal)) {
      const again = yield* rotate(s)
      expect(again.code, again.stderr).toBe(0)
    }
    expect(fs.existsSync(s.journal)).toBe(false)
    expect(s.sim.keysOf("alice")).toHaveLength(1)
    return yield* oneStoredKey(s)
  })

/** The journal (while it exists) never holds a secret while the store keeps them. */
const noSecretInJournal = (s: Setup) => {
  if (!fs.existsSync(s.journal)) return
  const text = fs.readFileSync(s.journal, "utf8")
  expect(JSON.parse(text).store).toBe("keyring")
  expect(text).not.toContain("secret")
}

const rotation: Rotation<Setup> = {
  setup,
  rotate,
  oneKey: oneStoredKey,
  start: (s) => s.run(["work", "rotate", "--yes"]),
  settled,
  createLost: (s, _, made) =>
    Effect.sync(() => {
      // The store got nothing.
      expect(s.store.items.size).toBe(1)
      s.sim.keys.delete(made)
    }),
  interrupted: noSecretInJournal,
}

describe("rotate, the key in the OS secret store", () => {
  it.effect(
    "stores and reads back the new key before the old one is deactivated, repoints every profile in one edit, removes the old item once AWS deleted the old key",
    () =>
      Effect.gen(function* () {
        const s = yield* setup
        s.sim.propagation = Duration.seconds(12)
        // Each store call, with how many AWS calls came before it.
        const timeline: Array<string> = []
        s.store.observers.push((op, id) =>
          timeline.push(`${op} ${id === s.key.accessKeyId ? "old" : "new"} @${s.sim.calls.length}`),
        )
        const gate = yield* s.sim.pauseAt("iam:UpdateAccessKey")
        const running = yield* Effect.fork(rotate(s))
        yield* reached(s, "iam:UpdateAccessKey")
        // Before the old key is touched: the file points to the new key, whose item the store holds.
        const fresh = s.sim.keysOf("alice").find((k) => k.id !== s.key.accessKeyId)!
        expect(s.store.items.get(fresh.id)).toBe(fresh.secret)
        expect(storedKeyOf(parse(s.read()).get("work-copy")?.values)).toBe(fresh.id)
        noSecretInJournal(s)
        yield* Deferred.succeed(gate, undefined)
        const out = yield* Fiber.join(running)
        expect(out.stderr).toBe("")
        expect(out.code).toBe(0)
        expect((yield* oneStoredKey(s)).id).toBe(fresh.id)
        expect(s.read()).toBe(s.original.replaceAll(s.key.accessKeyId, fresh.id))
        const at = (op: string) => s.sim.calls.findIndex((c) => c.operation === op)
        const create = at("iam:CreateAccessKey")
        const update = at("iam:UpdateAccessKey")
        const remove = at("iam:DeleteAccessKey")
        expect(timeline).toEqual([
          "read old @0",
          `write new @${create + 1}`,
          `read new @${create + 1}`,
          `remove old @${remove + 1}`,
        ])
        expect(create + 1).toBeLessThan(update)
        expect(signers(s, "iam:CreateAccessKey")).toEqual([s.key.accessKeyId])
        expect(signers(s, "iam:UpdateAccessKey")).toEqual([fresh.id])
        expect(signers(s, "iam:DeleteAccessKey")).toEqual([fresh.id])
        expect(out.stdout).toContain(`Rotated: [work], [work-copy] now use ${fresh.id.slice(0, 4)}…`)
        const printed = out.stdout + out.stderr + out.shown
        expect(printed).not.toContain(fresh.secret)
        expect(printed).not.toContain(Redacted.value(s.key.secretAccessKey))
        expect(fs.existsSync(s.journal)).toBe(false)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("--dry-run prints the keyring plan that then runs, and changes nothing", () =>
    Effect.gen(function* () {
      const s = yield* setup
      const dry = yield* s.run(["work", "rotate", "--dry-run"])
      expect(dry.code).toBe(0)
      expect(s.read()).toBe(s.original)
      expect(s.store.calls).toEqual(["read"])
      const plan = dry.stdout.replace(/\nDry run: nothing was changed\.$/, "")
      expect(plan).toContain("key ids only: the secrets stay in the OS secret store")
      expect(plan).toContain("Read the new key back from the OS secret store")
      expect(plan).toContain("Point [work], [work-copy] to the new key's item in the OS secret store")
      expect(plan).toContain("item from the OS secret store")
      const real = yield* rotate(s)
      expect(real.stdout.startsWith(plan)).toBe(true)
      const planned = [...plan.matchAll(/^ {2}\d\. (.*?)(?: \(signed with .*\))?$/gm)].map((m) => m[1])
      const ran = [...real.stdout.matchAll(/^ {2}✓ (.*)$/gm)].map((m) => m[1])
      expect(ran).toEqual(planned)
      expect(ran).toHaveLength(9)
      yield* oneStoredKey(s)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  const storeFaults: ReadonlyArray<Fault<Setup>> = [
    {
      name: "the store cannot take the new key",
      arrange: (s) => s.store.faults.set(nextStoreCall(s, 2), "locked"),
      said: ["its secret is in the journal", "the keyring is locked", "then its item in the OS secret store"],
    },
    {
      name: "the store gives the new key back otherwise",
      arrange: (s) => s.store.mangling(),
      said: ["it gave back another secret", "its secret is in the journal"],
    },
    {
      name: "reading the new key back times out",
      arrange: (s) => s.store.faults.set(nextStoreCall(s, 3), "timeout"),
      said: ["did not answer within 20 seconds", "its secret is in the journal"],
    },
  ]
  eachFaultUndone(
    rotation,
    [
      ...rotationFaults("pointing the profiles to it fails", "point [work], [work-copy] back to the old key"),
      ...storeFaults,
    ],
    (fault) =>
      `when ${fault}, it is undone: the old key Active, its item the store's only one, the file as it was`,
  )

  it.effect(
    "the store cannot take the new key and the new key cannot be deleted: its secret stays readable in the journal, which says so, and the next rotate ends it",
    () =>
      Effect.gen(function* () {
        const s = yield* setup
        s.store.faults.set(nextStoreCall(s, 2), "no-secret-service")
        s.sim.failOn("iam:DeleteAccessKey", lostAnswer)
        s.sim.failOn("iam:UpdateAccessKey", lostAnswer)
        const out = yield* rotate(s)
        expect(out.code).toBe(1)
        expect(out.stderr).toContain(`its secret is in the journal ${s.journal} until the key is deleted`)
        const fresh = s.sim.keysOf("alice").find((k) => k.id !== s.key.accessKeyId)!
        const journal = JSON.parse(fs.readFileSync(s.journal, "utf8"))
        expect(journal.newKey).toEqual({ id: fresh.id, secret: fresh.secret })
        expect(journal.oldKey).toEqual({ id: s.key.accessKeyId })
        expect(s.read()).toBe(s.original)
        const again = yield* rotate(s)
        expect(again.code, again.stderr).toBe(0)
        expect(again.stdout).toContain("To undo it:")
        expect((yield* settled(s)).id).toBe(s.key.accessKeyId)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "the store fails to remove the old item after AWS deleted the old key: rotated, and the leftover named with the command that removes it",
    () =>
      Effect.gen(function* () {
        const s = yield* setup
        s.store.faults.set(nextStoreCall(s, 4), "locked")
        const out = yield* rotate(s)
        expect(out.code).toBe(0)
        expect(out.stdout).toContain("Rotated:")
        expect(out.stderr).toContain(`secret-tool clear service aws-iam-login username ${s.key.accessKeyId}`)
        expect(s.store.items.has(s.key.accessKeyId)).toBe(true)
        s.store.items.delete(s.key.accessKeyId)
        expect((yield* settled(s)).id).not.toBe(s.key.accessKeyId)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  for (const [os, store, command] of [
    [
      "darwin",
      "macOS Keychain",
      (id: string) => `security delete-generic-password -s aws-iam-login -a ${id}`,
    ],
    ["win32", "Windows Credential Manager", (id: string) => `cmdkey /delete:${id}.aws-iam-login`],
  ] as const)
    it.effect(`on ${os}, that leftover is named in the ${store} with the command that removes it there`, () =>
      Effect.gen(function* () {
        const s = yield* setup
        s.store.faults.set(nextStoreCall(s, 4), "timeout")
        const out = yield* rotate(s)
        expect(out.code).toBe(0)
        expect(out.stderr).toContain(`the ${store} still holds`)
        expect(out.stderr).toContain(`remove it with \`${command(s.key.accessKeyId)}\``)
        expect(out.stderr).not.toMatch(/secret-tool|gnome-keyring|D-Bus/)
      }).pipe(Effect.provideService(Platform, fakePlatform(os)), Effect.provide(SimulatedAws)),
    )

  it.effect("the store cannot be read when rotate starts: one sentence, nothing made", () =>
    Effect.gen(function* () {
      const s = yield* setup
      s.store.faults.set(nextStoreCall(s, 1), "no-session-bus")
      const out = yield* rotate(s)
      expect(out.code).toBe(1)
      expect(out.stderr).toMatch(/^aws-iam-login: Could not read in the Secret Service: there is no D-Bus/)
      expect(out.stderr.split("\n")).toHaveLength(1)
      expect(s.sim.calls).toEqual([])
      expect(s.read()).toBe(s.original)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  eachCallFaulted(rotation)

  it.effect(
    "a store write that never answers ends at Ctrl-C: the secret goes into the journal, the new key is deleted, and nothing is left",
    () =>
      Effect.gen(function* () {
        const s = yield* setup
        s.store.hangs.add(nextStoreCall(s, 2))
        const io = newIo()
        const running = yield* Effect.fork(s.run(["work", "rotate", "--yes"], { io }))
        yield* storeReached(s, 2)
        const exit = yield* Fiber.interrupt(running)
        expect(Exit.isInterrupted(exit)).toBe(true)
        const stderr = io.stderr.join("\n")
        expect(stderr).toContain(`its secret is in the journal ${s.journal} until the key is deleted.`)
        expect(stderr).toContain(
          "Undone: delete the new key (or, if that is denied, deactivate it), then its item in the OS secret store; remove the journal.",
        )
        expect(fs.existsSync(s.journal)).toBe(false)
        expect(s.sim.keysOf("alice")).toHaveLength(1)
        expect((yield* settled(s)).id).toBe(s.key.accessKeyId)
        expect(s.read()).toBe(s.original)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "a store write that never answers and a new key that cannot be deleted: at Ctrl-C its secret stays in the journal, said so, and the next rotate ends it",
    () =>
      Effect.gen(function* () {
        const s = yield* setup
        s.store.hangs.add(nextStoreCall(s, 2))
        s.sim.failOn("iam:DeleteAccessKey", lostAnswer)
        s.sim.failOn("iam:UpdateAccessKey", lostAnswer)
        const io = newIo()
        const running = yield* Effect.fork(s.run(["work", "rotate", "--yes"], { io }))
        yield* storeReached(s, 2)
        yield* Fiber.interrupt(running)
        const stderr = io.stderr.join("\n")
        expect(stderr).toContain(`its secret is in the journal ${s.journal} until the key is deleted.`)
        expect(stderr).toContain("Could NOT undo: delete the new key")
        const fresh = s.sim.keysOf("alice").find((k) => k.id !== s.key.accessKeyId)!
        expect(JSON.parse(fs.readFileSync(s.journal, "utf8")).newKey).toEqual({
          id: fresh.id,
          secret: fresh.secret,
        })
        expect(s.read()).toBe(s.original)
        expect((yield* settled(s)).id).toBe(s.key.accessKeyId)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "a copy of the key in plain text beside the stored one is named in the plan and in the result",
    () =>
      Effect.gen(function* () {
        const s = yield* setup
        const secret = Redacted.value(s.key.secretAccessKey)
        fs.appendFileSync(
          s.files.credentials,
          `\n[plain]\naws_access_key_id = ${s.key.accessKeyId}\naws_secret_access_key = ${secret}\n`,
        )
        const out = yield* rotate(s)
        expect(out.code).toBe(0)
        const named = `Not rotated: [plain] in ${s.files.credentials} holds a copy of the old key ${s.key.accessKeyId.slice(0, 4)}…${s.key.accessKeyId.slice(-4)}, which will stop working: point it to the new key's item as [work] does (aws_iam_login_key_id), or remove it.`
        expect(out.stdout.split("\n")[0]).toContain(named)
        expect(out.stdout.split("\n").at(-1)).toContain(named)
        expect(parse(s.read()).get("plain")?.values.aws_secret_access_key).toBe(secret)
        yield* oneStoredKey(s)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "rotating a key kept in plain text names a profile that points to its item in the store, in the plan and in the result",
    () =>
      Effect.gen(function* () {
        const s = yield* setup
        const secret = Redacted.value(s.key.secretAccessKey)
        const id = s.key.accessKeyId
        fs.writeFileSync(
          s.files.credentials,
          `[work]\naws_access_key_id = ${id}\naws_secret_access_key = ${secret}\nusername = alice\nmfa_serial = ${serial}\n\n` +
            `[stored]\naws_iam_login_key_store = keyring\naws_iam_login_key_id = ${id}\n`,
        )
        const out = yield* rotate(s)
        expect(out.code, out.stderr).toBe(0)
        const named = `Not rotated: [stored] in ${s.files.credentials} points to the old key ${id.slice(0, 4)}…${id.slice(-4)}'s item in the OS secret store, which will stop working: once [work] keeps the new key there (aws-iam-login work key --store keyring), point it to it (aws_iam_login_key_id), or remove it.`
        expect(out.stdout.split("\n")[0]).toContain(named)
        expect(out.stdout.split("\n").at(-1)).toContain(named)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("a read-back that never answers ends at Ctrl-C: the new key and its item are removed", () =>
    Effect.gen(function* () {
      const s = yield* setup
      s.store.hangs.add(nextStoreCall(s, 3))
      const io = newIo()
      const running = yield* Effect.fork(s.run(["work", "rotate", "--yes"], { io }))
      yield* storeReached(s, 3)
      const exit = yield* Fiber.interrupt(running)
      expect(Exit.isInterrupted(exit)).toBe(true)
      expect(io.stderr.join("\n")).toContain("then its item in the OS secret store; remove the journal.")
      expect(fs.existsSync(s.journal)).toBe(false)
      expect((yield* oneStoredKey(s)).id).toBe(s.key.accessKeyId)
      expect(s.read()).toBe(s.original)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "an older copy of the file saved while the old key is deleted: the old item stays, and the next rotate points the profiles to the new key and removes it",
    () =>
      Effect.gen(function* () {
        const s = yield* setup
        const out = yield* writtenMeanwhile(
          s,
          ["work", "rotate", "--yes"],
          "iam:DeleteAccessKey",
          s.original,
          {
            after: true,
            keyStore: s.store.layer,
          },
        )
        expect(out.code).toBe(1)
        expect(out.stdout).not.toContain("Rotated:")
        expect(out.stderr).toContain("changed during the rotation: [work] holds the old key")
        expect(out.stderr).toContain("the OS secret store keeps the new key")
        expect(s.store.items.has(s.key.accessKeyId)).toBe(true)
        noSecretInJournal(s)
        const again = yield* rotate(s)
        expect(again.code, again.stderr).toBe(0)
        expect(again.stdout).toContain("item from the OS secret store")
        expect((yield* settled(s)).id).not.toBe(s.key.accessKeyId)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "after a kill, status shows the unfinished rotation and --dry-run the plan that then runs, changing nothing",
    () =>
      Effect.gen(function* () {
        const s = yield* setup
        yield* killedAt(s, "iam:UpdateAccessKey")
        const status = yield* s.run(["work", "status"])
        expect(status.stdout).toContain("rotation    unfinished")
        const file = s.read()
        const items = [...s.store.items]
        const calls = s.sim.calls.length
        const dry = yield* s.run(["work", "rotate", "--dry-run"])
        expect(dry.code).toBe(0)
        expect(dry.stdout).toContain("To finish it:")
        expect(dry.stdout).toContain("item from the OS secret store")
        expect(s.sim.calls.slice(calls).map((c) => c.operation)).toEqual(["iam:ListAccessKeys"])
        expect(s.read()).toBe(file)
        expect([...s.store.items]).toEqual(items)
        for (const out of [status, dry]) {
          for (const [, secret] of items) expect(out.stdout + out.stderr).not.toContain(secret)
        }
        const planned = [...dry.stdout.matchAll(/^ {2}\d\. (.*?)(?: \(signed with .*\))?$/gm)].map(
          (m) => m[1],
        )
        const real = yield* rotate(s)
        expect([...real.stdout.matchAll(/^ {2}✓ (.*)$/gm)].map((m) => m[1])).toEqual(planned)
        expect((yield* settled(s)).id).not.toBe(s.key.accessKeyId)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  const killPoints: ReadonlyArray<readonly [string, boolean]> = [
    ["iam:CreateAccessKey", true],
    ...laterKillPoints,
  ]
  for (const [operation, after] of killPoints) {
    it.effect(
      `killed ${after ? "after AWS did" : "before"} ${operation}: the next rotate finishes or undoes it from key ids and the store`,
      () =>
        Effect.gen(function* () {
          const s = yield* setup
          s.sim.revocationDelay = Duration.seconds(30)
          yield* killedAt(s, operation, { after })
          expect(fs.existsSync(s.journal)).toBe(true)
          noSecretInJournal(s)
          if (operation === "iam:CreateAccessKey") {
            // Its answer never arrived: the key is named and left, and the store got nothing.
            const made = s.sim.keysOf("alice").find((k) => k.id !== s.key.accessKeyId)!
            const named = yield* rotate(s)
            expect(named.code).toBe(1)
            expect(named.stderr).toContain("whose secret never arrived")
            expect(named.stderr).toContain(`--access-key-id ${made.id}`)
            expect(s.store.items.size).toBe(1)
            s.sim.keys.delete(made.id)
          }
          const key = yield* settled(s)
          if (operation === "iam:CreateAccessKey") expect(key.id).toBe(s.key.accessKeyId)
          else expect(key.id).not.toBe(s.key.accessKeyId)
        }).pipe(Effect.provide(SimulatedAws)),
    )
  }

  for (const [name, call] of [
    ["while the new key is written to the store", 2],
    ["while it is read back", 3],
    ["while the old item is removed", 4],
  ] as const) {
    it.effect(`killed ${name}: the next rotate finishes or undoes it`, () =>
      Effect.gen(function* () {
        const s = yield* setup
        s.sim.revocationDelay = Duration.seconds(30)
        s.store.hangs.add(nextStoreCall(s, call))
        yield* Effect.forkDaemon(s.run(["work", "rotate", "--yes"]))
        yield* storeReached(s, call)
        yield* kill(s)
        noSecretInJournal(s)
        const key = yield* settled(s)
        if (call < 4) expect(key.id).toBe(s.key.accessKeyId)
        else expect(key.id).not.toBe(s.key.accessKeyId)
      }).pipe(Effect.provide(SimulatedAws)),
    )
  }

  it.effect(
    "a store failure during recovery is one sentence, and the rotation is ended once the store answers",
    () =>
      Effect.gen(function* () {
        const s = yield* setup
        yield* killedAt(s, "iam:UpdateAccessKey")
        s.store.faults.set(nextStoreCall(s, 1), "locked")
        const locked = yield* rotate(s)
        expect(locked.code).toBe(1)
        expect(locked.stderr).toContain("the keyring is locked")
        expect(locked.stderr.split("\n")).toHaveLength(1)
        expect(fs.existsSync(s.journal)).toBe(true)
        expect((yield* settled(s)).id).not.toBe(s.key.accessKeyId)
      }).pipe(Effect.provide(SimulatedAws)),
  )
})
