import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"
import pkg from "../../package.json" with { type: "json" }
import { bin } from "./moto.js"

const run = promisify(execFile)

/** The page as a terminal `columns` wide shows it, colour codes and carriage returns removed. */
const onTerminal = async (columns: number, args: ReadonlyArray<string>) => {
  const line = `stty cols ${columns}; "${process.execPath}" "${bin}" ${args.join(" ")}`
  const { stdout } = await run("script", ["-qec", line, "/dev/null"], {
    env: { ...process.env, NO_COLOR: "1" },
  })
  return stdout.replaceAll("\r", "")
}

const words = (text: string) => text.split(/\s+/).filter((w) => w !== "")

describe("--help through the built CLI", () => {
  it("fits the terminal: wrapped at word boundaries to its width, the title once", async () => {
    for (const args of [["--help"], ["login", "--help"], ["work", "export", "--help"], ["exec", "--help"]]) {
      const piped = (await run(process.execPath, [bin, ...args])).stdout
      // A terminal that reports no width (0) gets a pipe's 80 columns.
      for (const columns of [0, 40, 60, 100]) {
        const page = await onTerminal(columns, args)
        const tooLong = page.split("\n").filter((line) => line.length > (columns || 80))
        expect({ args, columns, tooLong }).toEqual({ args, columns, tooLong: [] })
        // Only the spacing differs from the page piped at 80 columns: no word is cut.
        expect(words(page)).toEqual(words(piped))
      }
      expect(piped.split("\n").filter((line) => line.length > 80)).toEqual([])
      expect(piped.startsWith(`aws-iam-login ${pkg.version}\n\nUSAGE\n`)).toBe(true)
      expect(piped.match(/aws-iam-login \d+\.\d+\.\d+/g)).toHaveLength(1)
    }
  }, 120_000)

  it("lists --profile and --debug where they apply, and names export's default format", async () => {
    const page = async (...args: ReadonlyArray<string>) =>
      (await run(process.execPath, [bin, ...args])).stdout
    for (const command of ["login", "status", "export", "exec", "rotate", "init", "logout"]) {
      const text = await page(command, "--help")
      expect(text, command).toContain("\n--profile NAME\n")
      expect(text, command).toContain("\n--debug\n")
    }
    const list = await page("list", "--help")
    expect(list).toContain("\n--debug\n")
    expect(list).not.toContain("--profile")
    const tool = await page("--help")
    for (const flag of ["--profile NAME", "--debug", "--version", "--completions bash|zsh|fish|sh"])
      expect(tool).toContain(`\n${flag}\n`)
    expect(await page("export", "--help")).toContain("credential-process (the default)")
  }, 60_000)
})
