import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"
import pkg from "../../package.json" with { type: "json" }
import { available, aws_iam_login, makeHome, seedUser } from "./moto.js"
import { npmEnvironment } from "./node-builds.js"
import { motoForSuite } from "./suite.js"

const run = promisify(execFile)
const root = path.resolve(import.meta.dirname, "..", "..")

const npm = (args: ReadonlyArray<string>, cwd: string) =>
  run("npm", [...args], {
    cwd,
    env: npmEnvironment(),
    timeout: 120_000,
  })

const sizeOf = (file: string): number =>
  fs.statSync(file).isDirectory()
    ? fs.readdirSync(file).reduce((total, entry) => total + sizeOf(path.join(file, entry)), 0)
    : fs.statSync(file).size

describe.runIf(available)("the packed tarball, installed globally into a fresh prefix", () => {
  const moto = motoForSuite()

  it("is under 1 MB with its keyring module beside it, installs offline from the tarball and the npm cache, and logs in with a quiet stderr", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-pack-"))
    const packed = await npm(["pack", "--pack-destination", dir, "--silent"], root)
    const tarball = path.join(dir, packed.stdout.trim().split("\n").pop()!)
    expect(path.basename(tarball)).toBe(`aws-iam-login-${pkg.version}.tgz`)

    const prefix = path.join(dir, "prefix")
    // The one dependency, the OS secret store's module (@napi-rs/keyring and its binary for this
    // platform), comes from the npm cache that `npm install` of this repository filled.
    const cache = (await npm(["config", "get", "cache"], root)).stdout.trim()
    const installed = await npm(
      [
        "install",
        "-g",
        "--offline",
        "--no-audit",
        "--no-fund",
        "--cache",
        cache,
        "--prefix",
        prefix,
        tarball,
      ],
      dir,
    )
    expect(installed.stdout).toMatch(/^added 3 packages in /m)
    expect(installed.stderr).toBe("")
    const modules = path.join(prefix, "lib", "node_modules")
    expect(fs.readdirSync(modules)).toEqual(["aws-iam-login"])
    expect(fs.readdirSync(path.join(modules, "aws-iam-login")).sort()).toEqual(
      ["LICENSE", "README.md", "dist", "node_modules", "package.json"].sort(),
    )
    expect(fs.readdirSync(path.join(modules, "aws-iam-login", "node_modules", "@napi-rs")).sort()).toEqual(
      ["keyring", `keyring-${process.platform}-${process.arch}-gnu`].sort(),
    )
    expect(
      sizeOf(path.join(modules, "aws-iam-login")) -
        sizeOf(path.join(modules, "aws-iam-login", "node_modules")),
    ).toBeLessThan(1024 * 1024)

    const command = path.join(prefix, "bin", "aws-iam-login")
    const user = await seedUser(moto, "packaged", { devices: ["packaged-phone"] })
    const home = makeHome(user)
    const version = await aws_iam_login(home, moto.endpoint, ["--version"], { command })
    expect(version).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: "" })
    const help = await aws_iam_login(home, moto.endpoint, ["--help"], { command })
    expect(help).toMatchObject({ code: 0, stderr: "" })
    expect(help.stdout).toContain("USAGE")
    expect(await aws_iam_login(home, moto.endpoint, ["work", "init"], { command })).toMatchObject({
      code: 0,
      stderr: "",
    })
    const login = await aws_iam_login(home, moto.endpoint, ["work", "--token", "123456"], { command })
    expect(login).toMatchObject({ code: 0, stderr: "" })
    expect(login.stdout).toContain("Logged in: [work-sts]")
    expect(home.read()).toMatch(/\[work-sts\]\r\naws_access_key_id = \w+\r\n/)
  })
})
