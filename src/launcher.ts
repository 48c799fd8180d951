// The installed command: runs dist/main.cjs (the bundled src/bin.ts), and the AWS SDK bundles it
// requires, with a V8 code cache kept in the user's cache directory, so that after the first run Node
// skips most parsing and compiling. Any problem with the cache only costs speed: V8 rejects data that
// does not match, and the file name carries a digest of the source.
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as vm from "node:vm"

const dist = path.dirname(fileURLToPath(import.meta.url))
const nodeRequire = createRequire(path.join(dist, "main.cjs"))
const cacheDir = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "aws-iam-login")
const pending: Array<() => void> = []

/** Runs one of our CommonJS bundles, from the code cache when it has the bundle. */
const load = (file: string): unknown => {
  const source = fs.readFileSync(file, "utf8")
  const digest = createHash("sha256").update(source).update(process.version).digest("hex").slice(0, 32)
  const name = path.basename(file, ".cjs")
  const cache = path.join(cacheDir, `${name}-${digest}.v8`)
  let cachedData: Buffer | undefined
  try {
    cachedData = fs.readFileSync(cache)
  } catch {
    cachedData = undefined
  }
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
  })
  if (cachedData === undefined || script.cachedDataRejected) {
    pending.push(() => {
      fs.mkdirSync(cacheDir, { recursive: true, mode: 0o700 })
      fs.writeFileSync(`${cache}.${process.pid}`, script.createCachedData(), { mode: 0o600 })
      fs.renameSync(`${cache}.${process.pid}`, cache)
      for (const old of fs.readdirSync(cacheDir)) {
        if (old.startsWith(`${name}-`) && old !== path.basename(cache))
          fs.rmSync(path.join(cacheDir, old), { force: true })
      }
    })
  }
  const module = { exports: {} }
  const require = (id: string) => (id.startsWith("./sdk/") ? load(path.join(dist, id)) : nodeRequire(id))
  script.runInThisContext()(module.exports, require, module, file, dist)
  return module.exports
}

process.once("exit", () => {
  for (const write of pending) {
    try {
      write()
    } catch {
      // no cache this time
    }
  }
})

if (process.env.AWS_IAM_LOGIN_NO_CACHE) nodeRequire("./main.cjs")
else load(path.join(dist, "main.cjs"))
