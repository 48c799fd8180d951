import * as Either from "effect/Either"

/**
 * `~/.aws/credentials` and `~/.aws/config`, read exactly as the AWS CLI reads them:
 * `botocore.configloader.raw_config_parse`, which is Python 3.11's `configparser.RawConfigParser()`
 * with its defaults (`=` and `:` separators, `#` and `;` comments only on lines of their own, no
 * inline comments, no quotes, indented lines continuing the value above, empty lines kept inside
 * values, `[DEFAULT]` inherited by every section, duplicate sections and keys refused), then
 * botocore's nested blocks (`s3 =` followed by indented `key = value` lines).
 * The `ini` package differs on nearly every one of these rules (inline comments, quotes, `:`, text
 * after `]`, continuations, duplicates, `[DEFAULT]`), so nothing here uses it.
 */

/** One key of a section, as botocore reads it. */
export interface Key {
  /** The value as botocore reads it; for a nested block, its lines joined with `\n`. */
  readonly value: string
  /** A nested block (`s3 =` + indented `key = value` lines), as botocore reads it. */
  readonly nested: Readonly<Record<string, string>> | undefined
  /** The 1-based line of the key. */
  readonly line: number
  /** The section whose block holds that line: the section itself, or `DEFAULT` for an inherited key. */
  readonly from: string
  /** Why the AWS CLI reads something else than the line's plain text (a continuation, quotes, a `;`). */
  readonly unclear: string | undefined
}

export interface Section {
  readonly name: string
  /** The 1-based line of its `[name]` header. */
  readonly line: number
  /** Every key botocore gives the section, its own first and then those inherited from `[DEFAULT]`. */
  readonly keys: ReadonlyMap<string, Key>
  /** The same keys' values, nested blocks left out. */
  readonly values: Readonly<Record<string, string>>
  /** The same keys' lines. */
  readonly lines: Readonly<Record<string, number>>
}

/** The sections botocore returns, in file order; `[DEFAULT]` is not one of them. */
export type Sections = ReadonlyMap<string, Section>

/** The AWS CLI refuses the whole file: the line it names and why, as one phrase. */
export interface Refusal {
  readonly line: number
  readonly reason: string
}

export const describeRefusal = (refusal: Refusal): string => `line ${refusal.line}: ${refusal.reason}`

/** Python's str.isspace(), which is also what `\s`, `\S` and str.strip() mean in configparser. */
const isSpaceCode = (c: number) =>
  c <= 0x20
    ? (c >= 0x09 && c <= 0x0d) || c >= 0x1c
    : c >= 0x85 &&
      (c === 0x85 ||
        c === 0xa0 ||
        c === 0x1680 ||
        (c >= 0x2000 && c <= 0x200a) ||
        c === 0x2028 ||
        c === 0x2029 ||
        c === 0x202f ||
        c === 0x205f ||
        c === 0x3000)
const isSpace = (s: string, i: number) => i < s.length && isSpaceCode(s.charCodeAt(i))
const indentOf = (s: string) => {
  let i = 0
  while (isSpace(s, i)) i++
  return i
}
const indentString = (s: string) => s.slice(0, indentOf(s))
const strip = (s: string) => {
  const start = indentOf(s)
  let end = s.length
  while (end > start && isSpace(s, end - 1)) end--
  return s.slice(start, end)
}
/**
 * Letters that Node's Unicode (17 in Node 20.20) lower-cases and Python 3.11's (14.0) does not know:
 * Cyrillic TJE, the Latin additions of Unicode 16, Garay and Kirat Rai capitals. test/ini.test.ts
 * checks this list against python3 on the machine.
 */
export const newerCapitals =
  /[\u1C89\uA7CB\uA7CC\uA7CE\uA7D2\uA7D4\uA7DA\uA7DC\u{10D50}-\u{10D65}\u{16EA0}-\u{16EB8}]/u

/** Python 3.11's str.lower(), which configparser applies to key names. */
export const pythonLower = (s: string): string => {
  if (!newerCapitals.test(s)) return s.toLowerCase()
  return s
    .split(new RegExp(`(${newerCapitals.source})`, "u"))
    .map((part, i) => (i % 2 === 1 ? part : part.toLowerCase()))
    .join("")
}

/** The line boundaries of Python's str.splitlines() that file reading does not split on. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: and these as line breaks
const moreLineBreaks = /[\v\f\x1c-\x1e\x85\u2028\u2029]/

const defaultSection = "DEFAULT"

interface Line {
  /** Where the line starts in the text. */
  readonly start: number
  readonly content: string
  readonly eol: string
}

/**
 * Lines as Python's universal newlines split them (`\r\n`, `\r` and `\n` each end one), kept as
 * offsets into the text: a big file is read without a string per line.
 */
class Lines {
  readonly starts: Array<number> = []
  /** Where each line's content ends, and where its line break ends. */
  readonly ends: Array<number> = []
  readonly breaks: Array<number> = []
  constructor(readonly text: string) {
    let start = 0
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c !== 0x0a && c !== 0x0d) continue
      const end = c === 0x0d && text.charCodeAt(i + 1) === 0x0a ? i + 2 : i + 1
      this.push(start, i, end)
      start = end
      i = end - 1
    }
    if (start < text.length) this.push(start, text.length, text.length)
  }
  private push(start: number, end: number, lineBreak: number) {
    this.starts.push(start)
    this.ends.push(end)
    this.breaks.push(lineBreak)
  }
  get length() {
    return this.starts.length
  }
  at(index: number): Line {
    const end = this.ends[index]!
    return {
      start: this.starts[index]!,
      content: this.text.slice(this.starts[index], end),
      eol: this.text.slice(end, this.breaks[index]),
    }
  }
}

/** A refusal, and whether configparser raises it only once the whole file is read. */
interface Raised extends Refusal {
  readonly atEnd?: boolean
}

interface Option {
  readonly name: string
  readonly section: string
  /** 0-based index of the key's line. */
  readonly index: number
  /** Where the key's line stops holding its leading whitespace and `key = `, which an edit keeps. */
  readonly prefixEnd: number
  /** The value's pieces, one per line (empty lines too), and the index of each. */
  readonly pieces: Array<string>
  readonly at: Array<number>
}

interface Block {
  readonly name: string
  readonly index: number
  readonly options: Map<string, Option>
}

interface Layout {
  readonly lines: Lines
  /** Every section's block, `[DEFAULT]` excepted (duplicates are refused, so one each). */
  readonly blocks: ReadonlyMap<string, Block>
  /** The index of every header line, `[DEFAULT]`'s included, in order. */
  readonly headers: ReadonlyArray<number>
  readonly sections: Sections
}

/** `"\n".join(pieces).rstrip()`: the pieces are stripped already, so only trailing empty lines go. */
const joined = (option: Option) => {
  if (option.pieces.length === 1) return option.pieces[0] ?? ""
  let end = option.pieces.length
  while (end > 1 && option.pieces[end - 1] === "") end--
  return option.pieces.slice(0, end).join("\n")
}

/** botocore's `_parse_nested`: each non-empty line must hold `=`; later keys win. */
const parseNested = (option: Option): Either.Either<Record<string, string>, Refusal> => {
  const entries = new Map<string, string>()
  for (let p = 1; p < option.pieces.length; p++) {
    for (const part of (option.pieces[p] ?? "").split(moreLineBreaks)) {
      const line = strip(part)
      if (line === "") continue
      const eq = line.indexOf("=")
      if (eq < 0) {
        return Either.left({
          line: (option.at[p] ?? option.index) + 1,
          reason: `"${line}" in the nested block under ${option.name} has no "=" (the AWS CLI refuses the whole file)`,
        })
      }
      entries.set(strip(line.slice(0, eq)), strip(line.slice(eq + 1)))
    }
  }
  return Either.right(Object.fromEntries(entries))
}

/** The index of the last line holding part of the value (trailing empty lines change nothing). */
const lastLine = (option: Option) => {
  let p = option.pieces.length - 1
  while (p > 0 && option.pieces[p] === "") p--
  return option.at[p] ?? option.index
}

/** Why the AWS CLI reads a one-line value otherwise than a person reading the line would. */
const unclearText = (value: string): string | undefined => {
  if (/^["']|["']$/.test(value)) return "is in quotes, which the AWS CLI reads as part of the value"
  // The AWS SDK for JavaScript ends a value at a ";" or "#" that starts it or follows a space; elsewhere both read it as text.
  const comment = /(?:^|\s)([;#])/.exec(value)?.[1]
  return comment === undefined
    ? undefined
    : `holds "${comment}", which the AWS CLI reads as part of the value, not as a comment`
}

const unclearOf = (option: Option, value: string, nested: boolean): string | undefined => {
  if (nested) return "is a nested block (an empty value followed by indented lines), not a single value"
  const continued = option.at.find((_, p) => p > 0 && option.pieces[p] !== "")
  if (continued !== undefined) {
    return `continues on line ${continued + 1}: the AWS CLI reads an indented line as part of the value above`
  }
  return unclearText(value)
}

/** `values` and `lines` are built when first asked for: most sections of a big file never are. */
class SectionView implements Section {
  #values: Record<string, string> | undefined
  #lines: Record<string, number> | undefined
  constructor(
    readonly name: string,
    readonly line: number,
    readonly keys: ReadonlyMap<string, Key>,
  ) {}
  get values() {
    this.#values ??= Object.fromEntries(
      [...this.keys].flatMap(([k, v]) => (v.nested === undefined ? [[k, v.value]] : [])),
    )
    return this.#values
  }
  get lines() {
    this.#lines ??= Object.fromEntries([...this.keys].map(([k, v]) => [k, v.line]))
    return this.#lines
  }
}

/** Reads a file as RawConfigParser._read does, then builds botocore's view of each section. */
const layout = (text: string): Either.Either<Layout, Raised> => {
  const lines = new Lines(text)
  const blocks = new Map<string, Block>()
  const defaults: Block = { name: defaultSection, index: -1, options: new Map() }
  let current: Block | undefined
  let option: Option | undefined
  let indentLevel = 0
  let firstError: Refusal | undefined
  const headers: Array<number> = []
  const refuse = (refusal: Raised) => Either.left(refusal)

  for (let index = 0; index < lines.length; index++) {
    const lineStart = lines.starts[index]!
    const lineNo = index + 1
    // The line stripped, as [from, to) of the text.
    let from = lineStart
    let to = lines.ends[index]!
    while (from < to && isSpaceCode(text.charCodeAt(from))) from++
    while (to > from && isSpaceCode(text.charCodeAt(to - 1))) to--
    if (from === to) {
      if (current !== undefined && option !== undefined && option.name !== "") {
        option.pieces.push("")
        option.at.push(index)
      }
      continue
    }
    const first = text.charCodeAt(from)
    if (first === 0x23 || first === 0x3b) continue // # or ;
    const indent = from - lineStart
    if (current !== undefined && option !== undefined && option.name !== "" && indent > indentLevel) {
      option.pieces.push(text.slice(from, to))
      option.at.push(index)
      continue
    }
    indentLevel = indent
    // `\[(?P<header>.+)\]` matched on the stripped line: up to its last `]`, whatever follows.
    let close = first === 0x5b ? to - 1 : -1
    while (close >= from + 2 && text.charCodeAt(close) !== 0x5d) close--
    if (close >= from + 2) {
      const name = text.slice(from + 1, close)
      const existing = blocks.get(name)
      if (existing !== undefined) {
        return refuse({
          line: lineNo,
          reason: `[${name}] appears a second time (first on line ${existing.index + 1}), so the AWS CLI refuses the whole file`,
        })
      }
      headers.push(index)
      if (name === defaultSection) current = defaults
      else {
        current = { name, index, options: new Map() }
        blocks.set(name, current)
      }
      option = undefined
      continue
    }
    if (current === undefined) {
      return refuse({
        line: lineNo,
        reason:
          lineNo === 1 && first === 0xfeff
            ? "the file starts with a byte order mark, which the AWS CLI reads as text before the first [section] header, so it refuses the whole file (save it as UTF-8 without one: in Notepad, Save As with the encoding UTF-8)"
            : "text before the first [section] header, so the AWS CLI refuses the whole file",
      })
    }
    let at = from
    while (at < to && text.charCodeAt(at) !== 0x3d && text.charCodeAt(at) !== 0x3a) at++ // = or :
    if (at === to) {
      firstError ??= {
        line: lineNo,
        reason:
          to - from === 2 && first === 0x5b && text.charCodeAt(from + 1) === 0x5d
            ? "[] is not a section header (its name is empty), so the AWS CLI refuses the whole file"
            : 'neither a [section] header, a key = value line nor a comment (no "=" or ":"), so the AWS CLI refuses the whole file',
      }
      continue
    }
    let keyEnd = at
    while (keyEnd > from && isSpaceCode(text.charCodeAt(keyEnd - 1))) keyEnd--
    const key = pythonLower(text.slice(from, keyEnd))
    if (key === "") {
      firstError ??= { line: lineNo, reason: `a key without a name, so the AWS CLI refuses the whole file` }
    }
    // Sections cannot repeat (all of [DEFAULT]'s blocks share one map): this is configparser's strict check.
    const earlier = current.options.get(key)
    if (earlier !== undefined) {
      return refuse({
        line: lineNo,
        reason: `duplicate key ${key} in [${current.name}] (first on line ${earlier.index + 1}), so the AWS CLI refuses the whole file`,
      })
    }
    let valueStart = at + 1
    while (valueStart < to && isSpaceCode(text.charCodeAt(valueStart))) valueStart++
    option = {
      name: key,
      section: current.name,
      index,
      prefixEnd: valueStart,
      pieces: [text.slice(valueStart, to)],
      at: [index],
    }
    current.options.set(key, option)
  }
  if (firstError !== undefined) return refuse({ ...firstError, atEnd: true })

  const sections = new Map<string, Section>()
  const nestedCache = new Map<Option, Either.Either<Record<string, string>, Refusal>>()
  for (const block of blocks.values()) {
    const keys = new Map<string, Key>()
    let merged = block.options
    if (defaults.options.size > 0) {
      merged = new Map(block.options)
      for (const [name, inherited] of defaults.options) if (!merged.has(name)) merged.set(name, inherited)
    }
    for (const [name, opt] of merged) {
      const value = joined(opt)
      let nested: Record<string, string> | undefined
      if (value.startsWith("\n")) {
        const parsed = nestedCache.get(opt) ?? parseNested(opt)
        nestedCache.set(opt, parsed)
        if (Either.isLeft(parsed)) return refuse({ ...parsed.left, atEnd: true })
        nested = parsed.right
      }
      keys.set(name, {
        value,
        nested,
        line: opt.index + 1,
        from: opt.section,
        unclear: unclearOf(opt, value, nested !== undefined),
      })
    }
    sections.set(block.name, new SectionView(block.name, block.index + 1, keys))
  }
  return Either.right({ lines, blocks, headers, sections })
}

/** The sections of a file as the AWS CLI reads it, or why the AWS CLI refuses the whole file. */
export const read = (text: string): Either.Either<Sections, Refusal> =>
  Either.map(layout(text), (l) => l.sections)

/** The sections, or none where the AWS CLI refuses the file: for text known to be good (tests). */
export const parse = (text: string): Sections =>
  Either.getOrElse(read(text), () => new Map<string, Section>())

/** How much Python's text reader decodes at a time: its errors surface one chunk at a time. */
const chunkSize = 8192

/**
 * Strict UTF-8, as Python opens the files under a UTF-8 locale; a byte order mark is kept as text.
 * Decoding and parsing interleave there: lines decoded before the bad chunk are parsed first, and
 * a repeated section or key among them is the error botocore reports.
 */
export const decode = (bytes: Uint8Array): Either.Either<string, Refusal> => {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))
    return Either.left({
      line: 1,
      reason:
        "the file is UTF-16 (as Windows PowerShell 5 writes files with > or Out-File), which the AWS CLI cannot read (save it as UTF-8: in Notepad, Save As with the encoding UTF-8)",
    })
  const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes)
  if (!text.includes("\ufffd")) return Either.right(text)
  const bad = firstInvalidByte(bytes)
  if (bad === undefined) return Either.right(text)
  const failsAt = bad.wrong === undefined ? bytes.length : bad.wrong - (bad.wrong % chunkSize)
  let before = new TextDecoder("utf-8", { ignoreBOM: true }).decode(
    bytes.subarray(0, Math.min(bad.start, failsAt)),
    {
      stream: true,
    },
  )
  if (before.endsWith("\r")) before = before.slice(0, -1)
  const earlier = layout(before.slice(0, Math.max(before.lastIndexOf("\n"), before.lastIndexOf("\r")) + 1))
  if (Either.isLeft(earlier) && !earlier.left.atEnd) return Either.left(earlier.left)
  let line = 1
  for (let i = 0; i < bad.start; i++) {
    if (bytes[i] === 0x0a || (bytes[i] === 0x0d && bytes[i + 1] !== 0x0a)) line++
  }
  return Either.left({
    line,
    reason: `byte 0x${bytes[bad.start]!.toString(16)} is not UTF-8, so the AWS CLI refuses the whole file`,
  })
}

/**
 * The first ill-formed UTF-8 sequence (Unicode table 3-7): where it starts, and the byte that makes
 * it wrong (none when the file ends inside it).
 */
const firstInvalidByte = (bytes: Uint8Array): { start: number; wrong: number | undefined } | undefined => {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!
    const [length, lo, hi] =
      b < 0x80
        ? [1, 0, 0]
        : b >= 0xc2 && b <= 0xdf
          ? [2, 0x80, 0xbf]
          : b === 0xe0
            ? [3, 0xa0, 0xbf]
            : b === 0xed
              ? [3, 0x80, 0x9f]
              : b >= 0xe1 && b <= 0xef
                ? [3, 0x80, 0xbf]
                : b === 0xf0
                  ? [4, 0x90, 0xbf]
                  : b >= 0xf1 && b <= 0xf3
                    ? [4, 0x80, 0xbf]
                    : b === 0xf4
                      ? [4, 0x80, 0x8f]
                      : [0, 0, 0]
    if (length === 0) return { start: i, wrong: i }
    for (let k = 1; k < length; k++) {
      const next = bytes[i + k]
      if (next === undefined) return { start: i, wrong: undefined }
      if (next < (k === 1 ? lo : 0x80) || next > (k === 1 ? hi : 0xbf)) return { start: i, wrong: i + k }
    }
    i += length
  }
  return undefined
}

export interface Edit {
  readonly section: string
  readonly set: Readonly<Record<string, string>>
  /**
   * Values the section must hold when the edit is made (compare-and-swap), undefined for a key it
   * must not hold: checked on the text the edit is applied to, so a change made since the caller
   * last read the file refuses the edit.
   */
  readonly expect?: Readonly<Record<string, string | undefined>>
  /** Keys whose lines are removed (each must fit on its one line). */
  readonly unset?: ReadonlyArray<string>
}

const writableKey = /^[a-z0-9_.-]+$/

const invalidEdit = (edit: Edit): string | undefined => {
  const name = edit.section
  if (name === "" || name === defaultSection || /[[\]\r\n]/.test(name) || strip(name) !== name) {
    return `"${name}" cannot be written as a section name`
  }
  for (const [key, value] of Object.entries(edit.set)) {
    if (!writableKey.test(key)) return `"${key}" cannot be written as a key`
    if (value === "" || /[\r\n]/.test(value) || strip(value) !== value || unclearText(value) !== undefined) {
      return `the value for ${key} in [${name}] would not read back as written`
    }
  }
  return undefined
}

const sameKey = (a: Key, b: Key | undefined) =>
  b !== undefined &&
  a.value === b.value &&
  (a.nested === b.nested || JSON.stringify(a.nested) === JSON.stringify(b.nested))

/** botocore's whole reading of a section, nested blocks included, is the same. */
const sameSection = (a: Section, b: Section | undefined) =>
  b !== undefined &&
  a.keys.size === b.keys.size &&
  [...a.keys].every(([key, k]) => sameKey(k, b.keys.get(key)))

/** The new reading must be the old one plus exactly the edits: every other section and key as it was. */
const checkEdits = (
  before: Sections,
  after: Sections,
  sets: ReadonlyMap<string, Record<string, string>>,
  unsets: ReadonlyMap<string, ReadonlySet<string>>,
) => {
  for (const name of after.keys()) if (!before.has(name) && !sets.has(name)) return `[${name}] would appear`
  for (const [name, old] of before) {
    const now = after.get(name)
    if (now === undefined) return `[${name}] would disappear`
    const set = sets.get(name) ?? {}
    const unset = unsets.get(name)
    for (const [key, was] of old.keys) {
      if (unset?.has(key)) {
        const left = now.keys.get(key)
        if (left !== undefined)
          return left.from === name
            ? `${key} would stay in [${name}]`
            : `${key} would stay in [${name}], given to every section by [${left.from}] (line ${left.line}: remove it there first)`
      } else if (!Object.hasOwn(set, key) && !sameKey(was, now.keys.get(key)))
        return `${key} in [${name}] would change`
    }
    for (const key of now.keys.keys())
      if (!old.keys.has(key) && !Object.hasOwn(set, key)) return `${key} would appear in [${name}]`
  }
  for (const [name, set] of sets) {
    for (const [key, value] of Object.entries(set)) {
      const read = after.get(name)?.keys.get(key)
      if (read?.value !== value || read.from !== name || read.unclear !== undefined)
        return `the value for ${key} in [${name}] would not read back as written`
    }
  }
  return undefined
}

/**
 * Sets keys in sections by editing only their lines; every other byte stays as it was. Refuses a
 * file the AWS CLI refuses, a key whose value spans several lines, and any result that does not read
 * back (with this reader) as the old file plus exactly these edits.
 */
export const applyEdits = (text: string, edits: ReadonlyArray<Edit>): Either.Either<string, string> => {
  const read = layout(text)
  if (Either.isLeft(read)) return Either.left(describeRefusal(read.left))
  const { lines, blocks, headers, sections } = read.right
  const invalid = edits.map(invalidEdit).find((reason) => reason !== undefined)
  if (invalid !== undefined) return Either.left(invalid)
  for (const edit of edits) {
    for (const [key, value] of Object.entries(edit.expect ?? {})) {
      // The values may be secrets: the reason names the key only.
      if (sections.get(edit.section)?.values[key] !== value)
        return Either.left(
          value === undefined
            ? `[${edit.section}] now holds ${key}, which it did not hold (the file changed meanwhile)`
            : `[${edit.section}] no longer holds the ${key} it held (the file changed meanwhile)`,
        )
    }
  }

  const sets = new Map<string, Record<string, string>>()
  for (const edit of edits) sets.set(edit.section, { ...sets.get(edit.section), ...edit.set })
  const unsets = new Map<string, Set<string>>()
  for (const edit of edits)
    for (const key of edit.unset ?? [])
      unsets.set(edit.section, new Set([...(unsets.get(edit.section) ?? []), key]))
  const eol = lines.length > 0 && lines.breaks[0]! > lines.ends[0]! ? lines.at(0).eol : "\n"
  const replaced = new Map<number, string>()
  const inserted = new Map<number, Array<string>>()
  const appended: Array<string> = []
  const removed = new Set<number>()
  for (const [name, keys] of unsets) {
    for (const key of keys) {
      const option = blocks.get(name)?.options.get(key)
      if (option === undefined) continue
      if (lastLine(option) !== option.index)
        return Either.left(
          `line ${option.index + 1}: the value of ${key} in [${name}] spans several lines; fix it by hand`,
        )
      removed.add(option.index)
    }
  }
  for (const [name, set] of sets) {
    const block = blocks.get(name)
    const missing: Array<[string, string]> = []
    for (const [key, value] of Object.entries(set)) {
      const option = block?.options.get(key)
      if (option === undefined) {
        missing.push([key, value])
        continue
      }
      const last = lastLine(option)
      if (last !== option.index) {
        return Either.left(
          `line ${option.index + 1}: the value of ${key} in [${name}] continues on line ${last + 1}; fix it by hand`,
        )
      }
      replaced.set(option.index, text.slice(lines.starts[option.index], option.prefixEnd) + value)
    }
    if (missing.length === 0) continue
    if (block === undefined) {
      appended.push(`[${name}]`, ...missing.map(([key, value]) => `${key} = ${value}`))
      continue
    }
    // After the last line of the last value, indented like that value's key: a new line indented
    // less would make the lines below it (continuations, an indented header) read differently.
    // With no key above, indented like the next header, which must not read as a continuation.
    let anchor = block.index
    const next = headers.find((h) => h > block.index)
    let indent = next === undefined ? "" : indentString(lines.at(next).content)
    for (const option of block.options.values()) {
      const last = lastLine(option)
      if (last >= anchor) {
        anchor = last
        indent = indentString(lines.at(option.index).content)
      }
    }
    inserted.set(
      anchor,
      missing.map(([key, value]) => `${indent}${key} = ${value}`),
    )
  }

  // Only the touched lines are rebuilt; the text between them is copied as it is.
  const lastIndex = lines.length - 1
  const touched = new Set([...replaced.keys(), ...inserted.keys(), ...removed])
  if (appended.length > 0 && lines.length > 0) touched.add(lastIndex)
  const out: Array<string> = []
  let from = 0
  for (const index of [...touched].sort((a, b) => a - b)) {
    const line = lines.at(index)
    out.push(text.slice(from, line.start))
    from = line.start + line.content.length + line.eol.length
    const content = replaced.get(index) ?? line.content
    const tail =
      index === lastIndex && appended.length > 0 ? [...(strip(content) === "" ? [] : [""]), ...appended] : []
    const added = [...(inserted.get(index) ?? []), ...tail]
    if (added.length === 0) {
      if (!removed.has(index)) out.push(content + line.eol)
      continue
    }
    // New lines end as the line before them does; a missing final newline stays missing.
    const nl = line.eol || eol
    if (!removed.has(index)) out.push(content + nl)
    added.forEach((a, i) => {
      out.push(a + (i < added.length - 1 ? nl : line.eol))
    })
  }
  out.push(text.slice(from))
  if (lines.length === 0) out.push(...appended.map((a) => a + eol))
  const result = out.join("")

  const reread = layout(result)
  if (Either.isLeft(reread))
    return Either.left(`the edited file would not read back (${describeRefusal(reread.left)})`)
  const wrong = checkEdits(sections, reread.right.sections, sets, unsets)
  return wrong === undefined ? Either.right(result) : Either.left(`${wrong} with this edit`)
}

/** Python's `shlex.split` (POSIX mode), or undefined where it raises (an unclosed quote or escape). */
const shlexSplit = (text: string): Array<string> | undefined => {
  const words: Array<string> = []
  let word: string | undefined
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c === " " || c === "\t" || c === "\r" || c === "\n") {
      if (word !== undefined) words.push(word)
      word = undefined
    } else if (c === "\\") {
      if (i + 1 >= text.length) return undefined
      word = (word ?? "") + text[++i]
    } else if (c === "'" || c === '"') {
      word ??= ""
      for (i++; ; i++) {
        if (i >= text.length) return undefined
        const q = text[i]!
        if (q === c) break
        if (c === '"' && q === "\\" && (text[i + 1] === '"' || text[i + 1] === "\\")) word += text[++i]
        else word += q
      }
    } else word = (word ?? "") + c
  }
  if (word !== undefined) words.push(word)
  return words
}

/**
 * The sections of the config file named `<kind> <name>`, by name, found as botocore's
 * `build_profile_map` finds them: a section whose name starts with `kind` and splits (as a shell
 * would) into two words, the second the name (`[profile work]`, `[profile "my work"]`,
 * `[services local]`); where several match, the last wins. `[default]` is the profile `default` too.
 */
const namedSections = (config: Sections, kind: "profile" | "services"): ReadonlyMap<string, Section> => {
  const found = new Map<string, Section>()
  for (const [name, section] of config) {
    // botocore sorts a section by the first of these prefixes its name starts with.
    const sort = ["profile", "sso-session", "services"].find((prefix) => name.startsWith(prefix))
    if (sort === undefined) {
      if (kind === "profile" && name === "default") found.set(name, section)
    } else if (sort === kind) {
      const words = shlexSplit(name)
      if (words?.length === 2) found.set(words[1]!, section)
    }
  }
  return found
}

/** Every profile of the config file by its name: `[profile <name>]`, or `[default]`, as botocore finds them. */
export const configProfiles = (config: Sections): ReadonlyMap<string, Section> =>
  namedSections(config, "profile")

/** A profile of the config file: `[profile <name>]`, or `[default]`, as botocore finds it. */
export const configProfile = (config: Sections, profile: string): Section | undefined =>
  configProfiles(config).get(profile)

/** A `[services <name>]` section of the config file, as botocore finds it. */
export const servicesSection = (config: Sections, name: string): Section | undefined =>
  namedSections(config, "services").get(name)

/**
 * Removes the `[name]` section: its header and its lines up to its last value, with the blank lines
 * that separated it; a comment after its last value may belong to what follows, so it stays. Every
 * other line stays byte for byte; a section at the end of the file leaves the file ending as it did.
 * Refuses when the result would not read back as the file without `name`.
 */
export const removeSection = (text: string, name: string): Either.Either<string, string> => {
  const read = layout(text)
  if (Either.isLeft(read)) return Either.left(describeRefusal(read.left))
  const { lines, blocks, sections } = read.right
  const block = blocks.get(name)
  if (block === undefined) return Either.right(text)
  const blank = (index: number) => index >= 0 && index < lines.length && strip(lines.at(index).content) === ""
  let start = block.index
  let end = Math.max(block.index, ...[...block.options.values()].map(lastLine)) + 1
  if (blank(start - 1)) while (blank(end)) end++
  if (end === lines.length) while (blank(start - 1)) start--
  const before =
    start === 0 ? "" : text.slice(0, lines.starts[start - 1]! + lines.at(start - 1).content.length)
  // The line that now ends the text ends as the removed last line did (a missing final newline stays missing).
  const joint =
    start === 0 ? "" : end === lines.length ? lines.at(lines.length - 1).eol : lines.at(start - 1).eol
  const result = before + joint + (end === lines.length ? "" : text.slice(lines.starts[end]))
  const reread = layout(result)
  const same =
    Either.isRight(reread) &&
    !reread.right.sections.has(name) &&
    reread.right.sections.size === sections.size - 1 &&
    [...sections].every(
      ([section, old]) => section === name || sameSection(old, reread.right.sections.get(section)),
    )
  return same ? Either.right(result) : Either.left(`removing [${name}] would change other sections`)
}
