import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { lockers } from "../support/lockers.js"
import { addToWork, available, aws_iam_login, initialisedHome, launch } from "./moto.js"
import { motoForSuite } from "./suite.js"

/** An MFA code is spent only when the session it buys can be written: everything else is checked first. */
describe.runIf(available)(
  "the built CLI against moto: nothing is spent on a write that cannot happen",
  () => {
    const moto = motoForSuite()
    const locks = lockers()

    /** An initialised [work] whose mfa_process leaves a mark when it is asked for a code. */
    const initialised = async (name: string) => {
      const { home } = await initialisedHome(moto, name)
      const asked = path.join(home.dir, "asked")
      const script = path.join(home.dir, "code.sh")
      fs.writeFileSync(script, `#!/bin/sh\ntouch ${asked}\necho 123456\n`, { mode: 0o755 })
      addToWork(home, `mfa_process = ${script}\r\n`)
      return { home, asked: () => fs.existsSync(asked) }
    }
    const calls = (action: string) => moto.requests.filter((r) => r.action === action).length

    it("a read-only credentials file: no code asked, no GetSessionToken, the file untouched, one sentence", async () => {
      const { home, asked } = await initialised("rosa")
      fs.chmodSync(home.credentials, 0o400)
      const before = home.read()
      const sent = calls("GetSessionToken")
      const out = await aws_iam_login(home, moto.endpoint, ["work"])
      expect(out.code).toBe(1)
      expect(out.stderr).toContain(
        `Could not write ${home.credentials}: it is read-only (mode 400), so it is left as it is: to let aws-iam-login update it, run \`chmod u+w ${home.credentials}\`.`,
      )
      expect(asked()).toBe(false)
      expect(calls("GetSessionToken")).toBe(sent)
      expect(home.read()).toBe(before)
      expect(fs.statSync(home.credentials).mode & 0o777).toBe(0o400)
    }, 90_000)

    it("a read-only credentials file: rotate makes no key", async () => {
      const { home } = await initialised("rudi")
      fs.chmodSync(home.credentials, 0o400)
      const before = home.read()
      const created = calls("CreateAccessKey")
      const out = await aws_iam_login(home, moto.endpoint, ["work", "rotate", "--yes"])
      expect(out.code).toBe(1)
      expect(out.stderr).toContain(`it is read-only (mode 400)`)
      expect(calls("CreateAccessKey")).toBe(created)
      expect(home.read()).toBe(before)
    }, 90_000)

    it("a credentials file whose lock a live process holds: the code is asked only once it is free", async () => {
      const { home, asked } = await initialised("lena")
      const lock = `${home.credentials}.lock`
      const holder = await locks.hold(lock)
      const sent = calls("GetSessionToken")
      const login = launch(home, moto.endpoint, ["work"], { env: { TZ: "Asia/Kolkata" } })
      let stderr = ""
      login.child.stderr?.on("data", (c: Buffer) => {
        stderr += c.toString()
      })
      while (!/Waiting for pid[^\n]*\n/.test(stderr)) await new Promise((r) => setTimeout(r, 50))
      // When it was taken, in UTC and in the person's time zone.
      expect(stderr).toMatch(
        new RegExp(
          `Waiting for pid ${holder.pid} \\(since \\S+Z \\((\\d{4}-\\d\\d-\\d\\d )?\\d\\d:\\d\\d GMT\\+5:30\\)\\)`,
        ),
      )
      expect(stderr).toContain(`to release ${lock}…`)
      expect(asked()).toBe(false)
      expect(calls("GetSessionToken")).toBe(sent)
      holder.kill("SIGKILL")
      const ended = await login.ended
      expect(ended.code).toBe(0)
      expect(ended.stdout).toContain("Logged in: [work-sts]")
      expect(asked()).toBe(true)
      expect(calls("GetSessionToken")).toBe(sent + 1)
    }, 90_000)
  },
)
