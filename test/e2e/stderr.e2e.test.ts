import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { available, aws_iam_login, makeHome, seedUser } from "./moto.js"
import { motoForSuite } from "./suite.js"

/** Preloaded into the CLI: notes each bundle the launcher compiles, to count SDK evaluations. */
const counter = `
const vm = require("node:vm")
const Script = vm.Script
const seen = []
vm.Script = function (code, options) {
  seen.push(require("node:path").basename(options.filename))
  return new Script(code, options)
}
process.on("exit", () => require("node:fs").appendFileSync(process.env.SCRIPTS_LOG, seen.join("\\n") + "\\n"))
`

describe.runIf(available)("the built CLI's stderr against moto, nothing hidden", () => {
  const moto = motoForSuite({ auth: true })

  it("init, login, status and rotate print nothing on stderr, and each bundle is evaluated once per run", async () => {
    const user = await seedUser(moto, "quiet", { devices: ["quiet-phone"] })
    const home = makeHome(user)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-stderr-"))
    fs.writeFileSync(path.join(dir, "counter.cjs"), counter)
    const log = path.join(dir, "scripts.log")
    const env = { NODE_OPTIONS: `--require ${path.join(dir, "counter.cjs")}`, SCRIPTS_LOG: log }
    const runs: ReadonlyArray<ReadonlyArray<string>> = [
      ["work", "init"],
      ["work", "--token", "123456"],
      ["work", "status"],
      ["work", "rotate", "--yes"],
    ]
    for (const args of runs) {
      fs.rmSync(log, { force: true })
      const result = await aws_iam_login(home, moto.endpoint, args, { env })
      expect(result, args.join(" ")).toMatchObject({ code: 0, stderr: "" })
      const evaluated = fs.readFileSync(log, "utf8").trim().split("\n")
      expect(new Set(evaluated).size, args.join(" ")).toBe(evaluated.length)
      if (args.includes("rotate")) expect(evaluated.sort()).toEqual(["iam.cjs", "main.cjs", "sts.cjs"])
    }
  })
})
