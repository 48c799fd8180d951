import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fromIni } from "@aws-sdk/credential-provider-ini"
import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import fc from "fast-check"
import * as ini from "ini"
import { applyEdits, parse } from "../src/schema/Ini.js"

const edit = (text: string, section: string, set: Record<string, string>) => {
  const result = applyEdits(text, [{ section, set }])
  if (Either.isLeft(result)) throw new Error(result.left)
  return result.right
}

const session = { aws_access_key_id: "ASIANEW", aws_session_token: "IQoJb3JpZ2luX2VjE=+/a==" }

describe("the credentials file editor", () => {
  const corpus: ReadonlyArray<{ name: string; before: string; section: string; after: string }> = [
    {
      name: "comments of every kind, odd spacing and key case stay",
      before:
        "# top\n[work]\n; why\naws_access_key_id=OLD\n  # indented\nAWS_Region   =   eu-west-1\n\n[work-sts]\naws_access_key_id =   OLDSESSION ; trailing\n",
      section: "work-sts",
      after:
        "# top\n[work]\n; why\naws_access_key_id=OLD\n  # indented\nAWS_Region   =   eu-west-1\n\n[work-sts]\naws_access_key_id =   ASIANEW\naws_session_token = IQoJb3JpZ2luX2VjE=+/a==\n",
    },
    {
      name: "upper-case keys, which the AWS CLI reads, are read and edited in place",
      before: "[work-sts]\nAWS_ACCESS_KEY_ID = OLD\nAws_Session_Token=OLD\n",
      section: "work-sts",
      after: "[work-sts]\nAWS_ACCESS_KEY_ID = ASIANEW\nAws_Session_Token=IQoJb3JpZ2luX2VjE=+/a==\n",
    },
    {
      name: "CRLF line endings are kept and followed by new lines",
      before: "[a]\r\nx = 1\r\n",
      section: "work-sts",
      after:
        "[a]\r\nx = 1\r\n\r\n[work-sts]\r\naws_access_key_id = ASIANEW\r\naws_session_token = IQoJb3JpZ2luX2VjE=+/a==\r\n",
    },
    {
      name: "a missing final newline stays missing",
      before: "[work-sts]\naws_access_key_id = OLD",
      section: "work-sts",
      after: "[work-sts]\naws_access_key_id = ASIANEW\naws_session_token = IQoJb3JpZ2luX2VjE=+/a==",
    },
    {
      name: "an empty file gets the section",
      before: "",
      section: "work-sts",
      after: "[work-sts]\naws_access_key_id = ASIANEW\naws_session_token = IQoJb3JpZ2luX2VjE=+/a==\n",
    },
    {
      name: "unicode and dotted section names are sections of their own",
      before: "[prod.eu]\naws_access_key_id = KEEP\n[ünïcødé-sts]\naws_access_key_id = OLD\n",
      section: "ünïcødé-sts",
      after:
        "[prod.eu]\naws_access_key_id = KEEP\n[ünïcødé-sts]\naws_access_key_id = ASIANEW\naws_session_token = IQoJb3JpZ2luX2VjE=+/a==\n",
    },
    {
      name: "duplicate keys and a repeated section are all replaced; new keys go after the last key",
      before:
        "[work-sts]\naws_access_key_id = A\naws_access_key_id = B\n# next\n[x]\n[work-sts]\nregion = eu\n\n# about y\n[y]\n",
      section: "work-sts",
      after:
        "[work-sts]\naws_access_key_id = ASIANEW\naws_access_key_id = ASIANEW\n# next\n[x]\n[work-sts]\nregion = eu\naws_session_token = IQoJb3JpZ2luX2VjE=+/a==\n\n# about y\n[y]\n",
    },
  ]
  for (const { name, before, section, after } of corpus) {
    it(name, () => {
      const result = edit(before, section, session)
      expect(result).toBe(after)
      expect(parse(result).get(section)?.values).toMatchObject(session)
    })
  }

  it("refuses values and names that would corrupt the file", () => {
    for (const [section, set] of [
      ["work\n[evil]", { a: "b" }],
      ["wo]rk", { a: "b" }],
      ["work", { a: "b\n[evil]" }],
      ["work", { "a=b": "c" }],
      ["work", { a: "" }],
      ["work", { a: "x ; y" }],
      ["work", { ["__proto__"]: "x" }],
      ["__proto__", { a: "x" }],
    ] as const) {
      expect(Either.isLeft(applyEdits("[work]\n", [{ section, set }]))).toBe(true)
    }
  })

  it("the AWS SDK's own parser reads what was written into a messy file", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-ini-"))
    const filepath = path.join(dir, "credentials")
    const messy =
      "# keys\r\n[work]\r\naws_access_key_id=AKIA0000000000000000\r\n  ; note\r\n[work-sts]\r\naws_access_key_id = OLD"
    const written = edit(messy, "work-sts", {
      aws_access_key_id: "ASIANEW0000000000000",
      aws_secret_access_key: "s3cr3t/+x",
      aws_session_token: "IQoJb3JpZ2luX2VjE=+/a==",
    })
    fs.writeFileSync(filepath, written)
    const creds = await fromIni({ profile: "work-sts", filepath, configFilepath: path.join(dir, "config") })()
    expect(creds).toMatchObject({
      accessKeyId: "ASIANEW0000000000000",
      secretAccessKey: "s3cr3t/+x",
      sessionToken: "IQoJb3JpZ2luX2VjE=+/a==",
    })
  })

  it("reads values as ini does, one section at a time", () => {
    const sections = parse("[a.b]\nk = v\n[c]\nk = 1\n[c]\nj = true\nk = 2\n")
    expect(sections.get("a.b")?.values).toEqual({ k: "v" })
    expect(sections.get("c")?.values).toEqual({ k: "2", j: "true" })
    expect(sections.get("c")?.lines).toEqual({ k: 7, j: 6 })
  })

  const name = fc.stringMatching(/^[a-zA-Z0-9_@-]{1,12}$/).filter((n) => n !== "__proto__")
  const key = fc.stringMatching(/^[a-z_]{1,10}$/).filter((k) => k !== "__proto__")
  const value = fc.stringMatching(/^[0-9][A-Za-z0-9/+=:_-]{0,40}$/)
  const line = fc.oneof(
    name.map((n) => `[${n}]`),
    fc.tuple(key, fc.constantFrom("=", " = ", "  =\t"), value).map(([k, s, v]) => `${k}${s}${v}`),
    fc.stringMatching(/^[#;][^\r\n]{0,20}$/),
    fc.constant(""),
    fc.constant("   "),
  )
  const file = fc
    .tuple(fc.array(line, { maxLength: 25 }), fc.constantFrom("\n", "\r\n"), fc.boolean())
    // Keys before the first section are global to ini and clash with a section of the same name.
    .map(([lines, eol, finalNewline]) => ["[top]", ...lines].join(eol) + (finalNewline ? eol : ""))

  it("property: only edited lines change, and ini.parse sees the edit", () => {
    fc.assert(
      fc.property(file, name, fc.dictionary(key, value, { minKeys: 1, maxKeys: 4 }), (text, section, set) => {
        const result = edit(text, section, set)
        expect(ini.parse(result)[section]).toMatchObject(set)
        expect(parse(result).get(section)?.values).toMatchObject(set)
        const kept = result.split(/\r?\n/)
        const before = text.split(/\r?\n/)
        const setKeys = new Set(Object.keys(set))
        const untouched = before.filter((l) => !setKeys.has(/^([^=]+)=/.exec(l)?.[1]?.trim() ?? ""))
        let at = 0
        for (const l of untouched) {
          at = kept.indexOf(l, at)
          expect(at).toBeGreaterThanOrEqual(0)
          at += 1
        }
        const eols = result.match(/\r?\n/g) ?? []
        if (text.includes("\r\n")) expect(eols.every((e) => e === "\r\n")).toBe(true)
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 300) },
    )
  })
})
