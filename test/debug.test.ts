import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import { vi } from "vitest"
import { aliceAtWork } from "./support/alice.js"
import { cli, type tempHome } from "./support/harness.js"
import { SimulatedAws, validCode } from "./support/SimulatedAws.js"

const setup = Effect.map(aliceAtWork, (home) => home.files)

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

  it.effect(
    "a login reads each file once before its lock and once under it, and the credentials file again only to write",
    () =>
      Effect.gen(function* () {
        const files = yield* setup
        const reads = (lines: ReadonlyArray<string>, file: string) =>
          lines.filter((line) => line.startsWith(`[debug] read ${file}:`)).length
        const login = yield* debugLines(files, ["work", "--debug", "-t", validCode])
        expect(reads(login, files.credentials)).toBe(3)
        expect(reads(login, files.config)).toBe(2)
        const status = yield* debugLines(files, ["work", "status", "--debug"])
        expect(reads(status, files.credentials)).toBe(1)
        expect(reads(status, files.config)).toBe(1)
      }).pipe(Effect.provide(SimulatedAws)),
  )
})
