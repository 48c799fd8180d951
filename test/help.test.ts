import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Span from "@effect/cli/HelpDoc/Span"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import fc from "fast-check"
import pkg from "../package.json" with { type: "json" }
import { renderHelp } from "../src/cli/render.js"
import { cli, SimulatedAws, tempHome } from "./support/harness.js"

describe("--help", () => {
  it.effect(
    "every command's page has its usage, descriptions and examples, and none of the boilerplate",
    () =>
      Effect.gen(function* () {
        const files = tempHome()
        const pages = [
          [["--help"], "COMMANDS"],
          [["-h"], "COMMANDS"],
          [["help"], "COMMANDS"],
          [["work", "--help"], "--token"],
          [["login", "--help"], "--duration"],
          [["init", "--help"], "--yes"],
          [["work", "rotate", "-h"], "--dry-run"],
          [["help", "status"], "--json"],
          [["work", "export", "--help"], "--format"],
          [["exec", "--help"], "<command>"],
          [["list", "--help"], "--keys"],
          [["logout", "--help"], "<profile>"],
          [["work", "-t", "123456", "--help"], "--token"],
        ] as const
        for (const [args, mentions] of pages) {
          const out = yield* cli(files, args)
          const page = out.stdout
          expect(out.code, args.join(" ")).toBe(0)
          expect(page, args.join(" ")).toContain("\x1b[0;1mUSAGE\x1b[0m\n\n$ aws-iam-login ")
          expect(page, args.join(" ")).toContain("\x1b[0;1mEXAMPLES\x1b[0m")
          expect(page, args.join(" ")).toContain(mentions)
          for (const boilerplate of [
            "A user-defined piece of text.",
            "This setting is optional.",
            "--wizard",
            "--log-level",
          ])
            expect(page, args.join(" ")).not.toContain(boilerplate)
        }
        const status = (yield* cli(files, ["status", "--help"])).stdout
        expect(status).toContain("$ aws-iam-login <profile> status [options]")
        expect(status).toContain("$ aws-iam-login status [--json] <profile>")
        expect(status).toContain("Print the status as JSON")
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("--wizard is refused with one sentence, not started", () =>
    Effect.gen(function* () {
      const out = yield* cli(tempHome(), ["--wizard"], { tty: true })
      expect(out.code).toBe(2)
      expect(out.stderr).toContain("has no --wizard")
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("--version prints the version and nothing else", () =>
    Effect.gen(function* () {
      const files = tempHome()
      for (const args of [["--version"], ["version"], ["work", "--version"]]) {
        const out = yield* cli(files, args)
        expect(out.code).toBe(0)
        expect(out.stdout).toBe(pkg.version)
      }
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it("renders any help document exactly as HelpDoc.toAnsiText does", () => {
    // Lengths around the page's 80 columns decide whether a term and an empty description share a line.
    const words = fc.oneof(
      fc.stringMatching(/^[a-z <>\n[\]().-]{0,20}$/),
      fc.integer({ min: 70, max: 84 }).map((n) => "x".repeat(n)),
    )
    const { span } = fc.letrec<{ span: Span.Span }>((tie) => ({
      span: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        words.map(Span.text),
        tie("span").map(Span.code),
        tie("span").map(Span.error),
        tie("span").map(Span.weak),
        tie("span").map(Span.strong),
        words.map(Span.uri),
        fc.tuple(tie("span"), tie("span")).map(([a, b]) => Span.concat(a, b)),
      ),
    }))
    const { doc } = fc.letrec<{ doc: HelpDoc.HelpDoc }>((tie) => ({
      doc: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        fc.constant(HelpDoc.empty),
        span.map(HelpDoc.h1),
        span.map(HelpDoc.p),
        fc
          .array(fc.tuple(span, tie("doc")), { minLength: 1, maxLength: 3 })
          .map((items) => HelpDoc.descriptionList(items as [[Span.Span, HelpDoc.HelpDoc]])),
        fc
          .array(tie("doc"), { minLength: 1, maxLength: 3 })
          .map((items) => HelpDoc.enumeration(items as [HelpDoc.HelpDoc])),
        fc.tuple(tie("doc"), tie("doc")).map(([a, b]) => HelpDoc.sequence(a, b)),
      ),
    }))
    fc.assert(
      fc.property(doc, (d) => renderHelp(d) === HelpDoc.toAnsiText(d)),
      { numRuns: 3000 },
    )
  })
})
