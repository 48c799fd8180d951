// Builds dist/: bin.js, a small launcher (with the fast path of src/fast.ts); fast.cjs, its fast
// paths that call AWS; texts.json, its --help and --version; main.cjs, the whole program in one minified file; and
// sdk/*.cjs, the AWS SDK clients, required only when a command calls AWS; keyring.cjs, the OS secret
// store's helper process. The launcher runs main.cjs
// with a V8 code cache, so that after the first run Node skips most of the parsing and compiling.
import { execFileSync } from "node:child_process"
import { chmod, readFile, rm, writeFile } from "node:fs/promises"
import { createRequire } from "node:module"
import * as path from "node:path"
import { build } from "esbuild"

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  minify: true,
  mainFields: ["module", "main"],
  // import() becomes require(), which works inside the launcher's code-cached scripts.
  supported: { "dynamic-import": false },
  legalComments: "none",
  logLevel: "warning",
}

/**
 * @effect/cli's prompt modules each render the terminal bell when loaded (the printer and the Effect
 * runtime, ~5 ms of every start): the text is rendered here once, by the same library, and written in.
 */
const cliRequire = createRequire(createRequire(import.meta.url).resolve("@effect/cli/package.json"))
const AnsiDoc = await import(cliRequire.resolve("@effect/printer-ansi/AnsiDoc"))
const renderedBeep = JSON.stringify(AnsiDoc.render(AnsiDoc.beep, { style: "pretty" }))
const beepAtLoad = /Doc\.render\(Doc\.beep, \{\s*style: "pretty"\s*\}\)/
const promptsWithBeep = new Set()

/**
 * Effect's clock looks at `performance` while loading, and reads it once to set the origin of its
 * nanosecond clock: either loads Node's perf_hooks (~1 ms). Where process.hrtime exists (always in
 * Node) the origin is taken from `Date.now()`, which is the performance clock's origin to the
 * millisecond, and only the clock without hrtime looks at `performance`, when it is asked the time.
 */
const clockAtLoad = [
  [
    `  if (typeof performance === "undefined" || typeof performance.now !== "function") {
    return () => BigInt(Date.now()) * bigint1e6;
  }
  let origin;
  return () => {
`,
    `  let origin;
  return () => {
    if (typeof performance === "undefined" || typeof performance.now !== "function") {
      return BigInt(Date.now()) * bigint1e6;
    }
`,
  ],
  [
    "const origin = /*#__PURE__*/performanceNowNanos() - /*#__PURE__*/processHrtime.bigint();",
    "const origin = BigInt(Date.now()) * BigInt(1_000_000) - processHrtime.bigint();",
  ],
]
let clockReplaced = false

/** Found in each SDK chunk when the SDK's own file reading is replaced. */
const sdkReadsNoFile = "aws-iam-login hands the SDK its settings: it reads no AWS file"

await rm("dist", { recursive: true, force: true })
await build({
  ...common,
  entryPoints: { "sdk/sts": "src/layers/sdk/sts.ts", "sdk/iam": "src/layers/sdk/iam.ts" },
  outdir: "dist",
  outExtension: { ".js": ".cjs" },
  // Every client gets its credentials explicitly, so the default provider chain and the clients it
  // brings (SSO, STS web identity, IMDS) stay out.
  alias: { "@aws-sdk/credential-provider-node": "./src/layers/sdk/noDefaultCredentials.ts" },
  plugins: [
    {
      // The SDK would read ~/.aws/config and credentials for every setting it is not handed, with a
      // parser that reads many files otherwise than the AWS CLI: the tool hands it every setting,
      // read by its own botocore-exact reader, and the SDK's file reading fails (as a missing file).
      name: "no-sdk-file-reading",
      setup: (b) =>
        b.onLoad(
          { filter: /[\\/]@smithy[\\/]core[\\/].*[\\/]shared-ini-file-loader[\\/]readFile\.js$/ },
          () => ({
            contents: `export const filePromises = {}\nexport const fileIntercept = {}\nexport const readFile = () => Promise.reject(new Error("${sdkReadsNoFile}"))\n`,
          }),
        ),
    },
    {
      // The clients warn on stderr, once per process, about the Node versions future SDK releases
      // will need: the user can do nothing with that (engines in package.json says what we need).
      name: "no-node-version-warning",
      setup: (b) =>
        b.onLoad(
          { filter: /[\\/]@aws-sdk[\\/]core[\\/].*[\\/]emitWarningIfUnsupportedVersion\.js$/ },
          () => ({
            contents:
              "export const state = { warningEmitted: true }\nexport const emitWarningIfUnsupportedVersion = () => {}\n",
          }),
        ),
    },
  ],
})
await build({
  ...common,
  entryPoints: ["src/bin.ts"],
  outfile: "dist/main.cjs",
  plugins: [
    {
      name: "beep-rendered-at-build",
      setup: (b) =>
        b.onLoad(
          { filter: /[\\/]@effect[\\/]cli[\\/]dist[\\/]esm[\\/]internal[\\/]prompt[\\/][^\\/]+\.js$/ },
          async (args) => {
            const source = await readFile(args.path, "utf8")
            if (!source.includes("renderBeep =")) return undefined
            if (!beepAtLoad.test(source))
              throw new Error(
                `${args.path} renders its bell otherwise: fix the beep-rendered-at-build plugin`,
              )
            promptsWithBeep.add(args.path)
            return { contents: source.replace(beepAtLoad, renderedBeep), loader: "js" }
          },
        ),
    },
    {
      name: "clock-without-perf-hooks",
      setup: (b) =>
        b.onLoad({ filter: /[\\/]effect[\\/]dist[\\/]esm[\\/]internal[\\/]clock\.js$/ }, async (args) => {
          let contents = await readFile(args.path, "utf8")
          for (const [before, after] of clockAtLoad) {
            if (!contents.includes(before))
              throw new Error(
                `${args.path} sets its clock otherwise: fix the clock-without-perf-hooks plugin`,
              )
            contents = contents.replace(before, after)
          }
          clockReplaced = true
          return { contents, loader: "js" }
        }),
    },
    {
      name: "sdk-chunks",
      setup: (b) =>
        b.onResolve({ filter: /^\.\/sdk\/(sts|iam)\.js$/ }, (args) => ({
          path: args.path.replace(/\.js$/, ".cjs"),
          external: true,
        })),
    },
  ],
})
if (!clockReplaced)
  throw new Error("Effect's clock was not bundled as expected: fix the clock-without-perf-hooks plugin")
if (promptsWithBeep.size === 0)
  throw new Error(
    "no @effect/cli prompt had its bell rendered at build: fix the beep-rendered-at-build plugin",
  )
for (const file of ["sdk/sts.cjs", "sdk/iam.cjs"]) {
  const chunk = await readFile(`dist/${file}`, "utf8")
  if (chunk.includes("NodeVersionSupportWarning"))
    throw new Error(
      `dist/${file} still prints the SDK's NodeVersionSupportWarning: fix the no-node-version-warning plugin`,
    )
  if (!chunk.includes(sdkReadsNoFile))
    throw new Error(`dist/${file} may still read the AWS files itself: fix the no-sdk-file-reading plugin`)
}
// The OS secret store's native module, loaded only by this helper, which the main bundle runs as a
// child process when a command needs a stored key.
await build({
  ...common,
  entryPoints: ["src/keyring.ts"],
  outfile: "dist/keyring.cjs",
  external: ["@napi-rs/keyring"],
})
const main = await readFile("dist/main.cjs", "utf8")
if (main.includes(`require("@napi-rs/keyring")`))
  throw new Error("dist/main.cjs loads @napi-rs/keyring: only dist/keyring.cjs may")
// The launcher knows the command names without loading main.cjs: written in from its command tree.
const { commandNames } = createRequire(import.meta.url)(path.resolve("dist/main.cjs"))
// The launcher's fast paths that call AWS, run from the code cache as the SDK bundles are.
await build({
  ...common,
  entryPoints: ["src/fastCalls.ts"],
  outfile: "dist/fast.cjs",
  define: { AWS_IAM_LOGIN_COMMANDS: JSON.stringify(commandNames) },
})
await build({
  ...common,
  entryPoints: ["src/launcher.ts"],
  outfile: "dist/bin.js",
  external: ["./main.cjs"],
  banner: { js: "#!/usr/bin/env node" },
  define: { AWS_IAM_LOGIN_COMMANDS: JSON.stringify(commandNames) },
})
// CommonJS starts faster than an ES module, and the path stays dist/bin.js.
await writeFile("dist/package.json", `${JSON.stringify({ type: "commonjs" })}\n`)
await chmod("dist/bin.js", 0o755)
// The launcher's fast path prints these for `--help` and `--version` on a pipe: the full program's
// own output, taken from it (AWS_IAM_LOGIN_NO_FAST) in a bare environment.
const fullOutput = (arg) =>
  execFileSync(process.execPath, ["dist/bin.js", arg], {
    encoding: "utf8",
    env: { PATH: process.env.PATH, AWS_IAM_LOGIN_NO_FAST: "1", AWS_IAM_LOGIN_NO_CACHE: "1" },
    stdio: ["ignore", "pipe", "inherit"],
  })
await writeFile(
  "dist/texts.json",
  JSON.stringify({ help: fullOutput("--help"), version: fullOutput("--version") }),
)
