import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Redacted, TestClock } from "effect"
import { cli, tempHome } from "./support/harness.js"
import { SimAws, SimulatedAws, validCode } from "./support/SimulatedAws.js"

const readme = fs.readFileSync(path.join(import.meta.dirname, "..", "README.md"), "utf8")

/** Every `aws-iam-login …` command line the README shows, as written (placeholders and all). */
const commandLines = (): ReadonlyArray<{ readonly line: string; readonly template: boolean }> => {
  const found: Array<{ line: string; template: boolean }> = []
  const at = (text: string) => /(?:^|\s)((?:[A-Z_]+=\S+ )?aws-iam-login (?:.*))$/.exec(text)?.[1]
  let fence: string | undefined
  for (const raw of readme.split("\n")) {
    if (raw.startsWith("```")) {
      fence = fence === undefined ? raw.slice(3) : undefined
      continue
    }
    if (fence === undefined) {
      for (const [, code] of raw.matchAll(/`((?:[A-Z_]+=\S+ )?aws-iam-login [^`]+)`/g))
        found.push({ line: code!, template: false })
    } else if (fence === "") {
      // The Commands block: a template, then two or more spaces and what it does.
      const line = at(raw.split(/ {2,}/)[0]!)
      if (line !== undefined) found.push({ line, template: true })
    } else {
      const line = at(raw.split(/ #|\)| \| /)[0]!.trimEnd())
      if (line !== undefined) found.push({ line, template: false })
    }
  }
  return found
}

/** The concrete lines a template stands for: each alternative of `a | b`, `x|y`, and `[…]` left out or in. */
const expand = (template: string): ReadonlyArray<string> => {
  if (template.includes(" | ")) {
    const [head, ...alternatives] = template.split(" | ")
    const command = head!.split(" ")[0]!
    return [head!, ...alternatives.map((a) => `${command} ${a}`)].flatMap(expand)
  }
  const parts = template.match(/\[[^\]]*\]|\S+/g) ?? []
  return parts.reduce<ReadonlyArray<string>>(
    (lines, part) => {
      const optional = part.startsWith("[")
      const words = optional ? part.slice(1, -1).split(" ") : [part]
      const choices = words.reduce<ReadonlyArray<string>>(
        (so, word) => so.flatMap((start) => word.split("|").map((w) => `${start} ${w}`.trim())),
        [""],
      )
      const variants = [...(optional ? [""] : []), ...choices]
      return lines.flatMap((line) => variants.map((v) => (v === "" ? line : `${line} ${v}`.trim())))
    },
    [""],
  )
}

const concrete = (line: string) =>
  line
    .replaceAll("<profile>", "work")
    .replaceAll("my-profile", "work")
    .replaceAll("CODE", validCode)
    .replaceAll("CMD ARGS...", "true")
    .replace("[command]", "status")

const serial = "arn:aws:iam::123456789012:mfa/phone"

describe("the README", () => {
  const lines = [
    ...new Set(
      commandLines().flatMap(({ line, template }) => (template ? expand(concrete(line)) : [concrete(line)])),
    ),
  ]

  it("shows every command, in the original order and the new", () => {
    expect(lines.length).toBeGreaterThan(60)
    for (const expected of [
      "aws-iam-login work init",
      "aws-iam-login work rotate --dry-run --yes --mfa",
      "aws-iam-login exec work -t 123456 -- true",
      "aws-iam-login list --keys --json",
      "aws-iam-login logout work",
      "aws-iam-login --completions zsh",
      "aws-iam-login init work",
    ])
      expect(lines).toContain(expected)
  })

  it.effect("every command line in it runs as it says: none is a usage error", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.parse("2026-11-23T19:00:00Z"))
      const sim = yield* SimAws
      let n = 0
      for (const line of lines) {
        const user = `user${n++}`
        sim.addUser(user, { devices: [serial] })
        const key = yield* sim.addKey(user)
        const files = tempHome()
        fs.writeFileSync(
          files.credentials,
          `[work]\naws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${Redacted.value(key.secretAccessKey)}\nusername = ${user}\nmfa_serial = ${serial}\n`,
          { mode: 0o600 },
        )
        const [env, args] = line.startsWith("AWS_PROFILE=")
          ? [line.slice("AWS_PROFILE=".length).split(" ")[0]!, line.split(" ").slice(2)]
          : [undefined, line.split(" ").slice(1)]
        const provider = ConfigProvider.fromMap(new Map(env === undefined ? [] : [["AWS_PROFILE", env]]))
        const out = yield* cli(files, args, { input: [validCode] }).pipe(Effect.withConfigProvider(provider))
        if (line.includes("--forse")) {
          expect(out.code, line).toBe(2)
          expect(out.stderr, line).toContain("Did you mean '--force'?")
          continue
        }
        // Off a terminal, as the README says, rotate refuses without --yes, export without a
        // session, and exec without a code that is not on stdin; init --store wants a profile
        // without a key; everything else succeeds.
        const refused =
          (line.includes(" rotate") && !line.includes("--yes") && !line.includes("--dry-run")) ||
          / init .*--store/.test(line) ||
          / export\b/.test(line) ||
          (/ exec\b/.test(line) && !line.includes(validCode))
        expect({ line, code: out.code, stderr: out.stderr }).toEqual({
          line,
          code: refused ? 1 : 0,
          stderr: refused
            ? expect.stringMatching(
                /pass --yes|in a terminal first|exec leaves stdin to the command|already has a key/,
              )
            : expect.not.stringContaining("Run `aws-iam-login --help`"),
        })
      }
    }).pipe(Effect.provide(SimulatedAws)),
  )
})
