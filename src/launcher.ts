// The installed command (built as CommonJS, which starts faster than an ES module): runs
// dist/main.cjs (the bundled src/bin.ts), and the AWS SDK bundles it requires, with a V8 code cache
// kept in the user's cache directory, so that after the first run Node skips most parsing and
// compiling. Any problem with the cache only costs speed: V8 rejects data that does not match, and
// the file name carries the bundle's digest (taken by the build) and Node's version.
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as vm from "node:vm"
import { asksForHelp, commandNames } from "./commands/names.js"

declare const BUNDLE_DIGESTS: Readonly<Record<string, string>>

const cacheDir = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "aws-iam-login")
const pending: Array<() => void> = []

/**
 * A cache holds the functions compiled by the run that made it, so each kind of run keeps its own
 * (one made by `--version` would leave `login` compiling most of its functions on every start), and
 * only a run that succeeds makes one.
 */
const args = process.argv.slice(2)
const kinds: ReadonlyArray<string> = [...commandNames, "__complete", "--completions", "--version"]
const kind = args.find((arg) => kinds.includes(arg)) ?? (asksForHelp(args) ? "help" : "login")

/** Runs one of our CommonJS bundles (`main.cjs`, `sdk/iam.cjs`), from the code cache when it has one. */
const load = (bundleName: string): unknown => {
  const file = path.join(__dirname, bundleName)
  const source = fs.readFileSync(file, "utf8")
  const prefix = `${path.basename(file, ".cjs")}-${kind}-`
  const digest = BUNDLE_DIGESTS[bundleName]
  const cache = path.join(cacheDir, `${prefix}${digest}-${process.version}.v8`)
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
        if (old.startsWith(prefix) && old !== path.basename(cache))
          fs.rmSync(path.join(cacheDir, old), { force: true })
      }
    })
  }
  const bundle = { exports: {} }
  const requireIn = (id: string) => (id.startsWith("./sdk/") ? load(id.slice(2)) : (require(id) as unknown))
  script.runInThisContext()(bundle.exports, requireIn, bundle, file, __dirname)
  return bundle.exports
}

process.once("exit", (code) => {
  if (code !== 0) return
  for (const write of pending) {
    try {
      write()
    } catch {
      // no cache this time
    }
  }
})

interface Main {
  readonly start: () => void
}

// The bundle loads with stack traces off: effect takes one while loading to probe the engine, and
// formatting it makes V8 re-parse the whole bundle for line numbers (2 ms on every start).
const stackTraceLimit = Error.stackTraceLimit
Error.stackTraceLimit = 0
const program = (process.env.AWS_IAM_LOGIN_NO_CACHE ? require("./main.cjs") : load("main.cjs")) as Main
Error.stackTraceLimit = stackTraceLimit
program.start()
