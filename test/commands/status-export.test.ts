import * as fs from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Redacted, TestClock } from "effect"
import { cli, tempHome } from "../support/harness.js"
import { SimAws, SimulatedAws, validCode } from "../support/SimulatedAws.js"

const serial = "arn:aws:iam::123456789012:mfa/alice-phone"

const setup = (age: Duration.DurationInput) =>
  Effect.gen(function* () {
    yield* TestClock.setTime(Date.parse("2026-11-23T19:00:00Z"))
    const sim = yield* SimAws
    sim.addUser("alice", { devices: [serial] })
    const key = yield* sim.addKey("alice", { age })
    const files = tempHome()
    fs.writeFileSync(
      files.credentials,
      `[work]\naws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${Redacted.value(key.secretAccessKey)}\nusername = alice\nmfa_serial = ${serial}\n`,
    )
    return { sim, key, files }
  })

describe("status", () => {
  it.effect("shows the masked key and its age, the device and the session, and nothing secret", () =>
    Effect.gen(function* () {
      const { sim, key, files } = yield* setup(Duration.days(120))
      const before = yield* cli(files, ["work", "status"])
      expect(before.code).toBe(0)
      expect(before.stdout).toContain(
        `key         ${key.accessKeyId.slice(0, 4)}…${key.accessKeyId.slice(-4)}, 120 days old: time to rotate`,
      )
      expect(before.stdout).toContain("session     [work-sts] none: run aws-iam-login work")
      yield* cli(files, ["work", "-t", validCode])
      const after = yield* cli(files, ["work", "status"])
      expect(after.stdout).toContain("valid until 2026-11-24T07:00:00Z (12h 0m left)")
      expect(after.stdout).not.toContain(key.accessKeyId)
      for (const s of [...sim.keys.values(), ...sim.sessions.values()])
        expect(after.stdout).not.toContain(s.secret)
      const json = JSON.parse((yield* cli(files, ["work", "status", "--json"])).stdout)
      expect(json).toMatchObject({
        profile: "work",
        keyAgeDays: 120,
        username: "alice",
        valid: true,
        notice: null,
      })
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("names a cut-off rotation, and still answers when IAM cannot be asked", () =>
    Effect.gen(function* () {
      const { sim, files } = yield* setup(Duration.days(3))
      yield* sim.addKey("alice")
      const out = yield* cli(files, ["work", "status"])
      expect(out.stdout).toContain("rotation    alice has a second key")
      expect(out.stdout).toContain("Run aws-iam-login work rotate to deal with it.")
      sim.deny("alice", "iam:ListAccessKeys")
      const denied = yield* cli(files, ["work", "status"])
      expect(denied.code).toBe(0)
      expect(denied.stdout).toContain("age unknown (AWS denied iam:ListAccessKeys")
    }).pipe(Effect.provide(SimulatedAws)),
  )
})

describe("export", () => {
  it.effect(
    "prints the session as credential_process JSON, env lines or JSON, logging in first on the terminal",
    () =>
      Effect.gen(function* () {
        const { files } = yield* setup(Duration.days(1))
        const first = yield* cli(files, ["work", "export"], { tty: true, input: [validCode] })
        expect(first.code).toBe(0)
        expect(first.shown).toContain("MFA code for")
        const process = JSON.parse(first.stdout)
        expect(process).toMatchObject({ Version: 1, Expiration: "2026-11-24T07:00:00Z" })
        expect(process.AccessKeyId).toMatch(/^ASIA/)
        expect(first.stderr).toContain("Logged in")
        const again = yield* cli(files, ["work", "export", "--format", "env"])
        expect(again.stderr).toBe("")
        expect(again.stdout.split("\n")).toEqual([
          `export AWS_ACCESS_KEY_ID=${process.AccessKeyId}`,
          `export AWS_SECRET_ACCESS_KEY=${process.SecretAccessKey}`,
          `export AWS_SESSION_TOKEN=${process.SessionToken}`,
          "export AWS_CREDENTIAL_EXPIRATION=2026-11-24T07:00:00Z",
        ])
        const json = JSON.parse((yield* cli(files, ["work", "export", "--format", "json"])).stdout)
        expect(json).toEqual({ ...process, Version: undefined })
      }).pipe(Effect.provide(SimulatedAws)),
  )
})
