// Runs the full program: dist/main.cjs (the bundled src/bin.ts), and the AWS SDK bundles it requires,
// with a V8 code cache kept in the user's cache directory, so that after the first run Node skips
// most parsing and compiling. V8 checks only a cache's length and flags, not its content, so the
// cache is trusted only from a directory that is the user's alone (a real directory, mode 0700; on
// Windows, inside the user's profile), each entry only when its header holds the digests of the
// exact source it was made from and of its own data. Any problem with the cache only costs speed. AWS_IAM_LOGIN_NO_CACHE=1 turns it off.
// The launcher (src/launcher.ts) loads this module only when its fast path does not answer.
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as vm from "node:vm"
import { commandNames } from "./cli/commandNames.js"
import { asksForHelp } from "./cli/names.js"
import type { Handover } from "./handover.js"

/** The user's uid where files have POSIX owners and modes; undefined on Windows. */
const uid = process.getuid?.()
const cacheDir = path.join(
  process.env.XDG_CACHE_HOME ||
    (uid === undefined
      ? process.env.LOCALAPPDATA || path.join(os.homedir(), "AppData", "Local")
      : path.join(os.homedir(), ".cache")),
  "aws-iam-login",
)
/** All entries together stay below this: the oldest go first. */
const maxCacheBytes = 4 * 1024 * 1024
const magic = "aws-iam-login-code-cache-1"
const pending: Array<() => Promise<void>> = []

/**
 * A cache holds the functions compiled by the runs that made it. Each bundle has one entry, made by
 * the first run that succeeds; a run of a kind that is run often (login, `export` for
 * credential_process, `status`, and `exec` once it is a subcommand) and not yet in the entry writes
 * it again with its own functions added, so that the entry ends up serving all of them without
 * growing with the rare kinds.
 */
const args = process.argv.slice(2)
const kinds: ReadonlyArray<string> = [...commandNames, "__complete", "--completions", "--version"]
const kind = args.find((arg) => kinds.includes(arg)) ?? (asksForHelp(args) ? "help" : "login")
const often = ["login", "export", "status", "exec"]

const sha256 = (data: string | Buffer) => crypto.createHash("sha256").update(data).digest("hex")

/**
 * Whether `dir`, once every link on its way is followed, lies in the user's profile: Windows reports
 * no owner or mode to check, but lets no other user (administrators aside) write in a profile, and
 * whoever can write there can as well replace this tool, which npm installs in %APPDATA%.
 */
const inProfile = (dir: string) => {
  const real = fs.realpathSync.native(dir).toLowerCase()
  const profile = fs.realpathSync.native(os.homedir()).toLowerCase()
  return real.startsWith(profile.endsWith(path.sep) ? profile : profile + path.sep)
}

/** The directory is used only as a real directory (lstat: not through a link) of this user's, mode 0700; on Windows, in the profile. */
const trusted = (dir: string) => {
  try {
    const info = fs.lstatSync(dir)
    if (!info.isDirectory()) return false
    return uid === undefined ? inProfile(dir) : info.uid === uid && (info.mode & 0o777) === 0o700
  } catch {
    return false
  }
}

const cacheUsable = trusted(cacheDir)

interface Entry {
  readonly data: Buffer
  /** The kinds of run whose functions it holds. */
  readonly kinds: ReadonlyArray<string>
}

/** `<magic> <sha256 of the source> <sha256 of the data> <kinds>\n<V8 data>`, used only when both digests match. */
const readEntry = (file: string, sourceDigest: string): Entry | undefined => {
  const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants
  let fd: number | undefined
  try {
    fd = fs.openSync(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
    const info = fs.fstatSync(fd)
    const othersMay = uid !== undefined && (info.uid !== uid || (info.mode & 0o077) !== 0)
    if (!info.isFile() || othersMay || info.size > maxCacheBytes) return undefined
    const bytes = fs.readFileSync(fd)
    const end = bytes.indexOf(10)
    const [mark, source, digest, made = ""] = bytes.subarray(0, end).toString().split(" ")
    const data = bytes.subarray(end + 1)
    return mark === magic && source === sourceDigest && digest === sha256(data)
      ? { data, kinds: made.split(",") }
      : undefined
  } catch {
    return undefined
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
  }
}

/**
 * The directory, made 0700 when it was missing at start; a directory that was there and not
 * trusted then, or that someone else made since, is not written to.
 */
const writableDir = async () => {
  if (cacheUsable) return true
  try {
    await fs.promises.mkdir(path.dirname(cacheDir), { recursive: true, mode: 0o700 })
    await fs.promises.mkdir(cacheDir, { mode: 0o700 })
    await fs.promises.chmod(cacheDir, 0o700)
  } catch {
    return false
  }
  return uid !== undefined || inProfile(cacheDir)
}

/** Written to a new file of an unpredictable name (exclusively, never through a link), then renamed. */
const writeEntry = async (file: string, sourceDigest: string, data: Buffer, made: ReadonlyArray<string>) => {
  if ((await othersSize(file)) + data.length > maxCacheBytes) return
  const temp = path.join(cacheDir, `.${path.basename(file)}.${crypto.randomBytes(8).toString("hex")}.tmp`)
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants
  const handle = await fs.promises.open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
  try {
    await handle.writeFile(
      Buffer.concat([Buffer.from(`${magic} ${sourceDigest} ${sha256(data)} ${made.join(",")}\n`), data]),
    )
  } finally {
    await handle.close()
  }
  await fs.promises.rename(temp, file)
}

/**
 * The size of the entries other than `file`, after removing what this Node cannot use (entries of
 * other Node versions or of older versions of the tool) and temporary files left a minute ago or
 * more. An entry that would take the total past maxCacheBytes is not written: that bundle starts
 * without a cache, and no two entries keep evicting each other.
 */
const othersSize = async (file: string) => {
  const current = `-${process.version}.v8`
  let total = 0
  for (const name of await fs.promises.readdir(cacheDir)) {
    const other = path.join(cacheDir, name)
    const info = await fs.promises.lstat(other)
    if (name.endsWith(".tmp")) {
      if (Date.now() - info.mtimeMs > 60_000) await fs.promises.rm(other, { force: true })
    } else if (!/^[a-z]+-v[\d.]+\.v8$/.test(name) || !name.endsWith(current))
      await fs.promises.rm(other, { force: true })
    else if (other !== file) total += info.size
  }
  return total
}

/** Runs one of our CommonJS bundles (`main.cjs`, `sdk/iam.cjs`), from the code cache when it has one. */
const load = (bundleName: string): unknown => {
  const file = path.join(__dirname, bundleName)
  const source = fs.readFileSync(file, "utf8")
  const cache = path.join(cacheDir, `${path.basename(file, ".cjs")}-${process.version}.v8`)
  const sourceDigest = sha256(source)
  const entry = cacheUsable ? readEntry(cache, sourceDigest) : undefined
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    ...(entry ? { cachedData: entry.data } : {}),
  })
  const made = entry && !script.cachedDataRejected ? entry.kinds : []
  if (made.length === 0 || (often.includes(kind) && !made.includes(kind)))
    pending.push(() => writeEntry(cache, sourceDigest, script.createCachedData(), [...made, kind]))
  const bundle = { exports: {} }
  const requireIn = (id: string) =>
    id.startsWith("./sdk/") ? loadOnce(id.slice(2)) : (require(id) as unknown)
  script.runInThisContext()(bundle.exports, requireIn, bundle, file, __dirname)
  return bundle.exports
}

/** Each bundle runs once per process, as `require` would: every AWS call asks for its SDK bundle. */
const loaded = new Map<string, unknown>()
const loadOnce = (bundleName: string): unknown => {
  if (!loaded.has(bundleName)) loaded.set(bundleName, load(bundleName))
  return loaded.get(bundleName)
}

/**
 * Writes the entries this run made, one after the other. The program calls it once it has finished
 * well, with its signal handlers still in place: a signal meanwhile ends the run with its own exit code.
 */
export const saveEntries = async () => {
  if (pending.length === 0 || !(await writableDir())) return
  for (const write of pending) await write().catch(() => undefined)
}

/** One of the tool's bundles (`sdk/iam.cjs`, `fast.cjs`), loaded as the full program loads them: once, from the code cache unless AWS_IAM_LOGIN_NO_CACHE. */
export const loadBundle = (bundleName: string): unknown =>
  process.env.AWS_IAM_LOGIN_NO_CACHE ? require(path.join(__dirname, bundleName)) : loadOnce(bundleName)

interface Main {
  readonly start: (finished: () => Promise<void>, handover: Handover) => void
}

/** Loads and starts the full program. */
export const start = (handover: Handover = {}) => {
  // The bundle loads with stack traces off: effect takes one while loading to probe the engine, and
  // formatting it makes V8 re-parse the whole bundle for line numbers (2 ms on every start).
  const stackTraceLimit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  const program = (process.env.AWS_IAM_LOGIN_NO_CACHE ? require("./main.cjs") : load("main.cjs")) as Main
  Error.stackTraceLimit = stackTraceLimit
  program.start(saveEntries, handover)
}
