import * as fs from "node:fs"
import * as Effect from "effect/Effect"
import * as Platform from "../../src/layers/Platform.js"
import type { Liveness, PlatformShape } from "../../src/services/Platform.js"

/** Files "held open" by the processes that fake platforms stand for; a holder that dies lets go of its own. */
const heldFiles = new Set<string>()

/**
 * A held-file liveness as macOS's and Windows' work, on any machine: `hold` creates the file and
 * holds it for its scope; a file left without a holder is what a crashed process leaves.
 */
export const fakeHeldFile: Liveness = {
  _tag: "HeldFile",
  hold: (file) =>
    Effect.acquireRelease(
      Effect.sync(() => {
        fs.writeFileSync(file, "", { flag: "a", mode: 0o600 })
        heldFiles.add(file)
      }),
      () => Effect.sync(() => void heldFiles.delete(file)),
    ),
  held: (file) => Effect.sync(() => heldFiles.has(file)),
}

/** What a test makes a platform's user and machine answer. */
export interface Faked {
  readonly env?: Readonly<Record<string, string | undefined>>
  readonly homedir?: string
  readonly userName?: string
  readonly uid?: number
  readonly release?: string
}

/**
 * The platform of `os` as this tool sees it there: its paths, shell, advice, ownership and modes;
 * processes and files are this machine's, and liveness as `os` proves it, with no /proc anywhere
 * but Linux.
 */
export const fakePlatform = (
  os: "darwin" | "win32" | "linux",
  faked: Faked = {},
  overrides: Partial<PlatformShape> = {},
): PlatformShape => {
  const base = Platform.make(os, {
    env: faked.env ?? {},
    homedir: faked.homedir ?? (os === "win32" ? "C:\\Users\\me" : "/home/me"),
    userName: faked.userName ?? "me",
    uid: faked.uid ?? process.getuid?.(),
    release: faked.release ?? "6.8.0",
  })
  return { ...base, ...(os === "linux" ? {} : { liveness: fakeHeldFile }), ...overrides }
}
