// biome-ignore lint/suspicious/noControlCharactersInRegex: an escape sequence starts with the escape character
const escapes = /\x1b\[[0-9;]*m/y

/** A line is never made narrower than this past its indentation. */
const least = 20

/**
 * `text` with every line longer than `width` columns broken at its last space that fits, the rest
 * indented as the line was (past a `- ` bullet or a `$ ` prompt); colour codes take no column. A
 * word longer than the width stays whole.
 */
export const wrap = (text: string, width: number): string =>
  text
    .split("\n")
    .map((line) => wrapLine(line, width))
    .join("\n")

const wrapLine = (line: string, columns: number): string => {
  const plain = line.replace(new RegExp(escapes.source, "g"), "")
  const indent = /^ *(- |\$ )?/.exec(plain)![0].length
  const width = Math.max(columns, indent + least)
  const out: Array<string> = []
  let rest = line
  for (;;) {
    let column = 0
    let lastSpace = -1
    let i = 0
    for (; i < rest.length; i++) {
      escapes.lastIndex = i
      if (escapes.test(rest)) {
        i = escapes.lastIndex - 1
        continue
      }
      if (rest[i] === " " && column > indent) lastSpace = i
      column++
      if (column > width && lastSpace >= 0) break
    }
    if (i >= rest.length) return [...out, rest].join("\n")
    out.push(rest.slice(0, lastSpace).trimEnd())
    rest = " ".repeat(indent) + rest.slice(lastSpace + 1).trimStart()
  }
}
