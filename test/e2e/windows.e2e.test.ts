import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { ListAccessKeysCommand } from "@aws-sdk/client-iam"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import pkg from "../../package.json" with { type: "json" }
import { addToWork, available, bin, keyOf, type Moto, makeHome, seedUser, startMoto } from "./moto.js"
import { startWine, type Wine, windowsEnvironment, windowsPath, wineAvailable } from "./wine.js"

describe.runIf(available && wineAvailable)(
  "the built CLI under Node's Windows build (Wine), against moto with signature checks on",
  () => {
    let moto: Moto
    let wine: Wine
    beforeAll(async () => {
      ;[moto, wine] = await Promise.all([startMoto(), startWine()])
      await moto.enableAuth()
    }, 600_000)
    afterAll(async () => {
      await Promise.all([moto?.stop(), wine?.stop()])
    })

    it("status, list and export find the profile in %USERPROFILE%\\.aws, and export speaks PowerShell", async () => {
      const user = await seedUser(moto, "paula", { devices: ["paulas-phone"] })
      const home = makeHome(user, "work", wine.profile)
      const session = { id: "ASIAPAULASESSION0000", secret: "paula/session", token: "paula-token" }
      home.write(
        `${home
          .read()
          .replace(
            "region   =   us-east-1\r\n",
            "region   =   us-east-1\r\nusername = paula\r\nmfa_serial = arn:aws:iam::123456789012:mfa/paulas-phone\r\n",
          )}\r\n\r\n[work-sts]\r\naws_access_key_id = ${session.id}\r\naws_secret_access_key = ${session.secret}\r\naws_session_token = ${session.token}\r\nexpiration = 2099-01-01T00:00:00Z\r\n`,
      )
      const before = home.read()
      const env = { AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: "us-east-1" }

      const status = await wine.cli(["work", "status", "--json"], env)
      expect(status).toMatchObject({ code: 0, stderr: "" })
      expect(JSON.parse(status.stdout)).toMatchObject({
        username: "paula",
        keyStatus: "Active",
        keyAgeDays: 0,
        sessionValid: true,
      })
      expect(moto.requests.at(-1)).toEqual({ action: "ListAccessKeys", accessKeyId: user.accessKeyId })

      const list = await wine.cli(["list", "--json"], env)
      expect(list).toMatchObject({ code: 0, stderr: "" })
      expect(JSON.parse(list.stdout)).toContainEqual(
        expect.objectContaining({ profile: "work", username: "paula", sessionValid: true }),
      )

      const exported = await wine.cli(["work", "export", "--format", "powershell"], env)
      expect(exported).toMatchObject({ code: 0, stderr: "" })
      expect(exported.stdout).toContain(`$Env:AWS_ACCESS_KEY_ID="${keyOf(before, "work-sts").id}"\n`)
      expect(exported.stdout).toContain(`$Env:AWS_SESSION_TOKEN="${session.token}"\n`)
      expect(home.read()).toBe(before)
    }, 120_000)

    const initialised = async (name: string) => {
      const user = await seedUser(moto, name)
      const home = makeHome(user)
      const env = windowsEnvironment(home, moto.endpoint)
      expect(await wine.cli(["work", "init"], env)).toMatchObject({ code: 0, stderr: "" })
      return { user, home, env }
    }

    it("a first init, login, status, export, rotate and logout in %USERPROFILE%\\.aws keep every other byte of a CRLF file with comments", async () => {
      const user = await seedUser(moto, "wendy", { devices: ["wendys-phone"] })
      const home = makeHome(user, "work", wine.profile)
      const original = home.read()
      const env = { AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: "us-east-1" }

      const init = await wine.cli(["work", "init"], env)
      expect(init).toMatchObject({ code: 0, stderr: "" })
      expect(init.stdout).toContain("username wendy, mfa_serial arn:aws:iam::123456789012:mfa/wendys-phone")
      const initialised = original.replace(
        "region   =   us-east-1\r\n",
        "region   =   us-east-1\r\nusername = wendy\r\nmfa_serial = arn:aws:iam::123456789012:mfa/wendys-phone\r\n",
      )
      expect(home.read()).toBe(initialised)

      const login = await wine.cli(["work", "--token", "123456"], env)
      expect(login).toMatchObject({ code: 0, stderr: "" })
      expect(login.stdout).toContain("Logged in: [work-sts]")
      const loggedIn = home.read()
      expect(loggedIn.startsWith(initialised)).toBe(true)
      expect(loggedIn.slice(initialised.length)).toMatch(
        /^\r\n\r\n\[work-sts\]\r\naws_access_key_id = \w+\r\n/,
      )
      const session = keyOf(loggedIn, "work-sts")

      const status = await wine.cli(["work", "status", "--json"], env)
      expect(status).toMatchObject({ code: 0, stderr: "" })
      expect(JSON.parse(status.stdout)).toMatchObject({ username: "wendy", sessionValid: true })
      const shown = await wine.cli(["work", "status"], env)
      expect(shown.stdout).toContain(
        `kept in     [work] of C:\\users\\${os.userInfo().username}\\.aws\\credentials\n`,
      )
      const unknown = await wine.cli(["wrok", "status"], env)
      expect(unknown.stderr).toContain("No profile [wrok] in %USERPROFILE%\\.aws\\credentials (it has:")

      const exported = await wine.cli(["work", "export"], env)
      expect(exported).toMatchObject({ code: 0, stderr: "" })
      expect(JSON.parse(exported.stdout)).toMatchObject({
        Version: 1,
        AccessKeyId: session.id,
        SecretAccessKey: session.secret,
      })

      const start = moto.requests.length
      const rotated = await wine.cli(["work", "rotate", "--yes"], env)
      expect(rotated).toMatchObject({ code: 0, stderr: "" })
      const fresh = keyOf(home.read(), "work")
      expect(fresh.id).not.toBe(user.accessKeyId)
      expect(home.read()).toBe(
        loggedIn.replace(user.accessKeyId, fresh.id).replace(user.secretAccessKey, fresh.secret),
      )
      const keys = await moto.admin.send(new ListAccessKeysCommand({ UserName: "wendy" }))
      expect(keys.AccessKeyMetadata?.map((k) => [k.AccessKeyId, k.Status])).toEqual([[fresh.id, "Active"]])
      const rotation = moto.requests.slice(start)
      expect(rotation.find((r) => r.action === "CreateAccessKey")?.accessKeyId).toBe(user.accessKeyId)
      expect(rotation.find((r) => r.action === "DeleteAccessKey")?.accessKeyId).toBe(fresh.id)

      const logout = await wine.cli(["logout", "work"], env)
      expect(logout).toMatchObject({ code: 0, stderr: "" })
      expect(home.read()).toBe(
        initialised.replace(user.accessKeyId, fresh.id).replace(user.secretAccessKey, fresh.secret),
      )
    }, 120_000)

    it("mfa_process runs through cmd.exe, with %VARIABLES% as cmd expands them", async () => {
      const { home, env } = await initialised("mallory")
      addToWork(home, "mfa_process = echo %MFA_CODE%\r\n")
      const calls = moto.requests.length
      const login = await wine.cli(["work"], { ...env, MFA_CODE: "123456" })
      expect(login).toMatchObject({ code: 0, stderr: "" })
      expect(login.stdout).toContain("Logged in: [work-sts]")
      expect(moto.requests.slice(calls).map((r) => r.action)).toContain("GetSessionToken")
    }, 120_000)

    /** A Node program and an npm-style `.cmd` shim that runs it, in a directory of their own to put on %PATH%. */
    const shim = (name: string, source: string) => {
      const tools = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-wine-tools-"))
      const script = path.join(tools, `${name}.js`)
      fs.writeFileSync(script, source)
      fs.writeFileSync(
        path.join(tools, `${name}.cmd`),
        `@"${windowsPath(wine.node)}" "${windowsPath(script)}" %*\r\n`,
      )
      return { tools, script }
    }

    it("exec finds a .cmd shim through PATHEXT, as npm makes them, passes its arguments intact and exits with its status", async () => {
      const { home, env } = await initialised("ezra")
      const { tools } = shim(
        "deploy",
        "console.log(JSON.stringify({ key: process.env.AWS_ACCESS_KEY_ID, args: process.argv.slice(2) }))\nprocess.exitCode = 3\n",
      )
      const out = await wine.cli(
        ["exec", "work", "--token", "123456", "--", "deploy", "one", "two words", "--stage=prod"],
        env,
        { path: [tools] },
      )
      expect(out.stderr).toContain("Logged in: [work-sts]")
      expect(JSON.parse(out.stdout)).toEqual({
        key: keyOf(home.read(), "work-sts").id,
        args: ["one", "two words", "--stage=prod"],
      })
      expect(out.code).toBe(3)
    }, 120_000)

    /** Waits until `file` holds something: the process that writes it has started. */
    const written = async (file: string, what: string) => {
      for (let i = 0; !fs.existsSync(file) || fs.readFileSync(file, "utf8") === ""; i++) {
        if (i > 600) throw new Error(`${what} never started`)
        await new Promise((r) => setTimeout(r, 50))
      }
      return fs.readFileSync(file, "utf8")
    }

    it("Ctrl-C during exec ends the command and what it started, and the tool exits with the command's status, leaving nothing running", async () => {
      const { env } = await initialised("cleo")
      // A long-running program that, like most, ends on Ctrl-C: here with status 5, saying so in a file.
      const { tools, script: server } = shim(
        "serve",
        "const fs = require('fs')\nfs.writeFileSync(process.argv[2], String(process.pid))\nprocess.on('SIGINT', () => { fs.writeFileSync(process.argv[2] + '.stopped', 'yes'); process.exit(5) })\nsetInterval(() => {}, 1000)\n",
      )
      const loggedIn = await wine.cli(["work", "--token", "123456"], env)
      expect(loggedIn).toMatchObject({ code: 0, stderr: "" })

      for (const [command, pidFile] of [
        [[windowsPath(wine.node), windowsPath(server)], path.join(tools, "direct.pid")],
        // An npm-style shim: cmd.exe runs it, and the program is cmd.exe's child, not the tool's.
        [["serve"], path.join(tools, "shim.pid")],
      ] as const) {
        const run = wine.launch(["exec", "work", "--", ...command, windowsPath(pidFile)], env, {
          path: [tools],
        })
        await written(pidFile, "the command")
        run.ctrlC()
        const out = await run.ended
        expect(fs.existsSync(`${pidFile}.stopped`), command[0]).toBe(true)
        expect(out.stderr, command[0]).toBe("")
        expect(run.anyRunning(), command[0]).toBe(false)
        // The program's own status; a shim reports cmd.exe's (Wine's says 0 after Ctrl-C, Windows' 0xC000013A).
        if (command.length > 1) expect(out.code).toBe(5)
      }
    }, 120_000)

    it("a login whose mfa_process hangs ends at its deadline, says so in one sentence and spends nothing", async () => {
      const { home, env } = await initialised("hugo")
      // A code generator that never answers, started by an npm-style shim, as a hardware key's tool waiting for a touch.
      const { tools } = shim(
        "otp",
        "require('fs').writeFileSync(process.argv[2], String(process.pid))\nsetInterval(() => {}, 1000)\n",
      )
      const pidFile = path.join(tools, "otp.pid")
      addToWork(home, `mfa_process = otp ${windowsPath(pidFile)}\r\n`)
      const before = home.read()
      const sent = moto.requests.length
      const run = wine.launch(["work"], env, { path: [tools] })
      await written(pidFile, "mfa_process")
      const out = await run.ended
      expect(out.code).toBe(1)
      expect(out.stderr).toBe(
        `aws-iam-login: mfa_process \`otp ${windowsPath(pidFile)}\` failed: it did not finish within 30 seconds; fix it in the profile, or pass --token CODE.\n`,
      )
      expect(moto.requests.slice(sent).map((r) => r.action)).not.toContain("GetSessionToken")
      expect(home.read()).toBe(before)
      // The tool ends the tree with `taskkill /T /F`; Wine 8's taskkill has no /T, so the program
      // cmd.exe started may outlive the tool here, where on Windows it ends with it.
      if (run.anyRunning()) process.kill(-(run.child.pid ?? 0), "SIGKILL")
    }, 120_000)

    it("after a login holding its lock is killed, the next login takes the lock at once though the holder's pid now names a live process", async () => {
      const { home, env } = await initialised("kurt")
      const before = home.read()
      const lock = `${home.credentials}.work.login.lock`
      const proxy = await moto.proxy()
      const held = proxy.inject("GetSessionToken", "hold")
      const first = wine.launch(["work", "--token", "123456"], { ...env, AWS_ENDPOINT_URL: proxy.endpoint })
      await held.reached
      const holder = JSON.parse(fs.readFileSync(lock, "utf8")) as { pid: number }
      first.child.kill("SIGKILL")
      await first.ended
      held.release()

      // Windows reuses pids: the dead holder's now belongs to a live process.
      const pidFile = path.join(home.dir, "live.pid")
      const live = wine.launchNode(
        [
          "-e",
          "require('fs').writeFileSync(process.argv[1], String(process.pid)); setInterval(() => {}, 1000)",
          windowsPath(pidFile),
        ],
        {},
      )
      const livePid = await written(pidFile, "the live process")
      fs.writeFileSync(lock, fs.readFileSync(lock, "utf8").replace(`"pid":${holder.pid}`, `"pid":${livePid}`))
      expect(JSON.parse(fs.readFileSync(lock, "utf8")).pid).not.toBe(holder.pid)

      const next = await wine.cli(["work", "--token", "123456"], env)
      live.child.kill("SIGKILL")
      await live.ended
      expect(next).toMatchObject({ code: 0, stderr: "" })
      expect(next.stdout).toContain("Logged in: [work-sts]")
      expect(home.read().startsWith(before)).toBe(true)
      expect(fs.existsSync(lock)).toBe(false)
    }, 120_000)

    /** A Windows program holding `file` open with no sharing, as an editor or a virus scanner does. */
    const holdOpen = async (file: string, ready: string) => {
      const holder = wine.launchNode(
        [
          "-e",
          "const fs = require('fs'); fs.openSync(process.argv[1], fs.constants.O_RDONLY | fs.constants.UV_FS_O_EXLOCK); fs.writeFileSync(process.argv[2], 'yes'); setInterval(() => {}, 1000)",
          windowsPath(file),
          windowsPath(ready),
        ],
        {},
      )
      let ended = false
      void holder.ended.then(() => {
        ended = true
      })
      // Wine can take a minute to start a program on a loaded machine; a holder that ended fails at once.
      for (let i = 0; !fs.existsSync(ready); i++) {
        if (ended || i > 1800) throw new Error("the holder never opened the file")
        await new Promise((r) => setTimeout(r, 50))
      }
      return {
        release: async () => {
          holder.child.kill("SIGKILL")
          await holder.ended
        },
      }
    }

    it("while another program holds the credentials file open, a login spends no MFA code: it says so before GetSessionToken", async () => {
      const { user, home, env } = await initialised("otto")
      const before = home.read()
      const holder = await holdOpen(home.credentials, path.join(home.dir, "holding"))
      const sent = moto.requests.length
      const blocked = await wine.cli(["work", "-t", "123456"], env)
      await holder.release()
      expect(blocked.code).toBe(1)
      expect(blocked.stderr).toContain(`Could not write ${windowsPath(home.credentials)}`)
      expect(blocked.stderr).toContain("another program")
      expect(moto.requests.slice(sent).map((r) => r.action)).not.toContain("GetSessionToken")
      expect(home.read()).toBe(before)

      const login = await wine.cli(["work", "-t", "123456"], env)
      expect(login).toMatchObject({ code: 0, stderr: "" })
      expect(keyOf(home.read(), "work-sts").id).not.toBe(user.accessKeyId)
    }, 240_000)

    it("while another program holds the credentials file open, init fails in one sentence and leaves it whole; once it lets go, init works", async () => {
      const user = await seedUser(moto, "olga")
      const home = makeHome(user)
      const env = windowsEnvironment(home, moto.endpoint)
      const before = home.read()
      const holder = await holdOpen(home.credentials, path.join(home.dir, "holding"))
      const blocked = await wine.cli(["work", "init"], env)
      await holder.release()
      expect(blocked.code).toBe(1)
      expect(blocked.stderr.trim().split("\n")).toHaveLength(1)
      expect(blocked.stderr).toContain(`Could not write ${windowsPath(home.credentials)}`)
      expect(blocked.stderr).toContain("another program")
      expect(home.read()).toBe(before)
      expect(fs.readdirSync(path.dirname(home.credentials)).sort()).toEqual(["config", "credentials"])

      const init = await wine.cli(["work", "init"], env)
      expect(init).toMatchObject({ code: 0, stderr: "" })
      expect(home.read()).toContain("username = olga\r\n")
    }, 240_000)

    it("the code cache is kept in %LOCALAPPDATA% and used; one planted outside the profile, or behind a link that leads out of it, is not", async () => {
      const { env } = await initialised("carl")
      const cache = path.join(wine.profile, "AppData", "Local", "aws-iam-login")
      fs.rmSync(cache, { recursive: true, force: true })
      // The cache serves the full program: the fast path would answer --version without it.
      const full = { ...env, AWS_IAM_LOGIN_NO_FAST: "1" }
      const kinds = () => {
        const [entry = ""] = fs.readdirSync(cache).filter((name) => name.startsWith("main-"))
        return fs
          .readFileSync(path.join(cache, entry))
          .subarray(0, 300)
          .toString()
          .split("\n")[0]!
          .split(" ")[3]
      }
      expect(await wine.cli(["--version"], full)).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: "" })
      expect(kinds()).toBe("--version")
      // A run made often adds its functions to the entry it started from: only an entry V8 took does.
      expect(await wine.cli(["work", "status", "--json"], full)).toMatchObject({ code: 0, stderr: "" })
      expect(kinds()).toBe("--version,status")

      // V8 data made by this Node from other code of main.cjs's length, its header naming main.cjs's digest.
      const forge = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-forge-")), "forge.js")
      fs.writeFileSync(
        forge,
        `const [main, dir] = process.argv.slice(2)
const fs = require("fs"), vm = require("vm"), crypto = require("crypto")
const sha256 = (data) => crypto.createHash("sha256").update(data).digest("hex")
const real = fs.readFileSync(main, "utf8")
const code = "exports.forged = 1; exports.start = () => console.log('FORGED')"
const wrap = (source) => "(function (exports, require, module, __filename, __dirname) {" + source + "\\n})"
const run = (script) => { const exports = {}; script.runInThisContext()(exports, require, {}, main, dir); return exports }
const forged = new vm.Script(wrap(code + " ".repeat(real.length - code.length)), { filename: main })
run(forged)
const data = forged.createCachedData()
if (run(new vm.Script(wrap(real), { filename: main, cachedData: data })).forged !== 1) process.exit(3)
fs.mkdirSync(dir, { recursive: true })
fs.writeFileSync(dir + "/main-" + process.version + ".v8", Buffer.concat([Buffer.from("aws-iam-login-code-cache-1 " + sha256(real) + " " + sha256(data) + " login\\n"), data]))
`,
      )
      const outside = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-shared-cache-"))
      const linked = path.join(wine.profile, "AppData", "Local", path.basename(outside))
      fs.symlinkSync(outside, linked)
      const main = path.join(path.dirname(bin), "main.cjs")
      const planted = path.join(outside, "aws-iam-login")
      expect(
        await wine.launchNode([windowsPath(forge), windowsPath(main), windowsPath(planted)], {}).ended,
      ).toEqual({
        code: 0,
        stdout: "",
        stderr: "",
      })
      const [entry = ""] = fs.readdirSync(planted)
      const before = fs.readFileSync(path.join(planted, entry))
      const inProfile = `C:\\users\\${os.userInfo().username}\\AppData\\Local\\${path.basename(linked)}`
      for (const home of [windowsPath(outside), inProfile]) {
        const run = await wine.cli(["--version"], { ...full, XDG_CACHE_HOME: home })
        expect(run, home).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: "" })
        expect(fs.readdirSync(planted), home).toEqual([entry])
        expect(fs.readFileSync(path.join(planted, entry)).equals(before), home).toBe(true)
      }
    }, 120_000)

    it("AWS_SHARED_CREDENTIALS_FILE written with %USERPROFILE% or ~ names the file botocore would read there", async () => {
      const user = await seedUser(moto, "vera")
      const home = makeHome(user, "work", path.join(wine.profile, "vera"))
      addToWork(home, "username = vera\r\nmfa_serial = arn:aws:iam::123456789012:mfa/vera-phone\r\n")
      for (const written of ["%USERPROFILE%\\vera\\.aws\\credentials", "~\\vera\\.aws\\credentials"]) {
        const status = await wine.cli(["work", "status", "--json"], {
          AWS_SHARED_CREDENTIALS_FILE: written,
          AWS_CONFIG_FILE: "%USERPROFILE%\\vera\\.aws\\config",
          AWS_ENDPOINT_URL: moto.endpoint,
          AWS_REGION: "us-east-1",
        })
        expect(status, written).toMatchObject({ code: 0, stderr: "" })
        expect(JSON.parse(status.stdout), written).toMatchObject({ username: "vera", keyStatus: "Active" })
      }
    }, 120_000)
  },
)
