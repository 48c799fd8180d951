import { execFileSync } from "node:child_process"
import * as path from "node:path"
import { build } from "esbuild"
import { tempHome } from "./harness.js"

/** Bundles test/support/<name>.ts into a program that node runs as a process of its own. */
export const bundle = async (name: string): Promise<string> => {
  const outfile = path.join(tempHome().dir, `${name}.mjs`)
  await build({
    entryPoints: [path.join(import.meta.dirname, `${name}.ts`)],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    logLevel: "error",
  })
  return outfile
}

/** The pid of a process that has ended. */
export const deadPid = (): number =>
  Number(
    execFileSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }),
  )
