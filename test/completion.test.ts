import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { candidates, commandsMarker } from "../src/cli/completion.js"
import { commandFlags } from "../src/cli/tree.js"
import { cli, SimulatedAws, tempHome } from "./support/harness.js"

const complete = (...words: ReadonlyArray<string>) =>
  candidates(words.length, ["aws-iam-login", ...words], ["work", "personal"], commandFlags)

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
    expect(complete("")).toEqual([
      "work",
      "personal",
      "login",
      "init",
      "rotate",
      "status",
      "export",
      "exec",
      "list",
      "logout",
      "key",
      "doctor",
    ])
    expect(complete("status", "")).toEqual(["work", "personal"])
    expect(complete("list", "")).toEqual([])
    expect(complete("--profile", "")).toEqual(["work", "personal"])
    expect(complete("status", "--profile", "p")).toEqual(["personal"])
    expect(complete("work", "l")).toEqual(["login", "logout"])
    expect(complete("-t", "123456", "p")).toEqual(["personal"])
    expect(complete("work", "-d", "1h", "ro")).toEqual(["rotate"])
  })
})

describe("completion after exec's profile", () => {
  it("leaves the command's name to the shell, with or without --, and its arguments too", () => {
    for (const words of [
      ["exec", "work", ""],
      ["exec", "work", "a"],
      ["work", "exec", "-t", "123456", ""],
      ["exec", "work", "--", ""],
      ["exec", "--profile", "work", "aw"],
    ])
      expect(complete(...words), words.join(" ")).toEqual([commandsMarker])
    expect(complete("exec", "work", "aws", "s3")).toEqual([])
    expect(complete("exec", "work", "--", "aws", "")).toEqual([])
    expect(complete("exec", "work", "--t")).toEqual(["--token"])
  })
})

describe("a mistyped flag or command", () => {
  it.effect("is reported once by @effect/cli, with the one it was meant to be; exit 2", () =>
    Effect.gen(function* () {
      const files = tempHome()
      for (const [args, says] of [
        [["work", "--forse"], "The flag '--forse' is not recognized. Did you mean '--force'?"],
        [["work", "status", "--jsno"], "Did you mean '--json'?"],
        [["work", "stauts"], "Unknown command 'stauts'. Did you mean 'status'?"],
        [["work", "--no-such-flag"], "--no-such-flag"],
        [["work", "extra"], "Received unknown argument: 'extra'"],
      ] as const) {
        const out = yield* cli(files, args)
        expect(out.code, args.join(" ")).toBe(2)
        expect(out.stderr, args.join(" ")).toContain(says)
        expect(out.stderr.split(says)).toHaveLength(2)
        expect(out.stderr).toContain("Run `aws-iam-login --help` for usage.")
        expect(out.stdout).toBe("")
      }
    }).pipe(Effect.provide(SimulatedAws)),
  )
})
