import * as fs from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { AccessDenied } from "../../src/schema/AwsErrors.js"
import { writtenMeanwhile } from "../support/alice.js"
import { cli, tempHome } from "../support/harness.js"
import { SimAws, SimulatedAws } from "../support/SimulatedAws.js"

const header = "# my keys\n[other]\naws_access_key_id = AKIAOTHER00000000000\n\n"

/** A user with the given devices and a file whose [work] holds the user's key. */
const setup = (options: { path?: string; devices?: ReadonlyArray<string>; partition?: string } = {}) =>
  Effect.gen(function* () {
    const sim = yield* SimAws
    const user = sim.addUser("alice", options)
    const key = yield* sim.addKey("alice")
    const files = tempHome()
    fs.writeFileSync(
      files.credentials,
      `${header}[work]\naws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${Redacted.value(key.secretAccessKey)}\n`,
    )
    return { sim, user, files, read: () => fs.readFileSync(files.credentials, "utf8") }
  })

const stored = (text: string) => ({
  username: /username = (.*)/.exec(text)?.[1],
  mfa_serial: /mfa_serial = (.*)/.exec(text)?.[1],
})

describe("init", () => {
  it.effect("stores username and the real device of a user with a path", () =>
    Effect.gen(function* () {
      const device = "arn:aws:iam::123456789012:mfa/yubi-otp-7"
      const { files, read } = yield* setup({ path: "/eng/team/", devices: [device] })
      const out = yield* cli(files, ["work", "init"])
      expect(out.code).toBe(0)
      expect(stored(read())).toEqual({ username: "alice", mfa_serial: device })
      expect(read().startsWith(header)).toBe(true)
      expect(out.stdout).toContain("Next: aws-iam-login work")
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("accepts the profile after the subcommand, and other partitions", () =>
    Effect.gen(function* () {
      const device = "arn:aws-cn:iam::123456789012:mfa/alice"
      const { files, read } = yield* setup({ partition: "aws-cn", devices: [device] })
      expect((yield* cli(files, ["init", "work"])).code).toBe(0)
      expect(stored(read()).mfa_serial).toBe(device)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("asks which device when there are several, or takes the first with --yes", () =>
    Effect.gen(function* () {
      const devices = ["arn:aws:iam::123456789012:mfa/a", "arn:aws:iam::123456789012:mfa/b"]
      const { files, read } = yield* setup({ devices })
      const asked = yield* cli(files, ["work", "init"], { tty: true, input: ["3", "2"] })
      expect(asked.code).toBe(0)
      expect(asked.shown).toContain("  2. arn:aws:iam::123456789012:mfa/b")
      expect(asked.shown).toContain("Answer with a number from 1 to 2.")
      expect(stored(read()).mfa_serial).toBe(devices[1])
      expect((yield* cli(files, ["work", "init", "--force", "--yes"])).code).toBe(0)
      expect(stored(read()).mfa_serial).toBe(devices[0])
      const piped = yield* cli(files, ["work", "init", "--force"])
      expect(piped.code).toBe(1)
      expect(piped.stderr).toContain("pass --yes to take the first")
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("derives the serial when ListMFADevices is denied, and says so", () =>
    Effect.gen(function* () {
      const { sim, files, read } = yield* setup({ devices: ["arn:aws:iam::123456789012:mfa/alice"] })
      sim.deny("alice", "iam:ListMFADevices")
      const out = yield* cli(files, ["work", "init"])
      expect(out.code).toBe(0)
      expect(out.stderr).toContain("mfa_serial was derived")
      expect(stored(read()).mfa_serial).toBe("arn:aws:iam::123456789012:mfa/alice")
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("a user without a usable device is told to enable MFA, and nothing is written", () =>
    Effect.gen(function* () {
      const { files, read } = yield* setup({ devices: ["arn:aws:iam::123456789012:u2f/user/alice/key"] })
      const before = read()
      const out = yield* cli(files, ["work", "init"])
      expect(out.code).toBe(1)
      expect(out.stderr).toContain("has no MFA device")
      expect(read()).toBe(before)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("already initialised: says so without a call; --force reads again", () =>
    Effect.gen(function* () {
      const { sim, files } = yield* setup({ devices: ["arn:aws:iam::123456789012:mfa/alice"] })
      yield* cli(files, ["work", "init"])
      const calls = sim.calls.length
      const again = yield* cli(files, ["work", "init"])
      expect(again.stdout).toContain("already initialised")
      expect(sim.calls.length).toBe(calls)
      yield* cli(files, ["work", "init", "--force"])
      expect(sim.calls.length).toBeGreaterThan(calls)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("refuses root and role ARNs with the reason", () =>
    Effect.gen(function* () {
      const { sim, user, files } = yield* setup({ devices: [] })
      for (const [arn, kind] of [
        ["arn:aws:iam::123456789012:root", "the account's root user"],
        ["arn:aws:sts::123456789012:assumed-role/admin/alice", "an assumed role"],
        ["arn:aws:sts::123456789012:federated-user/bob", "a federated user"],
      ] as const) {
        sim.users.set("alice", { ...user, arn })
        const out = yield* cli(files, ["work", "init"])
        expect(out.code).toBe(1)
        expect(out.stderr).toContain(`The keys belong to ${kind} (${arn}), not an IAM user`)
      }
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("an AWS failure is one sentence", () =>
    Effect.gen(function* () {
      const { sim, files } = yield* setup({ devices: ["arn:aws:iam::123456789012:mfa/alice"] })
      sim.failOn("sts:GetCallerIdentity", (call) => new AccessDenied({ ...call, detail: "nope" }))
      const out = yield* cli(files, ["work", "init"])
      expect(out.code).toBe(1)
      expect(out.stderr.split("\n")).toHaveLength(1)
      expect(out.stderr).toContain("AWS denied sts:GetCallerIdentity")
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "a change written into [work] while init asks AWS (another key, an mfa_serial) is kept: init writes nothing and says the file changed",
    () =>
      Effect.gen(function* () {
        const { sim, files, read } = yield* setup({ devices: ["arn:aws:iam::123456789012:mfa/alice"] })
        const original = read()
        for (const [planted, says] of [
          [
            original.replace(/(\[work\]\naws_access_key_id = )\S+/, "$1AKIAOTHERKEY00000000"),
            "[work] no longer holds the aws_access_key_id it held",
          ],
          [
            `${original}mfa_serial = arn:aws:iam::123456789012:mfa/chosen\n`,
            "[work] now holds mfa_serial, which it did not hold",
          ],
        ] as const) {
          fs.writeFileSync(files.credentials, original)
          sim.paused = undefined
          // Another program (aws configure, an editor, a rotation) writes [work] meanwhile.
          const out = yield* writtenMeanwhile(
            { sim, files },
            ["work", "init"],
            "sts:GetCallerIdentity",
            planted,
          )
          expect(out.code).toBe(1)
          expect(out.stderr).toBe(
            `aws-iam-login: Refusing to write ${files.credentials}: ${says} (the file changed meanwhile).`,
          )
          expect(read()).toBe(planted)
        }
      }).pipe(Effect.provide(SimulatedAws)),
  )
})
