// `list` through the built CLI on credentials files of 10 000 and 38 000 profiles: the time should
// grow with the file (about 3.8 times for 3.8 times the profiles), not with its square.
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { bin } from "../test/e2e/moto.js"

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

export const benchList = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-bench-list-"))
  const sizes = [10_000, 38_000] as const
  const times = sizes.map((profiles) => {
    const file = path.join(dir, `credentials-${profiles}`)
    fs.writeFileSync(
      file,
      Array.from(
        { length: profiles },
        (_, i) =>
          `[p${i}]\naws_access_key_id = AKIA${String(i).padStart(16, "0")}\naws_secret_access_key = ${"s".repeat(40)}\n` +
          (i % 3 === 0 ? `[p${i}-sts]\naws_access_key_id = ASIA${String(i).padStart(16, "0")}\n` : ""),
      ).join(""),
    )
    const env = {
      PATH: process.env.PATH,
      HOME: dir,
      AWS_SHARED_CREDENTIALS_FILE: file,
      AWS_CONFIG_FILE: path.join(dir, "config"),
    }
    return median(
      Array.from({ length: 3 }, () => {
        const start = performance.now()
        execFileSync(process.execPath, [bin, "list"], { env, stdio: "ignore", maxBuffer: 1 << 28 })
        return performance.now() - start
      }),
    )
  })
  fs.rmSync(dir, { recursive: true, force: true })
  const [small, large] = times as [number, number]
  console.log("list through the built CLI (medians; the ratio is what to compare)")
  console.log(`  ${sizes[0]} profiles  ${small.toFixed(0)} ms`)
  console.log(
    `  ${sizes[1]} profiles  ${large.toFixed(0)} ms: ${(large / small).toFixed(1)}x the time for ${(sizes[1] / sizes[0]).toFixed(1)}x the profiles (linear: at most that)`,
  )
  console.log("")
}
