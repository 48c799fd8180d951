import { execFile } from "node:child_process"
import * as fs from "node:fs"
import { promisify } from "node:util"
import { afterEach, describe, expect, it } from "vitest"
import { available, aws_iam_login, bin, makeHome, seedUser } from "./moto.js"
import { motoForSuite } from "./suite.js"
import { installedBin, requireTools, Tmux } from "./terminal.js"

const run = promisify(execFile)
const ready = available && requireTools(["tmux", "script"], "apt-get install tmux bsdutils")
const esc = String.fromCharCode(27)

describe.runIf(ready)("at the terminal, and in a pipe", () => {
  const moto = motoForSuite()
  let session: Tmux | undefined
  afterEach(() => session?.stop())

  const env = (home: ReturnType<typeof makeHome>) => ({
    HOME: home.dir,
    TERM: "xterm",
    PATH: `${installedBin()}:${process.env.PATH}`,
    AWS_SHARED_CREDENTIALS_FILE: home.credentials,
    AWS_CONFIG_FILE: home.config,
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_REGION: "us-east-1",
    AWS_DEFAULT_REGION: "us-east-1",
  })

  it("--help is coloured on a terminal and plain when piped or with NO_COLOR", async () => {
    const onTerminal = await run("script", ["-qec", `${process.execPath} ${bin} --help`, "/dev/null"])
    expect(onTerminal.stdout).toContain(`${esc}[`)
    const noColor = await run("script", ["-qec", `${process.execPath} ${bin} --help`, "/dev/null"], {
      env: { ...process.env, NO_COLOR: "1" },
    })
    expect(noColor.stdout).not.toContain(esc)
    const piped = await run(process.execPath, [bin, "--help"])
    expect(piped.stdout).not.toContain(esc)
    expect(piped.stdout).toContain("COMMANDS")
    const usage = await run(process.execPath, [bin, "work", "--duration", "2m"]).then(
      () => ({ stderr: "" }),
      (e: { stderr: string }) => e,
    )
    expect(usage.stderr).not.toContain(esc)
    expect(usage.stderr.match(/outside AWS's limits/g)).toHaveLength(1)
    expect(usage.stderr).toContain("Run `aws-iam-login --help` for usage.")
  })

  it("--wizard is refused at once with a message", async () => {
    const started = Date.now()
    const result = await run(process.execPath, [bin, "--wizard"], { timeout: 10_000 }).then(
      () => ({ code: 0, stderr: "" }),
      (e: { stderr: string; code: number }) => e,
    )
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("aws-iam-login has no --wizard")
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it("login asks on the terminal, echoes, and asks again after a malformed code", async () => {
    const user = await seedUser(moto, "tina", { devices: ["tinas-phone"] })
    const home = makeHome(user)
    expect((await aws_iam_login(home, moto.endpoint, ["work", "init"])).code).toBe(0)
    session = new Tmux(["bash", "--noprofile", "--norc", "-i"], { ...env(home), PS1: "$ " }, home.dir)
    session.type("aws-iam-login work; echo exit=$?", "Enter")
    await session.waitFor(/MFA code for arn:aws:iam::123456789012:mfa\/tinas-phone:\s*$/m)
    session.type("12345", "Enter")
    await session.waitFor(/must be exactly 6 digits\.\nMFA code for .*:\s*$/m)
    session.type("123456", "Enter")
    const screen = await session.waitFor(/exit=\d/)
    expect(screen).toContain(": 123456")
    expect(screen).toContain("Logged in: [work-sts]")
    expect(screen).toContain("exit=0")
  })

  it("exec asks for the code, then leaves the terminal to the command it runs", async () => {
    const user = await seedUser(moto, "xena", { devices: ["xenas-phone"] })
    const home = makeHome(user)
    expect((await aws_iam_login(home, moto.endpoint, ["work", "init"])).code).toBe(0)
    session = new Tmux(["bash", "--noprofile", "--norc", "-i"], { ...env(home), PS1: "$ " }, home.dir)
    session.type(
      `aws-iam-login exec work -- sh -c 'read a; read b; read c; echo "got=$a,$b,$c"; exit 3'; echo exit=$?`,
      "Enter",
    )
    await session.waitFor(/MFA code for arn:aws:iam::123456789012:mfa\/xenas-phone:\s*$/m)
    session.type("123456", "Enter")
    await session.waitFor(/Logged in: \[work-sts\] refreshed\./)
    for (const line of ["one", "two", "three"]) session.type(line, "Enter")
    const screen = await session.waitFor(/exit=\d/)
    expect(screen).toContain("got=one,two,three")
    expect(screen).toContain("exit=3")
  })

  it("credential_process: the AWS CLI captures stdout and stderr, and the prompt still reaches the person", async () => {
    const user = await seedUser(moto, "uma", { devices: ["umas-phone"] })
    const home = makeHome(user)
    expect((await aws_iam_login(home, moto.endpoint, ["work", "init"])).code).toBe(0)
    fs.appendFileSync(home.config, "\n[profile auto]\ncredential_process = aws-iam-login work export\n")
    session = new Tmux(["bash", "--noprofile", "--norc", "-i"], { ...env(home), PS1: "$ " }, home.dir)
    session.type("aws sts get-caller-identity --profile auto --output text; echo exit=$?", "Enter")
    await session.waitFor(/MFA code for arn:aws:iam::123456789012:mfa\/umas-phone:\s*$/m)
    session.type("123456", "Enter")
    const screen = await session.waitFor(/exit=\d/)
    expect(screen).toContain("123456789012")
    expect(screen).toContain("exit=0")
    expect(home.read()).toContain("[work-sts]")
  })

  it("Ctrl-C at init --store keyring's hidden secret prompt ends the run as Ctrl-C does anywhere: exit 130, nothing changed", async () => {
    const user = await seedUser(moto, "wanda", { devices: ["wandas-phone"] })
    const home = makeHome(user)
    home.write("[other]\r\nx = 1\r\n")
    session = new Tmux(["bash", "--noprofile", "--norc", "-i"], { ...env(home), PS1: "$ " }, home.dir)
    session.type("aws-iam-login work init --store keyring; echo exit=$?", "Enter")
    await session.waitFor(/AWS Access Key ID:\s*$/m, 60)
    session.type(user.accessKeyId, "Enter")
    await session.waitFor(/AWS Secret Access Key:\s*$/m)
    session.type(user.secretAccessKey.slice(0, 8), "C-c")
    const screen = await session.waitFor(/exit=\d+/, 60)
    expect(screen).toMatch(/AWS Secret Access Key: *\naws-iam-login: interrupted by Ctrl-C\.\n.*exit=130$/m)
    expect(screen).not.toContain(user.secretAccessKey.slice(0, 8))
    expect(home.read()).toBe("[other]\r\nx = 1\r\n")
  }, 120_000)

  it("rotate shows the plan and asks on a terminal; piped without --yes it refuses", async () => {
    const user = await seedUser(moto, "vera", { devices: ["veras-phone"] })
    const home = makeHome(user)
    expect((await aws_iam_login(home, moto.endpoint, ["work", "init"])).code).toBe(0)
    const piped = await aws_iam_login(home, moto.endpoint, ["work", "rotate"])
    expect(piped.code).toBe(1)
    expect(piped.stderr).toContain("pass --yes")
    session = new Tmux(["bash", "--noprofile", "--norc", "-i"], { ...env(home), PS1: "$ " }, home.dir)
    session.type("aws-iam-login work rotate; echo exit=$?", "Enter")
    await session.waitFor(/Rotate now\? \[y\/N\]\s*$/m)
    session.type("y", "Enter")
    const screen = await session.waitFor(/exit=\d/)
    expect(screen).toContain("✓ Delete the old key")
    expect(screen).toContain("exit=0")
    expect(home.read()).not.toContain(user.accessKeyId)
  })
})
