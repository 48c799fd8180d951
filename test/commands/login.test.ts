import * as fs from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Redacted, TestClock } from "effect"
import type { AwsCredentials } from "../../src/schema/Credentials.js"
import { cli, tempHome } from "../support/harness.js"
import { SimAws, SimulatedAws, validCode } from "../support/SimulatedAws.js"

const now = Date.parse("2026-11-23T19:00:00Z")
const serial = "arn:aws:iam::123456789012:mfa/alice-phone"

const longTerm = (key: AwsCredentials, extra = "") =>
  `[work]\naws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${Redacted.value(key.secretAccessKey)}\n${extra}`

/** A user alice with one device and key, and a credentials file holding that key under [work]. */
const setup = (extra = `mfa_serial = ${serial}\nusername = alice\n`, before = "", after = "") =>
  Effect.gen(function* () {
    yield* TestClock.setTime(now)
    const sim = yield* SimAws
    sim.addUser("alice", { devices: [serial] })
    const key = yield* sim.addKey("alice")
    const files = tempHome()
    fs.writeFileSync(files.credentials, before + longTerm(key, extra) + after)
    return { sim, key, files, read: () => fs.readFileSync(files.credentials, "utf8") }
  })

const secretsIn = (sim: SimAws["Type"], text: string) =>
  [...sim.keys.values(), ...sim.sessions.values()].filter((k) => text.includes(k.secret))

describe("login", () => {
  it.effect("writes [work-sts] from --token and says how to use it", () =>
    Effect.gen(function* () {
      const { sim, files, read } = yield* setup()
      const out = yield* cli(files, ["work", "--token", validCode])
      expect(out.code).toBe(0)
      expect(out.stdout).toContain("Logged in: [work-sts]")
      expect(out.stdout).toContain("source_profile = work-sts")
      expect(out.stdout).toContain("2026-11-24T07:00:00Z")
      const text = read()
      expect(text).toMatch(
        /\[work-sts\]\naws_access_key_id = ASIA\w+\naws_secret_access_key = \S+\naws_session_token = \S+\nexpiration = 2026-11-24T07:00:00Z\n$/,
      )
      expect(secretsIn(sim, out.stdout + out.stderr)).toEqual([])
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("reuses a valid session: no prompt, no AWS call, no write", () =>
    Effect.gen(function* () {
      const { sim, files, read } = yield* setup()
      expect((yield* cli(files, ["work", "-t", validCode])).code).toBe(0)
      const before = read()
      const calls = sim.calls.length
      yield* TestClock.adjust(Duration.hours(11))
      const out = yield* cli(files, ["work"], { tty: true })
      expect(out.code).toBe(0)
      expect(out.stdout).toContain("[work-sts] is still valid until 2026-11-24T07:00:00Z (1h 0m left)")
      expect(out.shown).toBe("")
      expect(sim.calls.length).toBe(calls)
      expect(read()).toBe(before)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("renews a session that expires within the 5-minute margin", () =>
    Effect.gen(function* () {
      const { files } = yield* setup()
      expect((yield* cli(files, ["work", "-t", validCode, "-d", "1h"])).code).toBe(0)
      yield* TestClock.adjust(Duration.minutes(54))
      const kept = yield* cli(files, ["work"])
      expect(kept.stdout).toContain("still valid")
      yield* TestClock.adjust(Duration.minutes(1))
      const renewed = yield* cli(files, ["work"], { input: [validCode] })
      expect(renewed.code).toBe(0)
      expect(renewed.stdout).toContain("Logged in")
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("reads a session written by the original tool and keeps it", () =>
    Effect.gen(function* () {
      const python =
        "\n[work-sts]\naws_access_key_id = ASIAOLDTOOL000000001\naws_secret_access_key = s3cr3t\n" +
        "aws_session_token = tok==\nexpiration = 2026-11-24 07:01:58+00:00\n"
      const { files, read } = yield* setup(undefined, "", python)
      const out = yield* cli(files, ["work"])
      expect(out.code).toBe(0)
      expect(out.stdout).toContain("still valid until 2026-11-24T07:01:58Z (12h 1m left)")
      expect(read()).toContain(python)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("--force logs in again despite a valid session", () =>
    Effect.gen(function* () {
      const { sim, files } = yield* setup()
      yield* cli(files, ["work", "-t", validCode])
      const out = yield* cli(files, ["work", "--force", "-t", validCode])
      expect(out.stdout).toContain("Logged in")
      expect(sim.calls.filter((c) => c.operation === "sts:GetSessionToken")).toHaveLength(2)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("re-asks on a terminal until the code is 6 digits", () =>
    Effect.gen(function* () {
      const { sim, files } = yield* setup()
      const out = yield* cli(files, ["work"], { tty: true, input: ["12345", "abcdef", ` ${validCode} `] })
      expect(out.code).toBe(0)
      expect(out.shown.match(/MFA code for arn:aws:iam::123456789012:mfa\/alice-phone: /g)).toHaveLength(3)
      expect(out.shown.match(/must be exactly 6 digits/g)).toHaveLength(2)
      expect(sim.calls.filter((c) => c.operation === "sts:GetSessionToken")).toHaveLength(1)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("reads one line of stdin when it is not a terminal, and refuses a bad one without a call", () =>
    Effect.gen(function* () {
      const { sim, files, read } = yield* setup()
      const before = read()
      const bad = yield* cli(files, ["work"], { input: ["12 34 5"] })
      expect(bad.code).toBe(1)
      expect(bad.stderr).toBe("aws-iam-login: The MFA code must be exactly 6 digits.")
      const none = yield* cli(files, ["work"])
      expect(none.stderr).toContain("No MFA code: pass --token CODE")
      expect(sim.calls).toEqual([])
      expect(read()).toBe(before)
      expect((yield* cli(files, ["work"], { input: [validCode] })).code).toBe(0)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("takes a code typed as an authenticator app shows it, `123 456`", () =>
    Effect.gen(function* () {
      const { sim, files } = yield* setup()
      const spaced = `${validCode.slice(0, 3)} ${validCode.slice(3)}`
      expect((yield* cli(files, ["work", "-t", spaced])).code).toBe(0)
      expect((yield* cli(files, ["work", "--force"], { tty: true, input: [` ${spaced} `] })).code).toBe(0)
      expect(sim.calls.filter((c) => c.operation === "sts:GetSessionToken")).toHaveLength(2)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("a bare number for --duration suggests the unit that was meant", () =>
    Effect.gen(function* () {
      const { sim, files } = yield* setup()
      const hours = yield* cli(files, ["work", "-t", validCode, "-d", "12"])
      expect(hours.code).toBe(2)
      expect(hours.stderr).toContain("12 is not a duration: did you mean 12h?")
      const minutes = yield* cli(files, ["work", "-t", validCode, "-d", "90"])
      expect(minutes.stderr).toContain("90 is not a duration: did you mean 90m?")
      expect(sim.calls).toEqual([])
      expect((yield* cli(files, ["work", "-t", validCode, "-d", "3600"])).stdout).toContain(
        "2026-11-23T20:00:00Z",
      )
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "checks --token and --duration before any call: a malformed code as from stdin, a duration as a usage error",
    () =>
      Effect.gen(function* () {
        const { sim, files, read } = yield* setup()
        const before = read()
        const malformed = yield* cli(files, ["work", "-t", "12345"])
        expect(malformed.code).toBe(1)
        expect(malformed.stderr).toBe("aws-iam-login: The MFA code must be exactly 6 digits.")
        for (const args of [
          ["work", "-t", validCode, "-d", "14m"],
          ["work", "-t", validCode, "-d", "37h"],
          ["work", "-t", validCode, "-d", "soon"],
        ]) {
          const out = yield* cli(files, args)
          expect(out.code).toBe(2)
        }
        expect(sim.calls).toEqual([])
        expect(read()).toBe(before)
        const ok = yield* cli(files, ["work", "-t", validCode, "-d", "1h30m"])
        expect(ok.stdout).toContain("2026-11-23T20:30:00Z")
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("a rejected code is one sentence and writes nothing", () =>
    Effect.gen(function* () {
      const { files, read } = yield* setup()
      const before = read()
      const out = yield* cli(files, ["work", "-t", "000000"])
      expect(out.code).toBe(1)
      expect(out.stderr).toBe(
        "aws-iam-login: AWS rejected the MFA code (MultiFactorAuthentication failed with invalid MFA one time pass code.): wait for the next code and try again.",
      )
      expect(read()).toBe(before)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("without mfa_serial: run init first", () =>
    Effect.gen(function* () {
      const { files } = yield* setup("")
      const out = yield* cli(files, ["work", "-t", validCode])
      expect(out.stderr).toBe(
        "aws-iam-login: Profile [work] has no mfa_serial: run `aws-iam-login work init` first.",
      )
      expect(out.code).toBe(1)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "an unknown profile names the file and the profiles it has (not sessions), with no stack trace",
    () =>
      Effect.gen(function* () {
        const { files } = yield* setup()
        expect((yield* cli(files, ["work", "-t", validCode])).code).toBe(0)
        const out = yield* cli(files, ["nope", "-t", validCode])
        expect(out.code).toBe(1)
        expect(out.stderr).toBe(
          `aws-iam-login: No profile [nope] in ${files.credentials} (it has: work): add your IAM user's key with \`aws configure --profile nope\`, then run \`aws-iam-login nope init\`.`,
        )
        // A name the shell would split comes quoted, so the advice can be pasted as it is.
        const spaced = yield* cli(files, ["my work", "-t", validCode])
        expect(spaced.stderr).toContain(
          "`aws configure --profile 'my work'`, then run `aws-iam-login 'my work' init`",
        )
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("a malformed key names file, line and profile, and nothing is written", () =>
    Effect.gen(function* () {
      const { files, read } = yield* setup()
      fs.writeFileSync(
        files.credentials,
        read().replace(/aws_access_key_id = \w+/, "aws_access_key_id = not-a-key"),
      )
      const before = read()
      const out = yield* cli(files, ["work", "-t", validCode])
      expect(out.code).toBe(1)
      expect(out.stderr).toContain(
        `${files.credentials}, line 2 [work]: aws_access_key_id is not an access key id`,
      )
      expect(read()).toBe(before)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "a key followed by ` # note` is refused before any call: the AWS CLI reads the note as part of it",
    () =>
      Effect.gen(function* () {
        const { sim, files, read } = yield* setup()
        fs.writeFileSync(
          files.credentials,
          read().replace(/(aws_secret_access_key = \S+)/, "$1 # rotated in May"),
        )
        const before = read()
        const calls = sim.calls.length
        const out = yield* cli(files, ["work", "-t", validCode])
        expect(out.code).toBe(1)
        expect(out.stderr).toContain(
          `${files.credentials}, line 3 [work]: aws_secret_access_key holds "#", which the AWS CLI reads as part of the value, not as a comment`,
        )
        expect(sim.calls.length).toBe(calls)
        expect(read()).toBe(before)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("a deleted key is refused with a clear sentence", () =>
    Effect.gen(function* () {
      const { sim, key, files } = yield* setup()
      sim.keys.delete(key.accessKeyId)
      const out = yield* cli(files, ["work", "-t", validCode])
      expect(out.code).toBe(1)
      expect(out.stderr).toMatch(
        /AWS refused key AKIA…\w{4} for sts:GetSessionToken .*wrong, inactive or deleted/,
      )
      expect(out.stderr).not.toContain(key.accessKeyId)
    }).pipe(Effect.provide(SimulatedAws)),
  )
})
