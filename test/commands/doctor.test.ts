import * as fs from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted, TestClock } from "effect"
import { cli, tempHome } from "../support/harness.js"
import { SimAws, SimulatedAws } from "../support/SimulatedAws.js"

describe("doctor", () => {
  it.effect("a policy that denies a call rotate needs is a problem naming it; allowed, the line is ok", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.parse("2026-11-23T19:00:00Z"))
      const sim = yield* SimAws
      sim.addUser("alice", { devices: ["arn:aws:iam::123456789012:mfa/alice-phone"] })
      const key = yield* sim.addKey("alice")
      const files = tempHome()
      fs.writeFileSync(
        files.credentials,
        `[work]\naws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${Redacted.value(key.secretAccessKey)}\nusername = alice\n`,
      )
      const good = yield* cli(files, ["work", "doctor"])
      expect(good.stdout).toMatch(/^ok +policy +the user's policies allow what rotate needs/m)
      sim.deny("alice", "iam:DeleteAccessKey")
      const bad = yield* cli(files, ["work", "doctor"])
      expect(bad.code).toBe(1)
      expect(bad.stdout).toMatch(
        /^PROBLEM +policy +the user's policies do not allow iam:DeleteAccessKey on /m,
      )
    }).pipe(Effect.provide(SimulatedAws)),
  )
})
