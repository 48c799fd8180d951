import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fromIni } from "@aws-sdk/credential-provider-ini"
import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { applyEdits, configProfile, decode, describeRefusal, parse, read } from "../src/schema/Ini.js"

const edit = (text: string, section: string, set: Record<string, string>) => {
  const result = applyEdits(text, [{ section, set }])
  if (Either.isLeft(result)) throw new Error(result.left)
  return result.right
}

const refusal = (text: string) => Either.match(read(text), { onLeft: describeRefusal, onRight: () => "read" })

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
      name: "upper-case keys and the : separator, which the AWS CLI reads, are edited in place",
      before: "[work-sts]\nAWS_ACCESS_KEY_ID : OLD\nAws_Session_Token:OLD\n",
      section: "work-sts",
      after: "[work-sts]\nAWS_ACCESS_KEY_ID : ASIANEW\nAws_Session_Token:IQoJb3JpZ2luX2VjE=+/a==\n",
    },
    {
      name: "a header with a comment after the ] is the section's header",
      before: "[work] # team\naws_access_key_id = OLD\n[work-sts] ; note\nexpiration = x\n",
      section: "work-sts",
      after:
        "[work] # team\naws_access_key_id = OLD\n[work-sts] ; note\nexpiration = x\naws_access_key_id = ASIANEW\naws_session_token = IQoJb3JpZ2luX2VjE=+/a==\n",
    },
    {
      name: "CRLF line endings are kept and followed by new lines",
      before: "[a]\r\nx = 1\r\n",
      section: "work-sts",
      after:
        "[a]\r\nx = 1\r\n\r\n[work-sts]\r\naws_access_key_id = ASIANEW\r\naws_session_token = IQoJb3JpZ2luX2VjE=+/a==\r\n",
    },
    {
      name: "CR-only line endings are kept",
      before: "[work-sts]\raws_access_key_id = OLD\r[b]\r",
      section: "work-sts",
      after: "[work-sts]\raws_access_key_id = ASIANEW\raws_session_token = IQoJb3JpZ2luX2VjE=+/a==\r[b]\r",
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
      name: "new keys go after the continuation lines of the last value, indented like its key",
      before: "  [work-sts]\n  note = one\n    two\n\n# next\n  [y]\n",
      section: "work-sts",
      after:
        "  [work-sts]\n  note = one\n    two\n  aws_access_key_id = ASIANEW\n  aws_session_token = IQoJb3JpZ2luX2VjE=+/a==\n\n# next\n  [y]\n",
    },
    {
      name: "a key inherited from [DEFAULT] gets a line of its own; [DEFAULT] is left alone",
      before: "[DEFAULT]\naws_access_key_id = SHARED\n[work-sts]\nregion = eu\n",
      section: "work-sts",
      after:
        "[DEFAULT]\naws_access_key_id = SHARED\n[work-sts]\nregion = eu\naws_access_key_id = ASIANEW\naws_session_token = IQoJb3JpZ2luX2VjE=+/a==\n",
    },
    {
      name: "unicode and dotted section names are sections of their own",
      before: "[prod.eu]\naws_access_key_id = KEEP\n[ünïcødé-sts]\naws_access_key_id = OLD\n",
      section: "ünïcødé-sts",
      after:
        "[prod.eu]\naws_access_key_id = KEEP\n[ünïcødé-sts]\naws_access_key_id = ASIANEW\naws_session_token = IQoJb3JpZ2luX2VjE=+/a==\n",
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
      [" work", { a: "b" }],
      ["DEFAULT", { a: "b" }],
      ["work", { a: "b\n[evil]" }],
      ["work", { "a=b": "c" }],
      ["work", { A: "c" }],
      ["work", { a: "" }],
      ["work", { a: "x ; y" }],
      ["work", { a: "x # y" }],
      ["work", { a: '"quoted"' }],
      ["work", { a: " padded" }],
    ] as const) {
      expect(Either.isLeft(applyEdits("[work]\n", [{ section, set }]))).toBe(true)
    }
  })

  it("refuses to edit a file the AWS CLI refuses, naming the line", () => {
    expect(applyEdits("[work]\na = 1\n[work]\n", [{ section: "work", set: { a: "2" } }])).toEqual(
      Either.left(
        "line 3: [work] appears a second time (first on line 1), so the AWS CLI refuses the whole file",
      ),
    )
  })

  it("refuses to replace a value that continues on the next line, rather than leave half of it", () => {
    expect(
      applyEdits("[work]\naws_secret_access_key = abc\n  def\n", [
        { section: "work", set: { aws_secret_access_key: "new" } },
      ]),
    ).toEqual(
      Either.left("line 2: the value of aws_secret_access_key in [work] continues on line 3; fix it by hand"),
    )
  })

  it("a key removed from a section that [DEFAULT] gives it too is refused, naming [DEFAULT]", () => {
    expect(
      applyEdits("[DEFAULT]\naws_access_key_id = AKIADEFAULT\n[work]\naws_access_key_id = AKIAOLD\n", [
        { section: "work", set: {}, unset: ["aws_access_key_id"] },
      ]),
    ).toEqual(
      Either.left(
        "aws_access_key_id would stay in [work], given to every section by [DEFAULT] (line 2: remove it there first) with this edit",
      ),
    )
  })

  it("edits only a section that still holds what the caller read (compare-and-swap), naming no value", () => {
    const text = "# keys\n[work]\naws_access_key_id = AKIAOLD\naws_secret_access_key = s3cret/old\n"
    const swap = (expected: string) =>
      applyEdits(text, [
        {
          section: "work",
          set: { aws_access_key_id: "AKIANEW", aws_secret_access_key: "s3cret/new" },
          expect: { aws_access_key_id: "AKIAOLD", aws_secret_access_key: expected },
        },
      ])
    expect(swap("s3cret/old")).toEqual(
      Either.right("# keys\n[work]\naws_access_key_id = AKIANEW\naws_secret_access_key = s3cret/new\n"),
    )
    const refused = swap("s3cret/other")
    expect(refused).toEqual(
      Either.left("[work] no longer holds the aws_secret_access_key it held (the file changed meanwhile)"),
    )
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
})

describe("the credentials file reader", () => {
  it("names the line and the AWS CLI's reason for every file the AWS CLI refuses", () => {
    expect(refusal("[work]\naws_access_key_id = A\n\nAWS_ACCESS_KEY_ID = B\n")).toBe(
      "line 4: duplicate key aws_access_key_id in [work] (first on line 2), so the AWS CLI refuses the whole file",
    )
    expect(refusal("\ufeff[default]\n")).toMatch(/^line 1: the file starts with a byte order mark/)
    expect(refusal("# keys\nk = 1\n[p]\n")).toBe(
      "line 2: text before the first [section] header, so the AWS CLI refuses the whole file",
    )
    expect(refusal("[p]\nk = 1\njust words\n")).toMatch(
      /^line 3: neither a \[section\] header, a key = value line nor a comment/,
    )
    expect(refusal("[p]\n[]\n")).toMatch(/^line 2: \[\] is not a section header/)
    expect(refusal("[p]\ns3 =\n  addressing_style\n")).toMatch(
      /^line 3: "addressing_style" in the nested block under s3 has no "="/,
    )
    expect(refusal("[p]\nk = 1\n")).toBe("read")
  })

  it("says which values the AWS CLI reads otherwise than their line's plain text", () => {
    const work = parse(
      '[work]\naws_access_key_id = A\n  aws_secret_access_key = S\nusername = "me"\nmfa_serial = arn ; mine\ns3 =\n  a = b\nregion = eu\n',
    ).get("work")
    expect(work?.keys.get("aws_access_key_id")).toMatchObject({
      value: "A\naws_secret_access_key = S",
      line: 2,
      unclear: "continues on line 3: the AWS CLI reads an indented line as part of the value above",
    })
    expect(work?.keys.has("aws_secret_access_key")).toBe(false)
    expect(work?.keys.get("username")?.unclear).toMatch(/in quotes/)
    expect(work?.keys.get("mfa_serial")?.unclear).toMatch(/holds ";"/)
    expect(work?.keys.get("s3")).toMatchObject({
      nested: { a: "b" },
      unclear: expect.stringMatching(/nested block/),
    })
    expect(work?.keys.get("region")).toMatchObject({ value: "eu", line: 8, from: "work", unclear: undefined })
  })

  it("gives every section [DEFAULT]'s keys, which are not a section of their own", () => {
    const sections = parse("[DEFAULT]\nregion = eu\n[a]\nk = 1\n[b]\nregion = us\n")
    expect([...sections.keys()]).toEqual(["a", "b"])
    expect(sections.get("a")?.keys.get("region")).toMatchObject({ value: "eu", line: 2, from: "DEFAULT" })
    expect(sections.get("b")?.values).toEqual({ region: "us" })
  })

  it("decodes UTF-8 so that encoding the text again gives back every byte, and refuses other bytes", () => {
    const bytes = new TextEncoder().encode("\ufeff# ünïcødé \u2028 \ufffd\r\n[p]\rk = v")
    expect(new TextEncoder().encode(Either.getOrThrow(decode(bytes)))).toEqual(bytes)
    const latin1 = Uint8Array.from("[p]\r\n# caf\xe9\nk = 1\n", (c) => c.charCodeAt(0))
    expect(Either.mapLeft(decode(latin1), describeRefusal)).toEqual(
      Either.left("line 2: byte 0xe9 is not UTF-8, so the AWS CLI refuses the whole file"),
    )
    const utf16 = (bom: number[], encode: (c: number) => number[]) =>
      Uint8Array.from([...bom, ..."[p]\r\nk = 1\r\n".split("").flatMap((c) => encode(c.charCodeAt(0)))])
    for (const bytes of [utf16([0xff, 0xfe], (c) => [c, 0]), utf16([0xfe, 0xff], (c) => [0, c])])
      expect(Either.mapLeft(decode(bytes), describeRefusal)).toEqual(
        Either.left(
          "line 1: the file is UTF-16 (as Windows PowerShell 5 writes files with > or Out-File), which the AWS CLI cannot read (save it as UTF-8: in Notepad, Save As with the encoding UTF-8)",
        ),
      )
  })

  it("finds a config file's profile as botocore does", () => {
    const config = parse(
      '[profile work]\nregion = a\n[profile "my work"]\nregion = b\n[profilex other]\nregion = c\n[default]\nregion = d\n[profile  default]\nregion = e\n[profile "open]\nregion = f\n',
    )
    expect(configProfile(config, "work")?.values.region).toBe("a")
    expect(configProfile(config, "my work")?.values.region).toBe("b")
    expect(configProfile(config, "other")?.values.region).toBe("c")
    expect(configProfile(config, "default")?.values.region).toBe("e")
    expect(configProfile(config, '"open')).toBeUndefined()
  })
})
