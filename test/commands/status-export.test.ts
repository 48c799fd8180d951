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
      expect(before.stdout).toContain("region      none set (calls go to us-east-1)")
      expect(before.stdout).toContain(`kept in     [work] of ${files.credentials}`)
      yield* cli(files, ["work", "-t", validCode])
      const after = yield* cli(files, ["work", "status"])
      expect(after.stdout).toContain("valid until 2026-11-24T07:00:00Z (12h 0m left)")
      expect(after.stdout).not.toContain(key.accessKeyId)
      for (const s of [...sim.keys.values(), ...sim.sessions.values()])
        expect(after.stdout).not.toContain(s.secret)
      const json = JSON.parse((yield* cli(files, ["work", "status", "--json"])).stdout)
      expect(json).toEqual({
        profile: "work",
        accessKeyIdMasked: `${key.accessKeyId.slice(0, 4)}…${key.accessKeyId.slice(-4)}`,
        keyLocation: { store: "file", file: files.credentials, section: "work" },
        keyAgeDays: 120,
        keyStatus: "Active",
        username: "alice",
        mfaSerial: serial,
        mfaSerialProblem: null,
        sessionProfile: "work-sts",
        sessionExpiration: "2026-11-24T07:00:00Z",
        sessionValid: true,
        region: null,
        rotationNotice: null,
        unfinishedRotation: null,
      })
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("names a second key with how to remove it, and still answers when IAM cannot be asked", () =>
    Effect.gen(function* () {
      const { sim, files } = yield* setup(Duration.days(3))
      yield* sim.addKey("alice")
      const out = yield* cli(files, ["work", "status"])
      expect(out.stdout).toContain("rotation    alice has a second key")
      // rotate refuses to touch that key, so status does not send the person there.
      expect(out.stdout).toContain("aws iam delete-access-key --user-name alice --access-key-id AKIA")
      expect(out.stdout).not.toContain("rotate to deal with it")
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
          "unset AWS_PROFILE",
          "unset AWS_DEFAULT_PROFILE",
        ])
        const json = JSON.parse((yield* cli(files, ["work", "export", "--format", "json"])).stdout)
        expect(json).toEqual({ ...process, Version: undefined })
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "prints fish and PowerShell lines as the AWS CLI does, with both region variables once the region is known, and unsets the profile variables as exec does",
    () =>
      Effect.gen(function* () {
        const { files } = yield* setup(Duration.days(1))
        expect((yield* cli(files, ["work", "-t", validCode])).code).toBe(0)
        const process = JSON.parse((yield* cli(files, ["work", "export", "--format", "json"])).stdout)
        const fish = yield* cli(files, ["work", "export", "--format", "fish"])
        expect(fish.stdout.split("\n")).toEqual([
          `set -gx AWS_ACCESS_KEY_ID "${process.AccessKeyId}"`,
          `set -gx AWS_SECRET_ACCESS_KEY "${process.SecretAccessKey}"`,
          `set -gx AWS_SESSION_TOKEN "${process.SessionToken}"`,
          'set -gx AWS_CREDENTIAL_EXPIRATION "2026-11-24T07:00:00Z"',
          "set -e AWS_PROFILE",
          "set -e AWS_DEFAULT_PROFILE",
        ])
        fs.writeFileSync(files.config, "[profile work]\nregion = eu-west-1\n")
        const powershell = yield* cli(files, ["work", "export", "--format", "powershell"])
        expect(powershell.stdout.split("\n")).toEqual([
          `$Env:AWS_ACCESS_KEY_ID="${process.AccessKeyId}"`,
          `$Env:AWS_SECRET_ACCESS_KEY="${process.SecretAccessKey}"`,
          `$Env:AWS_SESSION_TOKEN="${process.SessionToken}"`,
          '$Env:AWS_CREDENTIAL_EXPIRATION="2026-11-24T07:00:00Z"',
          '$Env:AWS_REGION="eu-west-1"',
          '$Env:AWS_DEFAULT_REGION="eu-west-1"',
          "Remove-Item Env:AWS_PROFILE -ErrorAction SilentlyContinue",
          "Remove-Item Env:AWS_DEFAULT_PROFILE -ErrorAction SilentlyContinue",
        ])
        const env = yield* cli(files, ["work", "export", "--format", "env"])
        expect(env.stdout.split("\n").slice(-4)).toEqual([
          "export AWS_REGION=eu-west-1",
          "export AWS_DEFAULT_REGION=eu-west-1",
          "unset AWS_PROFILE",
          "unset AWS_DEFAULT_PROFILE",
        ])
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("without a terminal and without a session, says to log in on a terminal first", () =>
    Effect.gen(function* () {
      const { sim, files } = yield* setup(Duration.days(1))
      const out = yield* cli(files, ["work", "export"], { input: [validCode] })
      expect(out.code).toBe(1)
      expect(out.stdout).toBe("")
      expect(out.stderr).toBe(
        "aws-iam-login: No session in [work-sts] valid for more than 5m (sessions are renewed that long before they end), and no terminal to ask for an MFA code: run `aws-iam-login work` in a terminal first.",
      )
      expect(sim.calls).toEqual([])
    }).pipe(Effect.provide(SimulatedAws)),
  )
})
