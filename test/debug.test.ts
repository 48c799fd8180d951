import * as fs from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Redacted, TestClock } from "effect"
import { vi } from "vitest"
import { cli, tempHome } from "./support/harness.js"
import { SimAws, SimulatedAws, validCode } from "./support/SimulatedAws.js"

/** A user with a device and a key, in a credentials file; no session yet. */
const setup = Effect.gen(function* () {
  yield* TestClock.setTime(Date.parse("2026-11-23T19:00:00Z"))
  const sim = yield* SimAws
  const serial = "arn:aws:iam::123456789012:mfa/alice-phone"
  sim.addUser("alice", { devices: [serial] })
  const key = yield* sim.addKey("alice")
  const files = tempHome()
  fs.writeFileSync(
    files.credentials,
    `[work]\naws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${Redacted.value(key.secretAccessKey)}\nmfa_serial = ${serial}\n`,
  )
  return files
})

/** Runs the command line and returns what it wrote as `[debug]` lines (the logger writes to stderr itself). */
const debugLines = (
  files: ReturnType<typeof tempHome>,
  args: ReadonlyArray<string>,
  env = new Map<string, string>(),
) =>
  Effect.gen(function* () {
    const lines: Array<string> = []
    const write = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      lines.push(String(chunk))
      return true
    })
    const out = yield* cli(files, args).pipe(
      Effect.withConfigProvider(ConfigProvider.fromMap(env)),
      Effect.ensuring(Effect.sync(() => write.mockRestore())),
    )
    expect(out.code, args.join(" ")).toBe(0)
    return lines.filter((line) => line.startsWith("[debug] "))
  })

describe("--debug", () => {
  it.effect("anywhere before `--`, once or twice, or AWS_IAM_LOGIN_DEBUG=1, logs each step on stderr", () =>
    Effect.gen(function* () {
      const files = yield* setup
      const login = yield* debugLines(files, ["work", "--debug", "-t", validCode])
      expect(login).toContain("[debug] no session in [work-sts] valid past the margin: logging in\n")
      for (const args of [
        ["--debug", "work", "status", "--debug"],
        ["status", "--debug", "work"],
        ["work", "status", "--json", "--debug"],
      ])
        expect((yield* debugLines(files, args)).length, args.join(" ")).toBeGreaterThan(0)
      expect(yield* debugLines(files, ["work", "status"])).toEqual([])
      const fromEnv = yield* debugLines(files, ["work"], new Map([["AWS_IAM_LOGIN_DEBUG", "1"]]))
      expect(fromEnv.join("")).toMatch(
        /^\[debug\] session in \[work-sts\] valid until \S+: reused, no AWS call$/m,
      )
      expect(yield* debugLines(files, ["work"], new Map([["AWS_IAM_LOGIN_DEBUG", "yes please"]]))).toEqual([])
    }).pipe(Effect.provide(SimulatedAws)),
  )
})
