import * as fs from "node:fs"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer, Option, Redacted } from "effect"
import * as CredentialsFileLayer from "../src/layers/CredentialsFile.js"
import { CredentialsFile } from "../src/services/CredentialsFile.js"
import { cli, tempHome } from "./support/harness.js"
import { SimAws, SimulatedAws, validCode } from "./support/SimulatedAws.js"

const withFiles = (files: CredentialsFileLayer.Paths) =>
  Effect.provide(CredentialsFileLayer.layer(files).pipe(Layer.provide(NodeFileSystem.layer)))

const messageOf = <A, E extends { readonly message: string }, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.either(effect), (r) => (Either.isLeft(r) ? r.left.message : "succeeded"))

const read = Effect.flatMap(CredentialsFile, (f) => f.read)
const update = (section: string, set: Record<string, string>) =>
  Effect.flatMap(CredentialsFile, (f) => f.update([{ section, set }]))
const region = (profile: string) =>
  Effect.flatMap(CredentialsFile, (f) => Effect.flatMap(f.read, (file) => f.region(profile, file)))

describe("the credentials file as the tool reads it from disk", () => {
  it.live("a file the AWS CLI refuses is refused with its path and line, and never written", () => {
    const files = tempHome()
    const text = "[work]\naws_access_key_id = A\n[work]\nregion = eu\n"
    fs.writeFileSync(files.credentials, text)
    return Effect.gen(function* () {
      expect(yield* messageOf(read)).toBe(
        `Could not read ${files.credentials}: line 3: [work] appears a second time (first on line 1), so the AWS CLI refuses the whole file; fix it by hand.`,
      )
      expect(yield* messageOf(update("work-sts", { a: "1" }))).toMatch(
        /line 3: \[work\] appears a second time/,
      )
      expect(fs.readFileSync(files.credentials, "utf8")).toBe(text)
    }).pipe(withFiles(files))
  })

  it.live("a byte that is not UTF-8 is refused, naming its line, and the file keeps every byte", () => {
    const files = tempHome()
    const bytes = Uint8Array.from("[work]\r\n# caf\xe9\r\nk = 1\r\n", (c) => c.charCodeAt(0))
    fs.writeFileSync(files.credentials, bytes)
    return Effect.gen(function* () {
      expect(yield* messageOf(read)).toContain("line 2: byte 0xe9 is not UTF-8")
      expect(yield* messageOf(update("work", { k: "2" }))).toContain("line 2: byte 0xe9 is not UTF-8")
      expect(new Uint8Array(fs.readFileSync(files.credentials))).toEqual(bytes)
    }).pipe(withFiles(files))
  })

  it.live(
    "an edit keeps every other byte of a UTF-8 file: accents, a U+FFFD, CR-only lines, no final newline",
    () => {
      const files = tempHome()
      fs.writeFileSync(files.credentials, "# ünïcødé \ufffd\r[work]\rk = 1\r[ü]\rx = ✓")
      return Effect.gen(function* () {
        yield* update("work", { k: "2" })
        expect(fs.readFileSync(files.credentials, "utf8")).toBe("# ünïcødé \ufffd\r[work]\rk = 2\r[ü]\rx = ✓")
      }).pipe(withFiles(files))
    },
  )

  it.live("a path that is a directory gets one clear sentence", () => {
    const files = tempHome()
    fs.mkdirSync(files.credentials)
    return Effect.gen(function* () {
      expect(yield* messageOf(read)).toBe(
        `Could not read ${files.credentials}: it is a directory, not a regular file: point AWS_SHARED_CREDENTIALS_FILE at a regular file.`,
      )
    }).pipe(withFiles(files))
  })

  it.live(
    "the region comes from the credentials file's profile over the config file's, as botocore merges them",
    () => {
      const files = tempHome()
      fs.writeFileSync(files.credentials, "[work]\nregion = eu-west-3\n[other]\nk = 1\n")
      fs.writeFileSync(
        files.config,
        '[profile work]\nregion = us-west-1\n[profile "other"]\nregion = ap-south-1\n',
      )
      return Effect.gen(function* () {
        yield* Effect.gen(function* () {
          expect(yield* region("work")).toEqual(Option.some("eu-west-3"))
          expect(yield* region("other")).toEqual(Option.some("ap-south-1"))
        }).pipe(withFiles(files))
        fs.writeFileSync(files.config, "[profile work]\nregion = a\nregion = b\n")
        // The next run reads the file again (one run reads each file once).
        expect(yield* messageOf(region("other")).pipe(withFiles(files))).toContain(
          `${files.config}: line 3: duplicate key region`,
        )
      })
    },
  )
})

describe("commands on files the AWS CLI reads otherwise than their plain text", () => {
  const setup = (template: (id: string, secret: string) => string) =>
    Effect.gen(function* () {
      const sim = yield* SimAws
      sim.addUser("alice", { devices: ["arn:aws:iam::123456789012:mfa/alice"] })
      const key = yield* sim.addKey("alice")
      const files = tempHome()
      const text = template(key.accessKeyId, Redacted.value(key.secretAccessKey))
      fs.writeFileSync(files.credentials, text)
      return { files, text, key }
    })

  it.effect("an indented secret is refused with its line, and init writes nothing", () =>
    Effect.gen(function* () {
      const { files, text } = yield* setup(
        (id, secret) => `[work]\naws_access_key_id = ${id}\n  aws_secret_access_key = ${secret}\n`,
      )
      const result = yield* cli(files, ["work", "init"])
      expect(result.code).not.toBe(0)
      expect(result.stderr).toContain(
        `${files.credentials}, line 2 [work]: aws_access_key_id continues on line 3`,
      )
      expect(fs.readFileSync(files.credentials, "utf8")).toBe(text)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("a secret indented under another key is named where it hides", () =>
    Effect.gen(function* () {
      const { files } = yield* setup(
        (id, secret) =>
          `[work]\naws_access_key_id = ${id}\nregion = eu-west-1\n  aws_secret_access_key = ${secret}\n`,
      )
      const result = yield* cli(files, ["work", "status"])
      expect(result.stderr).toContain(
        "line 3 [work]: aws_secret_access_key is missing: it is indented under region, so the AWS CLI reads it as part of that value",
      )
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("a quoted or commented needed value is refused with its line", () =>
    Effect.gen(function* () {
      const { files } = yield* setup(
        (id, secret) =>
          `[work]\naws_access_key_id = ${id}\naws_secret_access_key = ${secret}\nmfa_serial = arn:aws:iam::123456789012:mfa/alice ; phone\n`,
      )
      const result = yield* cli(files, ["work", "-t", validCode])
      expect(result.stderr).toContain('line 4 [work]: mfa_serial holds ";"')
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("a session token that continues on the next line stops login before it asks for a code", () =>
    Effect.gen(function* () {
      const { files, text } = yield* setup(
        (id, secret) =>
          `[work]\naws_access_key_id = ${id}\naws_secret_access_key = ${secret}\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n[work-sts]\naws_access_key_id = ASIAOLD0000000000000\naws_secret_access_key = s\naws_session_token = abc\n  def\nexpiration = 2000-01-01T00:00:00Z\n`,
      )
      const result = yield* cli(files, ["work", "-t", validCode])
      expect(result.stderr).toContain("line 8 [work-sts]: aws_session_token continues on line 9")
      expect(fs.readFileSync(files.credentials, "utf8")).toBe(text)
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("[work] # team is a header: status shows work's own key, not the profile above", () =>
    Effect.gen(function* () {
      const { files, key } = yield* setup(
        (id, secret) =>
          `[default]\naws_access_key_id = AKIAOTHER00000000000\naws_secret_access_key = x\n[work] # team\naws_access_key_id : ${id}\naws_secret_access_key : ${secret}\n`,
      )
      const json = JSON.parse((yield* cli(files, ["work", "status", "--json"])).stdout)
      expect(json.accessKeyIdMasked).toBe(`${key.accessKeyId.slice(0, 4)}…${key.accessKeyId.slice(-4)}`)
    }).pipe(Effect.provide(SimulatedAws)),
  )
})
