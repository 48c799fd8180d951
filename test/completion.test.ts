import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { command } from "../src/Cli.js"
import { candidates } from "../src/commands/completion.js"
import { flagsOf } from "../src/commands/flags.js"
import { cli, SimulatedAws, tempHome } from "./support/harness.js"

const complete = (...words: ReadonlyArray<string>) =>
  candidates(words.length, ["aws-iam-login", ...words], ["work", "personal"], flagsOf(command.descriptor))

describe("completion candidates, read from the command definitions", () => {
  it("offers each command's own flags", () => {
    expect(complete("work", "--")).toEqual([
      "--token",
      "--duration",
      "--force",
      "--help",
      "--version",
      "--completions",
    ])
    expect(complete("work", "rotate", "--")).toEqual(["--dry-run", "--yes", "--mfa", "--help"])
    expect(complete("status", "work", "--j")).toEqual(["--json"])
  })

  it("offers a flag's values, and nothing for free text", () => {
    expect(complete("work", "export", "--format", "")).toEqual([
      "credential-process",
      "env",
      "fish",
      "powershell",
      "json",
    ])
    expect(complete("work", "-d", "")).toEqual(["15m", "1h", "12h", "36h"])
    expect(complete("work", "-t", "")).toEqual([])
    expect(complete("--completions", "")).toEqual(["bash", "zsh", "fish", "sh"])
  })

  it("offers profiles and subcommands in their places, past flags and their values", () => {
    expect(complete("")).toEqual(["work", "personal", "init", "rotate", "status", "export"])
    expect(complete("-t", "123456", "p")).toEqual(["personal"])
    expect(complete("work", "-d", "1h", "ro")).toEqual(["rotate"])
  })
})

describe("an unknown flag", () => {
  it.effect("after the profile is named as such, not taken for a subcommand; exit 2", () =>
    Effect.gen(function* () {
      const files = tempHome()
      for (const args of [["work", "--forse"], ["--no-such-flag"], ["work", "-t", "123456", "-x"]]) {
        const out = yield* cli(files, args)
        expect(out.code).toBe(2)
        expect(out.stderr).toBe(
          `Received unknown argument: '${args.at(-1)}'\n\nRun \`aws-iam-login --help\` for usage.`,
        )
        expect(out.stdout).toBe("")
      }
    }).pipe(Effect.provide(SimulatedAws)),
  )
})
