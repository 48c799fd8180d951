import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Span from "@effect/cli/HelpDoc/Span"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import fc from "fast-check"
import pkg from "../package.json" with { type: "json" }
import { normalizeArgs, run } from "../src/Cli.js"
import { renderHelp } from "../src/Help.js"
import { capture, cli, SimulatedAws, tempHome } from "./support/harness.js"

describe("--help", () => {
  it.effect("prints for every command the page @effect/cli prints, colours included", () =>
    Effect.gen(function* () {
      const files = tempHome()
      const asked = [
        ["--help"],
        ["-h"],
        ["work", "--help"],
        ["init", "--help"],
        ["work", "rotate", "-h"],
        ["status", "--help"],
        ["work", "export", "--help"],
        ["work", "-t", "123456", "--help"],
      ]
      for (const args of asked) {
        const ours = yield* cli(files, args)
        const theirs = yield* capture(
          files,
          Effect.as(run(["node", "aws-iam-login", ...normalizeArgs(args)]), 0),
        )
        expect(ours.code, args.join(" ")).toBe(0)
        expect(ours.stdout, args.join(" ")).toBe(theirs.stdout)
        expect(ours.stdout).toContain("\x1b[0;1mUSAGE\x1b[0m\n\n$ ")
      }
      expect((yield* cli(files, ["status", "--help"])).stdout).toContain("--json")
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("--version prints the version and nothing else", () =>
    Effect.gen(function* () {
      const files = tempHome()
      for (const args of [["--version"], ["work", "--version"]]) {
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
