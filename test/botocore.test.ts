import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import fc from "fast-check"
import {
  applyEdits,
  configProfile,
  decode,
  type Edit,
  pythonLower,
  read,
  removeSection,
} from "../src/schema/Ini.js"
import { available, type Botocore, type Reading, startBotocore } from "./support/botocore.js"

/** What this tool reads, in the shape botocore's answer has. */
const ours = (bytes: Uint8Array): { readonly ok: Record<string, unknown> } | { readonly refused: number } => {
  const text = decode(bytes)
  if (Either.isLeft(text)) return { refused: text.left.line }
  const sections = read(text.right)
  if (Either.isLeft(sections)) return { refused: sections.left.line }
  return {
    ok: Object.fromEntries(
      [...sections.right].map(([name, s]) => [
        name,
        Object.fromEntries([...s.keys].map(([k, v]) => [k, v.nested ?? v.value])),
      ]),
    ),
  }
}

const bytesOf = (file: string | Uint8Array) =>
  typeof file === "string" ? new TextEncoder().encode(file) : file

/** Same profiles and values, or a refusal exactly where botocore raises. */
const agree = (botocore: Reading, bytes: Uint8Array) => {
  const mine = ours(bytes)
  if ("ok" in botocore) {
    expect(mine).toEqual({ ok: botocore.ok })
  } else {
    expect(mine).toHaveProperty("refused")
    // botocore names no line for a nested block without "=" or a decoding error; for the others it does.
    if (botocore.line !== null) expect(mine).toEqual({ refused: botocore.line })
  }
}

const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0))

/** Real-world and hostile files: every shape in issue 12, and the corners of configparser's rules. */
const corpus: ReadonlyArray<readonly [string, string | Uint8Array]> = [
  ["text after the ]", "[default]\naws_access_key_id = A1\n[work] # team\naws_access_key_id = W1\n"],
  ["a ] inside the name, greedy to the last ]", "[a] b]\nk = 1\n[[x]]\nk = 2\n"],
  ["the : separator", "[work]\naws_access_key_id : AKIA1\nmfa_serial: arn:aws:iam::123456789012:mfa/me\n"],
  ["the first of = and : separates", "[p]\nurl = http://x:1/\nk:v=w\n"],
  ["a comment after a session header", "[p]\nk = 1\n[p-sts] ; note\naws_access_key_id = S\n"],
  ["a latin-1 comment", latin1("[p]\n# caf\xe9\nk = 1\n")],
  ["a latin-1 byte in a large file", latin1(`${"[p]\nk = 1\n".repeat(50)}# \xe9\n`)],
  [
    "a repeated section, then a latin-1 byte in a later chunk",
    latin1(`[p]\n[p]\n${"# xxxx\n".repeat(1400)}\xe9\n`),
  ],
  ["a latin-1 byte, then a repeated section", latin1("[p]\n\xe9\n[p]\n")],
  ["a truncated UTF-8 sequence ending the file, after a key before any header", latin1("k=\nmor\xe9")],
  ["; and # inside section names", "[team;prod]\nk = 1\n[team#dev]\nk = 2\n"],
  ["an indented continuation line", "[p]\naws_secret_access_key = abc\n  def\nk = 2\n"],
  ["an indented second key", "[p]\naws_access_key_id = A\n  aws_secret_access_key = S\n"],
  [
    "a nested block",
    "[p]\ns3 =\n  addressing_style = path\n  signature_version=s3v4\n\n  a = b = c\nregion = x\n",
  ],
  ["a nested line without =", "[p]\ns3 =\n  addressing_style\n"],
  ["a nested line without = in [DEFAULT], no section", "[DEFAULT]\ns3 =\n  oops\n"],
  ["a nested line without = in [DEFAULT], one section", "[DEFAULT]\ns3 =\n  oops\n[p]\nk = 1\n"],
  ["[DEFAULT] is inherited", "[DEFAULT]\nregion = eu\nk = d\n[a]\nk = own\n[b]\n[DEFAULT]\nmore = 1\n"],
  ["[DEFAULT] twice with one key twice", "[DEFAULT]\nk = 1\n[DEFAULT]\nk = 2\n"],
  ["a repeated section", "[work]\nk = 1\n[other]\n[work]\nj = 2\n"],
  ["a repeated key", "[work]\naws_access_key_id = A\nAWS_ACCESS_KEY_ID = B\n"],
  ["a byte order mark", "\ufeff[default]\nk = 1\n"],
  ["keys before the first header", "k = 1\n[p]\n"],
  ["a line with neither = nor :", "[p]\nk = 1\njust words\n"],
  ["an empty section name", "[p]\n[]\n"],
  ["[] before any header", "[]\n[p]\n"],
  ["a key without a name", "[p]\n= value\n"],
  ["two keys without a name", "[p]\n= value\n: other\n"],
  ["a bad line, then a repeated key", "[p]\nbad\nk = 1\nk = 2\n"],
  ["CR-only line endings", "[a]\rk = 1\r[b]\rk = 2\r"],
  ["a lone CR before a header", "[a]\nk = 1\r[b]\nk = 2\n"],
  ["CRLF and no final newline", "[a]\r\nk = 1\r\n\r\n[b]\r\nk = 2"],
  ["an indented first header", "   [a]\n   k = 1\n [b]\nk = 2\n"],
  ["an indented header under a key is a continuation", "[a]\nk = 1\n  [b]\nj = 2\n"],
  ["quotes are part of the value", "[p]\nk = \"v\"\nj = 'w'\n"],
  ["; after a value is part of it", "[p]\nk = v ; comment\nj = w # comment\n"],
  ["comments of every kind", "# top\n; top\n[p]\n  # indented\n\t; tab\nk = 1\n"],
  ["comments and blank lines inside a continued value", "[p]\nk = 1\n\n  # c\n\n  2\n\n\n[q]\n"],
  ["an empty value followed by blank lines", "[p]\nk =\n\n\n[q]\nj =\n"],
  [
    "upper-case keys are lower-cased, section names are not",
    "[Work]\nAWS_Access_Key_ID = A\n[work]\nk = 1\n",
  ],
  ["spaces inside the brackets are part of the name", "[ work ]\nk = 1\n[work]\nk = 2\n"],
  ["values holding = and spaces", "[p]\ntoken = abc=def==\nname = two words  \n"],
  ["keys holding spaces", "[p]\naws access key = x\n"],
  ["unicode whitespace indents (NBSP, ideographic space)", "[p]\nk = 1\n\u00a0\u00a0more\n\u3000j = 2\n"],
  ["form feed and line separator inside nested blocks", "[p]\ns3 =\n  a = 1\fb = 2\u2028c = 3\n"],
  ["a value with a line separator", "[p]\nk = a\u2028b\n"],
  ["a BOM in the middle is text", "[p]\nk = a\ufeffb\n\ufeffj = 1\n"],
  ["tabs", "[p]\n\tk\t=\tv\t\n\t\tcontinued\n"],
  ["an empty file", ""],
  ["only comments and blank lines", "# nothing\n\n; here\n"],
  ["a header with trailing junk after ]", "[p]junk\nk = 1\n"],
  ["a section with no keys at the end", "[p]\nk = 1\n[q]"],
  ["a key line that is only a delimiter", "[p]\n=\n"],
  ["% needs no escaping (no interpolation)", "[p]\nk = 100%\nj = %(k)s\n"],
  [
    "the hand-kept file of the end-to-end tests",
    "# AWS keys — kept by hand\r\n[default]\r\naws_access_key_id = AKIADEFAULTKEY000000\r\naws_secret_access_key = default/secret\r\n\r\n; my IAM user\r\n[work]\r\naws_access_key_id=AKIAWORK\r\nregion   =   us-east-1\r\n\r\n[other-tool]\r\ntoken = abc=def==\r\n  # indented comment",
  ],
]

describe.runIf(available)("the reader agrees with botocore", () => {
  let botocore: Botocore
  let dir: string
  let n = 0
  const write = (file: string | Uint8Array) => {
    const p = path.join(dir, `f${n++}`)
    fs.writeFileSync(p, bytesOf(file))
    return p
  }
  beforeAll(() => {
    botocore = startBotocore()
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-botocore-"))
  })
  afterAll(() => {
    botocore?.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  for (const [name, file] of corpus) {
    it(name, async () => {
      agree(await botocore.read(write(file)), bytesOf(file))
    })
  }

  // Every construct, from small pools so that names and keys repeat.
  const sectionName = fc.constantFrom("a", "b", "work", "work-sts", "DEFAULT", "default", " a ", "a;b")
  const keyName = fc.constantFrom("k", "K", "aws_access_key_id", "s3", "region", "a b")
  const value = fc.constantFrom("", "v", "abc=def==", '"q"', "x ; y", "a:b", "é", "a\u00a0b", "%s")
  const indent = fc.constantFrom("", "", " ", "  ", "\t", "\u00a0")
  const line = fc.oneof(
    fc
      .tuple(indent, sectionName, fc.constantFrom("", " # c", "; c", "x", "]"))
      .map(([i, n, t]) => `${i}[${n}]${t}`),
    fc
      .tuple(indent, keyName, fc.constantFrom("=", " = ", ":", " : ", "\t=\t"), value)
      .map(([i, k, d, v]) => `${i}${k}${d}${v}`),
    fc.tuple(indent, fc.constantFrom("more", "a = b", "x", "[b]", "\f")).map(([i, t]) => `${i}${t}`),
    fc.tuple(indent, fc.constantFrom("#", ";"), fc.constantFrom("", " note", " [x]")).map((p) => p.join("")),
    fc.constantFrom("", "", "   ", "[]", "= v", "words", "\ufeff[a]"),
  )
  const eol = fc.constantFrom("\n", "\n", "\n", "\r\n", "\r")
  const file = fc
    .tuple(fc.array(fc.tuple(line, eol), { maxLength: 14 }), fc.boolean(), fc.integer({ min: 0, max: 30 }))
    .map(([lines, final, bad]) => {
      const text = lines.map(([l, e], i) => (i < lines.length - 1 || final ? l + e : l)).join("")
      const bytes = new TextEncoder().encode(text)
      // Now and then one latin-1 byte, as a hand-edited file may hold.
      return bad === 0 && bytes.length > 0 ? Uint8Array.from([...bytes.slice(0, -1), 0xe9]) : bytes
    })
  const runs = Number(process.env.PROPERTY_RUNS ?? 300)

  it("property: any file mixing every construct reads as botocore reads it", async () => {
    await fc.assert(
      fc.asyncProperty(file, async (bytes) => {
        agree(await botocore.read(write(bytes)), bytes)
      }),
      { numRuns: runs },
    )
  })

  // Bytes from the rules' alphabet in any order, as botocore's own test of a file of bad bytes.
  const noise = fc
    .array(
      fc.constantFrom(
        ..."\n\r[]=:#; \ta".split("").map((c) => c.charCodeAt(0)),
        0xe9,
        0xc3,
        0xa9,
        0xff,
        0xef,
        0xbb,
        0xbf,
      ),
      {
        maxLength: 60,
      },
    )
    .map((b) => Uint8Array.from(b))

  it("property: any bytes from the rules' alphabet read as botocore reads them", async () => {
    await fc.assert(
      fc.asyncProperty(noise, async (bytes) => {
        agree(await botocore.read(write(bytes)), bytes)
      }),
      { numRuns: runs },
    )
  })

  it("a config file's profiles are found as botocore's load_config finds them", () => {
    const config = [
      "[default]\nregion = a",
      '[profile "personal" "otherkey"]\nregion = b',
      '[profile "my profile"]\nregion = c',
      '[profile "missing end quote]\nregion = d',
      "[profile personal1]\nregion = e",
      "[profilex y]\nregion = f",
      "[profile default]\nregion = g",
      "[sso-session s]\nregion = h",
      "[preview]\nregion = i",
      "[profile a\\ b]\nregion = j",
      "[profile 'single q']\nregion = k",
      '[profile "esc\\"q"]\nregion = l',
      "[profile   spaced  ]\nregion = m",
      "[profile]\nregion = n",
    ].join("\n")
    const file = write(config)
    const script =
      "import sys,json,botocore.configloader as c\nprint(json.dumps(c.load_config(sys.argv[1])['profiles']))"
    const theirs: Record<string, Record<string, string>> = JSON.parse(
      spawnSync("python3", ["-c", script, file], { encoding: "utf8" }).stdout,
    )
    const sections = Either.getOrThrow(read(config))
    expect(Object.keys(theirs).length).toBeGreaterThan(5)
    for (const [name, values] of Object.entries(theirs))
      expect(configProfile(sections, name)?.values).toEqual(values)
    for (const name of ["personal", "missing end quote", "preview", "s", "profile"]) {
      if (!(name in theirs)) expect(configProfile(sections, name)).toBeUndefined()
    }
  })

  it("key names are lower-cased as Python 3.11 lower-cases them, letters newer than its Unicode left as they are", () => {
    // Only the letters Python changes: every other one must stay as it is.
    const script =
      "import json\nprint(json.dumps({c: chr(c).lower() for c in range(0x110000) if not 0xd800 <= c <= 0xdfff and chr(c).lower() != chr(c)}))"
    const theirs: Record<string, string> = JSON.parse(
      spawnSync("python3", ["-c", script], { encoding: "utf8" }).stdout,
    )
    expect(Object.keys(theirs).length).toBeGreaterThan(1000)
    const differ: Array<string> = []
    for (let c = 0; c < 0x110000; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue
      const char = String.fromCodePoint(c)
      if (pythonLower(char) !== (theirs[c] ?? char)) differ.push(c.toString(16))
    }
    expect(differ).toEqual([])
  })

  it("two keys that only Node's newer Unicode would lower-case alike are two keys, as for botocore", async () => {
    agree(
      await botocore.read(write("[p]\n\u1C89 = 1\n\u1C8A = 2\n\uA7CB = 3\n")),
      bytesOf("[p]\n\u1C89 = 1\n\u1C8A = 2\n\uA7CB = 3\n"),
    )
  })

  it("a constructed file: removing a section that would turn a [DEFAULT] line into part of a nested block is refused", () => {
    const text = "[p]\ns3 =\n  addressing_style = path\n[p-sts]\n  [DEFAULT] = x\n"
    expect(removeSection(text, "p-sts")).toEqual(Either.left("removing [p-sts] would change other sections"))
  })

  it("property: after logout's removal botocore reads every other section, nested blocks included, as before", async () => {
    await fc.assert(
      fc.asyncProperty(file, sectionName, async (bytes, name) => {
        const before = await botocore.read(write(bytes))
        const text = decode(bytes)
        if (!("ok" in before) || Either.isLeft(text)) return
        const result = removeSection(text.right, name)
        if (Either.isLeft(result)) return
        const after = await botocore.read(write(result.right))
        const { [name]: _, ...others } = before.ok
        expect(after).toEqual({ ok: others })
      }),
      { numRuns: runs },
    )
  })

  const writable = fc.constantFrom("a", "work", "work-sts", "new", "default", "team;prod")
  const setKey = fc.constantFrom("k", "aws_access_key_id", "mfa_serial", "region", "s3")
  const setValue = fc.constantFrom(
    "1",
    "AKIANEW0000000000000",
    "abc=def==+/x",
    "arn:aws:iam::123456789012:mfa/me",
  )
  const edit: fc.Arbitrary<Edit> = fc.record({
    section: writable,
    set: fc.dictionary(setKey, setValue, { minKeys: 1, maxKeys: 3 }),
  })

  it("property: after an edit botocore reads every other profile as before, and the edited keys as set", async () => {
    await fc.assert(
      fc.asyncProperty(file, fc.array(edit, { minLength: 1, maxLength: 2 }), async (bytes, edits) => {
        const before = await botocore.read(write(bytes))
        const text = decode(bytes)
        const result = Either.isRight(text) ? applyEdits(text.right, edits) : Either.left(text.left.reason)
        if ("error" in before) {
          expect(Either.isLeft(result)).toBe(true)
          return
        }
        if (Either.isLeft(result)) {
          // The only refusals of a file botocore reads: a value to replace that spans several lines, and
          // a first section that would expose a broken nested block in [DEFAULT] (botocore then refuses).
          expect(result.left).toMatch(/continues on line \d+; fix it by hand|in the nested block under/)
          return
        }
        const after = await botocore.read(write(result.right))
        if (!("ok" in after)) throw new Error(`botocore refuses the edited file: ${JSON.stringify(after)}`)
        const set = new Map<string, Record<string, string>>()
        for (const e of edits) set.set(e.section, { ...set.get(e.section), ...e.set })
        for (const [name, values] of Object.entries(before.ok)) {
          const changed = set.get(name) ?? {}
          const kept = Object.fromEntries(Object.entries(values).filter(([k]) => !Object.hasOwn(changed, k)))
          expect(after.ok[name]).toMatchObject(kept)
        }
        for (const name of Object.keys(after.ok)) expect(name in before.ok || set.has(name)).toBe(true)
        for (const [name, values] of set) expect(after.ok[name]).toMatchObject(values)
        // Every line of the old file is still there, in order, but those of the keys that were set.
        const lines = (t: string) => t.split(/\r\n|\r|\n/)
        const was = lines(Either.getOrThrow(text))
        const now = lines(result.right)
        let at = 0
        for (const l of was) {
          const found = now.indexOf(l, at)
          if (found >= 0) at = found + 1
          else expect(l).toMatch(/^\s*[\w ]+\s*[=:]/)
        }
      }),
      { numRuns: runs },
    )
  })
})
