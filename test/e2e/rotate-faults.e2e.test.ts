import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { CreateAccessKeyCommand, DeleteAccessKeyCommand, ListAccessKeysCommand } from "@aws-sdk/client-iam"
import { describe, expect, it } from "vitest"
import { maskKeyId } from "../../src/schema/Credentials.js"
import { canHold, holdOpens, waitingOnThreads } from "./held.js"
import {
  available,
  aws,
  aws_iam_login,
  type Ended,
  type Fault,
  type FaultProxy,
  type Home,
  keyOf,
  launch,
  makeHome,
  type Result,
  type Running,
  type SeededUser,
  seedUser,
} from "./moto.js"
import { motoForSuite } from "./suite.js"

/**
 * The built CLI against moto with signature checks on, and a proxy that refuses Inactive keys as AWS
 * does and holds, hides or fails chosen calls. Whatever happens to a call, and whatever signal
 * arrives while it is held, the process ends in bounded time and, after at most one more
 * `rotate --yes`, the user has exactly one key, Active, in the file and working.
 *
 * The time bounds are generous: they fail on a hang, they do not measure speed.
 */
const signalBound = 10_000
const killBound = 3_000
/** A run whose calls each have a 2 s deadline (AWS_IAM_LOGIN_TIMEOUT=2) ends well before this. */
const faultBound = 30_000
const short = { AWS_IAM_LOGIN_TIMEOUT: "2" }
const exitCodes: Record<string, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 }

/** At most `size` cases at once: each runs Node, Python and moto on a 2-core machine. */
const pool = (size: number) => {
  let active = 0
  const waiting: Array<() => void> = []
  return async <A>(task: () => Promise<A>): Promise<A> => {
    while (active >= size) await new Promise<void>((resolve) => waiting.push(resolve))
    active++
    try {
      return await task()
    } finally {
      active--
      waiting.shift()?.()
    }
  }
}
const limit = pool(3)
const caseTimeout = 180_000

/** A TCP server that accepts connections and never answers. */
const silentServer = async () => {
  let connected = () => {}
  const reached = new Promise<void>((resolve) => {
    connected = resolve
  })
  const sockets: Array<net.Socket> = []
  const server = net.createServer((socket) => {
    sockets.push(socket)
    connected()
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    endpoint: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    reached,
    close: () => {
      for (const socket of sockets) socket.destroy()
      server.close()
    },
  }
}

const shown = (run: Result) => `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`

describe.runIf(available)("rotate under faults and signals, the built CLI against moto", () => {
  const moto = motoForSuite({ auth: true })

  interface Case {
    readonly user: SeededUser
    readonly home: Home
    readonly proxy: FaultProxy
    /** The file after init, before any rotation. */
    readonly before: string
  }

  let users = 0
  /** A user of its own, initialised through a proxy of its own. */
  const prepare = async (): Promise<Case> => {
    const user = await seedUser(moto, `faulty${++users}`)
    const home = makeHome(user)
    const proxy = await moto.proxy()
    const init = await aws_iam_login(home, proxy.endpoint, ["work", "init"])
    expect(init.code, shown(init)).toBe(0)
    return { user, home, proxy, before: home.read() }
  }

  const listKeys = async (userName: string) =>
    ((await moto.admin.send(new ListAccessKeysCommand({ UserName: userName }))).AccessKeyMetadata ?? []).map(
      (k) => ({ id: k.AccessKeyId, status: k.Status }),
    )

  /** The account, the file, and whether the AWS CLI can use the file's key. */
  const outcome = async (c: Case) => {
    const file = c.home.read()
    const inFile = keyOf(file, "work")
    const who = await aws(c.home, c.proxy.endpoint, ["sts", "get-caller-identity", "--profile", "work"])
    const arn =
      who.code === 0 ? (JSON.parse(who.stdout) as { Arn: string }).Arn : `refused: ${who.stderr.trim()}`
    return { keys: await listKeys(c.user.userName), inFile, arn, file }
  }

  const expected = (c: Case, o: Awaited<ReturnType<typeof outcome>>) => ({
    keys: [{ id: o.inFile.id, status: "Active" }],
    arn: `arn:aws:iam::123456789012:user/${c.user.userName}`,
  })

  /** After `first`, and at most one more `rotate --yes`: one key, Active, in the file, working. */
  const settle = async (c: Case, first: Result) => {
    let o = await outcome(c)
    let story = `first run: ${shown(first)}`
    // A key whose CreateAccessKey answer was lost is named and left: the person removes it as told.
    const named = /aws iam delete-access-key --user-name (\S+) --access-key-id (\w+)/.exec(first.stderr)
    if (named !== null) {
      expect(
        o.keys.map((k) => k.id),
        story,
      ).toContain(named[2])
      expect(named[2], story).not.toBe(o.inFile.id)
      await moto.admin.send(new DeleteAccessKeyCommand({ UserName: named[1], AccessKeyId: named[2] }))
      o = await outcome(c)
    }
    const good = (x: typeof o) =>
      JSON.stringify({ keys: x.keys, arn: x.arn }) === JSON.stringify(expected(c, x))
    if (!good(o)) {
      const again = await aws_iam_login(c.home, c.proxy.endpoint, ["work", "rotate", "--yes"])
      story += `\nafter it: ${JSON.stringify({ keys: o.keys, inFile: o.inFile.id, arn: o.arn })}\nrotate --yes again: ${shown(again)}`
      o = await outcome(c)
    }
    expect({ keys: o.keys, arn: o.arn }, story).toEqual(expected(c, o))
    // Only the key's two values may have changed; every other byte of the file is as it was.
    const old = keyOf(c.before, "work")
    expect(o.file, story).toBe(
      c.before.replace(old.id, () => o.inFile.id).replace(old.secret, () => o.inFile.secret),
    )
    for (const secret of [old.secret, o.inFile.secret])
      expect(first.stdout + first.stderr).not.toContain(secret)
  }

  /** Resolves when `held` is reached; fails, with what the CLI printed, if the run ends first. */
  const whileRunning = (held: Promise<void>, ended: Promise<Ended>, what: string) =>
    Promise.race([
      held,
      ended.then((e) => {
        throw new Error(`rotate ended before ${what}: ${shown(e)}`)
      }),
    ])

  /** Resolves once the run has written `text` to stderr. */
  const printed = (run: Running, text: string) =>
    new Promise<void>((resolve) => {
      let seen = ""
      run.child.stderr?.on("data", (chunk: Buffer) => {
        seen += chunk.toString()
        if (seen.includes(text)) resolve()
      })
    })

  /** A run that printed Rotated: says only that: it exits 0, and never that it undoes anything. */
  const rotatedOnly = (ended: Ended) => {
    expect(ended.code, shown(ended)).toBe(0)
    expect(ended.stderr, shown(ended)).not.toMatch(/undo/i)
  }

  const actions = ["CreateAccessKey", "GetCallerIdentity", "UpdateAccessKey", "DeleteAccessKey"]
  const faults: ReadonlyArray<[Fault, string]> = [
    ["hold", "held before AWS sees it"],
    ["hang", "applied by AWS, its answer withheld"],
    ["fail", "applied by AWS and answered with 500"],
    ["drop", "applied by AWS, then the connection dropped"],
  ]

  for (const action of actions) {
    for (const [fault, what] of faults) {
      it.concurrent(
        `${action} ${what}: rotate ends by itself, and after at most one more rotate the user has one key, Active, in the file, working`,
        () =>
          limit(async () => {
            const c = await prepare()
            c.proxy.inject(action, fault)
            const from = c.proxy.requests.length
            const started = performance.now()
            const first = await launch(c.home, c.proxy.endpoint, ["work", "rotate", "--yes"], { env: short })
              .ended
            expect(first.at - started, shown(first)).toBeLessThan(faultBound)
            expect(first.stderr, shown(first)).not.toMatch(/^\s+at /m)
            if (action === "CreateAccessKey") {
              // A lost answer must not make the SDK send a second CreateAccessKey (a second key).
              const creates = c.proxy.requests.slice(from).filter((r) => r.action === action)
              expect(creates, shown(first)).toHaveLength(1)
            }
            await settle(c, first)
          }),
        caseTimeout,
      )
    }
    const signals: ReadonlyArray<[NodeJS.Signals, Fault]> = [
      ["SIGINT", "hold"],
      ["SIGTERM", "hold"],
      ["SIGKILL", "hold"],
      ["SIGINT", "hang"],
    ]
    for (const [signal, fault] of signals) {
      it.concurrent(
        `${signal} while ${action} is ${fault === "hold" ? "held before AWS sees it" : "applied by AWS, its answer withheld"}: the process ends ${signal === "SIGKILL" ? "at once" : "within 10 s"}, and after at most one more rotate the user has one key, Active, in the file, working`,
        () =>
          limit(async () => {
            const c = await prepare()
            const held = c.proxy.inject(action, fault)
            const run = launch(c.home, c.proxy.endpoint, ["work", "rotate", "--yes"])
            await whileRunning(held.reached, run.ended, `${action} was sent`)
            const sent = performance.now()
            run.child.kill(signal)
            const ended = await run.ended
            expect(ended.at - sent, shown(ended)).toBeLessThan(signal === "SIGKILL" ? killBound : signalBound)
            if (signal === "SIGKILL") expect(ended.signal).toBe("SIGKILL")
            else if (ended.stdout.includes("Rotated:")) {
              // The signal came once the rotation was done: it says so, and exits as done.
              rotatedOnly(ended)
            } else {
              expect(ended.code, shown(ended)).toBe(exitCodes[signal])
              // Never a silent exit: the last line says what is left and what to run.
              expect(ended.stderr.trim().split("\n").at(-1), shown(ended)).toMatch(
                /aws-iam-login work rotate|Active and working/,
              )
            }
            await settle(c, ended)
          }),
        caseTimeout,
      )
    }
  }

  for (const second of [true, false]) {
    it.concurrent(
      second
        ? "a second Ctrl-C while the undo runs stops it at once and points to rotate, which then leaves one key, Active, in the file, working"
        : "one Ctrl-C while the undo's call is held: the undo gives up within the process's grace period, exits 130, and its own report says what is left and what to run",
      () =>
        limit(async () => {
          const c = await prepare()
          const deactivate = c.proxy.inject("UpdateAccessKey", "hold")
          const run = launch(c.home, c.proxy.endpoint, ["work", "rotate", "--yes"])
          await whileRunning(deactivate.reached, run.ended, "the old key was deactivated")
          const undo = c.proxy.inject(["UpdateAccessKey", "DeleteAccessKey"], "hold")
          run.child.kill("SIGINT")
          if (second) {
            await whileRunning(undo.reached, run.ended, "the undo called AWS")
            run.child.kill("SIGINT")
          }
          const sent = performance.now()
          const ended = await run.ended
          expect(ended.at - sent, shown(ended)).toBeLessThan(second ? killBound : signalBound)
          // A second signal ends it by the signal itself (a shell shows 130), which no file-system call in flight holds up.
          if (second) expect(ended.signal, shown(ended)).toBe("SIGINT")
          else {
            // The undo's deadline ends before the grace period does: its report, not the forced stop, ends the run.
            expect(ended.code, shown(ended)).toBe(130)
            expect(ended.stderr, shown(ended)).toMatch(
              /Could NOT undo: delete the new key .* did not finish in time, so whether it took effect is unknown/,
            )
            expect(ended.stderr, shown(ended)).not.toContain("Stopped before the rotation")
          }
          const last = ended.stderr.trim().split("\n")
          expect(last.at(-1), shown(ended)).toContain("aws-iam-login work rotate")
          if (second) {
            // Item by item: what was done, what was undone, what is left; and the account agrees.
            expect(last.slice(-6), shown(ended)).toEqual([
              "aws-iam-login: Stopped before the rotation was finished or undone.",
              expect.stringMatching(
                /^ {2}Done: Record the rotation .*; Create a new access key; Write the new key into \[work\]; .*\.$/,
              ),
              "  Undone: write the old key back into [work].",
              "  Sent, no answer (whether it took effect is unknown): delete the new key (or, if that is denied, deactivate it).",
              "  Not undone: remove the journal.",
              expect.stringContaining("aws-iam-login work rotate"),
            ])
            expect(await listKeys(c.user.userName), shown(ended)).toHaveLength(2)
            expect(keyOf(c.home.read(), "work").id, shown(ended)).toBe(c.user.accessKeyId)
          }
          await settle(c, ended)
        }),
      caseTimeout,
    )
  }

  it.concurrent(
    "a second Ctrl-C while the undo's reactivation is held, AWS having deactivated the old key but its answer withheld: the report lists the deactivation as done with what AWS then listed, the reactivation as sent with no answer, and the account and the file agree",
    () =>
      limit(async () => {
        const c = await prepare()
        const deactivate = c.proxy.inject("UpdateAccessKey", "hang")
        const run = launch(c.home, c.proxy.endpoint, ["work", "rotate", "--yes"])
        await whileRunning(deactivate.reached, run.ended, "the old key was deactivated")
        const reactivate = c.proxy.inject("UpdateAccessKey", "hold")
        run.child.kill("SIGINT")
        await whileRunning(reactivate.reached, run.ended, "the undo sent the reactivation")
        run.child.kill("SIGINT")
        const ended = await run.ended
        expect(ended.signal, shown(ended)).toBe("SIGINT")
        const old = `the old key ${maskKeyId(c.user.accessKeyId)}`
        const last = ended.stderr.trim().split("\n").slice(-4)
        expect(last[0], shown(ended)).toMatch(/^ {2}Done: Record the rotation /)
        expect(last, shown(ended)).toEqual([
          expect.stringContaining(
            `; Wait up to 60 s until AWS accepts the new key; Deactivate ${old} (it was interrupted. AWS then listed ${old} as Inactive).`,
          ),
          `  Sent, no answer (whether it took effect is unknown): reactivate ${old}.`,
          "  Not undone: write the old key back into [work]; delete the new key (or, if that is denied, deactivate it); remove the journal.",
          expect.stringContaining("aws-iam-login work rotate"),
        ])
        // The reactivation never reached AWS: the old key is Inactive, the new one Active and in the file.
        const keys = await listKeys(c.user.userName)
        const inFile = keyOf(c.home.read(), "work").id
        expect(keys, shown(ended)).toEqual([
          { id: c.user.accessKeyId, status: "Inactive" },
          { id: inFile, status: "Active" },
        ])
        await settle(c, ended)
      }),
    caseTimeout,
  )

  /**
   * One Ctrl-C at moments spread over the whole run (while the program loads, and as each request
   * reaches the proxy), while the undo's DeleteAccessKey (the new key's, signed with the old key) is
   * throttled. Node runs `loading` first: it says when the launcher starts reading the program.
   */
  const loading = `const fs = require("node:fs")
const read = fs.readFileSync
fs.readFileSync = function (file, ...rest) {
  if (String(file).endsWith("main.cjs")) {
    fs.writeSync(2, "loading the program\\n")
    fs.readFileSync = read
  }
  return read.call(this, file, ...rest)
}`
  const moments = [
    ...[0, 30, 60, 100, 150].map((delay) => ({ request: 0, delay })),
    ...Array.from({ length: 24 }, (_, i) => ({ request: 1 + (i >> 2), delay: [0, 15, 30, 60][i & 3] ?? 0 })),
  ]
  for (const { request, delay } of moments) {
    it.concurrent(
      `one Ctrl-C ${delay} ms after ${request === 0 ? "the program began to load" : `request ${request}`}, the undo's DeleteAccessKey throttled: never a silent exit, and a run that printed Rotated: exits 0`,
      () =>
        limit(async () => {
          const c = await prepare()
          const unthrottle = c.proxy.throttle("DeleteAccessKey", c.user.accessKeyId)
          const from = c.proxy.requests.length
          const marker = path.join(c.home.dir, "loading.cjs")
          fs.writeFileSync(marker, loading)
          const run = launch(c.home, c.proxy.endpoint, ["work", "rotate", "--yes"], {
            env: { NODE_OPTIONS: `--require ${marker}` },
          })
          let done = false
          void run.ended.then(() => {
            done = true
          })
          await whileRunning(printed(run, "loading the program"), run.ended, "the program loaded")
          while (!done && c.proxy.requests.length - from < request)
            await new Promise((resolve) => setTimeout(resolve, 5))
          await new Promise((resolve) => setTimeout(resolve, delay))
          run.child.kill("SIGINT")
          const ended = await run.ended
          unthrottle()
          if (ended.stdout.includes("Rotated:")) rotatedOnly(ended)
          else {
            expect(ended.code, shown(ended)).toBe(130)
            expect(ended.stderr.trim().split("\n").at(-1), shown(ended)).toMatch(
              /aws-iam-login work rotate|Active and working|before anything was changed/,
            )
          }
          await settle(c, ended)
        }),
      caseTimeout,
    )
  }

  // The tool compares AWS's times only with AWS's times (it reads none at all to decide whose a key
  // is): with AWS's clock a minute off the machine's, each run ends as it would without.
  for (const skew of [-60, 60]) {
    const off = `AWS's clock ${Math.abs(skew)} s ${skew > 0 ? "ahead of" : "behind"} the machine's`
    it.concurrent(
      `${off}: Ctrl-C after CreateAccessKey was answered deletes the run's own new key and leaves the old one, Active, in the file`,
      () =>
        limit(async () => {
          const c = await prepare()
          c.proxy.skew(skew)
          const listed = await aws(c.home, c.proxy.endpoint, [
            "iam",
            "list-access-keys",
            "--user-name",
            c.user.userName,
            "--profile",
            "work",
          ])
          const direct = await moto.admin.send(new ListAccessKeysCommand({ UserName: c.user.userName }))
          const seen = (JSON.parse(listed.stdout) as { AccessKeyMetadata: Array<{ CreateDate: string }> })
            .AccessKeyMetadata[0]?.CreateDate
          const apart = Date.parse(seen ?? "") - (direct.AccessKeyMetadata?.[0]?.CreateDate?.getTime() ?? 0)
          expect(Math.round(apart / 1000), listed.stderr).toBe(skew)
          const deactivate = c.proxy.inject("UpdateAccessKey", "hold")
          const run = launch(c.home, c.proxy.endpoint, ["work", "rotate", "--yes"])
          await whileRunning(deactivate.reached, run.ended, "the old key was deactivated")
          run.child.kill("SIGINT")
          const ended = await run.ended
          expect(ended.code, shown(ended)).toBe(130)
          expect(await listKeys(c.user.userName), shown(ended)).toEqual([
            { id: c.user.accessKeyId, status: "Active" },
          ])
          expect(c.home.read(), shown(ended)).toBe(c.before)
          await settle(c, ended)
        }),
      caseTimeout,
    )

    it.concurrent(
      `${off}: a key someone makes while CreateAccessKey is held, the call then given up at Ctrl-C, is named and never deleted`,
      () =>
        limit(async () => {
          const c = await prepare()
          c.proxy.skew(skew)
          const create = c.proxy.inject("CreateAccessKey", "hold")
          const run = launch(c.home, c.proxy.endpoint, ["work", "rotate", "--yes"])
          await whileRunning(create.reached, run.ended, "CreateAccessKey was sent")
          const other = (await moto.admin.send(new CreateAccessKeyCommand({ UserName: c.user.userName })))
            .AccessKey?.AccessKeyId
          run.child.kill("SIGINT")
          const ended = await run.ended
          expect(ended.code, shown(ended)).toBe(130)
          expect(await listKeys(c.user.userName), shown(ended)).toEqual([
            { id: c.user.accessKeyId, status: "Active" },
            { id: other, status: "Active" },
          ])
          expect(ended.stderr, shown(ended)).toContain(
            `aws iam delete-access-key --user-name ${c.user.userName} --access-key-id ${other}`,
          )
          expect(c.home.read(), shown(ended)).toBe(c.before)
          await settle(c, ended)
        }),
      caseTimeout,
    )
  }

  describe.runIf(canHold)("with every open of a file held (fanotify)", () => {
    it.concurrent(
      "an unfinished rotation's journal whose open never returns: a second Ctrl-C ends the process at once, and its last line says what to run",
      () =>
        limit(async () => {
          const c = await prepare()
          const deactivate = c.proxy.inject("UpdateAccessKey", "hold")
          const killed = launch(c.home, c.proxy.endpoint, ["work", "rotate", "--yes"])
          await whileRunning(deactivate.reached, killed.ended, "the old key was deactivated")
          killed.child.kill("SIGKILL")
          await killed.ended
          const journal = path.join(
            path.dirname(c.home.credentials),
            ".aws-iam-login",
            "credentials.work.json",
          )
          expect(fs.existsSync(journal)).toBe(true)
          const held = await holdOpens(journal)
          const run = launch(c.home, c.proxy.endpoint, ["work", "rotate", "--yes"])
          try {
            await whileRunning(held.reached, run.ended, "the journal was opened")
            const said = printed(run, "interrupted by Ctrl-C")
            run.child.kill("SIGINT")
            await whileRunning(said, run.ended, "it said it was interrupted")
            run.child.kill("SIGINT")
            const sent = performance.now()
            const ended = await run.ended
            expect(ended.at - sent, shown(ended)).toBeLessThan(killBound)
            expect(ended.signal, shown(ended)).toBe("SIGINT")
            expect(ended.stderr.trim().split("\n").at(-1), shown(ended)).toBe(
              "aws-iam-login: Stopped before rotate changed any key: run `aws-iam-login work rotate` again when you are ready.",
            )
          } finally {
            run.child.kill("SIGKILL")
            held.release()
          }
          const again = await aws_iam_login(c.home, c.proxy.endpoint, ["work", "rotate", "--yes"])
          await settle(c, again)
        }),
      caseTimeout,
    )

    it.concurrent(
      "Ctrl-C ends the run with what to run, and a second Ctrl-C ends the process at once though the open never returns",
      () =>
        limit(async () => {
          const c = await prepare()
          const held = await holdOpens(c.home.credentials)
          const run = launch(c.home, c.proxy.endpoint, ["work", "rotate", "--yes"])
          try {
            await whileRunning(held.reached, run.ended, "the credentials file was opened")
            const said = printed(run, "interrupted before rotate changed any key")
            run.child.kill("SIGINT")
            await whileRunning(said, run.ended, "it said what to run")
            // Its report is out, and process.exit waits for the thread whose open is held.
            await whileRunning(waitingOnThreads(run.child.pid ?? 0), run.ended, "it waited in exit")
            run.child.kill("SIGINT")
            const sent = performance.now()
            const ended = await Promise.race([
              run.ended,
              new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), signalBound)),
            ])
            expect(ended, "the process outlived a second Ctrl-C").toBeDefined()
            if (ended === undefined) return
            expect(ended.at - sent, shown(ended)).toBeLessThan(killBound)
            expect(ended.signal, shown(ended)).toBe("SIGINT")
            expect(ended.stderr.trim().split("\n").at(-1), shown(ended)).toBe(
              "aws-iam-login: interrupted before rotate changed any key: run `aws-iam-login work rotate` again when you are ready.",
            )
          } finally {
            run.child.kill("SIGKILL")
            held.release()
          }
          expect(c.home.read()).toBe(c.before)
          expect(await listKeys(c.user.userName)).toEqual([{ id: c.user.accessKeyId, status: "Active" }])
        }),
      caseTimeout,
    )
  })

  it.concurrent(
    "Ctrl-C before the rotation starts ends with exit 130 and a sentence saying no key was changed",
    () =>
      limit(async () => {
        const c = await prepare()
        const listing = c.proxy.inject("ListAccessKeys", "hold")
        const run = launch(c.home, c.proxy.endpoint, ["work", "rotate", "--yes"])
        await whileRunning(listing.reached, run.ended, "the keys were listed")
        run.child.kill("SIGINT")
        const ended = await run.ended
        expect(ended.code, shown(ended)).toBe(130)
        expect(ended.stderr, shown(ended)).toContain("interrupted before rotate changed any key")
        expect(c.home.read()).toBe(c.before)
        expect(await listKeys(c.user.userName)).toEqual([{ id: c.user.accessKeyId, status: "Active" }])
      }),
    caseTimeout,
  )

  for (const age of ["newer", "older"] as const) {
    it.concurrent(
      `a second key made by someone else (${age} than the file's) survives rotate --yes: exit 1, nothing changed, the key named`,
      () =>
        limit(async () => {
          const c = await prepare()
          const made = await aws(c.home, c.proxy.endpoint, [
            "iam",
            "create-access-key",
            "--user-name",
            c.user.userName,
            "--profile",
            "work",
          ])
          expect(made.code, made.stderr).toBe(0)
          const created = (
            JSON.parse(made.stdout) as { AccessKey: { AccessKeyId: string; SecretAccessKey: string } }
          ).AccessKey
          // "older": the user put the new key in the file, so the key left out is the older one.
          const other = age === "newer" ? created.AccessKeyId : c.user.accessKeyId
          if (age === "older") {
            c.home.write(
              c.before
                .replace(c.user.accessKeyId, () => created.AccessKeyId)
                .replace(c.user.secretAccessKey, () => created.SecretAccessKey),
            )
          }
          const file = c.home.read()
          const keys = await listKeys(c.user.userName)
          const out = await aws_iam_login(c.home, c.proxy.endpoint, ["work", "rotate", "--yes"])
          expect(out.code, shown(out)).toBe(1)
          expect(out.stderr, shown(out)).toContain(other)
          expect(c.home.read()).toBe(file)
          expect(await listKeys(c.user.userName)).toEqual(keys)
        }),
      caseTimeout,
    )
  }

  for (const [action, seen] of [
    ["UpdateAccessKey", (old: string) => `AWS then listed the old key ${old} as Inactive`],
    ["DeleteAccessKey", (old: string) => `AWS then no longer listed the old key ${old}`],
  ] as const) {
    it.concurrent(
      `${action} applied by AWS and answered with 500: its line says that AWS answered 500 and what the keys listed then show, and the rotation ends with the new key alone`,
      () =>
        limit(async () => {
          const c = await prepare()
          c.proxy.inject(action, "fail")
          const out = await aws_iam_login(c.home, c.proxy.endpoint, ["work", "rotate", "--yes"], {
            env: short,
          })
          expect(out.code, shown(out)).toBe(0)
          expect(out.stdout, shown(out)).toContain(
            `: AWS answered iam:${action} with 500 InternalFailure (The proxy failed this request on purpose). ${seen(maskKeyId(c.user.accessKeyId))}, so it took effect.\n`,
          )
          expect(out.stdout, shown(out)).not.toContain("lost")
          const o = await outcome(c)
          expect(o.inFile.id).not.toBe(c.user.accessKeyId)
          expect({ keys: o.keys, arn: o.arn }, shown(out)).toEqual(expected(c, o))
        }),
      caseTimeout,
    )
  }

  it.concurrent(
    "three rotate --yes of one profile at once leave one key, Active, in the file, working",
    () =>
      limit(async () => {
        const c = await prepare()
        const runs = await Promise.all(
          [1, 2, 3].map(() => aws_iam_login(c.home, c.proxy.endpoint, ["work", "rotate", "--yes"])),
        )
        const o = await outcome(c)
        expect({ keys: o.keys, arn: o.arn }, runs.map(shown).join("\n")).toEqual(expected(c, o))
      }),
    caseTimeout,
  )

  it.concurrent(
    "a GetSessionToken answered with 500 is sent once: the MFA code is not spent twice",
    () =>
      limit(async () => {
        const c = await prepare()
        c.proxy.inject("GetSessionToken", "fail")
        const from = c.proxy.requests.length
        const out = await aws_iam_login(c.home, c.proxy.endpoint, ["work", "--token", "123456"])
        expect(out.code, shown(out)).toBe(1)
        expect(out.stderr.trim().split("\n"), shown(out)).toHaveLength(1)
        expect(c.proxy.requests.slice(from).filter((r) => r.action === "GetSessionToken")).toHaveLength(1)
        expect(c.home.read()).toBe(c.before)
      }),
    caseTimeout,
  )
})

describe.runIf(available)("against an endpoint that accepts connections and never answers", () => {
  const home = () => {
    const h = makeHome({
      userName: "nobody",
      accessKeyId: "AKIAEXAMPLE000000001",
      secretAccessKey: "x/y",
      serials: [],
    })
    h.write(
      h
        .read()
        .replace(
          "region   =   us-east-1\r\n",
          "region   =   us-east-1\r\nusername = nobody\r\nmfa_serial = arn:aws:iam::123456789012:mfa/nobody\r\n",
        ),
    )
    return h
  }

  it("login ends within its deadline with one sentence naming the call and the endpoint, and writes nothing", async () => {
    const silent = await silentServer()
    const h = home()
    const before = h.read()
    const started = performance.now()
    const out = await aws_iam_login(h, silent.endpoint, ["work", "--token", "123456"], { env: short })
    silent.close()
    expect(performance.now() - started, shown(out)).toBeLessThan(signalBound)
    expect(out.code).toBe(1)
    expect(out.stderr).toBe(
      `aws-iam-login: AWS did not answer sts:GetSessionToken at ${silent.endpoint} within 2 s: check the network, AWS_REGION and AWS_ENDPOINT_URL.\n`,
    )
    expect(h.read()).toBe(before)
  })

  it("status prints its local lines, and says the key's age is unknown and why", async () => {
    const silent = await silentServer()
    const out = await aws_iam_login(home(), silent.endpoint, ["work", "status"], { env: short })
    silent.close()
    expect(out.code, shown(out)).toBe(0)
    expect(out.stdout).toContain("profile     work\n")
    expect(out.stdout).toContain(
      `key         AKIA…0001, age unknown (AWS did not answer iam:ListAccessKeys at ${silent.endpoint} within 2 s`,
    )
    expect(out.stdout).toContain("username    nobody\n")
    expect(out.stdout).toContain("mfa_serial  arn:aws:iam::123456789012:mfa/nobody\n")
  })

  it("rotate ends within its deadline with one sentence and changes nothing", async () => {
    const silent = await silentServer()
    const h = home()
    const before = h.read()
    const out = await aws_iam_login(h, silent.endpoint, ["work", "rotate", "--yes"], { env: short })
    silent.close()
    expect(out.code, shown(out)).toBe(1)
    expect(out.stderr).toBe(
      `aws-iam-login: AWS did not answer iam:ListAccessKeys at ${silent.endpoint} within 2 s: check the network, AWS_REGION and AWS_ENDPOINT_URL.\n`,
    )
    expect(h.read()).toBe(before)
  })

  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    it(`${signal} while login waits for AWS ends it within 10 s with exit ${exitCodes[signal]}, writing nothing`, async () => {
      const silent = await silentServer()
      const h = home()
      const before = h.read()
      const run = launch(h, silent.endpoint, ["work", "--token", "123456"])
      await silent.reached
      const sent = performance.now()
      run.child.kill(signal)
      const ended = await run.ended
      silent.close()
      expect(ended.at - sent, shown(ended)).toBeLessThan(signalBound)
      expect(ended.code, shown(ended)).toBe(exitCodes[signal])
      expect(h.read()).toBe(before)
    })
  }

  it("an AWS_IAM_LOGIN_TIMEOUT that is not a number of seconds is refused with one sentence", async () => {
    const silent = await silentServer()
    const out = await aws_iam_login(home(), silent.endpoint, ["work", "--token", "123456"], {
      env: { AWS_IAM_LOGIN_TIMEOUT: "soon" },
    })
    silent.close()
    expect(out.code).toBe(1)
    expect(out.stderr).toBe(
      'aws-iam-login: AWS_IAM_LOGIN_TIMEOUT is "soon": set it to the number of seconds an AWS call may take (30 when unset).\n',
    )
  })
})
