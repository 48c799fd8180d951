import * as path from "node:path"
import { ListAccessKeysCommand } from "@aws-sdk/client-iam"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { available, bin, type Home, keyOf, type Moto, makeHome, seedUser, startMoto } from "./moto.js"
import { startWine, type Wine, windowsEnvironment, windowsPath, wineAvailable } from "./wine.js"
import { addProcessPrng, windowsKeyringModules } from "./wine-keyring.js"

/**
 * The key in the Windows Credential Manager: the built CLI under Node's Windows build (Wine), with
 * @napi-rs/keyring's Windows binary, against moto with signature checks on.
 */
describe.runIf(available && wineAvailable)(
  "the built CLI under Wine with the key in the Windows Credential Manager",
  () => {
    let moto: Moto
    let wine: Wine
    let modules: string
    beforeAll(async () => {
      ;[moto, wine, modules] = await Promise.all([startMoto(), startWine(), windowsKeyringModules()])
      await moto.enableAuth()
    }, 600_000)
    afterAll(async () => {
      await Promise.all([moto?.stop(), wine?.stop()])
    })

    /** The environment of a run: the home's files, moto, and where the Windows binary is (as npm installs it on Windows). */
    const environment = (home: Home): Record<string, string> =>
      windowsEnvironment(home, moto.endpoint, { NODE_PATH: windowsPath(modules) })

    /** What the Credential Manager holds for `keyId`, read by the keyring helper (dist/keyring.cjs) under Wine. */
    const stored = async (keyId: string) => {
      const helper = path.join(path.dirname(bin), "keyring.cjs")
      const out = await wine.launchNode(
        [windowsPath(helper)],
        { NODE_PATH: windowsPath(modules) },
        {
          input: JSON.stringify({ op: "read", account: keyId }),
        },
      ).ended
      expect(out, "the keyring helper").toMatchObject({ code: 0, stderr: "" })
      const answer = JSON.parse(out.stdout) as { ok: boolean; secret?: string | null; error?: string }
      expect(answer, "the keyring helper").toMatchObject({ ok: true })
      return answer.secret ?? undefined
    }

    /** The generic credentials Wine keeps for the Credential Manager (in its registry), as `reg query` lists them. */
    const credentialManager = async () => {
      const out = await wine.launchNode(
        [
          "-e",
          "process.stdout.write(require('child_process').execFileSync('reg', ['query', 'HKCU\\\\Software\\\\Wine\\\\Credential Manager', '/s']))",
        ],
        {},
      ).ended
      expect(out, "reg query").toMatchObject({ code: 0 })
      return out.stdout
    }

    it("where Windows does not load the binary (Wine 8 lacks bcryptprimitives.dll), moving the key in fails in one sentence with the system's words; the key stays in the file and logs in", async () => {
      const user = await seedUser(moto, "wilma")
      const home = makeHome(user)
      // Wine 8 has no bcryptprimitives.dll; a later Wine's own is turned off here, so that it has none either.
      const env: Record<string, string> = {
        ...environment(home),
        WINEDLLOVERRIDES: "mscoree,mshtml,bcryptprimitives=",
      }
      expect(await wine.cli(["work", "init"], env)).toMatchObject({ code: 0, stderr: "" })
      const before = home.read()

      const failed = await wine.cli(["work", "key", "--store", "keyring"], env)
      expect(failed).toEqual({
        code: 1,
        stdout: "",
        stderr:
          "aws-iam-login: Could not read from the Windows Credential Manager: its native part (from @napi-rs/keyring) is installed but this system does not load it, as when a library it needs is missing: reinstall aws-iam-login with npm, and where that does not help, keep keys in the credentials file on this system (the system said: Module not found).\n",
      })
      // Without the binary at all (npm told to omit optional dependencies): reinstall, says the sentence.
      const { NODE_PATH: _, ...withoutBinary } = env
      const missing = await wine.cli(["work", "key", "--store", "keyring"], withoutBinary)
      expect(missing.code).toBe(1)
      expect(missing.stderr).toMatch(
        /^aws-iam-login: Could not read from the Windows Credential Manager: its native part for this system \(an optional dependency of @napi-rs\/keyring\) is not installed: reinstall aws-iam-login with npm, optional dependencies included \(no --omit=optional\), and run this again\.\n$/,
      )
      expect(`${failed.stderr}${missing.stderr}`).not.toMatch(/secret-tool|gnome-keyring|D-Bus/)
      expect(home.read()).toBe(before)

      const login = await wine.cli(["work", "--token", "123456"], env)
      expect(login).toMatchObject({ code: 0, stderr: "" })
      expect(keyOf(home.read(), "work")).toEqual({ id: user.accessKeyId, secret: user.secretAccessKey })
    }, 240_000)

    describe("with the DLL Windows 8 and later have (a stand-in in the prefix's system32)", () => {
      beforeAll(async () => {
        await addProcessPrng(wine.prefix)
      }, 120_000)

      it("init --store keyring takes the key from stdin into the Credential Manager; key --store file and back; login and rotate sign with it", async () => {
        const user = await seedUser(moto, "wendell", { devices: ["wendells-phone"] })
        const home = makeHome(user)
        home.write("[other]\r\nx = 1\r\n")
        const env = environment(home)

        const init = await wine.cli(["work", "init", "--store", "keyring"], env, {
          input: `${user.accessKeyId}\n${user.secretAccessKey}\n`,
        })
        expect(init).toMatchObject({ code: 0, stderr: "" })
        expect(init.stdout).toContain(
          `is in the Windows Credential Manager (service aws-iam-login, account ${user.accessKeyId}), which [work] points to.`,
        )
        expect(home.read()).toContain(`aws_iam_login_key_id = ${user.accessKeyId}`)
        expect(home.read()).not.toContain(user.secretAccessKey)
        expect(await stored(user.accessKeyId)).toBe(user.secretAccessKey)
        // A generic credential, as `cmdkey /list:<key id>.aws-iam-login` shows it on Windows; its secret encrypted.
        const listed = await credentialManager()
        expect(listed).toContain(`Generic: ${user.accessKeyId}.aws-iam-login`)
        expect(listed).toMatch(new RegExp(`UserName +REG_SZ +${user.accessKeyId}`))
        expect(listed).not.toContain(user.secretAccessKey)

        const back = await wine.cli(["work", "key", "--store", "file"], env)
        expect(back).toMatchObject({ code: 0, stderr: "" })
        expect(back.stdout).toContain("the Windows Credential Manager no longer holds it.")
        expect(keyOf(home.read(), "work")).toEqual({ id: user.accessKeyId, secret: user.secretAccessKey })
        expect(await stored(user.accessKeyId)).toBeUndefined()

        const moved = await wine.cli(["work", "key", "--store", "keyring"], env)
        expect(moved).toMatchObject({ code: 0, stderr: "" })
        expect(moved.stdout).toContain(
          `is in the Windows Credential Manager (service aws-iam-login, account ${user.accessKeyId})`,
        )
        expect(home.read()).not.toContain(user.secretAccessKey)
        expect(await stored(user.accessKeyId)).toBe(user.secretAccessKey)

        const sent = moto.requests.length
        const login = await wine.cli(["work", "--token", "123456"], env)
        expect(login).toMatchObject({ code: 0, stderr: "" })
        expect(login.stdout).toContain("Logged in: [work-sts]")
        expect(moto.requests.slice(sent)).toContainEqual({
          action: "GetSessionToken",
          accessKeyId: user.accessKeyId,
        })

        const rotated = await wine.cli(["work", "rotate", "--yes"], env)
        expect(rotated).toMatchObject({ code: 0, stderr: "" })
        const keys = await moto.admin.send(new ListAccessKeysCommand({ UserName: user.userName }))
        const fresh = keys.AccessKeyMetadata?.map((k) => [k.AccessKeyId, k.Status]) ?? []
        expect(fresh).toHaveLength(1)
        const [[freshId]] = fresh as [[string, string]]
        expect(freshId).not.toBe(user.accessKeyId)
        expect(fresh).toEqual([[freshId, "Active"]])
        expect(home.read()).toContain(`aws_iam_login_key_id = ${freshId}`)
        expect(await stored(user.accessKeyId)).toBeUndefined()
        const freshSecret = await stored(freshId)
        expect(freshSecret).toMatch(/^\S{40}$/)
        expect(home.read()).not.toContain(freshSecret ?? "")
        expect(home.read()).not.toContain(user.secretAccessKey)

        // The new key, read from the Credential Manager, signs: a login with it.
        const again = moto.requests.length
        expect(await wine.cli(["work", "--token", "123456", "--force"], env)).toMatchObject({
          code: 0,
          stderr: "",
        })
        expect(moto.requests.slice(again)).toContainEqual({ action: "GetSessionToken", accessKeyId: freshId })
      }, 300_000)
    })
  },
)
