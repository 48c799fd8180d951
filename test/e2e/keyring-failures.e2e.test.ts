import * as fs from "node:fs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  aws_iam_login,
  type Home,
  initialisedHome,
  launch,
  type Moto,
  type Running,
  startMoto,
} from "./moto.js"
import { type SecretService, secretServiceAvailable, startSecretService } from "./secret-service.js"

/**
 * The OS secret store failing under the built CLI, on a real session bus: no Secret Service, a
 * locked keyring, a service that never answers, and the tool killed or interrupted at each of its
 * calls to the store. Each ends with one sentence, and the key is always somewhere the tool reads.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The keyring helper processes (dist/keyring.cjs) the CLI `parent` runs now. */
const helpersOf = (parent: number) =>
  fs.readdirSync("/proc").flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return []
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8")
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8")
      return Number(fields[1]) === parent && fields[0] !== "Z" && cmdline.includes("keyring.cjs")
        ? [Number(entry)]
        : []
    } catch {
      return []
    }
  })

/** Whether the process still runs (a zombie has ended). */
const running = (pid: number) => {
  try {
    return !fs.readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ")
  } catch {
    return false
  }
}

const until = async (done: () => boolean) => {
  while (!done()) await sleep(20)
}

/**
 * Runs the CLI with the secret service stopped (SIGSTOP) and lets its store calls through one at a
 * time; when call `at` is made and waits for the store, sends `signal` to the CLI, then lets the
 * store go on (a request already sent may still be carried out). Returns how the CLI ended and
 * whether it reached call `at`.
 */
const signalAtCall = async (
  service: SecretService,
  start: () => Running,
  at: number,
  signal: NodeJS.Signals,
) => {
  const daemon = await service.daemon()
  process.kill(daemon, "SIGSTOP")
  let reached = false
  let left: Array<number> = []
  try {
    const cli = start()
    let ended = false
    void cli.ended.then(() => {
      ended = true
    })
    const pid = cli.child.pid ?? 0
    const seen = new Set<number>()
    for (let call = 1; call <= at; call++) {
      let helper: number | undefined
      await until(() => {
        helper = helpersOf(pid).find((each) => !seen.has(each))
        return ended || helper !== undefined
      })
      if (helper === undefined) break
      seen.add(helper)
      if (call === at) {
        reached = true
        left = [helper]
        cli.child.kill(signal)
        break
      }
      process.kill(daemon, "SIGCONT")
      const current = helper
      await until(() => !running(current))
      process.kill(daemon, "SIGSTOP")
    }
    process.kill(daemon, "SIGCONT")
    const result = await cli.ended
    // A helper left behind by kill -9 still carries out its request: wait for it, as the next run would find its work.
    for (const each of left) await until(() => !running(each))
    return { ...result, reached, helpers: seen.size }
  } finally {
    process.kill(daemon, "SIGCONT")
  }
}

/** The key of [work] as the tool can read it: in the file, or in the store the file points to. */
const keyWhere = async (home: Home, service: SecretService, keyId: string) => {
  const text = home.read()
  const inFile = /\[work\]\r?\n(?:[^[]*\n)?aws_secret_access_key\s*=\s*(\S+)/.exec(text)?.[1]
  const pointsToStore = text.includes(`aws_iam_login_key_id = ${keyId}`)
  return {
    inFile,
    pointsToStore,
    inStore: await service.lookup(keyId),
  }
}

describe.runIf(secretServiceAvailable)("the built CLI when the OS secret store fails", () => {
  let moto: Moto
  let service: SecretService
  beforeAll(async () => {
    moto = await startMoto()
    service = await startSecretService()
  }, 60_000)
  afterAll(() => {
    moto?.stop()
    service?.stop()
  })

  it("a session bus without a Secret Service: one sentence with the fix; the file is untouched and login still works", async () => {
    const bus = await startSecretService({ service: false })
    try {
      const { home } = await initialisedHome(moto, "no-service-user")
      const before = home.read()
      const result = await aws_iam_login(home, moto.endpoint, ["work", "key", "--store", "keyring"], {
        env: bus.env,
      })
      expect(result.code).toBe(1)
      expect(result.stdout).toBe("")
      expect(result.stderr).toMatch(
        /^aws-iam-login: Could not (?:read from|write to) the Secret Service: no Secret Service answers on the session bus: start gnome-keyring-daemon --components=secrets[^\n]*\.\n$/,
      )
      expect(home.read()).toBe(before)
      const login = await aws_iam_login(home, moto.endpoint, ["work", "--token", "123456"], { env: bus.env })
      expect(login).toMatchObject({ code: 0, stderr: "" })
    } finally {
      bus.stop()
    }
  }, 120_000)

  it("a locked keyring: moving the key in, and logging in with a stored key, each say to unlock it; done as it says, both work", async () => {
    const { user, home } = await initialisedHome(moto, "locked-user")
    const before = home.read()
    await service.lock()
    const moving = await aws_iam_login(home, moto.endpoint, ["work", "key", "--store", "keyring"], {
      env: service.env,
    })
    expect(moving.code).toBe(1)
    expect(moving.stderr).toMatch(
      /^aws-iam-login: Could not (?:read from|write to) the Secret Service: the keyring is locked: unlock it \(log in to the desktop, or [^\n]*gnome-keyring-daemon --replace --unlock[^\n]*\)[^\n]*\.\n$/,
    )
    expect(home.read()).toBe(before)

    await service.unlock()
    const moved = await aws_iam_login(home, moto.endpoint, ["work", "key", "--store", "keyring"], {
      env: service.env,
    })
    expect(moved).toMatchObject({ code: 0, stderr: "" })
    await service.lock()
    const login = await aws_iam_login(home, moto.endpoint, ["work", "--token", "123456"], {
      env: service.env,
    })
    expect(login.code).toBe(1)
    expect(login.stderr).toMatch(
      /^aws-iam-login: Could not read from the Secret Service: the keyring is locked: [^\n]*\n$/,
    )
    expect(home.read()).toContain(`aws_iam_login_key_id = ${user.accessKeyId}`)

    await service.unlock()
    expect(await service.lookup(user.accessKeyId)).toBe(user.secretAccessKey)
    const again = await aws_iam_login(home, moto.endpoint, ["work", "--token", "123456"], {
      env: service.env,
    })
    expect(again).toMatchObject({ code: 0, stderr: "" })
  }, 120_000)

  it("a service that never answers (stopped): the move says so in one sentence; the file is untouched; the next run moves the key", async () => {
    const { user, home } = await initialisedHome(moto, "hung-user")
    const before = home.read()
    const daemon = await service.daemon()
    process.kill(daemon, "SIGSTOP")
    try {
      const stuck = await aws_iam_login(home, moto.endpoint, ["work", "key", "--store", "keyring"], {
        env: service.env,
      })
      expect(stuck.code).toBe(1)
      expect(stuck.stderr).toMatch(
        /^aws-iam-login: Could not (?:read from|write to) the Secret Service: the Secret Service on the session bus did not reply \(it is stuck or stopped\): restart it[^\n]*\.\n$/,
      )
      expect(home.read()).toBe(before)
    } finally {
      process.kill(daemon, "SIGCONT")
    }
    const moved = await aws_iam_login(home, moto.endpoint, ["work", "key", "--store", "keyring"], {
      env: service.env,
    })
    expect(moved).toMatchObject({ code: 0, stderr: "" })
    expect(await service.lookup(user.accessKeyId)).toBe(user.secretAccessKey)
  }, 120_000)

  it("a keyring prompt nobody answers: the move ends at its deadline with one sentence, and Ctrl-C ends it at once; unlocked, the next run moves the key", async () => {
    const prompting = await startSecretService({ hangingPrompter: true })
    try {
      const { user, home } = await initialisedHome(moto, "prompt-user")
      const before = home.read()
      await prompting.lock()
      const timedOut = await aws_iam_login(home, moto.endpoint, ["work", "key", "--store", "keyring"], {
        env: prompting.env,
      })
      expect(timedOut.code).toBe(1)
      expect(timedOut.stderr).toMatch(
        /^aws-iam-login: Could not (?:read from|write to) the Secret Service: it did not answer within 20 seconds[^\n]*\.\n$/,
      )
      expect(home.read()).toBe(before)

      const cli = launch(home, moto.endpoint, ["work", "key", "--store", "keyring"], { env: prompting.env })
      const pid = cli.child.pid ?? 0
      let helpers: Array<number> = []
      await until(() => {
        helpers = helpersOf(pid)
        return helpers.length > 0
      })
      cli.child.kill("SIGINT")
      const ended = await cli.ended
      // Ended by the interruption, not by the deadline: the sentence is Ctrl-C's, and the helper is gone with it.
      expect(ended.code).toBe(130)
      expect(ended.stderr).toBe("aws-iam-login: interrupted by Ctrl-C.\n")
      expect(helpers.filter(running)).toEqual([])
      expect(home.read()).toBe(before)

      await prompting.unlock()
      const moved = await aws_iam_login(home, moto.endpoint, ["work", "key", "--store", "keyring"], {
        env: prompting.env,
      })
      expect(moved).toMatchObject({ code: 0, stderr: "" })
      expect(await prompting.lookup(user.accessKeyId)).toBe(user.secretAccessKey)
    } finally {
      prompting.stop()
    }
  }, 180_000)

  // A terminal's Ctrl-C goes to its whole foreground process group: here a CLI started in a group of
  // its own, the way a shell runs it, gets SIGINT alone or with all it started. Both must end alike.
  for (const to of ["the tool alone", "its process group"] as const) {
    it(`Ctrl-C to ${to} during rotate's last store call (removing the old key's item): the rotation ends done and the item is gone`, async () => {
      const { user, home } = await initialisedHome(
        moto,
        to === "the tool alone" ? "ctrl-c-tool" : "ctrl-c-group",
      )
      const moved = await aws_iam_login(home, moto.endpoint, ["work", "key", "--store", "keyring"], {
        env: service.env,
      })
      expect(moved).toMatchObject({ code: 0, stderr: "" })
      const proxy = await moto.proxy()
      const held = proxy.inject("DeleteAccessKey", "hold")
      const cli = launch(home, proxy.endpoint, ["work", "rotate", "--yes"], { env: service.env, group: true })
      const pid = cli.child.pid ?? 0
      await held.reached
      const daemon = await service.daemon()
      process.kill(daemon, "SIGSTOP")
      try {
        const before = new Set(helpersOf(pid))
        held.release()
        // AWS deleted the old key; the helper that removes its item waits for the stopped store.
        await until(() => helpersOf(pid).some((each) => !before.has(each)))
        process.kill(to === "the tool alone" ? pid : -pid, "SIGINT")
      } finally {
        process.kill(daemon, "SIGCONT")
      }
      const ended = await cli.ended
      expect(ended.stderr).toBe("aws-iam-login: interrupted by Ctrl-C.\n")
      expect(ended.code).toBe(0)
      const newId = /aws_iam_login_key_id = (\S+)/.exec(home.read())?.[1] ?? ""
      expect(ended.stdout).toContain(`Rotated: [work] now uses ${newId.slice(0, 4)}…`)
      expect(await service.lookup(user.accessKeyId)).toBeUndefined()
      expect(await service.lookup(newId)).toMatch(/^\S{40}$/)
    }, 120_000)
  }

  // The store calls of a move in: 1 write, 2 read back, 3 the check that [work] reads the key from the store.
  for (const signal of ["SIGKILL", "SIGINT"] as const) {
    for (const at of [1, 2, 3]) {
      it(`${signal} at store call ${at} of a move in: the key stays readable, and the next run finishes the move`, async () => {
        const { user, home } = await initialisedHome(moto, `in-${signal}-${at}`.toLowerCase())
        const ended = await signalAtCall(
          service,
          () => launch(home, moto.endpoint, ["work", "key", "--store", "keyring"], { env: service.env }),
          at,
          signal,
        )
        expect(ended.reached).toBe(true)
        if (signal === "SIGKILL") expect(ended.signal).toBe("SIGKILL")
        else expect(ended).toMatchObject({ code: 130, stderr: "aws-iam-login: interrupted by Ctrl-C.\n" })
        const where = await keyWhere(home, service, user.accessKeyId)
        // In the file, or pointed to by the file and in the store: never neither.
        if (where.inFile === undefined) {
          expect(where.pointsToStore).toBe(true)
          expect(where.inStore).toBe(user.secretAccessKey)
        } else expect(where.inFile).toBe(user.secretAccessKey)

        const next = await aws_iam_login(home, moto.endpoint, ["work", "key", "--store", "keyring"], {
          env: service.env,
        })
        expect(next).toMatchObject({ code: 0, stderr: "" })
        expect(next.stdout).toMatch(/is in the Secret Service|is already in the Secret Service/)
        expect(home.read()).not.toContain(user.secretAccessKey)
        expect(await service.lookup(user.accessKeyId)).toBe(user.secretAccessKey)
        const login = await aws_iam_login(home, moto.endpoint, ["work", "--token", "123456"], {
          env: service.env,
        })
        expect(login).toMatchObject({ code: 0, stderr: "" })
      }, 120_000)
    }

    // The store calls of a move back: 1 the read of the stored key, 2 the removal of the stored copy.
    for (const at of [1, 2]) {
      it(`${signal} at store call ${at} of a move back: the key stays readable, and the next run finishes the move`, async () => {
        const { user, home } = await initialisedHome(moto, `out-${signal}-${at}`.toLowerCase())
        const moved = await aws_iam_login(home, moto.endpoint, ["work", "key", "--store", "keyring"], {
          env: service.env,
        })
        expect(moved).toMatchObject({ code: 0, stderr: "" })
        const ended = await signalAtCall(
          service,
          () => launch(home, moto.endpoint, ["work", "key", "--store", "file"], { env: service.env }),
          at,
          signal,
        )
        expect(ended.reached).toBe(true)
        const where = await keyWhere(home, service, user.accessKeyId)
        if (where.inFile === undefined) {
          expect(where.pointsToStore).toBe(true)
          expect(where.inStore).toBe(user.secretAccessKey)
        } else expect(where.inFile).toBe(user.secretAccessKey)

        const next = await aws_iam_login(home, moto.endpoint, ["work", "key", "--store", "file"], {
          env: service.env,
        })
        expect(next).toMatchObject({ code: 0, stderr: "" })
        expect(home.read()).toContain(`aws_secret_access_key = ${user.secretAccessKey}`)
        // The copy a cut-off move left in the store is removed by the next run, which says so.
        if (where.inFile !== undefined && where.inStore !== undefined)
          expect(next.stdout).toContain("removed the copy a cut-off move left")
        expect(await service.lookup(user.accessKeyId)).toBeUndefined()
        const login = await aws_iam_login(home, moto.endpoint, ["work", "--token", "123456"], {
          env: service.env,
        })
        expect(login).toMatchObject({ code: 0, stderr: "" })
      }, 120_000)
    }
  }
})
