import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { available, aws_iam_login, bin, initialisedHome, type Moto, startMoto } from "./moto.js"
import { type SecretService, secretServiceAvailable, startSecretService } from "./secret-service.js"

/** `doctor` through the built CLI: one line per check, exit 1 on a problem, the fix in the line. */
describe.runIf(available)("aws-iam-login <profile> doctor", () => {
  let moto: Moto
  /** A directory where `aws-iam-login` is the built CLI, as credential_process finds it. */
  const tools = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-path-"))
  fs.symlinkSync(bin, path.join(tools, "aws-iam-login"))
  const withTool = `${tools}${path.delimiter}${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}`
  beforeAll(async () => {
    moto = await startMoto()
  }, 60_000)
  afterAll(() => moto?.stop())

  it("a key in the file, as aws configure leaves ~/.aws (755) and the config file (644): ok without opening the store, noting who can list the names; a credential_process of this tool not on PATH is a problem with its fix, exit 1", async () => {
    const { home } = await initialisedHome(moto, "doctor-file-user")
    fs.writeFileSync(
      home.config,
      "[default]\nregion = us-east-1\n[profile app]\ncredential_process = aws-iam-login work export\n",
    )
    fs.chmodSync(home.config, 0o644)
    fs.chmodSync(path.dirname(home.credentials), 0o755)
    const before = home.read()
    // A session bus that is not there: opening the store would fail, so an ok line proves it was not opened.
    const noBus = {
      DBUS_SESSION_BUS_ADDRESS: `unix:path=${path.join(os.tmpdir(), `aws-iam-login-no-bus-${process.pid}`)}`,
    }
    const good = await aws_iam_login(home, moto.endpoint, ["work", "doctor"], {
      env: { ...noBus, PATH: withTool },
    })
    expect(good).toMatchObject({ code: 0, stderr: "" })
    const lines = good.stdout.trimEnd().split("\n")
    expect(lines).toHaveLength(7)
    expect(lines[0]).toMatch(
      /^ok +key +the key AKIA…\w{4} is in \[work\] of .*; the OS secret store is not used, so it was not opened/,
    )
    const dir = path.dirname(home.credentials)
    expect(lines[1]).toBe(
      `ok       credentials file    ${home.credentials} is yours and writable, in directories only you can change; no other user can read or change it; other users can list the file names in ${dir} (mode 755), not read the files: \`chmod 700 ${dir}\` hides the names too`,
    )
    expect(lines[2]).toBe(
      `ok       config file         other users can read ${home.config} (mode 644), which holds no secret key or session token; no other user can change it`,
    )
    expect(lines[3]).toBe(
      `ok       credential_process  [profile app] of ${home.config} runs ${path.join(tools, "aws-iam-login")}`,
    )
    expect(lines[4]).toMatch(/^ok +AWS +the key signs as arn:aws:iam::123456789012:user\/doctor-file-user$/)
    // moto does not simulate policies: doctor says it cannot tell, and that is not a problem.
    expect(lines[5]).toBe(
      `skipped  policy              cannot tell what rotate may do: ${moto.endpoint} does not answer iam:SimulatePrincipalPolicy (it gave 500 and an HTML page), which is no problem of this setup`,
    )
    expect(lines[6]).toMatch(
      /^ok +clock +this machine's clock (agrees with AWS's|is 1 s (ahead of|behind) AWS's)$/,
    )

    const bad = await aws_iam_login(home, moto.endpoint, ["work", "doctor"], { env: noBus })
    expect(bad.code).toBe(1)
    expect(bad.stdout).toContain(
      `PROBLEM  credential_process  [profile app] of ${home.config} runs aws-iam-login, which is not found as a program you may run on PATH: install the tool`,
    )
    expect(bad.stderr).toBe(
      "aws-iam-login: 1 problem found in the setup of [work]: each PROBLEM line above says what to do.\n",
    )
    expect(home.read()).toBe(before)
  }, 120_000)

  it("AWS's clock 10 minutes off the machine's (its Date header) is a problem that says how to set the clock", async () => {
    const { home } = await initialisedHome(moto, "doctor-clock-user")
    fs.chmodSync(home.config, 0o600)
    const skewed = await moto.proxy()
    skewed.skew(600)
    try {
      const result = await aws_iam_login(home, skewed.endpoint, ["work", "doctor"], {
        env: { PATH: withTool },
      })
      expect(result.code).toBe(1)
      expect(result.stdout).toMatch(
        /^PROBLEM +clock +this machine's clock is (599|600|601) s behind AWS's: .*set the clock from the network \(timedatectl set-ntp true/m,
      )
      expect(result.stderr).toContain("1 problem found")
    } finally {
      await skewed.stop()
    }
  }, 120_000)

  it("a credentials file in a directory others can write to, a config file others can read while it holds a secret or can change, is a problem named with its fix", async () => {
    const { home } = await initialisedHome(moto, "doctor-dir-user")
    fs.chmodSync(path.dirname(home.credentials), 0o777)
    fs.writeFileSync(
      home.config,
      "[profile p]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = wJalrXUtnFEMI\n",
    )
    fs.chmodSync(home.config, 0o644)
    const result = await aws_iam_login(home, moto.endpoint, ["work", "doctor"], { env: { PATH: withTool } })
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(
      /^PROBLEM +credentials file +.*other users can write to it \(mode 777\).*chmod 700/m,
    )
    expect(result.stdout).toContain(
      `PROBLEM  config file       other users can read ${home.config} (mode 644): run \`chmod 600 ${home.config}\`\n`,
    )
    expect(result.stderr).toContain("2 problems found")

    // Without a secret, others may read it; changing it (credential_process could run their program) is still a problem.
    fs.chmodSync(path.dirname(home.credentials), 0o700)
    fs.writeFileSync(home.config, "[default]\nregion = us-east-1\n")
    fs.chmodSync(home.config, 0o646)
    const changeable = await aws_iam_login(home, moto.endpoint, ["work", "doctor"], {
      env: { PATH: withTool },
    })
    expect(changeable.code).toBe(1)
    expect(changeable.stdout).toContain(
      `PROBLEM  config file       other users can read and write to ${home.config} (mode 646): run \`chmod 600 ${home.config}\`\n`,
    )
    expect(changeable.stderr).toContain("1 problem found")
  }, 120_000)

  describe.runIf(secretServiceAvailable)("with the key in the OS secret store (gnome-keyring)", () => {
    let service: SecretService
    beforeAll(async () => {
      service = await startSecretService()
    }, 60_000)
    afterAll(() => service?.stop())

    it("ok while the keyring answers unlocked; locked, the key line is a problem that says how to unlock it", async () => {
      const { home } = await initialisedHome(moto, "doctor-store-user")
      fs.chmodSync(home.config, 0o600)
      const env = { ...service.env, PATH: withTool }
      const moved = await aws_iam_login(home, moto.endpoint, ["work", "key", "--store", "keyring"], { env })
      expect(moved).toMatchObject({ code: 0, stderr: "" })
      const good = await aws_iam_login(home, moto.endpoint, ["work", "doctor"], { env })
      expect(good).toMatchObject({ code: 0, stderr: "" })
      expect(good.stdout).toMatch(
        /^ok +key +the key AKIA…\w{4} is in the Secret Service \(service aws-iam-login, account AKIA\w+\), which answered, unlocked$/m,
      )
      expect(good.stdout).toMatch(/^ok +credential_process +\[work\] of .* runs /m)

      await service.lock()
      const locked = await aws_iam_login(home, moto.endpoint, ["work", "doctor"], { env })
      expect(locked.code).toBe(1)
      expect(locked.stdout).toMatch(
        /^PROBLEM +key +Could not read from the Secret Service: the keyring is locked: unlock it/m,
      )
      expect(locked.stdout).toMatch(/^skipped +AWS +not asked: no key to sign with/m)
      expect(locked.stderr).toContain("1 problem found")
      await service.unlock()
    }, 120_000)
  })
})
