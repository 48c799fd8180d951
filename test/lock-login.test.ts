import * as fs from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Redacted } from "effect"
import type { AwsCredentials } from "../src/schema/Credentials.js"
import { cli, newIo, tempHome } from "./support/harness.js"
import { lockers } from "./support/lockers.js"
import { SimAws, SimulatedAws, validCode } from "./support/SimulatedAws.js"

const profile = (name: string, user: string, key: AwsCredentials) =>
  `[${name}]\naws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${Redacted.value(key.secretAccessKey)}\n` +
  `mfa_serial = arn:aws:iam::123456789012:mfa/${user}\nusername = ${user}\n`

/** Users alice ([work]) and bob ([play]), each with a device and a key, in one credentials file. */
const setup = Effect.gen(function* () {
  const sim = yield* SimAws
  sim.addUser("alice", { devices: ["arn:aws:iam::123456789012:mfa/alice"] })
  sim.addUser("bob", { devices: ["arn:aws:iam::123456789012:mfa/bob"] })
  const files = tempHome()
  fs.writeFileSync(
    files.credentials,
    `${profile("work", "alice", yield* sim.addKey("alice"))}\n${profile("play", "bob", yield* sim.addKey("bob"))}`,
  )
  const sessionCalls = () => sim.calls.filter((c) => c.operation === "sts:GetSessionToken").length
  return { sim, files, sessionCalls }
})

/** Polls until `done()`; the test's timeout bounds it. */
const until = (done: () => boolean): Effect.Effect<void> =>
  Effect.suspend(() => (done() ? Effect.void : Effect.zipRight(Effect.sleep("10 millis"), until(done))))

const locks = lockers()

describe("login and its profile's lock", () => {
  it.live(
    "a login that waits for another login of the profile finds its session: no code asked, none spent",
    () =>
      Effect.gen(function* () {
        const { sim, files, sessionCalls } = yield* setup
        const gate = yield* sim.pauseAt("sts:GetSessionToken")
        const first = yield* Effect.fork(cli(files, ["work", "--token", validCode]))
        yield* until(() => sim.paused === "sts:GetSessionToken")
        const io = newIo()
        const second = yield* Effect.fork(cli(files, ["work"], { tty: true, input: [validCode], io }))
        yield* until(() => io.stderr.join("\n").includes("Waiting for pid"))
        expect(io.stderr.join("\n")).toContain(
          `Waiting for pid ${process.pid} (since 20`, // the holder is this process: both logins run in it
        )
        expect(io.stderr.join("\n")).toContain(`to release ${files.credentials}.work.login.lock…`)
        expect(io.shown).toEqual([])
        expect(sessionCalls()).toBe(0)
        yield* Deferred.succeed(gate, undefined)
        const one = yield* Fiber.join(first)
        const two = yield* Fiber.join(second)
        expect(one.code).toBe(0)
        expect(one.stdout).toContain("Logged in: [work-sts]")
        expect(two.code).toBe(0)
        expect(two.stdout).toContain("[work-sts] is still valid until")
        expect(two.shown).toBe("")
        expect(sessionCalls()).toBe(1)
        expect(fs.readFileSync(files.credentials, "utf8").match(/\[work-sts\]/g)).toHaveLength(1)
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.live("logins of different profiles do not wait for each other", () =>
    Effect.gen(function* () {
      const { sim, files, sessionCalls } = yield* setup
      const gate = yield* sim.pauseAt("sts:GetSessionToken")
      const work = yield* Effect.fork(cli(files, ["work", "--token", validCode]))
      yield* until(() => sim.paused === "sts:GetSessionToken")
      const play = yield* cli(files, ["play", "--token", validCode])
      expect(play.code).toBe(0)
      expect(play.stderr).toBe("")
      expect(play.stdout).toContain("Logged in: [play-sts]")
      expect(sessionCalls()).toBe(1)
      yield* Deferred.succeed(gate, undefined)
      expect((yield* Fiber.join(work)).stdout).toContain("Logged in: [work-sts]")
      const text = fs.readFileSync(files.credentials, "utf8")
      expect(text).toContain("[work-sts]")
      expect(text).toContain("[play-sts]")
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.live("a login held up by another process asks for the code only once that one is gone", () =>
    Effect.gen(function* () {
      const { files, sessionCalls } = yield* setup
      const lock = `${files.credentials}.work.login.lock`
      const holder = yield* Effect.promise(() => locks.hold(lock))
      const io = newIo()
      const login = yield* Effect.fork(cli(files, ["work"], { tty: true, input: [validCode], io }))
      yield* until(() => io.stderr.join("\n").includes("Waiting for pid"))
      expect(io.stderr.join("\n")).toContain(`Waiting for pid ${holder.pid} (since `)
      expect(io.shown).toEqual([])
      expect(sessionCalls()).toBe(0)
      holder.kill("SIGKILL")
      const out = yield* Fiber.join(login)
      expect(out.code).toBe(0)
      expect(out.shown).toBe("MFA code for arn:aws:iam::123456789012:mfa/alice: ")
      expect(sessionCalls()).toBe(1)
      expect(fs.existsSync(lock)).toBe(false)
    }).pipe(Effect.provide(SimulatedAws)),
  )
})
