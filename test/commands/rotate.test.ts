import { execFileSync, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Exit, Fiber, Option, Redacted, TestClock } from "effect"
import { AccessDenied, Throttled } from "../../src/schema/AwsErrors.js"
import { type AccessKeyId, maskKeyId } from "../../src/schema/Credentials.js"
import { parse } from "../../src/schema/Ini.js"
import {
  alice,
  eachCallFaulted,
  eachFaultUndone,
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
import { cli, cliTimed, newIo, type RunOptions } from "../support/harness.js"
import { lostAnswer, SimulatedAws } from "../support/SimulatedAws.js"

/** alice with one 100-day-old key, in [work] and copied into [work-copy] of a hand-kept file. */
const setup = alice(
  (id, secret) =>
    `# keys\r\n[work]\r\naws_access_key_id = ${id}\r\naws_secret_access_key = ${secret}\r\n` +
    `username = alice\r\nmfa_serial = ${serial}\r\n\r\n; a copy for another tool\r\n[work-copy]\r\n` +
    `aws_access_key_id=${id}\r\naws_secret_access_key=${secret}\r\n[unrelated]\r\naws_access_key_id = AKIAUNRELATED0000000`,
  { age: Duration.days(100) },
)

type Setup = Effect.Effect.Success<typeof setup>

const runTimed = (s: Setup, args: ReadonlyArray<string>, options: RunOptions = {}) =>
  cliTimed(s.files, args, options)

const rotate = (s: Setup, options: RunOptions = {}) => runTimed(s, ["work", "rotate", "--yes"], options)

/** The invariant: exactly one Active key, the one in [work] (id and secret), and AWS accepts it. */
const oneWorkingKey = (s: Setup) =>
  Effect.gen(function* () {
    const active = yield* oneActiveKey(s)
    const work = parse(s.read()).get("work")?.values
    expect(work?.aws_access_key_id).toBe(active.id)
    expect(work?.aws_secret_access_key).toBe(active.secret)
    return active
  })

describe("rotate", () => {
  it.effect(
    "a key with a session token beside it is a temporary one: refused with why, no call made, the file as it was",
    () =>
      Effect.gen(function* () {
        const s = yield* setup
        const withToken = s.original.replace(
          "username = alice",
          "aws_session_token = FwoGZXIvYXdzEXAMPLE\r\nusername = alice",
        )
        fs.writeFileSync(s.files.credentials, withToken)
        for (const args of [
          ["work", "rotate", "--yes"],
          ["work", "rotate", "--dry-run"],
        ]) {
          const out = yield* runTimed(s, args)
          expect(out.code).toBe(1)
          expect(out.stderr).toContain("holds a session token beside its key")
        }
        expect(s.sim.calls).toEqual([])
        expect(s.read()).toBe(withToken)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("replaces the key everywhere it is used, signing each step with the right key", () =>
    Effect.gen(function* () {
      const s = yield* setup
      s.sim.propagation = Duration.seconds(12)
      const out = yield* rotate(s)
      expect(out.stderr).toBe("")
      expect(out.code).toBe(0)
      const fresh = yield* oneWorkingKey(s)
      expect(fresh.id).not.toBe(s.key.accessKeyId)
      expect(s.sim.keys.has(s.key.accessKeyId)).toBe(false)
      const secret = Redacted.value(s.key.secretAccessKey)
      expect(s.read()).toBe(
        s.original
          .replaceAll(`aws_access_key_id = ${s.key.accessKeyId}`, `aws_access_key_id = ${fresh.id}`)
          .replaceAll(`aws_access_key_id=${s.key.accessKeyId}`, `aws_access_key_id=${fresh.id}`)
          .replaceAll(secret, fresh.secret),
      )
      expect(out.stdout).toContain("Rotated: [work], [work-copy] now use")
      expect(out.shown).toBe("")
      expect(signers(s, "iam:CreateAccessKey")).toEqual([s.key.accessKeyId])
      expect(signers(s, "iam:UpdateAccessKey")).toEqual([fresh.id])
      expect(signers(s, "iam:DeleteAccessKey")).toEqual([fresh.id])
      const deactivated = s.sim.calls.findIndex((c) => c.operation === "iam:UpdateAccessKey")
      expect(s.sim.calls.slice(deactivated).filter((c) => c.signer === s.key.accessKeyId)).toEqual([])
      const printed = out.stdout + out.stderr + out.shown
      expect(printed).not.toContain(fresh.secret)
      expect(printed).not.toContain(secret)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("the wait for a new key shows progress on a terminal, and nothing when piped", () =>
    Effect.gen(function* () {
      const s = yield* setup
      s.sim.propagation = Duration.seconds(12)
      const out = yield* runTimed(s, ["work", "rotate", "--yes"], { tty: true })
      expect(out.code).toBe(0)
      expect(out.shown).toMatch(/^ {2}Waiting for AWS to accept AKIA…\w{4}…\.+\n$/)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("--dry-run prints the plan that then runs, from read-only calls, and changes nothing", () =>
    Effect.gen(function* () {
      const s = yield* setup
      const dry = yield* cli(s.files, ["work", "rotate", "--dry-run"])
      expect(dry.code).toBe(0)
      expect(s.read()).toBe(s.original)
      expect(new Set(s.sim.calls.map((c) => c.operation))).toEqual(new Set(["iam:ListAccessKeys"]))
      const plan = dry.stdout.replace(/\nDry run: nothing was changed\.$/, "")
      expect(plan).toContain("Create a new access key (signed with the old key AKIA…")
      expect(plan).toContain("Deactivate the old key AKIA…")
      expect(plan).toContain("if a later step fails: write the old key back into [work], [work-copy]")
      const real = yield* rotate(s)
      expect(real.stdout.startsWith(plan)).toBe(true)
      const planned = [...plan.matchAll(/^ {2}\d\. (.*?)(?: \(signed with .*\))?$/gm)].map((m) => m[1])
      const ran = [...real.stdout.matchAll(/^ {2}✓ (.*)$/gm)].map((m) => m[1])
      expect(ran).toEqual(planned)
      expect(ran).toHaveLength(7)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("refuses to run unconfirmed without a terminal; asks on one", () =>
    Effect.gen(function* () {
      const s = yield* setup
      const piped = yield* cli(s.files, ["work", "rotate"])
      expect(piped.code).toBe(1)
      expect(piped.stderr).toContain("pass --yes")
      expect(s.sim.calls).toEqual([])
      const declined = yield* cli(s.files, ["work", "rotate"], { tty: true, input: ["n"] })
      expect(declined.code).toBe(1)
      expect(declined.shown).toContain("Rotate now? [y/N] ")
      expect(s.read()).toBe(s.original)
      const accepted = yield* runTimed(s, ["work", "rotate"], { tty: true, input: ["y"] })
      expect(accepted.code).toBe(0)
      yield* oneWorkingKey(s)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "a Deny on DeleteAccessKey: the new key cannot be deleted either, so it is deactivated and named",
    () =>
      Effect.gen(function* () {
        const s = yield* setup
        s.sim.deny("alice", "iam:DeleteAccessKey")
        const out = yield* rotate(s)
        expect(out.code).toBe(1)
        expect(s.read()).toBe(s.original)
        yield* oneWorkingKey(s)
        const leftover = s.sim.keysOf("alice").find((k) => k.id !== s.key.accessKeyId)
        expect(leftover?.status).toBe("Inactive")
        // The journal stays for it, and the message does not claim otherwise.
        expect(out.stderr).not.toMatch(/Undone:[^.]*remove the journal/)
        expect(out.stderr).toContain("Could NOT undo: remove the journal (it stays while ")
        expect(fs.existsSync(s.journal)).toBe(true)
        expect(out.stderr).toContain("delete the new key (or, if that is denied, deactivate it)")
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("an undo that fails is reported with what is left", () =>
    Effect.gen(function* () {
      const s = yield* setup
      s.sim.failOn("iam:UpdateAccessKey", (c) => new Throttled(c))
      const out = yield* rotate(s, { failWrite: 2 })
      expect(out.code).toBe(1)
      expect(out.stderr).toContain("Could NOT undo: write the old key back into [work], [work-copy] (")
      const fresh = s.sim.keysOf("alice").find((k) => k.id !== s.key.accessKeyId)!
      expect(out.stderr).toContain("Run `aws-iam-login work rotate` again")
      expect(parse(s.read()).get("work")?.values.aws_access_key_id).toBe(fresh.id)
      expect(fresh.status).toBe("Active")
      expect(fs.existsSync(s.journal)).toBe(true)
      const again = yield* rotate(s)
      expect(again.code).toBe(0)
      expect(again.stdout).toContain("A rotation of [work] was cut off")
      expect((yield* oneWorkingKey(s)).id).toBe(fresh.id)
      expect(fs.existsSync(s.journal)).toBe(false)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  for (const operation of [
    "iam:CreateAccessKey",
    "sts:GetCallerIdentity",
    "iam:UpdateAccessKey",
    "iam:DeleteAccessKey",
  ]) {
    it.effect(`interrupted during ${operation}: undone, one working key`, () =>
      Effect.gen(function* () {
        const s = yield* setup
        const gate = yield* s.sim.pauseAt(operation)
        const run = yield* Effect.fork(cli(s.files, ["work", "rotate", "--yes"]))
        yield* reached(s, operation)
        const stop = yield* Effect.fork(Fiber.interrupt(run))
        yield* Deferred.succeed(gate, undefined)
        const exit = yield* Fiber.join(stop)
        expect(Exit.isInterrupted(exit)).toBe(true)
        const key = yield* oneWorkingKey(s)
        expect(key.id).toBe(s.key.accessKeyId)
        expect(s.read()).toBe(s.original)
        expect(s.sim.keysOf("alice")).toHaveLength(1)
        expect(fs.existsSync(s.journal)).toBe(false)
      }).pipe(Effect.provide(SimulatedAws)),
    )
  }

  for (const age of [Duration.zero, Duration.days(200)]) {
    it.effect(
      `a second key no journal names (${age === Duration.zero ? "newer" : "older"}) is named and never touched, even with --yes`,
      () =>
        Effect.gen(function* () {
          const s = yield* setup
          const other = yield* s.sim.addKey("alice", { age })
          const denyLastUsed = age !== Duration.zero
          if (denyLastUsed) s.sim.deny("alice", "iam:GetAccessKeyLastUsed")
          const created = new Date(s.sim.keys.get(other.accessKeyId)!.created).toISOString().slice(0, 10)
          const before = s.sim.calls.length
          const out = yield* rotate(s)
          expect(out.code).toBe(1)
          expect(out.stderr).toContain(`second key, ${other.accessKeyId} (Active, created `)
          expect(out.stderr).toContain(
            `aws iam delete-access-key --user-name alice --access-key-id ${other.accessKeyId}`,
          )
          expect(out.stderr).toContain("Nothing was changed.")
          // Where the policy does not let the user ask, the last use is left out.
          const used = denyLastUsed ? "" : ", never used"
          expect(out.stderr).toContain(`${other.accessKeyId} (Active, created ${created}${used})`)
          expect(s.sim.calls.slice(before).map((c) => c.operation)).toEqual([
            "iam:ListAccessKeys",
            "iam:GetAccessKeyLastUsed",
          ])
          expect(s.sim.keysOf("alice").map((k) => [k.id, k.status])).toEqual([
            [s.key.accessKeyId, "Active"],
            [other.accessKeyId, "Active"],
          ])
          expect(s.read()).toBe(s.original)
          expect(fs.existsSync(s.journal)).toBe(false)
        }).pipe(Effect.provide(SimulatedAws)),
    )
  }

  it.effect("an Inactive key in the file is explained and nothing changes", () =>
    Effect.gen(function* () {
      const s = yield* setup
      s.sim.acceptsInactiveKeys = true
      s.sim.keys.get(s.key.accessKeyId)!.status = "Inactive"
      const out = yield* rotate(s)
      expect(out.code).toBe(1)
      expect(out.stderr).toContain("is Inactive")
      expect(out.stderr).toContain("Nothing was changed.")
      expect(s.sim.calls.map((c) => c.operation)).toEqual(["iam:ListAccessKeys"])
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("--mfa signs the IAM calls with the MFA session; a denial without it suggests --mfa", () =>
    Effect.gen(function* () {
      const s = yield* setup
      s.sim.failOn("iam:ListAccessKeys", (c) => new AccessDenied({ ...c, detail: "MFA required" }))
      const denied = yield* rotate(s)
      expect(denied.stderr).toContain("rotate --mfa")
      const out = yield* runTimed(s, ["work", "rotate", "--yes", "--mfa"], { input: ["123456"] })
      expect(out.code).toBe(0)
      const fresh = yield* oneWorkingKey(s)
      for (const op of ["iam:CreateAccessKey", "iam:UpdateAccessKey", "iam:DeleteAccessKey"]) {
        expect(signers(s, op).every((id) => id.startsWith("ASIA"))).toBe(true)
      }
      expect(fresh.id.startsWith("AKIA")).toBe(true)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  /** The end every fault must reach: one key, Active, in the file, working, and no journal left. */
  const settled = (s: Setup) =>
    Effect.gen(function* () {
      if (fs.existsSync(s.journal)) {
        const again = yield* rotate(s)
        expect(again.code).toBe(0)
      }
      expect(fs.existsSync(s.journal)).toBe(false)
      expect(s.sim.keysOf("alice")).toHaveLength(1)
      return yield* oneWorkingKey(s)
    })

  const rotation: Rotation<Setup> = {
    setup,
    rotate,
    oneKey: oneWorkingKey,
    start: (s) => cli(s.files, ["work", "rotate", "--yes"]),
    settled,
    createLost: (s, out) =>
      Effect.gen(function* () {
        expect(out.stderr).toContain("Rotate cannot tell, so it deleted nothing and left every key as it is")
        expect(out.stderr).toContain("is still the one in [work], [work-copy], Active and working")
        expect(signers(s, "iam:DeleteAccessKey")).toEqual([])
        expect(fs.existsSync(s.journal)).toBe(true)
        yield* unprovenKey(s)
      }),
  }

  eachFaultUndone(
    rotation,
    rotationFaults("writing the file fails", "write the old key back"),
    (fault) => `when ${fault}, it undoes what was done and the old key stays Active, in the file, working`,
  )
  eachCallFaulted(rotation)

  /**
   * A key whose CreateAccessKey answer a killed run never saw: the next rotate cannot prove it made
   * it, so it names it, changes nothing and exits 1; once the person deletes it as told, the next
   * rotate undoes the rest.
   */
  const unprovenKey = (s: Setup) =>
    Effect.gen(function* () {
      const other = s.sim.keysOf("alice").find((k) => k.id !== s.key.accessKeyId)
      expect(other).toBeDefined()
      const file = s.read()
      const out = yield* rotate(s)
      expect(out.code).toBe(1)
      expect(out.stderr).toContain(other!.id)
      expect(out.stderr).toContain("it may be the key that call made, whose secret never arrived")
      expect(out.stderr).not.toContain("no rotation of this tool made it")
      expect(out.stderr).toContain(`aws iam delete-access-key --user-name alice --access-key-id ${other!.id}`)
      expect(s.sim.keysOf("alice")).toHaveLength(2)
      expect(s.read()).toBe(file)
      expect(fs.existsSync(s.journal)).toBe(true)
      s.sim.keys.delete(other!.id)
      expect((yield* settled(s)).id).toBe(s.key.accessKeyId)
      expect(s.read()).toBe(s.original)
    })

  it.effect(
    "killed after AWS did iam:CreateAccessKey: the next rotate names the key it cannot prove it made, and touches it only once the person has",
    () =>
      Effect.gen(function* () {
        const s = yield* setup
        yield* killedAt(s, "iam:CreateAccessKey", { after: true })
        expect(s.sim.keysOf("alice")).toHaveLength(2)
        const status = yield* cli(s.files, ["work", "status"])
        expect(status.stdout).toContain("rotation    unfinished")
        yield* unprovenKey(s)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  const killPoints: ReadonlyArray<readonly [string, boolean]> = [
    ["iam:CreateAccessKey", false],
    ...laterKillPoints,
  ]
  for (const [operation, after] of killPoints) {
    it.effect(
      `killed ${after ? "after AWS did" : "before"} ${operation}: the next rotate finishes or undoes it`,
      () =>
        Effect.gen(function* () {
          const s = yield* setup
          s.sim.revocationDelay = Duration.seconds(30)
          yield* killedAt(s, operation, { after })
          expect(fs.existsSync(s.journal)).toBe(true)
          expect(fs.statSync(s.journal).mode & 0o777).toBe(0o600)
          const status = yield* cli(s.files, ["work", "status"])
          expect(status.stdout).toContain("rotation    unfinished")
          expect(status.stdout).not.toContain("no rotation of this tool made it")
          const json = JSON.parse((yield* cli(s.files, ["work", "status", "--json"])).stdout)
          expect(json.unfinishedRotation.journal).toBe(s.journal)
          expect(status.stdout + status.stderr).not.toContain("secret/")
          const key = yield* settled(s)
          // Once the file holds the new key the next rotate finishes; before that it undoes.
          if (operation === "iam:CreateAccessKey") expect(key.id).toBe(s.key.accessKeyId)
          else expect(key.id).not.toBe(s.key.accessKeyId)
        }).pipe(Effect.provide(SimulatedAws)),
    )
  }

  it.effect(
    "a journal that spells the credentials file's path otherwise (through ./, a link, a relative path): the next rotate finishes it",
    () =>
      Effect.gen(function* () {
        const s = yield* setup
        yield* killedAt(s, "iam:UpdateAccessKey")
        const entry = JSON.parse(fs.readFileSync(s.journal, "utf8"))
        expect(entry.credentials).toBe(s.files.credentials)
        const spelled = `${path.dirname(s.files.credentials)}/./${path.basename(s.files.credentials)}`
        fs.writeFileSync(s.journal, JSON.stringify({ ...entry, credentials: spelled }), { mode: 0o600 })
        const out = yield* rotate(s)
        expect(out.stderr).not.toContain("changed during the rotation")
        expect(out.code).toBe(0)
        const key = yield* oneWorkingKey(s)
        expect(key.id).not.toBe(s.key.accessKeyId)
        expect(fs.existsSync(s.journal)).toBe(false)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "a journal that names a key the user had before the rotation as its new key: that key is never deleted nor deactivated",
    () =>
      Effect.gen(function* () {
        const s = yield* setup
        yield* killedAt(s, "iam:CreateAccessKey")
        // A journal damaged or edited so that its new key is the old one, which it lists as there before.
        const entry = JSON.parse(fs.readFileSync(s.journal, "utf8"))
        expect(entry.before).toEqual([s.key.accessKeyId])
        fs.writeFileSync(s.journal, JSON.stringify({ ...entry, newKey: entry.oldKey }), { mode: 0o600 })
        const calls = s.sim.calls.length
        const out = yield* rotate(s)
        expect(out.code).toBe(1)
        expect(out.stderr).toContain(
          `names ${maskKeyId(s.key.accessKeyId)}, a key alice had before the rotation started, as the key it made: the journal is damaged, so rotate touches no key.`,
        )
        expect(s.sim.calls.slice(calls)).toEqual([])
        expect(s.sim.keysOf("alice").map((k) => [k.id, k.status])).toEqual([[s.key.accessKeyId, "Active"]])
        expect(s.read()).toBe(s.original)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "when the account cannot be read after a lost answer, nothing is undone and the next rotate settles it",
    () =>
      Effect.gen(function* () {
        const s = yield* setup
        s.sim.loseAnswerOf("iam:CreateAccessKey")
        s.sim.failOn("iam:ListAccessKeys", lostAnswer, 1)
        const out = yield* rotate(s)
        expect(out.code).toBe(1)
        expect(out.stderr).toContain("whether it took effect is unknown")
        expect(out.stderr).toContain("Run `aws-iam-login work rotate` again")
        expect(fs.existsSync(s.journal)).toBe(true)
        expect(s.sim.keysOf("alice")).toHaveLength(2)
        yield* unprovenKey(s)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("--dry-run after a kill prints how the next rotate would finish it, and changes nothing", () =>
    Effect.gen(function* () {
      const s = yield* setup
      yield* killedAt(s, "iam:UpdateAccessKey")
      const file = s.read()
      const journal = fs.readFileSync(s.journal, "utf8")
      const calls = s.sim.calls.length
      const dry = yield* cli(s.files, ["work", "rotate", "--dry-run"])
      expect(dry.code).toBe(0)
      expect(dry.stdout).toContain("A rotation of [work] was cut off")
      expect(dry.stdout).toContain("To finish it:")
      expect(dry.stdout).toContain("Dry run: nothing was changed.")
      expect(dry.stdout + dry.stderr).not.toContain("secret/")
      expect(s.sim.calls.slice(calls).map((c) => c.operation)).toEqual(["iam:ListAccessKeys"])
      expect(s.read()).toBe(file)
      expect(fs.readFileSync(s.journal, "utf8")).toBe(journal)
      const planned = [...dry.stdout.matchAll(/^ {2}\d\. (.*?)(?: \(signed with .*\))?$/gm)].map((m) => m[1])
      const real = yield* rotate(s)
      expect([...real.stdout.matchAll(/^ {2}✓ (.*)$/gm)].map((m) => m[1])).toEqual(planned)
      yield* settled(s)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("a key someone made after a rotation was cut off is not taken for the rotation's own", () =>
    Effect.gen(function* () {
      const s = yield* setup
      yield* killedAt(s, "iam:CreateAccessKey")
      yield* TestClock.adjust(Duration.days(1))
      const other = yield* s.sim.addKey("alice")
      const out = yield* rotate(s)
      expect(out.code).toBe(1)
      expect(out.stderr).toContain(`second key, ${other.accessKeyId} (Active`)
      expect(out.stderr).toContain("Nothing was changed.")
      expect(s.sim.keysOf("alice").map((k) => k.id)).toEqual([s.key.accessKeyId, other.accessKeyId])
      expect(s.read()).toBe(s.original)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "a key someone made after the rotation's recorded new key was deleted is not taken for the rotation's own",
    () =>
      Effect.gen(function* () {
        const s = yield* setup
        yield* killedAt(s, "sts:GetCallerIdentity")
        const made = s.sim.keysOf("alice").find((k) => k.id !== s.key.accessKeyId)!
        expect(JSON.parse(fs.readFileSync(s.journal, "utf8")).newKey.id).toBe(made.id)
        // The person deletes the key they did not recognise; a CI job then makes one of its own.
        s.sim.keys.delete(made.id)
        const other = yield* s.sim.addKey("alice")
        const file = s.read()
        const out = yield* rotate(s)
        expect(s.sim.keysOf("alice").map((k) => [k.id, k.status])).toEqual([
          [s.key.accessKeyId, "Active"],
          [other.accessKeyId, "Active"],
        ])
        expect(signers(s, "iam:DeleteAccessKey")).toEqual([])
        expect(out.code).toBe(1)
        expect(out.stderr).toContain(`second key, ${other.accessKeyId} (Active`)
        expect(out.stderr).toContain("Nothing was changed.")
        expect(s.read()).toBe(file)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "another program saving an older copy of the file stops the rotation before deactivate, deleting nothing",
    () =>
      Effect.gen(function* () {
        const s = yield* setup
        const out = yield* writtenMeanwhile(
          s,
          ["work", "rotate", "--yes"],
          "sts:GetCallerIdentity",
          s.original,
        )
        expect(out.code).toBe(1)
        expect(out.stderr).toContain("changed during the rotation: [work] holds the old key")
        expect(out.stderr).toContain("Stopped, and left every key as it is")
        expect(s.sim.keysOf("alice").map((k) => k.status)).toEqual(["Active", "Active"])
        expect(signers(s, "iam:UpdateAccessKey")).toEqual([])
        expect(signers(s, "iam:DeleteAccessKey")).toEqual([])
        expect(s.read()).toBe(s.original)
        expect((yield* settled(s)).id).toBe(s.key.accessKeyId)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "another program changing the profile's key while the new one is made: the new key is not written over it, and is deleted",
    () =>
      Effect.gen(function* () {
        const s = yield* setup
        const edited = s.original.replace(
          /aws_secret_access_key = \S+/,
          "aws_secret_access_key = typed-in-by-hand",
        )
        const out = yield* writtenMeanwhile(s, ["work", "rotate", "--yes"], "iam:CreateAccessKey", edited, {
          after: true,
        })
        expect(out.code).toBe(1)
        expect(out.stderr).toContain("no longer holds the aws_secret_access_key it held")
        expect(out.stderr).not.toContain("typed-in-by-hand")
        expect(s.read()).toBe(edited)
        expect(s.sim.keysOf("alice").map((k) => k.id)).toEqual([s.key.accessKeyId])
        expect(fs.existsSync(s.journal)).toBe(false)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("an older copy saved between deactivate and delete: the old key is not deleted", () =>
    Effect.gen(function* () {
      const s = yield* setup
      const out = yield* writtenMeanwhile(s, ["work", "rotate", "--yes"], "iam:UpdateAccessKey", s.original, {
        after: true,
      })
      expect(out.code).toBe(1)
      expect(signers(s, "iam:DeleteAccessKey")).toEqual([])
      expect(s.sim.keys.has(s.key.accessKeyId)).toBe(true)
      // The file holds the old key: the next rotate reactivates it and removes the new one.
      expect((yield* settled(s)).id).toBe(s.key.accessKeyId)
      expect(s.read()).toBe(s.original)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "an older copy saved while the old key is deleted: the journal keeps the new secret, and the next rotate writes it back",
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
          },
        )
        expect(out.code).toBe(1)
        expect(out.stdout).not.toContain("Rotated:")
        expect(out.stderr).toContain("changed during the rotation: [work] holds the old key")
        expect(out.stderr).toContain("the journal keeps the new key's secret")
        expect(fs.existsSync(s.journal)).toBe(true)
        expect(s.sim.keys.has(s.key.accessKeyId)).toBe(false)
        const key = yield* settled(s)
        expect(key.id).not.toBe(s.key.accessKeyId)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("two rotations of one profile at once: one waits for the other, and one key is left", () =>
    Effect.gen(function* () {
      const s = yield* setup
      s.sim.propagation = Duration.seconds(5)
      const both = yield* Effect.all([rotate(s), rotate(s)], { concurrency: 2 })
      expect(both.map((o) => o.code).sort(), both.map((o) => o.stderr).join("\n")).toEqual([0, 0])
      expect(both.some((o) => o.stderr.includes("Another rotation"))).toBe(true)
      yield* settled(s)
      expect(s.sim.keys.has(s.key.accessKeyId)).toBe(false)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "Ctrl-C while the answer to the last DeleteAccessKey is on its way, AWS having deleted the old key: it says the rotation is done, and never that it undoes",
    () =>
      Effect.gen(function* () {
        const s = yield* setup
        yield* s.sim.pauseAt("iam:DeleteAccessKey", { after: true })
        const io = newIo()
        const run = yield* Effect.fork(cli(s.files, ["work", "rotate", "--yes"], { io }))
        yield* reached(s, "iam:DeleteAccessKey")
        yield* Fiber.interrupt(run)
        const said = [...io.stdout, ...io.stderr].join("\n")
        expect(io.stdout.at(-1), said).toMatch(/^Rotated: \[work\], \[work-copy\] now use /)
        expect(said).not.toMatch(/undo/i)
        const fresh = yield* oneWorkingKey(s)
        expect(fresh.id).not.toBe(s.key.accessKeyId)
        expect(fs.existsSync(s.journal)).toBe(false)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("a first interruption cannot interrupt the undos: a second one waits for them", () =>
    Effect.gen(function* () {
      const s = yield* setup
      s.sim.hangAt("iam:UpdateAccessKey")
      const run = yield* Effect.fork(cli(s.files, ["work", "rotate", "--yes"]))
      yield* reached(s, "iam:UpdateAccessKey")
      const undo = yield* s.sim.pauseAt("iam:DeleteAccessKey")
      const first = yield* Effect.fork(Fiber.interrupt(run))
      yield* reached(s, "iam:DeleteAccessKey")
      const second = yield* Effect.fork(Fiber.interrupt(run))
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 20)))
      expect(Option.isNone(yield* Fiber.poll(second))).toBe(true)
      yield* Deferred.succeed(undo, undefined)
      yield* Fiber.join(first)
      yield* Fiber.join(second)
      expect(fs.existsSync(s.journal)).toBe(false)
      expect((yield* settled(s)).id).toBe(s.key.accessKeyId)
      expect(s.read()).toBe(s.original)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  /** alice's keys as [id, status], in creation order. */
  const keyList = (s: Setup) => s.sim.keysOf("alice").map((k) => [k.id, k.status])

  it.effect(
    "a key someone makes while CreateAccessKey is held, whose answer then is a 500, is named and never deleted",
    () =>
      Effect.gen(function* () {
        const s = yield* setup
        const gate = yield* s.sim.pauseAt("iam:CreateAccessKey")
        const run = yield* Effect.fork(rotate(s))
        yield* reached(s, "iam:CreateAccessKey")
        const other = yield* s.sim.addKey("alice")
        s.sim.failOn("iam:CreateAccessKey", lostAnswer)
        yield* Deferred.succeed(gate, undefined)
        const out = yield* Fiber.join(run)
        expect(out.code).toBe(1)
        expect(keyList(s)).toEqual([
          [s.key.accessKeyId, "Active"],
          [other.accessKeyId, "Active"],
        ])
        expect(signers(s, "iam:DeleteAccessKey")).toEqual([])
        expect(out.stderr).toContain(`${other.accessKeyId} (Active, created `)
        expect(out.stderr).toContain(
          `remove it (aws iam delete-access-key --user-name alice --access-key-id ${other.accessKeyId})`,
        )
        expect(out.stderr).toContain("then run `aws-iam-login work rotate`")
        expect(out.stderr).not.toContain("Undone:")
        expect(s.read()).toBe(s.original)
        expect(fs.existsSync(s.journal)).toBe(true)
        yield* unprovenKey(s)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "a key AWS lists only after the lost CreateAccessKey was settled (applied late, or someone's) is named with the command that removes it, never promised to a later rotate",
    () =>
      Effect.gen(function* () {
        const s = yield* setup
        const create = yield* s.sim.pauseAt("iam:CreateAccessKey")
        const run = yield* Effect.fork(rotate(s))
        yield* reached(s, "iam:CreateAccessKey")
        s.sim.failOn("iam:CreateAccessKey", lostAnswer)
        const settling = yield* s.sim.pauseAt("iam:ListAccessKeys")
        yield* Deferred.succeed(create, undefined)
        yield* reached(s, "iam:ListAccessKeys")
        s.sim.paused = undefined
        const undoing = yield* s.sim.pauseAt("iam:ListAccessKeys")
        yield* Deferred.succeed(settling, undefined)
        yield* reached(s, "iam:ListAccessKeys")
        // The settling read showed no new key; this one is there for the undo's read.
        const other = yield* s.sim.addKey("alice")
        yield* Deferred.succeed(undoing, undefined)
        const out = yield* Fiber.join(run)
        expect(out.code).toBe(1)
        expect(signers(s, "iam:DeleteAccessKey")).toEqual([])
        expect(out.stderr).toContain("Could NOT undo: remove the journal (the journal stays: AWS now lists ")
        expect(out.stderr).toContain(
          `remove it (aws iam delete-access-key --user-name alice --access-key-id ${other.accessKeyId})`,
        )
        expect(out.stderr).not.toContain("can remove that key later")
        expect(s.read()).toBe(s.original)
        expect(fs.existsSync(s.journal)).toBe(true)
        yield* unprovenKey(s)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("a key someone makes while CreateAccessKey hangs is left when Ctrl-C settles the call", () =>
    Effect.gen(function* () {
      const s = yield* setup
      s.sim.hangAt("iam:CreateAccessKey")
      const run = yield* Effect.fork(cli(s.files, ["work", "rotate", "--yes"]))
      yield* reached(s, "iam:CreateAccessKey")
      const other = yield* s.sim.addKey("alice")
      const exit = yield* Fiber.interrupt(run)
      expect(Exit.isInterrupted(exit)).toBe(true)
      expect(keyList(s)).toEqual([
        [s.key.accessKeyId, "Active"],
        [other.accessKeyId, "Active"],
      ])
      expect(signers(s, "iam:DeleteAccessKey")).toEqual([])
      expect(s.read()).toBe(s.original)
      expect(fs.existsSync(s.journal)).toBe(true)
      yield* unprovenKey(s)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "a CreateAccessKey answer naming the old key as the new one stops the rotation, and no key is deleted or deactivated",
    () =>
      Effect.gen(function* () {
        const s = yield* setup
        s.sim.forgeNextKey(s.key.accessKeyId)
        const out = yield* rotate(s)
        expect(out.code).toBe(1)
        expect(out.stderr).toContain("a key alice had before the call, as the new key: the answer is wrong")
        expect(out.stderr).toContain("is still the one in [work], [work-copy], Active and working")
        expect(out.stderr).not.toContain("Undone:")
        expect(signers(s, "iam:DeleteAccessKey")).toEqual([])
        expect(signers(s, "iam:UpdateAccessKey")).toEqual([])
        expect(s.sim.keys.get(s.key.accessKeyId)?.status).toBe("Active")
        expect(s.read()).toBe(s.original)
        // The key AWS did make has no secret anyone saw: the next rotate names it and leaves it.
        yield* unprovenKey(s)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "an empty journal (killed before it was written) is removed with a sentence, and the rotation goes on",
    () =>
      Effect.gen(function* () {
        const s = yield* setup
        fs.mkdirSync(s.journalDir, { mode: 0o700 })
        fs.writeFileSync(s.journal, "", { mode: 0o600 })
        const out = yield* rotate(s)
        expect(out.code).toBe(0)
        expect(out.stderr).toBe(
          `Removed ${s.journal}: an empty rotation journal, left by a rotation stopped before it made any call.`,
        )
        expect(out.stdout).toContain("Rotated: [work], [work-copy] now use")
        yield* settled(s)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "another file's or another profile's journal does not stop this rotation, and is left as it is",
    () =>
      Effect.gen(function* () {
        const s = yield* setup
        fs.mkdirSync(s.journalDir, { mode: 0o700 })
        // A rotation of [work] in credentials.work, cut off, and an unreadable journal of [other].
        const theirs = path.join(s.journalDir, "credentials%2Ework.work.json")
        const legacy = path.join(s.journalDir, "credentials.work.work.json")
        const entry = JSON.stringify({
          version: 1,
          profile: "work",
          credentials: `${s.files.credentials}.work`,
          userName: "bob",
          profiles: ["work"],
          oldKey: { id: "AKIABOBBOBBOBBOBBOB1", secret: "bob/secret" },
          before: ["AKIABOBBOBBOBBOBBOB1"],
          newKey: { id: "AKIABOBBOBBOBBOBBOB2", secret: "bob/new" },
          started: "2026-12-01T10:00:00.000Z",
        })
        for (const file of [theirs, legacy]) fs.writeFileSync(file, entry, { mode: 0o600 })
        const broken = path.join(s.journalDir, "credentials.other.json")
        fs.writeFileSync(broken, "{ half", { mode: 0o600 })
        const status = yield* cli(s.files, ["work", "status"])
        expect(status.stdout).not.toContain("rotation    unfinished")
        const out = yield* rotate(s)
        expect(out.code).toBe(0)
        expect(out.stderr).toContain(`Skipped ${broken} (the journal of [other])`)
        expect(out.stdout + out.stderr).not.toContain("AKIABOB")
        expect(out.stdout).toContain("Rotated: [work], [work-copy] now use")
        for (const file of [theirs, legacy]) expect(fs.readFileSync(file, "utf8")).toBe(entry)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "killed while renaming the journal's new record: the next rotate completes the record from the copy, removes the new key and no secret is left",
    () =>
      Effect.gen(function* () {
        const s = yield* setup
        yield* killedAt(s, "iam:CreateAccessKey", { after: true })
        const made = s.sim.keysOf("alice").find((k) => k.id !== s.key.accessKeyId)!
        const record = JSON.parse(fs.readFileSync(s.journal, "utf8"))
        const copy = path.join(
          s.journalDir,
          `.credentials.work.json.${spawnSync("true").pid}.0123456789abcdef.tmp`,
        )
        fs.writeFileSync(copy, JSON.stringify({ ...record, newKey: { id: made.id, secret: made.secret } }), {
          mode: 0o600,
        })
        const out = yield* rotate(s)
        expect(out.code).toBe(0)
        expect(out.stderr).toBe(
          `Recorded the new key in ${s.journal} from ${copy}, which a rotation killed while writing it left behind.`,
        )
        expect(out.stdout).toContain(`Delete the new key ${maskKeyId(made.id)}`)
        expect(fs.readdirSync(s.journalDir).filter((n) => !n.endsWith(".lock"))).toEqual([])
        expect((yield* settled(s)).id).toBe(s.key.accessKeyId)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("a named pipe at the rotation lock or the journal ends rotate and status with a sentence", () =>
    Effect.gen(function* () {
      const s = yield* setup
      fs.mkdirSync(s.journalDir, { mode: 0o700 })
      const lock = path.join(s.journalDir, "credentials.rotate.lock")
      execFileSync("mkfifo", [lock])
      const locked = yield* rotate(s)
      expect(locked.code).toBe(1)
      expect(locked.stderr).toContain(`${lock}: it is a named pipe (FIFO), not a regular file`)
      fs.rmSync(lock)
      execFileSync("mkfifo", [s.journal])
      const status = yield* cli(s.files, ["work", "status"])
      expect(status.stdout + status.stderr).toContain("it is a named pipe (FIFO), not a regular file")
      const journaled = yield* rotate(s)
      expect(journaled.code).toBe(1)
      expect(journaled.stderr).toContain(`${s.journal}: it is a named pipe (FIFO), not a regular file`)
      expect(s.sim.calls.map((c) => c.operation)).toEqual(["iam:ListAccessKeys"])
      expect(s.read()).toBe(s.original)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  /** The control characters in `text` other than line ends: what a terminal would act on. */
  const controls = (text: string) => [...text].filter((c) => c.charCodeAt(0) < 0x20 && c !== "\n")

  it.effect(
    "control characters in key ids from AWS reach the terminal escaped, and a new key id that is none stops the rotation",
    () =>
      Effect.gen(function* () {
        const s = yield* setup
        const forged = "AKIA\x1b]0;pwned\x07XYZ" as AccessKeyId
        s.sim.forgeNextKey(forged)
        const out = yield* rotate(s)
        expect(out.code).toBe(1)
        expect(out.stderr).toContain('names "AKIA\\x1b]0;pwned\\x07XYZ", which is not an access key id')
        expect(controls(out.stderr)).toEqual([])
        expect(s.read()).toBe(s.original)
        // The key AWS made is another's now: renamed to the forged id, it is named, escaped, and left.
        const made = s.sim.keysOf("alice").find((k) => k.id !== s.key.accessKeyId)!
        s.sim.keys.delete(made.id)
        s.sim.keys.set(forged, { ...made, id: forged })
        const again = yield* rotate(s)
        expect(again.code).toBe(1)
        expect(again.stderr).toContain("--access-key-id AKIA\\x1b]0;pwned\\x07XYZ")
        expect(controls(again.stderr)).toEqual([])
        expect(s.sim.keysOf("alice")).toHaveLength(2)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "a copy of the key in the config file is named in the plan and in the result, never left unsaid",
    () =>
      Effect.gen(function* () {
        const s = yield* setup
        const secret = Redacted.value(s.key.secretAccessKey)
        fs.writeFileSync(
          s.files.config,
          `[profile ci]\naws_access_key_id = ${s.key.accessKeyId}\naws_secret_access_key = ${secret}\n`,
        )
        const out = yield* rotate(s)
        expect(out.code).toBe(0)
        const named = `Not rotated: [profile ci] in ${s.files.config} holds a copy of the old key ${maskKeyId(s.key.accessKeyId)}, which will stop working: copy the new key there from [work], or remove it.`
        expect(out.stdout.split("\n")[0]).toContain(named)
        expect(out.stdout.split("\n").at(-1)).toContain(named)
        yield* oneWorkingKey(s)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "the journal directory is refused when its group or others can write to it, or it is a symlink",
    () =>
      Effect.gen(function* () {
        const s = yield* setup
        fs.mkdirSync(s.journalDir, { mode: 0o700 })
        fs.chmodSync(s.journalDir, 0o770)
        const group = yield* rotate(s)
        expect(group.code).toBe(1)
        expect(group.stderr).toContain("others can write to it (mode 770); run chmod 700 on it")
        fs.chmodSync(s.journalDir, 0o777)
        const open = yield* rotate(s)
        expect(open.code).toBe(1)
        expect(open.stderr).toContain("others can write to it")
        fs.rmdirSync(s.journalDir)
        const elsewhere = fs.mkdtempSync(path.join(s.files.dir, "x"))
        fs.symlinkSync(elsewhere, s.journalDir)
        const linked = yield* rotate(s)
        expect(linked.code).toBe(1)
        expect(linked.stderr).toContain("symbolic link")
        expect(s.sim.calls).toEqual([])
        expect(s.read()).toBe(s.original)
      }).pipe(Effect.provide(SimulatedAws)),
  )
})
