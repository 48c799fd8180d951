import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"
import pkg from "../../package.json" with { type: "json" }
import { bin } from "./moto.js"

const run = promisify(execFile)

describe("the installed command's code cache", () => {
  it("is written on first success, one per kind of run, reused, and a damaged one only costs speed", async () => {
    const cacheHome = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-cache-"))
    const env = { ...process.env, XDG_CACHE_HOME: cacheHome }
    const dir = path.join(cacheHome, "aws-iam-login")
    const failed = run(process.execPath, [bin, "--no-such-flag"], { env })
    await expect(failed).rejects.toMatchObject({ code: 2 })
    expect(fs.existsSync(dir)).toBe(false)
    const version = async () => (await run(process.execPath, [bin, "--version"], { env })).stdout.trim()
    expect(await version()).toBe(pkg.version)
    const [entry] = fs.readdirSync(dir)
    expect(entry).toMatch(/^main---version-[0-9a-f]{32}-v\d+\.\d+\.\d+\.v8$/)
    expect(fs.statSync(path.join(dir, entry!)).mode & 0o777).toBe(0o600)
    expect(await version()).toBe(pkg.version)
    fs.writeFileSync(path.join(dir, entry!), "not V8 data")
    expect(await version()).toBe(pkg.version)
    expect(fs.readdirSync(dir)).toEqual([entry])
    expect(fs.statSync(path.join(dir, entry!)).size).toBeGreaterThan(100_000)
    const help = (await run(process.execPath, [bin, "--help"], { env })).stdout
    expect(help).toContain("USAGE")
    expect(fs.readdirSync(dir).sort()).toEqual(
      [entry, entry!.replace("main---version-", "main-help-")].sort(),
    )
  })
})
