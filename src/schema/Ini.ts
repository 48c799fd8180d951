import * as Either from "effect/Either"
import * as ini from "ini"

/**
 * One `[name]` section: its values as `ini.parse` reads them, and the 1-based line of each key.
 * Keys are lower-cased, as the AWS CLI reads them: `AWS_ACCESS_KEY_ID = …` works there.
 */
export interface Section {
  readonly values: Readonly<Record<string, string>>
  readonly lines: Readonly<Record<string, number>>
}

export type Sections = ReadonlyMap<string, Section>

/** The section header and key lines exactly as `ini` recognises them. */
const headerRe = /^\[([^\]]*)\]\s*$/
const keyRe = /^([^=]+)=/
const skipRe = /^\s*([;#]|$)/

interface Line {
  readonly content: string
  readonly eol: string
}

const splitLines = (text: string): Array<Line> =>
  text === ""
    ? []
    : text.split(/(?<=\n)/).map((raw) => {
        const eol = /\r?\n$/.exec(raw)?.[0] ?? ""
        return { content: raw.slice(0, raw.length - eol.length), eol }
      })

const headerName = (content: string): string | undefined => {
  const m = headerRe.exec(content)
  return m ? ini.unsafe(m[1] ?? "") : undefined
}

const keyName = (content: string): string | undefined => {
  if (skipRe.test(content)) return undefined
  const m = keyRe.exec(content)
  return m ? ini.unsafe(m[1] ?? "") : undefined
}

/** Which block (index into headers, or -1 before any header) each line belongs to. */
const blocks = (lines: ReadonlyArray<Line>) => {
  const headers: Array<{ readonly name: string; readonly index: number }> = []
  const owner = lines.map((line, index) => {
    const name = headerName(line.content)
    if (name !== undefined) headers.push({ name, index })
    return headers.length - 1
  })
  return { headers, owner }
}

/**
 * Parses with `ini.parse`, one section at a time so that dotted names such as
 * `[team.prod]` stay flat, as the AWS tools read them.
 */
export const parse = (text: string): Sections => {
  const lines = splitLines(text)
  const { headers, owner } = blocks(lines)
  const headerLines = new Set(headers.map((h) => h.index))
  const masked = lines.map((line, i) => (headerLines.has(i) ? `[s${owner[i]}]` : line.content))
  const parsed = ini.parse(masked.join("\n")) as Record<string, Record<string, unknown>>
  const sections = new Map<string, { values: Record<string, string>; lines: Record<string, number> }>()
  headers.forEach((header, block) => {
    const section = sections.get(header.name) ?? { values: {}, lines: {} }
    for (const [key, value] of Object.entries(parsed[`s${block}`] ?? {})) {
      if (typeof value === "object") continue
      section.values[key.toLowerCase()] = String(value)
    }
    lines.forEach((line, i) => {
      const key = owner[i] === block ? keyName(line.content) : undefined
      if (key !== undefined) section.lines[key.toLowerCase()] = i + 1
    })
    sections.set(header.name, section)
  })
  return sections
}

export interface Edit {
  readonly section: string
  readonly set: Readonly<Record<string, string>>
}

const validKey = /^[A-Za-z0-9_.-]+$/
const validValue = /^[^\s;#"'\\][^\r\n;#]*(?<!\s)$/

const validate = (edit: Edit): string | undefined => {
  if (
    headerName(`[${edit.section}]`) !== edit.section ||
    /[\r\n[\]]/.test(edit.section) ||
    edit.section === "__proto__"
  ) {
    return `"${edit.section}" cannot be written as a section name`
  }
  for (const [key, value] of Object.entries(edit.set)) {
    if (!validKey.test(key) || key === "__proto__") return `"${key}" cannot be written as a key`
    if (!validValue.test(value))
      return `the value for ${key} in [${edit.section}] would not read back as written`
  }
  return undefined
}

const applyOne = (lines: Array<Line>, edit: Edit, eol: string): Array<Line> => {
  const { headers, owner } = blocks(lines)
  const mine = headers.flatMap((h, block) => (h.name === edit.section ? [block] : []))
  const result = [...lines]
  const missing: Array<string> = []
  for (const [key, value] of Object.entries(edit.set)) {
    let found = false
    result.forEach((line, i) => {
      if (mine.includes(owner[i] ?? -1) && keyName(line.content)?.toLowerCase() === key.toLowerCase()) {
        const prefix = /^[^=]*=[ \t]*/.exec(line.content)?.[0] ?? `${key} = `
        result[i] = { content: prefix + value, eol: line.eol }
        found = true
      }
    })
    if (!found) missing.push(`${key} = ${value}`)
  }
  if (missing.length === 0) return result
  const added = missing.map((content) => ({ content, eol }))
  const last = mine.at(-1)
  let at = result.length - 1
  if (last === undefined) {
    added.unshift({ content: `[${edit.section}]`, eol })
    if (at >= 0 && result[at]!.content.trim() !== "") added.unshift({ content: "", eol })
  } else {
    at = headers[last]!.index
    result.forEach((line, i) => {
      if (owner[i] === last && !skipRe.test(line.content)) at = i
    })
  }
  const anchor = result[at]
  if (anchor !== undefined && anchor.eol === "") {
    result[at] = { content: anchor.content, eol }
    added[added.length - 1] = { content: added.at(-1)!.content, eol: "" }
  }
  result.splice(at + 1, 0, ...added)
  return result
}

/**
 * Sets keys in sections by editing only their lines; every other byte stays as it was.
 * Refuses, rather than writes, anything `ini.parse` would not read back exactly.
 */
export const applyEdits = (text: string, edits: ReadonlyArray<Edit>): Either.Either<string, string> => {
  const invalid = edits.map(validate).find((reason) => reason !== undefined)
  if (invalid !== undefined) return Either.left(invalid)
  const eol = text.includes("\r\n") ? "\r\n" : "\n"
  const lines = edits.reduce((acc, edit) => applyOne(acc, edit, eol), splitLines(text))
  const result = lines.map((line) => line.content + line.eol).join("")
  const reread = parse(result)
  for (const edit of edits) {
    for (const [key, value] of Object.entries(edit.set)) {
      if (reread.get(edit.section)?.values[key] !== value) {
        return Either.left(`the value for ${key} in [${edit.section}] would not read back as written`)
      }
    }
  }
  return Either.right(result)
}

/**
 * Removes every `[name]` section: its header and the lines after it up to the next header or
 * comment (a comment there may belong to what follows, so it stays), with the blank lines that
 * separated it. Every other line stays byte for byte; a section at the end of the file leaves the
 * file ending as it did. Refuses when the result would not read back as the file without `name`.
 */
export const removeSection = (text: string, name: string): Either.Either<string, string> => {
  const lines = splitLines(text)
  const { headers, owner } = blocks(lines)
  const removed = new Set<number>()
  headers.forEach((header, block) => {
    if (header.name !== name) return
    let end = header.index + 1
    while (end < lines.length && owner[end] === block && !/^\s*[;#]/.test(lines[end]!.content)) end++
    let start = header.index
    const blankBefore = start > 0 && lines[start - 1]!.content.trim() === ""
    // Keep one blank line between what was before and what comes after.
    if (end < lines.length && !blankBefore)
      while (end > start + 1 && lines[end - 1]!.content.trim() === "") end--
    if (end === lines.length) while (start > 0 && lines[start - 1]!.content.trim() === "") start--
    for (let i = start; i < end; i++) removed.add(i)
  })
  const kept = lines.filter((_, i) => !removed.has(i))
  const last = kept.at(-1)
  if (last !== undefined && removed.has(lines.length - 1))
    kept[kept.length - 1] = { ...last, eol: lines.at(-1)!.eol }
  const result = kept.map((line) => line.content + line.eol).join("")
  const before = parse(text)
  const after = parse(result)
  const same = [...before.keys()].every(
    (section) =>
      section === name ||
      JSON.stringify(before.get(section)?.values) === JSON.stringify(after.get(section)?.values),
  )
  return same && !after.has(name) && after.size === before.size - (before.has(name) ? 1 : 0)
    ? Either.right(result)
    : Either.left(`removing [${name}] would change other sections`)
}
