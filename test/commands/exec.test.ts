import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Option, TestClock } from "effect"
import * as fc from "effect/FastCheck"
import { aliceAtWork } from "../support/alice.js"
import { cli } from "../support/harness.js"
import { SimulatedAws, validCode } from "../support/SimulatedAws.js"

const setup = Effect.gen(function* () {
  const home = yield* aliceAtWork
  fs.writeFileSync(home.files.config, "[profile work]\nregion = eu-west-1\n")
  return home
})

/** What the command saw: `env` written to a file, as name → value. */
const seenEnv = (file: string) =>
  Object.fromEntries(
    fs
      .readFileSync(file, "utf8")
      .split("\n")
      .filter((line) => line.includes("="))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  )

describe("exec", () => {
  it.effect(
    "logs in, runs the command with the session in its environment and no profile, and exits with its status",
    () =>
      Effect.gen(function* () {
        const { sim, files, read } = yield* setup
        const envFile = path.join(files.dir, "env")
        process.env.AWS_DEFAULT_PROFILE = "someone-else"
        const out = yield* cli(files, [
          "exec",
          "work",
          "-t",
          validCode,
          "--",
          "sh",
          "-c",
          `env > ${envFile}; exit 7`,
        ])
        delete process.env.AWS_DEFAULT_PROFILE
        expect(out.code).toBe(7)
        expect(out.stderr).toBe("Logged in: [work-sts] refreshed.")
        const [id, session] = [...sim.sessions.entries()][0]!
        const env = seenEnv(envFile)
        expect(env.AWS_ACCESS_KEY_ID).toBe(id)
        expect(env.AWS_SECRET_ACCESS_KEY).toBe(session.secret)
        expect(env.AWS_SESSION_TOKEN).toMatch(/\S{8,}/)
        expect(env.AWS_CREDENTIAL_EXPIRATION).toBe("2026-11-24T07:00:00Z")
        expect(env.AWS_REGION).toBe("eu-west-1")
        expect(env).not.toHaveProperty("AWS_PROFILE")
        expect(env).not.toHaveProperty("AWS_DEFAULT_PROFILE")
        expect(read()).toContain("[work-sts]")
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("in the original order, with a valid session: no login, exit 0", () =>
    Effect.gen(function* () {
      const { sim, files } = yield* setup
      expect((yield* cli(files, ["work", "-t", validCode])).code).toBe(0)
      const calls = sim.calls.length
      const out = yield* cli(files, ["work", "exec", "--", "true"])
      expect(out.code).toBe(0)
      expect(out.stderr).toBe("")
      expect(sim.calls.length).toBe(calls)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("an empty command name is a usage error of one sentence, before any login", () =>
    Effect.gen(function* () {
      const { sim, files } = yield* setup
      for (const line of [
        ["exec", "work", "-t", validCode, "--", ""],
        ["work", "exec", "", "ls"],
      ]) {
        const out = yield* cli(files, line)
        expect({ line, code: out.code, stderr: out.stderr }).toEqual({
          line,
          code: 2,
          stderr:
            "The command to run has an empty name: give the program's name first.\n\nRun `aws-iam-login --help` for usage.",
        })
      }
      expect(sim.calls).toEqual([])
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("a command that cannot be run is one sentence and exit 1", () =>
    Effect.gen(function* () {
      const { files } = yield* setup
      const missing = yield* cli(files, ["exec", "work", "-t", validCode, "--", "no-such-command-here"])
      expect(missing.code).toBe(1)
      expect(missing.stderr).toBe(
        "Logged in: [work-sts] refreshed.\naws-iam-login: Could not run no-such-command-here: no such command on PATH.",
      )
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "without a command runs $SHELL, with the profile named in AWS_IAM_LOGIN_PROFILE, for -d's length",
    () =>
      Effect.gen(function* () {
        const { files } = yield* setup
        const envFile = path.join(files.dir, "env")
        const shell = path.join(files.dir, "shell.sh")
        fs.writeFileSync(shell, `#!/bin/sh\nenv > ${envFile}\n`, { mode: 0o755 })
        process.env.SHELL = shell
        const out = yield* cli(files, ["exec", "work", "-t", validCode, "-d", "1h"])
        expect(out.code).toBe(0)
        const env = seenEnv(envFile)
        expect(env.AWS_IAM_LOGIN_PROFILE).toBe("work")
        expect(env.AWS_CREDENTIAL_EXPIRATION).toBe("2026-11-23T20:00:00Z")
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("inside another exec's command is refused with a sentence, before any login", () =>
    Effect.gen(function* () {
      const { sim, files, read } = yield* setup
      const before = read()
      process.env.AWS_IAM_LOGIN_PROFILE = "work"
      const out = yield* cli(files, ["exec", "work", "-t", validCode, "--", "true"])
      delete process.env.AWS_IAM_LOGIN_PROFILE
      expect(out.code).toBe(1)
      expect(out.stderr).toBe(
        "aws-iam-login: Already inside `aws-iam-login exec` for [work] (AWS_IAM_LOGIN_PROFILE is set): exit that shell first, or unset AWS_IAM_LOGIN_PROFILE to run one inside it anyway.",
      )
      expect(sim.calls).toEqual([])
      expect(read()).toBe(before)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  // Words this tool would read as its own anywhere before the command: its flags and their values,
  // its commands, the profile, `--`.
  const ours = fc.constantFrom(
    ...["-t", validCode, "--token", "--token=1", "-d", "1h", "--duration", "--debug", "--profile", "work"],
    ...["--", "-h", "--help", "--version", "--wizard", "--completions", "bash", "-ft", "-f", "--force"],
    ...["status", "exec", "login", "help", "version", "list", "yes", "-", "--log-level", "x=y"],
  )
  const shapes = [
    (command: ReadonlyArray<string>) => ["exec", "work", ...command],
    (command: ReadonlyArray<string>) => ["exec", "work", "--", ...command],
    (command: ReadonlyArray<string>) => ["work", "exec", ...command],
    (command: ReadonlyArray<string>) => ["work", "exec", "--", ...command],
    (command: ReadonlyArray<string>) => ["exec", "--profile", "work", ...command],
  ]

  it.effect.prop(
    "passes the command's arguments on verbatim, whatever words of this tool's they hold, in every shape",
    { words: fc.array(ours, { maxLength: 6 }), shape: fc.integer({ min: 0, max: shapes.length - 1 }) },
    ({ words, shape }) =>
      Effect.gen(function* () {
        const { files } = yield* setup
        expect((yield* cli(files, ["work", "-t", validCode])).code).toBe(0)
        const seen = path.join(files.dir, "argv")
        const command = ["sh", "-c", `for word; do printf '%s\\n' "$word"; done > '${seen}'`, "sh", ...words]
        const line = shapes[shape]!(command)
        const out = yield* cli(files, line)
        expect({ line, code: out.code, stdout: out.stdout }).toEqual({ line, code: 0, stdout: "" })
        expect(fs.readFileSync(seen, "utf8")).toBe(words.map((word) => `${word}\n`).join(""))
      }).pipe(Effect.provide(SimulatedAws)),
    { fastCheck: { numRuns: 40 } },
  )

  it.effect("never reads the MFA code from stdin, which is the command's", () =>
    Effect.gen(function* () {
      const { sim, files, read } = yield* setup
      const before = read()
      const out = yield* cli(files, ["exec", "work", "--", "true"], { input: [validCode] })
      expect(out.code).toBe(1)
      expect(out.stderr).toBe(
        "aws-iam-login: No session in [work-sts] valid for more than 5m: exec leaves stdin to the command, so give the MFA code with --token CODE, or run `aws-iam-login work` first.",
      )
      expect(sim.calls).toEqual([])
      expect(read()).toBe(before)
    }).pipe(Effect.provide(SimulatedAws)),
  )
})

describe("mfa_process", () => {
  const withProcess = (command: string) =>
    Effect.gen(function* () {
      const context = yield* setup
      const script = path.join(context.files.dir, "code.sh")
      fs.writeFileSync(script, `#!/bin/sh\n${command}\n`, { mode: 0o755 })
      fs.appendFileSync(context.files.credentials, `mfa_process = ${script} --single work\n`)
      return context
    })

  it.effect("gives the code when no --token is given, without asking", () =>
    Effect.gen(function* () {
      const { files, read } = yield* withProcess(`[ "$2" = work ] && echo ' ${validCode}'`)
      const out = yield* cli(files, ["work"], { tty: true })
      expect(out.code).toBe(0)
      expect(out.shown).toBe("")
      expect(read()).toContain("[work-sts]")
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("--token still wins", () =>
    Effect.gen(function* () {
      const { files } = yield* withProcess("exit 1")
      expect((yield* cli(files, ["work", "-t", validCode])).code).toBe(0)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("its failure is one sentence, and nothing is written", () =>
    Effect.gen(function* () {
      for (const [command, reason] of [
        ["echo oops >&2; exit 3", "it exited with status 3"],
        ["echo 'no code here'", "it printed no 6-digit code"],
        ["echo 12345", "it printed no 6-digit code"],
      ] as const) {
        const { files, read } = yield* withProcess(command)
        const before = read()
        const out = yield* cli(files, ["work"])
        expect(out.code, command).toBe(1)
        expect(out.stderr, command).toMatch(
          new RegExp(
            `^aws-iam-login: mfa_process \`.*code\\.sh --single work\` failed: ${reason}; fix it in the profile, or pass --token CODE\\.$`,
          ),
        )
        expect(read()).toBe(before)
      }
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("one that does not finish within 30 seconds is ended, and says so", () =>
    Effect.gen(function* () {
      const { files, read } = yield* withProcess("exec sleep 600")
      const before = read()
      const run = yield* Effect.fork(cli(files, ["work"]))
      // The clock is the test's: move it past the deadline until the run has seen it.
      while (Option.isNone(yield* Fiber.poll(run))) {
        yield* TestClock.adjust("31 seconds")
        yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 20)))
      }
      const out = yield* Fiber.join(run)
      expect(out.code).toBe(1)
      expect(out.stderr).toContain("failed: it did not finish within 30 seconds; fix it in the profile")
      expect(read()).toBe(before)
    }).pipe(Effect.provide(SimulatedAws)),
  )
})
