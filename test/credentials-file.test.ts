import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { promisify } from "node:util"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer } from "effect"
import { build } from "esbuild"
import * as CredentialsFileLayer from "../src/layers/CredentialsFile.js"
import { CredentialsFile } from "../src/services/CredentialsFile.js"
import { tempHome } from "./support/harness.js"

const run = promisify(execFile)

const withFile = (credentials: string) =>
  Effect.provide(
    CredentialsFileLayer.layer({ credentials, config: `${credentials}.config` }).pipe(
      Layer.provide(NodeFileSystem.layer),
    ),
  )

const set = (profile: string, values: Record<string, string>) =>
  Effect.flatMap(CredentialsFile, (files) => files.update([{ section: profile, set: values }]))

describe("the credentials file on disk", () => {
  it.live("creates a missing directory 0700 and the file 0600", () =>
    Effect.gen(function* () {
      const { dir } = tempHome()
      const file = path.join(dir, "nested", ".aws", "credentials")
      yield* set("work", { a: "1" }).pipe(withFile(file))
      expect(fs.readFileSync(file, "utf8")).toBe("[work]\na = 1\n")
      expect(fs.statSync(file).mode & 0o777).toBe(0o600)
      expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700)
      expect(fs.readdirSync(path.dirname(file))).toEqual(["credentials"])
    }),
  )

  it.live("tightens a world-readable file to 0600", () =>
    Effect.gen(function* () {
      const { credentials } = tempHome()
      fs.writeFileSync(credentials, "[work]\n", { mode: 0o644 })
      yield* set("work", { a: "1" }).pipe(withFile(credentials))
      expect(fs.statSync(credentials).mode & 0o777).toBe(0o600)
    }),
  )

  it.live("a symlink stays a symlink and its target gets the edit", () =>
    Effect.gen(function* () {
      const { dir, credentials } = tempHome()
      const target = path.join(dir, "dotfiles", "aws-credentials")
      fs.mkdirSync(path.dirname(target))
      fs.writeFileSync(target, "# mine\n[work]\na = 0\n")
      fs.symlinkSync(path.relative(dir, target), credentials)
      yield* set("work", { a: "1" }).pipe(withFile(credentials))
      expect(fs.lstatSync(credentials).isSymbolicLink()).toBe(true)
      expect(fs.readFileSync(target, "utf8")).toBe("# mine\n[work]\na = 1\n")
    }),
  )

  it.live("refuses a value that would corrupt the file and leaves it untouched", () =>
    Effect.gen(function* () {
      const { credentials } = tempHome()
      fs.writeFileSync(credentials, "[work]\na = 0\n")
      const result = yield* set("work", { a: "1\n[evil]" }).pipe(withFile(credentials), Effect.either)
      expect(Either.isLeft(result) && result.left.message).toContain("Refusing to write")
      expect(fs.readFileSync(credentials, "utf8")).toBe("[work]\na = 0\n")
    }),
  )

  it.live("a stale lock left by a killed process is recovered", () =>
    Effect.gen(function* () {
      const { credentials } = tempHome()
      fs.writeFileSync(`${credentials}.lock`, "99999")
      const old = new Date(Date.now() - 60_000)
      fs.utimesSync(`${credentials}.lock`, old, old)
      yield* set("work", { a: "1" }).pipe(withFile(credentials))
      expect(fs.readFileSync(credentials, "utf8")).toBe("[work]\na = 1\n")
      expect(fs.existsSync(`${credentials}.lock`)).toBe(false)
    }),
  )

  it("parallel writers in separate processes lose nothing", async () => {
    const { dir, credentials } = tempHome()
    fs.writeFileSync(credentials, "# shared\n[keep]\nx = 1\n")
    const writer = path.join(dir, "writer.mjs")
    await build({
      entryPoints: [path.join(import.meta.dirname, "support", "writer.ts")],
      outfile: writer,
      bundle: true,
      platform: "node",
      format: "esm",
      logLevel: "error",
    })
    const profiles = ["p1", "p2", "p3", "p4", "p5", "p6"]
    await Promise.all(profiles.map((p) => run(process.execPath, [writer, credentials, p, "8"])))
    const text = fs.readFileSync(credentials, "utf8")
    expect(text.startsWith("# shared\n[keep]\nx = 1\n")).toBe(true)
    for (const p of profiles) {
      expect(text).toContain(
        `[${p}]\n${Array.from({ length: 8 }, (_, i) => `k${i + 1} = v${i + 1}\n`).join("")}`,
      )
    }
  })
})
