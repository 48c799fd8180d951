import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { ListAccessKeysCommand } from "@aws-sdk/client-iam"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  aws,
  aws_iam_login,
  bin,
  environment,
  type Home,
  initialisedHome,
  launch,
  makeHome,
  type SeededUser,
  seedUser,
  which,
} from "./moto.js"
import {
  type SecretService,
  secretServiceAvailable as secretService,
  startSecretService,
} from "./secret-service.js"
import { motoForSuite } from "./suite.js"
import { Tmux } from "./terminal.js"

describe.runIf(secretService)("the built CLI with a real Secret Service (gnome-keyring) and moto", () => {
  const moto = motoForSuite()
  let keyring: SecretService
  /** A directory where `aws-iam-login` is the built CLI, as credential_process finds it. */
  const tools = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-path-"))
  fs.symlinkSync(bin, path.join(tools, "aws-iam-login"))
  beforeAll(async () => {
    keyring = await startSecretService()
  }, 60_000)
  afterAll(() => {
    keyring?.stop()
  })
  const env = () => ({
    ...keyring.env,
    PATH: `${tools}${path.delimiter}${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}`,
  })
  /** A login of [profile] with its stored key, and the AWS CLI working with the session it hands over. */
  const loggedInAndUsed = async (home: Home, profile = "work") => {
    const login = await aws_iam_login(home, moto.endpoint, [profile, "--token", "123456"], { env: env() })
    expect(login).toMatchObject({ code: 0, stderr: "" })
    expect(login.stdout).toContain(`Logged in: [${profile}-sts]`)
    const identity = await aws(
      home,
      moto.endpoint,
      ["--profile", profile, "sts", "get-caller-identity"],
      env(),
    )
    expect(identity).toMatchObject({ code: 0 })
    // Signed with the session credential_process hands over ([work] holds no key for the AWS CLI to use).
    expect(JSON.parse(identity.stdout).Account).toBe("123456789012")
  }

  it("moves the key into the keyring, where secret-tool finds it; login and the AWS CLI use it; it moves back", async () => {
    const { user, home } = await initialisedHome(moto, "keyring-user")
    const before = home.read()
    const plan = await aws_iam_login(
      home,
      moto.endpoint,
      ["work", "key", "--store", "keyring", "--dry-run"],
      { env: env() },
    )
    expect(plan).toMatchObject({ code: 0, stderr: "" })
    expect(plan.stdout).toContain("Nothing was changed.")
    expect(home.read()).toBe(before)

    const moved = await aws_iam_login(home, moto.endpoint, ["work", "key", "--store", "keyring"], {
      env: env(),
    })
    expect(moved).toMatchObject({ code: 0, stderr: "" })
    expect(moved.stdout).toContain("is in the Secret Service")
    const text = home.read()
    expect(text).not.toContain(user.secretAccessKey)
    expect(text).toContain(`aws_iam_login_key_id = ${user.accessKeyId}`)
    expect(text).toContain("credential_process = aws-iam-login work export")
    expect(await keyring.lookup(user.accessKeyId)).toBe(user.secretAccessKey)

    await loggedInAndUsed(home)

    const back = await aws_iam_login(home, moto.endpoint, ["work", "key", "--store", "file"], { env: env() })
    expect(back).toMatchObject({ code: 0, stderr: "" })
    expect(home.read()).toContain(`aws_secret_access_key = ${user.secretAccessKey}`)
    expect(home.read()).not.toContain("credential_process")
    expect(await keyring.lookup(user.accessKeyId)).toBeUndefined()
    const again = await aws_iam_login(home, moto.endpoint, ["work", "--token", "123456", "--force"], {
      env: env(),
    })
    expect(again).toMatchObject({ code: 0, stderr: "" })
  }, 120_000)

  it('a profile named with ";" (botocore reads the quoted name in its credential_process as written): its key moves into the keyring, and the AWS CLI uses its session', async () => {
    const { user, home } = await initialisedHome(moto, "semicolon-user")
    const name = "a$b;c"
    home.write(home.read().replace("[work]", `[${name}]`))
    const moved = await aws_iam_login(home, moto.endpoint, [name, "key", "--store", "keyring"], {
      env: env(),
    })
    expect(moved).toMatchObject({ code: 0, stderr: "" })
    expect(home.read()).toContain(`credential_process = aws-iam-login '${name}' export`)
    expect(home.read()).not.toContain(user.secretAccessKey)
    expect(await keyring.lookup(user.accessKeyId)).toBe(user.secretAccessKey)
    await loggedInAndUsed(home, name)
  }, 120_000)

  it("status, list and --debug say where a stored key lives, without opening the store (no session bus needed)", async () => {
    const { user, home } = await initialisedHome(moto, "where-user")
    const moved = await aws_iam_login(home, moto.endpoint, ["work", "key", "--store", "keyring"], {
      env: env(),
    })
    expect(moved).toMatchObject({ code: 0, stderr: "" })
    // A bus that is not there: a command that started the keyring helper would fail.
    const noBus = {
      ...env(),
      DBUS_SESSION_BUS_ADDRESS: `unix:path=${path.join(os.tmpdir(), `aws-iam-login-no-bus-${process.pid}`)}`,
    }
    const where = `the OS secret store (service aws-iam-login, account ${user.accessKeyId}), which [work] of ${home.credentials} points to`
    const status = await aws_iam_login(home, moto.endpoint, ["work", "status", "--debug"], { env: noBus })
    expect(status.code).toBe(0)
    expect(status.stdout).toContain(`kept in     ${where}`)
    expect(status.stdout).toContain("age unknown (the key is in the OS secret store, not opened to show this")
    expect(status.stderr).toContain(
      `[debug] the key of [work] is in the OS secret store (service aws-iam-login, account ${user.accessKeyId}), as [work] of ${home.credentials} says`,
    )
    const list = await aws_iam_login(home, moto.endpoint, ["list"], { env: noBus })
    expect(list.code).toBe(0)
    expect(list.stdout).toMatch(new RegExp(`^work +keyring ${user.accessKeyId} +where-user `, "m"))
    const json = JSON.parse(
      (await aws_iam_login(home, moto.endpoint, ["list", "--json"], { env: noBus })).stdout,
    )
    expect(json.find((row: { profile: string }) => row.profile === "work").keyLocation).toEqual({
      store: "keyring",
      service: "aws-iam-login",
      account: user.accessKeyId,
      file: home.credentials,
      section: "work",
    })

    const login = await aws_iam_login(home, moto.endpoint, ["work", "--token", "123456", "--debug"], {
      env: env(),
    })
    expect(login).toMatchObject({ code: 0 })
    expect(login.stderr).toContain(`account ${user.accessKeyId}), as [work] of ${home.credentials} says`)
    // With the session, status asks IAM for the key's age; the store stays closed.
    const after = await aws_iam_login(home, moto.endpoint, ["work", "status", "--json"], { env: noBus })
    expect(after.code).toBe(0)
    expect(JSON.parse(after.stdout)).toMatchObject({ keyAgeDays: 0, keyStatus: "Active" })
    for (const out of [status, list, login, after])
      expect(out.stdout + out.stderr).not.toContain(user.secretAccessKey)
  }, 120_000)

  it("init --store keyring takes a new profile's key from stdin straight into the keyring; login and the AWS CLI use it", async () => {
    const user = await seedUser(moto, "init-store-user", { devices: ["init-store-user-phone"] })
    const home = makeHome(user)
    home.write("[other]\r\nx = 1\r\n")
    const init = await aws_iam_login(home, moto.endpoint, ["work", "init", "--store", "keyring"], {
      env: env(),
      input: `${user.accessKeyId}\n${user.secretAccessKey}\n`,
    })
    expect(init).toMatchObject({ code: 0, stderr: "" })
    expect(init.stdout).toContain(`account ${user.accessKeyId}), which [work] points to.`)
    expect(home.read()).not.toContain(user.secretAccessKey)
    expect(home.read()).toContain(`aws_iam_login_key_id = ${user.accessKeyId}`)
    expect(await keyring.lookup(user.accessKeyId)).toBe(user.secretAccessKey)
    await loggedInAndUsed(home)
  }, 120_000)

  it.runIf(which("tmux"))(
    "on a terminal, init --store keyring reads the secret without showing it",
    async () => {
      const user = await seedUser(moto, "tty-store-user", { devices: ["tty-store-user-phone"] })
      const home = makeHome(user)
      home.write("[other]\r\nx = 1\r\n")
      const tmux = new Tmux(
        ["sh", "-c", `"${process.execPath}" "${bin}" work init --store keyring; echo "exit $?"; sleep 60`],
        environment(home, moto.endpoint, env()),
        home.dir,
      )
      try {
        await tmux.waitFor(/AWS Access Key ID:\s*$/m, 60)
        tmux.type(user.accessKeyId, "Enter")
        await tmux.waitFor(/AWS Secret Access Key:\s*$/m)
        tmux.type(user.secretAccessKey, "Enter")
        const screen = await tmux.waitFor(/^exit \d+$/m, 60)
        expect(screen).toContain("Next: aws-iam-login work")
        expect(screen).toMatch(/^exit 0$/m)
        expect(screen).not.toContain(user.secretAccessKey)
        expect(await keyring.lookup(user.accessKeyId)).toBe(user.secretAccessKey)
      } finally {
        tmux.stop()
      }
    },
    120_000,
  )

  it("a credentials file that cannot be written: one sentence, the file untouched, nothing left in the keyring", async () => {
    const { user, home } = await initialisedHome(moto, "read-only-user")
    const before = home.read()
    fs.chmodSync(home.credentials, 0o400)
    const result = await aws_iam_login(home, moto.endpoint, ["work", "key", "--store", "keyring"], {
      env: env(),
    })
    fs.chmodSync(home.credentials, 0o600)
    expect(result.code).toBe(1)
    expect(result.stdout).toBe("")
    expect(result.stderr).toMatch(
      new RegExp(`^aws-iam-login: [^\\n]*${home.credentials}[^\\n]*read-only[^\\n]*\\.\\n$`),
    )
    expect(home.read()).toBe(before)
    expect(await keyring.lookup(user.accessKeyId)).toBeUndefined()
    const login = await aws_iam_login(home, moto.endpoint, ["work", "--token", "123456"], { env: env() })
    expect(login.code).toBe(0)
  }, 120_000)

  it("without a session bus, says so in one sentence and leaves the key in the file", async () => {
    const { home } = await initialisedHome(moto, "no-bus-user")
    const before = home.read()
    const missing = path.join(os.tmpdir(), `aws-iam-login-no-bus-${process.pid}`)
    const result = await aws_iam_login(home, moto.endpoint, ["work", "key", "--store", "keyring"], {
      env: { ...env(), DBUS_SESSION_BUS_ADDRESS: `unix:path=${missing}` },
    })
    expect(result.code).toBe(1)
    expect(result.stdout).toBe("")
    expect(result.stderr).toMatch(
      /^aws-iam-login: Could not read from the Secret Service: there is no D-Bus session bus[^\n]*\.\n$/,
    )
    expect(home.read()).toBe(before)
  }, 60_000)

  describe("rotate, signatures checked", () => {
    const checked = motoForSuite({ auth: true })

    it("rotates a stored key against moto with signatures checked: the new key in the keyring, the old item gone, one Active key, the AWS CLI working", async () => {
      {
        const { user, home } = await initialisedHome(checked, "keyring-rotate-user")
        const cli = (args: ReadonlyArray<string>) =>
          aws_iam_login(home, checked.endpoint, args, { env: env() })
        expect(await cli(["work", "key", "--store", "keyring"])).toMatchObject({ code: 0, stderr: "" })
        const from = checked.requests.length

        const rotated = await cli(["work", "rotate", "--yes"])
        expect(rotated).toMatchObject({ code: 0, stderr: "" })
        expect(rotated.stdout).toContain("Read the new key back from the OS secret store")
        const newId = /aws_iam_login_key_id = (\S+)/.exec(home.read())?.[1] ?? ""
        expect(newId).not.toBe(user.accessKeyId)
        expect(rotated.stdout).toContain(`Rotated: [work] now uses ${newId.slice(0, 4)}…`)
        const keys = (await checked.admin.send(new ListAccessKeysCommand({ UserName: user.userName })))
          .AccessKeyMetadata!
        expect(keys.map((k) => [k.AccessKeyId, k.Status])).toEqual([[newId, "Active"]])
        const secret = await keyring.lookup(newId)
        expect(secret).toMatch(/^\S{40}$/)
        expect(await keyring.lookup(user.accessKeyId)).toBeUndefined()
        const text = home.read()
        expect(text).not.toContain(secret)
        expect(text).not.toContain(user.secretAccessKey)
        expect(
          fs.readdirSync(path.join(home.dir, ".aws", ".aws-iam-login")).filter((n) => n.endsWith(".json")),
        ).toEqual([])
        const signer = (action: string) =>
          checked.requests
            .slice(from)
            .filter((r) => r.action === action)
            .map((r) => r.accessKeyId)
        expect(signer("CreateAccessKey")).toEqual([user.accessKeyId])
        expect(signer("UpdateAccessKey")).toEqual([newId])
        expect(signer("DeleteAccessKey")).toEqual([newId])

        // The stored secret signs: a login with the new key, then the AWS CLI through credential_process.
        const login = await cli(["work", "--token", "123456", "--force"])
        expect(login).toMatchObject({ code: 0, stderr: "" })
        expect(checked.requests.filter((r) => r.action === "GetSessionToken").at(-1)?.accessKeyId).toBe(newId)
        // moto checks signatures of long-term keys only: it knows no GetSessionToken session, so its checks are off for this call.
        const checks = (body: string) =>
          fetch(`${checked.direct}/moto-api/reset-auth`, { method: "POST", body })
        await checks("1000000")
        const identity = await aws(
          home,
          checked.endpoint,
          ["--profile", "work", "sts", "get-caller-identity"],
          env(),
        )
        await checks("0")
        expect(identity, identity.stderr).toMatchObject({ code: 0 })
        expect(JSON.parse(identity.stdout).Account).toBe("123456789012")
        // Signed with the session that credential_process handed over: the one the login wrote into [work-sts].
        const session = /\[work-sts\][^[]*?aws_access_key_id = (\S+)/.exec(home.read())?.[1]
        expect(session).toBeDefined()
        expect(checked.requests.filter((r) => r.action === "GetCallerIdentity").at(-1)?.accessKeyId).toBe(
          session,
        )

        // And it moves back into the file as the new key.
        expect(await cli(["work", "key", "--store", "file"])).toMatchObject({ code: 0, stderr: "" })
        expect(home.read()).toContain(`aws_secret_access_key = ${secret}`)
        expect(await keyring.lookup(newId)).toBeUndefined()
      }
    }, 120_000)

    /** A user whose key [work] keeps in the keyring. */
    const storedHome = async (name: string) => {
      const { user, home } = await initialisedHome(checked, name)
      const moved = await aws_iam_login(home, checked.endpoint, ["work", "key", "--store", "keyring"], {
        env: env(),
      })
      expect(moved).toMatchObject({ code: 0, stderr: "" })
      return { user, home }
    }

    /** After at most one more rotate: one Active key, [work] points to it, its item alone is in the keyring, and it signs. */
    const oneStoredKey = async (user: SeededUser, home: Home, endpoint: string) => {
      if (fs.readdirSync(path.join(home.dir, ".aws", ".aws-iam-login")).some((n) => n.endsWith(".json"))) {
        const again = await aws_iam_login(home, endpoint, ["work", "rotate", "--yes"], { env: env() })
        expect(again, again.stderr).toMatchObject({ code: 0 })
      }
      const keys = (await checked.admin.send(new ListAccessKeysCommand({ UserName: user.userName })))
        .AccessKeyMetadata!
      expect(keys.map((k) => k.Status)).toEqual(["Active"])
      const id = keys[0]!.AccessKeyId!
      expect(home.read()).toContain(`aws_iam_login_key_id = ${id}`)
      const others = [user.accessKeyId, ...keys.map((k) => k.AccessKeyId!)].filter((k) => k !== id)
      for (const other of others) expect(await keyring.lookup(other)).toBeUndefined()
      expect(await keyring.lookup(id)).toMatch(/^\S+$/)
      const login = await aws_iam_login(home, endpoint, ["work", "--token", "123456", "--force"], {
        env: env(),
      })
      expect(login, login.stderr).toMatchObject({ code: 0 })
      return id
    }

    it("SIGKILL while DeleteAccessKey is held: the next rotate finishes from the journal's key ids and the keyring", async () => {
      const { user, home } = await storedHome("keyring-kill-user")
      const proxy = await checked.proxy()
      const held = proxy.inject("DeleteAccessKey", "hold")
      const running = launch(home, proxy.endpoint, ["work", "rotate", "--yes"], { env: env() })
      await held.reached
      running.child.kill("SIGKILL")
      expect((await running.ended).signal).toBe("SIGKILL")
      const journal = fs.readFileSync(
        path.join(home.dir, ".aws", ".aws-iam-login", "credentials.work.json"),
        "utf8",
      )
      expect(JSON.parse(journal).store).toBe("keyring")
      expect(journal).not.toContain("secret")
      expect(await oneStoredKey(user, home, proxy.endpoint)).not.toBe(user.accessKeyId)
    }, 120_000)

    it("SIGINT while UpdateAccessKey is held: undone within 10 s, the old key and its item kept, the new one's gone", async () => {
      const { user, home } = await storedHome("keyring-sigint-user")
      const proxy = await checked.proxy()
      const held = proxy.inject("UpdateAccessKey", "hold")
      const running = launch(home, proxy.endpoint, ["work", "rotate", "--yes"], { env: env() })
      await held.reached
      const sent = performance.now()
      running.child.kill("SIGINT")
      const ended = await running.ended
      expect(ended.at - sent).toBeLessThan(10_000)
      expect(ended.code, ended.stderr).toBe(130)
      expect(ended.stderr).toContain("then its item in the OS secret store")
      expect(await oneStoredKey(user, home, proxy.endpoint)).toBe(user.accessKeyId)
    }, 120_000)
  })
})
