import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { promisify } from "node:util"
import { packedFiles } from "./node-builds.js"

const run = promisify(execFile)

/** The version of @napi-rs/keyring the package pins: the Windows binary fetched is the same one. */
const version = (
  JSON.parse(
    fs.readFileSync(
      path.resolve(import.meta.dirname, "..", "..", "node_modules", "@napi-rs", "keyring", "package.json"),
      "utf8",
    ),
  ) as { version: string }
).version

/**
 * A directory that, as NODE_PATH, lets @napi-rs/keyring find its Windows x64 binary as npm installs
 * it on Windows (npm on this machine skips that optional dependency): packed once, with `npm pack`.
 */
export const windowsKeyringModules = async () => {
  const pkg = "@napi-rs/keyring-win32-x64-msvc"
  const dir = await packedFiles(
    `${pkg}@${version}`,
    ["package.json", "keyring.win32-x64-msvc.node"],
    path.join(`keyring-win32-x64@${version}`, "node_modules", pkg),
  )
  return path.resolve(dir, "..", "..")
}

/**
 * Makes Wine 8 have what Windows has had since Windows 8 (and later Wines have): bcryptprimitives.dll, whose ProcessPrng the
 * binary's Rust runtime calls for random bytes. Without it Windows (Wine) refuses to load the binary
 * ("Module not found."). The stand-in, put into the prefix's system32, holds no code: its one export
 * forwards ProcessPrng to advapi32's RtlGenRandom (SystemFunction036), which Wine has and which takes
 * the same arguments; the binary ignores the result, as Rust's runtime does. Built with binutils'
 * `as` and `ld` (which writes Windows DLLs too).
 */
export const addProcessPrng = async (prefix: string) => {
  const dll = path.join(prefix, "drive_c", "windows", "system32", "bcryptprimitives.dll")
  if (fs.existsSync(dll)) return
  const work = fs.mkdtempSync(path.join(prefix, "stand-in-"))
  try {
    const definitions = path.join(work, "bcryptprimitives.def")
    fs.writeFileSync(
      definitions,
      "LIBRARY bcryptprimitives.dll\nEXPORTS\n  ProcessPrng = advapi32.SystemFunction036\n",
    )
    const source = path.join(work, "empty.s")
    fs.writeFileSync(source, "")
    await run("as", ["--64", source, "-o", path.join(work, "empty.o")], { timeout: 60_000 })
    await run(
      "ld",
      ["-m", "i386pep", "--dll", "--entry=0", "-o", dll, definitions, path.join(work, "empty.o")],
      { timeout: 60_000 },
    )
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
}
