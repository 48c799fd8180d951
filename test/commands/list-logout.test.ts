import * as fs from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Either, Redacted, TestClock } from "effect"
import { removeSection } from "../../src/schema/Ini.js"
import { cli, tempHome } from "../support/harness.js"
import { SimAws, SimulatedAws, validCode } from "../support/SimulatedAws.js"

const serial = "arn:aws:iam::123456789012:mfa/alice-phone"

/** alice's key under [work] in a hand-kept file (CRLF, comments, no final newline), bob's under [home]. */
const setup = Effect.gen(function* () {
  yield* TestClock.setTime(Date.parse("2026-11-23T19:00:00Z"))
  const sim = yield* SimAws
  sim.addUser("alice", { devices: [serial] })
  sim.addUser("bob", { devices: [] })
  const alice = yield* sim.addKey("alice")
  yield* TestClock.adjust(Duration.days(10))
  const bob = yield* sim.addKey("bob")
  const files = tempHome()
  const text = [
    "# kept by hand\r",
    "[work]\r",
    `aws_access_key_id = ${alice.accessKeyId}\r`,
    `aws_secret_access_key = ${Redacted.value(alice.secretAccessKey)}\r`,
    `mfa_serial = ${serial}\r`,
    "username = alice\r",
    "\r",
    "[other-tool]\r",
    "token = abc=def==\r",
    "[home]\r",
    `aws_access_key_id = ${bob.accessKeyId}\r`,
    `aws_secret_access_key = ${Redacted.value(bob.secretAccessKey)}\r`,
    "  # the end",
  ].join("\n")
  fs.writeFileSync(files.credentials, text)
  return { files, text, read: () => fs.readFileSync(files.credentials, "utf8") }
})

describe("list", () => {
  it.effect("shows every profile with a key, from the file alone; --keys adds their ages from IAM", () =>
    Effect.gen(function* () {
      const { files } = yield* setup
      expect((yield* cli(files, ["work", "-t", validCode])).code).toBe(0)
      const out = yield* cli(files, ["list"])
      expect(out.code).toBe(0)
      expect(out.stdout.split("\n")).toEqual([
        "PROFILE  KEY   USERNAME  MFA DEVICE                                 SESSION",
        `work     file  alice     ${serial}  until 2026-12-04T07:00:00Z (12h 0m left)`,
        "home     file  -         - (run init)                               none",
      ])
      const json = JSON.parse((yield* cli(files, ["list", "--keys", "--json"])).stdout)
      expect(json).toEqual([
        {
          profile: "work",
          keyLocation: { store: "file", file: files.credentials, section: "work" },
          username: "alice",
          mfaSerial: serial,
          mfaSerialProblem: null,
          problem: null,
          sessionProfile: "work-sts",
          sessionExpiration: "2026-12-04T07:00:00Z",
          sessionValid: true,
          keyAgeDays: 10,
        },
        {
          profile: "home",
          keyLocation: { store: "file", file: files.credentials, section: "home" },
          username: null,
          mfaSerial: null,
          mfaSerialProblem: null,
          problem: null,
          sessionProfile: "home-sts",
          sessionExpiration: null,
          sessionValid: false,
          keyAgeDays: null,
        },
      ])
      expect((yield* cli(files, ["list", "--keys"])).stdout).toContain("unknown (no username: run init)")
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "a profile that cannot be used is a short cell, the table no wider for it; status and --json say the whole sentence",
    () =>
      Effect.gen(function* () {
        const { files } = yield* setup
        const widths = (stdout: string) => stdout.split("\n").map((line) => line.length)
        const before = yield* cli(files, ["list"])
        fs.appendFileSync(
          files.credentials,
          "\r\n[broken]\r\naws_access_key_id = AKIAEXAMPLEKEY000001\r\naws_session_token = left-from-a-session\r\n" +
            `[phone]\r\naws_access_key_id = AKIAEXAMPLEKEY000002\r\naws_secret_access_key = x\r\nmfa_serial = ${"my-phone ".repeat(20)}\r\n`,
        )
        const status = yield* cli(files, ["broken", "status"])
        expect(status.code).toBe(1)
        const sentence = `${files.credentials} [broken]: aws_secret_access_key is missing. Fix it by hand; nothing was changed.`
        expect(status.stderr).toBe(`aws-iam-login: ${sentence}`)
        expect((yield* cli(files, ["phone", "status"])).stdout).toContain("is invalid (not an MFA device ARN")

        const out = yield* cli(files, ["list"])
        expect(out.code).toBe(0)
        const lines = out.stdout.split("\n")
        expect(lines.slice(3)).toEqual([
          "broken   file  -         invalid (see status)                       none",
          "phone    file  -         invalid mfa_serial (see status)            none",
        ])
        expect(out.stdout).not.toContain("Fix it by hand")
        // The serial of [work] is the widest cell still: the rows are as wide as they were.
        expect(Math.max(...widths(out.stdout))).toBe(Math.max(...widths(before.stdout)))

        const json = JSON.parse((yield* cli(files, ["list", "--json"])).stdout)
        expect(json.find((p: { profile: string }) => p.profile === "broken").problem).toBe(sentence)
      }).pipe(Effect.provide(SimulatedAws)),
  )
})

describe("logout", () => {
  it.effect("removes [work-sts] and leaves every other byte as it was", () =>
    Effect.gen(function* () {
      const { files, text, read } = yield* setup
      expect((yield* cli(files, ["work", "-t", validCode])).code).toBe(0)
      expect(read()).toContain("[work-sts]")
      const out = yield* cli(files, ["work", "logout"])
      expect(out.code).toBe(0)
      expect(out.stdout).toBe("Logged out: [work-sts] is removed; the rest of the file is as it was.")
      expect(read()).toBe(text)
      const again = yield* cli(files, ["logout", "work"])
      expect(again.code).toBe(0)
      expect(again.stdout).toBe("There is no [work-sts]: nothing to remove.")
      expect(read()).toBe(text)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it("removes a section's lines and keeps the comments and spacing around it", () => {
    expect(removeSection("[a]\nk = v\n\n[a-sts]\nx = 1\n\n[b]\ny = 2\n", "a-sts")).toEqual(
      Either.right("[a]\nk = v\n\n[b]\ny = 2\n"),
    )
    expect(removeSection("[a]\nk = v\n[a-sts]\nx = 1\n\n[b]\n", "a-sts")).toEqual(
      Either.right("[a]\nk = v\n\n[b]\n"),
    )
    expect(removeSection("[a-sts]\nx = 1\n; about b\n[b]\ny = 2", "a-sts")).toEqual(
      Either.right("; about b\n[b]\ny = 2"),
    )
    // The AWS CLI refuses a file with a section twice: so does logout.
    expect(Either.isLeft(removeSection("[a-sts]\nx = 1\n[b]\ny = 2\n[a-sts]\nz = 3\n", "a-sts"))).toBe(true)
    expect(removeSection("[b]\ny = 2\n", "a-sts")).toEqual(Either.right("[b]\ny = 2\n"))
  })
})
