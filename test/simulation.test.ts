import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Either, TestClock } from "effect"
import { Throttled } from "../src/schema/AwsErrors.js"
import type { AwsCredentials } from "../src/schema/Credentials.js"
import { Iam } from "../src/services/Iam.js"
import { Sts } from "../src/services/Sts.js"
import { SimAws, SimulatedAws, validCode } from "./support/SimulatedAws.js"

const serial = "arn:aws:iam::123456789012:mfa/alice"
const as = (credentials: AwsCredentials) => ({ credentials, region: "eu-west-1" })

const alice = Effect.gen(function* () {
  const sim = yield* SimAws
  sim.addUser("alice", { devices: [serial] })
  const key = yield* sim.addKey("alice")
  return { sim, key, sts: yield* Sts, iam: yield* Iam }
})

const failure = <A, E extends { _tag: string }>(effect: Effect.Effect<A, E>) =>
  Effect.map(Effect.either(effect), (r) => (Either.isLeft(r) ? r.left._tag : "succeeded"))

describe("the simulated AWS account", () => {
  it.effect("allows two keys per user, then LimitExceeded", () =>
    Effect.gen(function* () {
      const { key, iam } = yield* alice
      yield* iam.createAccessKey(as(key), "alice")
      expect(yield* failure(iam.createAccessKey(as(key), "alice"))).toBe("LimitExceeded")
      expect(yield* iam.listAccessKeys(as(key), "alice")).toHaveLength(2)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("refuses Inactive and deleted keys, as AWS does", () =>
    Effect.gen(function* () {
      const { key, sts, iam } = yield* alice
      const created = yield* iam.createAccessKey(as(key), "alice")
      yield* iam.updateAccessKey(as(created.key), "alice", key.accessKeyId, "Inactive")
      expect(yield* failure(sts.getCallerIdentity(as(key)))).toBe("InvalidCredentials")
      yield* iam.deleteAccessKey(as(created.key), "alice", key.accessKeyId)
      expect(yield* failure(sts.getCallerIdentity(as(key)))).toBe("InvalidCredentials")
      expect((yield* sts.getCallerIdentity(as(created.key))).arn).toBe("arn:aws:iam::123456789012:user/alice")
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("a new key works only after the propagation delay", () =>
    Effect.gen(function* () {
      const { sim, key, sts, iam } = yield* alice
      sim.propagation = Duration.seconds(8)
      const created = yield* iam.createAccessKey(as(key), "alice")
      expect(yield* failure(sts.getCallerIdentity(as(created.key)))).toBe("InvalidCredentials")
      yield* TestClock.adjust(Duration.seconds(8))
      expect(yield* failure(sts.getCallerIdentity(as(created.key)))).toBe("succeeded")
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("sessions need the device's code, expire on the clock, and cannot get sessions", () =>
    Effect.gen(function* () {
      const { key, sts } = yield* alice
      expect(
        yield* failure(
          sts.getSessionToken(as(key), { serialNumber: serial, code: "000000" }, Duration.hours(1)),
        ),
      ).toBe("MfaRejected")
      const session = yield* sts.getSessionToken(
        as(key),
        { serialNumber: serial, code: validCode },
        Duration.hours(1),
      )
      expect(session.expiration.getTime()).toBe(Duration.toMillis(Duration.hours(1)))
      expect(yield* failure(sts.getCallerIdentity(as(session.credentials)))).toBe("succeeded")
      expect(
        yield* failure(
          sts.getSessionToken(
            as(session.credentials),
            { serialNumber: serial, code: validCode },
            Duration.hours(1),
          ),
        ),
      ).toBe("AccessDenied")
      yield* TestClock.adjust(Duration.hours(1))
      expect(yield* failure(sts.getCallerIdentity(as(session.credentials)))).toBe("InvalidCredentials")
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("honours Deny statements and the fault plan, and records who signed each call", () =>
    Effect.gen(function* () {
      const { sim, key, sts, iam } = yield* alice
      sim.deny("alice", "iam:DeleteAccessKey")
      expect(yield* failure(iam.deleteAccessKey(as(key), "alice", key.accessKeyId))).toBe("AccessDenied")
      sim.failOn("sts:GetCallerIdentity", (call) => new Throttled(call), 1)
      expect(yield* failure(sts.getCallerIdentity(as(key)))).toBe("succeeded")
      expect(yield* failure(sts.getCallerIdentity(as(key)))).toBe("Throttled")
      expect(yield* failure(sts.getCallerIdentity(as(key)))).toBe("succeeded")
      expect(sim.calls.map((c) => [c.operation, c.signer, c.ok])).toEqual([
        ["iam:DeleteAccessKey", key.accessKeyId, false],
        ["sts:GetCallerIdentity", key.accessKeyId, true],
        ["sts:GetCallerIdentity", key.accessKeyId, false],
        ["sts:GetCallerIdentity", key.accessKeyId, true],
      ])
      expect(sim.keys.has(key.accessKeyId)).toBe(true)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("IAM calls on another user are denied", () =>
    Effect.gen(function* () {
      const { sim, key, iam } = yield* alice
      sim.addUser("bob")
      expect(yield* failure(iam.listAccessKeys(as(key), "bob"))).toBe("AccessDenied")
      expect(yield* failure(iam.listAccessKeys(as(key), "carol"))).toBe("NoSuchEntity")
    }).pipe(Effect.provide(SimulatedAws)),
  )
})
