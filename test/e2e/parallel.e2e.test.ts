import { spawn } from "node:child_process"
import * as fs from "node:fs"
import { describe, expect, it } from "vitest"
import { available, aws, aws_iam_login, bin, environment, makeHome, seedUser } from "./moto.js"
import { motoForSuite } from "./suite.js"

describe.runIf(available)("the built CLI against moto: logins at once", () => {
  const moto = motoForSuite()

  it("logins of one profile started together all succeed, one asks AWS, and the file stays whole", async () => {
    const user = await seedUser(moto, "gina")
    const home = makeHome(user)
    expect((await aws_iam_login(home, moto.endpoint, ["work", "init"])).code).toBe(0)
    const before = home.read()
    const calls = moto.requests.length
    const runs = await Promise.all(
      Array.from({ length: 12 }, () => aws_iam_login(home, moto.endpoint, ["work", "--token", "123456"])),
    )
    expect(runs.map((r) => r.code)).toEqual(runs.map(() => 0))
    expect(runs.filter((r) => r.stdout.includes("Logged in: [work-sts]"))).toHaveLength(1)
    expect(runs.filter((r) => r.stdout.includes("[work-sts] is still valid"))).toHaveLength(11)
    expect(moto.requests.slice(calls).filter((r) => r.action === "GetSessionToken")).toHaveLength(1)
    const text = home.read()
    expect(text.startsWith(before)).toBe(true)
    expect(text.match(/\[work-sts\]/g)).toHaveLength(1)
    expect(fs.readdirSync(fs.realpathSync(`${home.credentials}/..`))).toEqual(["config", "credentials"])
    expect(
      (await aws(home, moto.endpoint, ["sts", "get-caller-identity", "--profile", "work-sts"])).code,
    ).toBe(0)
  }, 60_000)

  it("after a login holding the lock is killed (kill -9), the next one takes over at once", async () => {
    const user = await seedUser(moto, "hank")
    const home = makeHome(user)
    expect((await aws_iam_login(home, moto.endpoint, ["work", "init"])).code).toBe(0)
    const lock = `${home.credentials}.work.login.lock`
    // A login waiting for its code on stdin holds the profile's lock.
    const held = spawn(process.execPath, [bin, "work"], {
      env: environment(home, moto.endpoint),
      stdio: ["pipe", "ignore", "ignore"],
    })
    for (let i = 0; !fs.existsSync(lock); i++) {
      if (i > 300) throw new Error("the login never took its lock")
      await new Promise((r) => setTimeout(r, 50))
    }
    const gone = new Promise((resolve) => held.once("exit", resolve))
    held.kill("SIGKILL")
    await gone
    const next = await aws_iam_login(home, moto.endpoint, ["work", "--token", "123456"])
    expect(next.code).toBe(0)
    expect(next.stderr).toBe("")
    expect(next.stdout).toContain("Logged in: [work-sts]")
    expect(fs.existsSync(lock)).toBe(false)
  }, 60_000)
})
