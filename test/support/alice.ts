import * as fs from "node:fs"
import * as path from "node:path"
import { expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Exit, Fiber, type Layer, Redacted, TestClock } from "effect"
import { AccessDenied, LimitExceeded, Throttled } from "../../src/schema/AwsErrors.js"
import { maskKeyId } from "../../src/schema/Credentials.js"
import { fakeKeyStore } from "./FakeKeyStore.js"
import { cli, type RunOptions, tempHome } from "./harness.js"
import { lostAnswer, SimAws, SimulatedAws } from "./SimulatedAws.js"

/**
 * The set-up the command tests share: alice, her MFA device and one key, a home whose credentials
 * file the test writes around that key; and the faults each rotation of that key must survive.
 */

export const serial = "arn:aws:iam::123456789012:mfa/alice-phone"

/**
 * alice with her MFA device and one key (created `age` ago; the clock set to `at` first), a fresh
 * home whose credentials file is `file` of her key id and secret, and an empty OS secret store that
 * `run` runs the command line with.
 */
export const alice = (
  file: (keyId: string, secret: string) => string,
  options: { readonly at?: string; readonly age?: Duration.DurationInput } = {},
) =>
  Effect.gen(function* () {
    if (options.at !== undefined) yield* TestClock.setTime(Date.parse(options.at))
    const sim = yield* SimAws
    sim.addUser("alice", { devices: [serial] })
    const key = yield* sim.addKey("alice", options.age === undefined ? {} : { age: options.age })
    const keyId = key.accessKeyId
    const secret = Redacted.value(key.secretAccessKey)
    const files = tempHome()
    const original = file(keyId, secret)
    fs.writeFileSync(files.credentials, original)
    const journalDir = path.join(files.dir, ".aws-iam-login")
    const store = fakeKeyStore()
    return {
      sim,
      key,
      keyId,
      secret,
      files,
      original,
      read: () => fs.readFileSync(files.credentials, "utf8"),
      journalDir,
      journal: path.join(journalDir, "credentials.work.json"),
      store,
      run: (args: ReadonlyArray<string>, more: RunOptions = {}) =>
        cli(files, args, { keyStore: store.layer, ...more }),
    }
  })

/**
 * At 2026-11-23T19:00Z, alice and a credentials file whose [work] holds her key and device; no
 * session yet.
 */
export const aliceAtWork = alice(
  (keyId, secret) =>
    `[work]\naws_access_key_id = ${keyId}\naws_secret_access_key = ${secret}\nmfa_serial = ${serial}\n`,
  { at: "2026-11-23T19:00:00Z" },
)

export type Alice = Effect.Effect.Success<ReturnType<typeof alice>>

/** Waits (in real time) until the simulated AWS holds a call at `operation`. */
export const reached = (s: Pick<Alice, "sim">, operation: string) =>
  Effect.gen(function* () {
    while (s.sim.paused !== operation) yield* Effect.promise(() => new Promise((r) => setTimeout(r, 1)))
  })

/**
 * Runs `args` while another program (an editor, `aws configure`, a sync of an older copy) writes
 * `text` into the credentials file: when the run reaches `operation`, or with `after` once AWS did it
 * and before its answer arrives.
 */
export const writtenMeanwhile = (
  s: Pick<Alice, "sim" | "files">,
  args: ReadonlyArray<string>,
  operation: string,
  text: string,
  options: RunOptions & { readonly after?: boolean } = {},
) =>
  Effect.gen(function* () {
    const { after = false, ...run } = options
    const gate = yield* s.sim.pauseAt(operation, { after })
    const running = yield* Effect.fork(cli(s.files, args, run))
    yield* reached(s, operation)
    fs.writeFileSync(s.files.credentials, text)
    yield* Deferred.succeed(gate, undefined)
    return yield* Fiber.join(running)
  })

/** What `kill -9` leaves: the journal and the file as they are, and a lock whose holder is gone. */
export const kill = (s: Alice) =>
  Effect.sync(() => fs.rmSync(path.join(s.journalDir, "credentials.rotate.lock"), { force: true }))

/**
 * `work rotate --yes` killed (`kill -9`) at `operation`: before AWS does it, or with `after` once
 * AWS did it and before its answer arrives.
 */
export const killedAt = (s: Alice, operation: string, options: { readonly after?: boolean } = {}) =>
  Effect.gen(function* () {
    yield* s.sim.pauseAt(operation, options)
    yield* Effect.forkDaemon(s.run(["work", "rotate", "--yes"]))
    yield* reached(s, operation)
    yield* kill(s)
  })

/** The access key ids that signed each `operation` call, in order. */
export const signers = (s: Alice, operation: string) =>
  s.sim.calls.filter((c) => c.operation === operation).map((c) => c.signer)

/** The Active key of alice's (there must be exactly one), after checking that AWS accepts it. */
export const oneActiveKey = (s: Alice) =>
  Effect.gen(function* () {
    const active = s.sim.keysOf("alice").filter((k) => k.status === "Active")
    expect(active).toHaveLength(1)
    const works = yield* s.sim.sts
      .getCallerIdentity({
        credentials: { accessKeyId: active[0]!.id, secretAccessKey: Redacted.make(active[0]!.secret) },
        region: "us-east-1",
      })
      .pipe(Effect.either)
    expect(works._tag).toBe("Right")
    return active[0]!
  })

/** What the simulated AWS provides: the services a run needs. */
type Aws = Layer.Layer.Success<typeof SimulatedAws>

interface Outcome {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** How one kind of rotation is run and checked, for `eachCallFaulted`. */
export interface Rotation<S extends Alice> {
  readonly setup: Effect.Effect<S, never, Aws>
  /** `work rotate --yes`, the clock moving on. */
  readonly rotate: (s: S, options?: RunOptions) => Effect.Effect<Outcome, never, Aws>
  /** `work rotate --yes` on the clock as it stands, to be interrupted. */
  readonly start: (s: S) => Effect.Effect<Outcome, never, Aws>
  /** The one Active key, where the file expects it and working. */
  readonly oneKey: (s: S) => Effect.Effect<{ readonly id: string }, never, Aws>
  /** The end every fault must reach (finishing the rotation first if a journal is left): its key. */
  readonly settled: (s: S) => Effect.Effect<{ readonly id: string }, never, Aws>
  /** Checks what a lost CreateAccessKey answer left (the key AWS made is named) and removes that key. */
  readonly createLost: (s: S, out: Outcome, made: string) => Effect.Effect<void, never, Aws>
  /** Checks what an interrupted run left, before it is settled. */
  readonly interrupted?: (s: S) => void
}

/** Where a rotation is killed after it made its new key: before or after AWS does each later call. */
export const laterKillPoints: ReadonlyArray<readonly [string, boolean]> = [
  ["sts:GetCallerIdentity", false],
  ["iam:UpdateAccessKey", false],
  ["iam:UpdateAccessKey", true],
  ["iam:DeleteAccessKey", false],
  ["iam:DeleteAccessKey", true],
]

/** A fault planned before a rotation runs, and what its one sentence must say was undone. */
export interface Fault<S extends Alice> {
  readonly name: string
  readonly arrange: (s: S) => void
  readonly options?: RunOptions
  readonly said: ReadonlyArray<string>
}

/**
 * The faults of AWS and of the file that every rotation must undo; `putBack` is the undo of the
 * file's edit and `edit` the name of its failure.
 */
export const rotationFaults = (edit: string, putBack: string): ReadonlyArray<Fault<Alice>> => [
  {
    name: "creating the key hits the two-key limit",
    arrange: (s) => s.sim.failOn("iam:CreateAccessKey", (c) => new LimitExceeded({ ...c, detail: "quota" })),
    said: [],
  },
  { name: edit, arrange: () => {}, options: { failWrite: 1 }, said: ["delete the new key"] },
  {
    name: "the new key never starts working",
    arrange: (s) => {
      s.sim.propagation = Duration.minutes(5)
    },
    said: [putBack, "delete the new key"],
  },
  {
    name: "deactivating the old key is throttled",
    arrange: (s) => s.sim.failOn("iam:UpdateAccessKey", (c) => new Throttled(c)),
    said: [putBack, "delete the new key"],
  },
  {
    name: "deleting the old key is denied",
    arrange: (s) =>
      s.sim.failOn("iam:DeleteAccessKey", (c) => new AccessDenied({ ...c, detail: "explicit deny" })),
    said: ["reactivate the old key", putBack, "delete the new key"],
  },
]

/**
 * Each fault, planned before the rotation runs: undone in one sentence, the old key the one Active
 * key, the file as it was, no journal left.
 */
export const eachFaultUndone = <S extends Alice>(
  rotation: Rotation<S>,
  faults: ReadonlyArray<Fault<S>>,
  title: (fault: string) => string,
) => {
  for (const fault of faults) {
    it.effect(title(fault.name), () =>
      Effect.gen(function* () {
        const s = yield* rotation.setup
        fault.arrange(s)
        const out = yield* rotation.rotate(s, fault.options)
        expect(out.code).toBe(1)
        expect(s.read()).toBe(s.original)
        expect((yield* rotation.oneKey(s)).id).toBe(s.keyId)
        expect(s.sim.keysOf("alice")).toHaveLength(1)
        expect(out.stderr.split("\n")).toHaveLength(1)
        for (const text of fault.said) expect(out.stderr).toContain(text)
        expect(out.stderr).toContain("is still the one in [work], Active and working")
        expect(fs.existsSync(s.journal)).toBe(false)
      }).pipe(Effect.provide(SimulatedAws)),
    )
  }
}

/** The rotation's calls that make, prove or retire a key. */
const operations = [
  "iam:CreateAccessKey",
  "sts:GetCallerIdentity",
  "iam:UpdateAccessKey",
  "iam:DeleteAccessKey",
]

/**
 * For each call that makes, prove or retire a key: failing before AWS acts, done by AWS with its
 * answer lost, and hanging until interrupted; each must end with one working key, the right one.
 */
export const eachCallFaulted = <S extends Alice>(rotation: Rotation<S>) => {
  for (const operation of operations) {
    it.effect(`${operation} fails before AWS acts: undone at once`, () =>
      Effect.gen(function* () {
        const s = yield* rotation.setup
        s.sim.revocationDelay = Duration.seconds(30)
        s.sim.failOn(operation, lostAnswer)
        const out = yield* rotation.rotate(s)
        expect(out.code).toBe(1)
        expect(out.stderr).toContain("is still the one in [work], Active and working")
        expect((yield* rotation.settled(s)).id).toBe(s.keyId)
        expect(s.read()).toBe(s.original)
      }).pipe(Effect.provide(SimulatedAws)),
    )

    it.effect(`${operation} is done by AWS, which answers 500: what took effect decides`, () =>
      Effect.gen(function* () {
        const s = yield* rotation.setup
        s.sim.revocationDelay = Duration.seconds(30)
        s.sim.loseAnswerOf(operation)
        const out = yield* rotation.rotate(s)
        if (operation === "iam:CreateAccessKey") {
          // No id came back: the key AWS made cannot be told from one someone else made, so it is named and left.
          const made = s.sim.keysOf("alice").find((k) => k.id !== s.keyId)!
          expect(out.code).toBe(1)
          expect(out.stderr).toContain(
            `aws iam delete-access-key --user-name alice --access-key-id ${made.id}`,
          )
          yield* rotation.createLost(s, out, made.id)
        }
        const key = yield* rotation.settled(s)
        if (operation === "iam:DeleteAccessKey" || operation === "iam:UpdateAccessKey") {
          // The call went through: the rotation carries on and finishes.
          expect(out.code).toBe(0)
          // AWS said 500, so the tool read the keys: the line says both, and what they showed.
          const old = `the old key ${maskKeyId(s.keyId)}`
          const seen =
            operation === "iam:UpdateAccessKey"
              ? `AWS then listed ${old} as Inactive`
              : `AWS then no longer listed ${old}`
          expect(out.stdout).toContain(
            `: AWS answered ${operation} with 500 InternalFailure (We encountered an internal error. Please try again). ${seen}, so it took effect.\n`,
          )
          expect(out.stdout).toContain("Rotated:")
          expect(key.id).not.toBe(s.keyId)
        } else {
          expect(out.code).toBe(1)
          expect(key.id).toBe(s.keyId)
          expect(s.read()).toBe(s.original)
        }
      }).pipe(Effect.provide(SimulatedAws)),
    )

    it.effect(`${operation} hangs until interrupted: settled against the account and undone`, () =>
      Effect.gen(function* () {
        const s = yield* rotation.setup
        s.sim.hangAt(operation)
        const running = yield* Effect.fork(rotation.start(s))
        yield* reached(s, operation)
        const exit = yield* Fiber.interrupt(running)
        expect(Exit.isInterrupted(exit)).toBe(true)
        rotation.interrupted?.(s)
        expect((yield* rotation.settled(s)).id).toBe(s.keyId)
        expect(s.read()).toBe(s.original)
      }).pipe(Effect.provide(SimulatedAws)),
    )
  }
}
