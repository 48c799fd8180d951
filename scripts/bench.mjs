// npm run bench: bundles scripts/bench.ts (which shares the end-to-end tests' moto helpers) and runs it.
import { execFileSync } from "node:child_process"
import { resolve } from "node:path"
import { build } from "esbuild"

// Inside node_modules, so that the packages left external resolve from the project.
const out = resolve("node_modules/.cache/aws-iam-login/bench.mjs")
await build({
  entryPoints: ["scripts/bench.ts"],
  outfile: out,
  bundle: true,
  platform: "node",
  format: "esm",
  packages: "external",
  define: { "import.meta.dirname": JSON.stringify(resolve("test/e2e")) },
  logLevel: "warning",
})
execFileSync(process.execPath, [out, process.cwd()], {
  stdio: "inherit",
  env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
})
