/** `AKIA…WXYZ`: enough to tell keys apart, never the whole id. */
export const maskKeyId = (id: string): string =>
  id.length > 8 ? printable(`${id.slice(0, 4)}…${id.slice(-4)}`) : "…"

/** `text` as a terminal shows it and nothing more: control characters (an escape sequence from a forged answer) written as \xNN. */
export const printable = (text: string): string =>
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
  text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`)
