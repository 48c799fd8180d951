// Start-up benchmark: alternates the built CLI with `node -e 0` (and the original Python tool, where
// one is installed) in the same environment, and prints medians, the median pairwise ratio and
// whether each target of issue 22 holds. It reports; it does not fail.
import { execFile, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { bin, makeHome, seedUser, startMoto } from "../test/e2e/moto.js"
import { benchIni } from "./bench-ini.js"
import { benchList } from "./bench-list.js"

const root = process.argv[2] ?? process.cwd()
const runs = Number(process.env.BENCH_RUNS ?? 15)
const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

// BENCH_STARTUP_ONLY=1: only the start-up cases below (the file and list benches take minutes).
if (!process.env.BENCH_STARTUP_ONLY) {
  benchIni()
  benchList()
}
const moto = await startMoto()
try {
  const user = await seedUser(moto, "bench", { devices: ["bench-phone"] })
  const home = makeHome(user)
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home.dir,
    AWS_SHARED_CREDENTIALS_FILE: home.credentials,
    AWS_CONFIG_FILE: home.config,
    AWS_ENDPOINT_URL: moto.direct,
    AWS_REGION: "us-east-1",
  }
  // Asynchronous: a synchronous spawn would block the recording proxy that startMoto runs in this process.
  // The runs below go to moto directly (moto.direct), so the proxy adds nothing to their times.
  const time = (command: string, args: ReadonlyArray<string>, extra: NodeJS.ProcessEnv = {}, input = "") =>
    new Promise<{ ms: number; stderr: string }>((resolve, reject) => {
      const start = process.hrtime.bigint()
      const child = execFile(command, [...args], { env: { ...env, ...extra } }, (error, _stdout, stderr) => {
        const ms = Number(process.hrtime.bigint() - start) / 1e6
        if (error) reject(new Error(`${command} ${args.join(" ")} failed: ${stderr}`))
        else resolve({ ms, stderr })
      })
      child.stdin?.end(input)
    })
  const cli = (...args: Array<string>) => [process.execPath, [bin, ...args]] as const
  await time(...cli("work", "init"))
  await time(...cli("work", "-t", "123456"))

  // The original Python tool: AWS_IAM_LOGIN_ORIGINAL, else the copy beside the project, else one on PATH.
  const beside = path.resolve(root, "../shared/peers/aws-iam-login-py/aws-iam-login")
  const python = spawnSync("sh", ["-c", "command -v aws-iam-login"], { encoding: "utf8" }).stdout.trim()
  const original =
    process.env.AWS_IAM_LOGIN_ORIGINAL ||
    (fs.existsSync(beside)
      ? beside
      : python && !fs.realpathSync(python).startsWith(root)
        ? python
        : undefined)

  /** A target: at most `max` times `node -e 0`, or at most `max` times the original tool's time. */
  interface Target {
    readonly of: "node" | "original"
    readonly max: number
  }
  const cases: ReadonlyArray<{
    name: string
    args: ReadonlyArray<string>
    target: Target
    /** The same case for the original tool: its arguments and what it reads on stdin. */
    original?: { args: ReadonlyArray<string>; input: string; measuredInIssue: number }
  }> = [
    // Issue 22's targets. The first four are answered by the launcher's fast path (src/fast.ts), status too
    // when its profile is plain (src/fastStatus.ts).
    {
      name: "--help",
      args: ["--help"],
      target: { of: "node", max: 1.5 },
      original: { args: ["--help"], input: "", measuredInIssue: 235 },
    },
    { name: "--version", args: ["--version"], target: { of: "node", max: 1.5 } },
    { name: "login, session still valid", args: ["work"], target: { of: "node", max: 1.5 } },
    {
      name: "export --format credential-process",
      args: ["work", "export", "--format", "credential-process"],
      target: { of: "node", max: 1.5 },
    },
    { name: "status (one IAM call to moto)", args: ["work", "status"], target: { of: "node", max: 3 } },
    {
      name: "login against moto",
      args: ["work", "--force", "-t", "123456"],
      target: { of: "node", max: 3.5 },
      original: { args: ["work"], input: "123456\n", measuredInIssue: 400 },
    },
  ]

  console.log(`aws-iam-login start-up, ${runs} alternating runs each, NODE_EXTRA_CA_CERTS unset for all`)
  console.log(
    `the original Python tool: ${original ?? "not installed here, so compared with the times the issue measured"}`,
  )
  console.log("")
  const header = [
    "case",
    "node -e 0",
    "aws-iam-login",
    "ratio",
    "cold ratio",
    "original",
    "target",
    "met",
    "modules (built-in; bundles)",
  ]
  const rows: Array<Array<string>> = []
  let missed = 0
  /** A case the original tool fails here (moto lacks what it calls, say) is left out for it. */
  const originalWorks = new Map<string, boolean>()
  for (const c of cases) {
    for (let i = 0; i < 3; i++) await time(...cli(...c.args))
    const ours: Array<number> = []
    const base: Array<number> = []
    const ratios: Array<number> = []
    const cold: Array<number> = []
    const theirs: Array<number> = []
    for (let i = 0; i < runs; i++) {
      const b = (await time(process.execPath, ["-e", "0"])).ms
      const o = (await time(...cli(...c.args))).ms
      const n = (await time(...cli(...c.args), { AWS_IAM_LOGIN_NO_CACHE: "1" })).ms
      if (original && c.original && originalWorks.get(c.name) !== false) {
        const run = await time(original, c.original.args, {}, c.original.input).then(
          (r) => r.ms,
          () => undefined,
        )
        originalWorks.set(c.name, run !== undefined)
        if (run !== undefined) theirs.push(run)
      }
      base.push(b)
      ours.push(o)
      ratios.push(o / b)
      cold.push(n / b)
    }
    const modules = /MODULES (\d+) (.*)/.exec(
      (
        await time(process.execPath, [
          "--require",
          path.join(root, "scripts", "count-modules.cjs"),
          bin,
          ...c.args,
        ])
      ).stderr,
    )
    const originalMs = theirs.length > 0 ? median(theirs) : c.original?.measuredInIssue
    const met =
      c.target.of === "node"
        ? median(ratios) <= c.target.max
        : originalMs !== undefined && median(ours) <= c.target.max * originalMs
    if (!met) missed++
    rows.push([
      c.name,
      `${median(base).toFixed(0)} ms`,
      `${median(ours).toFixed(0)} ms`,
      `${median(ratios).toFixed(2)}x`,
      `${median(cold).toFixed(2)}x`,
      originalMs === undefined
        ? "-"
        : `${originalMs.toFixed(0)} ms${theirs.length > 0 ? "" : originalWorks.get(c.name) === false ? " (issue; failed here)" : " (issue)"}`,
      `≤ ${c.target.max}x ${c.target.of === "node" ? "node" : "original"}`,
      met ? "yes" : "NO",
      `${modules?.[1] ?? "?"}; ${modules?.[2] || "-"}`,
    ])
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  for (const row of [header, ...rows]) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join("  "))
  console.log("")
  console.log(
    "ratio: median of (aws-iam-login / node -e 0) over paired runs, code cache warm; cold: without the code cache",
  )
  const dist = path.join(path.dirname(bin))
  const size = (f: string) => `${(fs.statSync(path.join(dist, f)).size / 1024).toFixed(0)} KiB`
  console.log(
    `bundle: ${["bin.js", "fast.cjs", "main.cjs", "sdk/sts.cjs", "sdk/iam.cjs"].map((f) => `${f} ${size(f)}`).join(", ")}`,
  )
  console.log(missed === 0 ? "every target met" : `${missed} target(s) missed`)
} finally {
  await moto.stop()
}
