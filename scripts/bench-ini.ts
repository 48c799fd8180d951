// The reader and editor on a 5 MB, 38 000-profile credentials file, timed against botocore's
// raw_config_parse on the same file and against a plain text.split("\n"), in the same run.
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Either from "effect/Either"
import * as Ini from "../src/schema/Ini.js"

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const time = (f: () => unknown, runs = 7) =>
  median(
    Array.from({ length: runs }, () => {
      const start = performance.now()
      f()
      return performance.now() - start
    }),
  )

export const benchIni = () => {
  const profiles = 38_000
  const text = [
    "# kept by hand\n",
    ...Array.from(
      { length: profiles },
      (_, i) =>
        `[p${i}]\naws_access_key_id = AKIA${String(i).padStart(16, "0")}\naws_secret_access_key = ${"s".repeat(40)}\nregion = eu-west-1\n; note\n\n`,
    ),
  ].join("")
  const bytes = new TextEncoder().encode(text)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-bench-"))
  const file = path.join(dir, "credentials")
  fs.writeFileSync(file, bytes)
  const middle = `p${profiles / 2}`
  const edits = [
    { section: middle, set: { username: "me", mfa_serial: "arn:aws:iam::123456789012:mfa/me" } },
    {
      section: `${middle}-sts`,
      set: { aws_access_key_id: "ASIA0000000000000000", expiration: "2026-01-01T00:00:00Z" },
    },
  ]
  const split = time(() => text.split("\n"))
  const read = time(() => Either.getOrThrow(Ini.read(Either.getOrThrow(Ini.decode(bytes)))))
  const edit = time(() => Either.getOrThrow(Ini.applyEdits(text, edits)))
  let botocore: number | undefined
  try {
    const script =
      "import sys,time,botocore.configloader as c\nts=[]\nfor _ in range(3):\n s=time.perf_counter(); c.raw_config_parse(sys.argv[1]); ts.append(time.perf_counter()-s)\nprint(sorted(ts)[1]*1000)"
    botocore = Number(execFileSync("python3", ["-c", script, file], { encoding: "utf8" }).trim())
  } catch {
    botocore = undefined
  }
  fs.rmSync(dir, { recursive: true, force: true })
  console.log(
    `credentials file, ${(bytes.length / 1e6).toFixed(1)} MB, ${profiles} profiles (medians; ratios are what to compare)`,
  )
  console.log(`  text.split("\\n")            ${split.toFixed(0)} ms`)
  console.log(`  read (decode + parse)        ${read.toFixed(0)} ms  ${(read / split).toFixed(0)}x split`)
  console.log(
    `  edit (init + login's edits, read back and checked)  ${edit.toFixed(0)} ms  ${(edit / split).toFixed(0)}x split`,
  )
  console.log(
    botocore === undefined
      ? "  botocore raw_config_parse: python3 with botocore not found"
      : `  botocore raw_config_parse    ${botocore.toFixed(0)} ms: read takes ${(read / botocore).toFixed(2)}x, edit ${(edit / botocore).toFixed(2)}x botocore's time`,
  )
  console.log("")
}
