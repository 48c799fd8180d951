import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import * as JournalLayer from "../src/layers/Journal.js"
import type { AccessKeyId } from "../src/schema/Credentials.js"
import { type Entry, Journal } from "../src/services/Journal.js"
import { tempHome } from "./support/harness.js"
import { deadPid } from "./support/programs.js"

const id = (n: number) => `AKIATEST${String(n).padStart(12, "0")}` as AccessKeyId

const entry = (credentials: string): Entry => ({
  version: 1,
  profile: "work",
  credentials,
  userName: "alice",
  profiles: ["work", "work-copy"],
  oldKey: { id: id(1), secret: Redacted.make("old/secret") },
  before: [id(1)],
  started: new Date("2026-12-01T10:00:00Z"),
})

const withJournal = <A, E>(credentials: string, f: (j: Journal["Type"]) => Effect.Effect<A, E>) =>
  Effect.flatMap(Journal, f).pipe(
    Effect.provide(JournalLayer.layer(credentials)),
    Effect.provide(NodeFileSystem.layer),
  )

describe("the rotation journal", () => {
  it.effect(
    "is created once per rotation, 0600, holds the new secret once recorded, and goes when removed",
    () =>
      Effect.gen(function* () {
        const home = tempHome()
        const first = entry(home.credentials)
        const file = yield* withJournal(home.credentials, (j) => j.begin(first))
        expect(file).toBe(path.join(home.dir, ".aws-iam-login", "credentials.work.json"))
        expect(fs.statSync(file).mode & 0o777).toBe(0o600)
        expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700)
        const again = yield* withJournal(home.credentials, (j) => j.begin(first)).pipe(Effect.flip)
        expect(again.message).toContain("Could not create")
        const recorded = { ...first, newKey: { id: id(2), secret: Redacted.make("new/secret") } }
        yield* withJournal(home.credentials, (j) => j.record(recorded))
        expect(fs.statSync(file).mode & 0o777).toBe(0o600)
        expect(fs.readdirSync(path.dirname(file))).toEqual(["credentials.work.json"])
        const found = yield* withJournal(home.credentials, (j) => j.find("work-copy"))
        const secret = Option.flatMap(found, (f) => Option.fromNullable(f.entry.newKey?.secret))
        expect(Option.map(secret, Redacted.value)).toEqual(Option.some("new/secret"))
        expect(Option.isNone(yield* withJournal(home.credentials, (j) => j.find("other")))).toBe(true)
        yield* withJournal(home.credentials, (j) => j.remove(recorded))
        expect(Option.isNone(yield* withJournal(home.credentials, (j) => j.find("work")))).toBe(true)
      }),
  )

  it.effect(
    "a journal the Windows build wrote beside the same file (its path spelled C:\\Users\\…) is found by the Linux build, as under WSL",
    () =>
      Effect.gen(function* () {
        const home = tempHome()
        const windows = entry("C:\\Users\\alice\\.aws\\credentials")
        yield* withJournal(home.credentials, (j) => j.begin(windows))
        const found = yield* withJournal(home.credentials, (j) => j.find("work"))
        expect(Option.map(found, (f) => f.entry.credentials)).toEqual(Option.some(windows.credentials))
        const elsewhere = entry("C:\\Users\\alice\\.aws\\credentials-other")
        yield* withJournal(home.credentials, (j) => j.remove(windows))
        yield* withJournal(home.credentials, (j) => j.begin(elsewhere))
        expect(Option.isNone(yield* withJournal(home.credentials, (j) => j.find("work")))).toBe(true)
      }),
  )

  it.effect(
    "for a key kept in the OS secret store it records the mode and key ids, never a secret, and a file key's journal reads as before",
    () =>
      Effect.gen(function* () {
        const home = tempHome()
        const { oldKey, ...rest } = entry(home.credentials)
        const stored: Entry = { ...rest, store: "keyring", oldKey: { id: oldKey.id } }
        const file = yield* withJournal(home.credentials, (j) => j.begin(stored))
        yield* withJournal(home.credentials, (j) => j.record({ ...stored, newKey: { id: id(2) } }))
        const text = fs.readFileSync(file, "utf8")
        expect(JSON.parse(text)).toMatchObject({
          store: "keyring",
          oldKey: { id: id(1) },
          newKey: { id: id(2) },
        })
        expect(text).not.toContain("secret")
        const found = yield* withJournal(home.credentials, (j) => j.find("work"))
        expect(Option.map(found, (f) => [f.entry.store, f.entry.newKey?.id])).toEqual(
          Option.some(["keyring", id(2)]),
        )
        // A journal written before keys could be stored names no mode: its key is in the file.
        fs.writeFileSync(
          file,
          JSON.stringify({
            ...JSON.parse(text),
            store: undefined,
            oldKey: { id: id(1), secret: "old/secret" },
            newKey: { id: id(2), secret: "new/secret" },
          }),
        )
        const before = yield* withJournal(home.credentials, (j) => j.find("work"))
        expect(Option.map(before, (f) => f.entry.store)).toEqual(Option.some(undefined))
        expect(
          Option.map(before, (f) =>
            f.entry.store === "keyring" ? "" : Redacted.value(f.entry.oldKey.secret),
          ),
        ).toEqual(Option.some("old/secret"))
        // A stored key's journal without the store's mark would be taken for one holding secrets: refused.
        fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(text), store: undefined }))
        const unmarked = yield* withJournal(home.credentials, (j) => j.find("work")).pipe(Effect.flip)
        expect(unmarked.message).toContain("not a rotation journal this tool can read")
      }),
  )

  it.effect("a journal it cannot read stops the rotation rather than being ignored", () =>
    Effect.gen(function* () {
      const home = tempHome()
      fs.mkdirSync(path.join(home.dir, ".aws-iam-login"), { mode: 0o700 })
      fs.writeFileSync(path.join(home.dir, ".aws-iam-login", "credentials.work.json"), "{ half", {
        mode: 0o600,
      })
      const error = yield* withJournal(home.credentials, (j) => j.find("work")).pipe(Effect.flip)
      expect(error.message).toContain("not a rotation journal this tool can read")
    }),
  )

  it.effect("one file's journal is found by that file alone, whatever the names", () =>
    Effect.gen(function* () {
      const home = tempHome()
      const work = `${home.credentials}.work`
      const theirs = { ...entry(work), profile: "work" }
      const file = yield* withJournal(work, (j) => j.begin(theirs))
      expect(path.basename(file)).toBe("credentials%2Ework.work.json")
      // A journal an earlier version named `credentials.work.<profile>.json` is told by the file it records.
      fs.copyFileSync(file, path.join(path.dirname(file), "credentials.work.work.json"))
      for (const profile of ["work", "work-copy", "work.work"]) {
        expect(Option.isNone(yield* withJournal(home.credentials, (j) => j.find(profile)))).toBe(true)
      }
      const found = yield* withJournal(work, (j) => j.find("work"))
      expect(Option.map(found, (f) => f.entry.credentials)).toEqual(Option.some(work))
    }),
  )

  it.effect("an empty journal is removed only by the process holding the rotation lock", () =>
    Effect.gen(function* () {
      const home = tempHome()
      const dir = path.join(home.dir, ".aws-iam-login")
      fs.mkdirSync(dir, { mode: 0o700 })
      const empty = path.join(dir, "credentials.work.json")
      fs.writeFileSync(empty, "", { mode: 0o600 })
      // Unlocked (status, or a rotation that has just created it): left alone, and it records nothing.
      expect(Option.isNone(yield* withJournal(home.credentials, (j) => j.find("work")))).toBe(true)
      expect(fs.existsSync(empty)).toBe(true)
      const found = yield* withJournal(home.credentials, (j) =>
        Effect.scoped(
          Effect.zipRight(
            j.lock(() => Effect.void),
            j.find("work"),
          ),
        ),
      )
      expect(Option.isNone(found)).toBe(true)
      expect(fs.existsSync(empty)).toBe(false)
    }),
  )

  it.effect("another profile's unreadable journal is named and skipped; this profile's still stops", () =>
    Effect.gen(function* () {
      const home = tempHome()
      const dir = path.join(home.dir, ".aws-iam-login")
      fs.mkdirSync(dir, { mode: 0o700 })
      fs.writeFileSync(path.join(dir, "credentials.other.json"), "{ half", { mode: 0o600 })
      const found = yield* withJournal(home.credentials, (j) => j.find("work"))
      expect(Option.isNone(found)).toBe(true)
      const error = yield* withJournal(home.credentials, (j) => j.find("other")).pipe(Effect.flip)
      expect(error.message).toContain("not a rotation journal this tool can read")
    }),
  )

  it.effect("a named pipe at a journal's path is refused with a sentence, never waited on", () =>
    Effect.gen(function* () {
      const home = tempHome()
      const dir = path.join(home.dir, ".aws-iam-login")
      fs.mkdirSync(dir, { mode: 0o700 })
      execFileSync("mkfifo", [path.join(dir, "credentials.work.json")])
      const error = yield* withJournal(home.credentials, (j) => j.find("work")).pipe(Effect.flip)
      expect(error.message).toContain("it is a named pipe (FIFO), not a regular file")
    }),
  )

  it.effect("the journal's temporary copy is created exclusively, so a planted link receives nothing", () =>
    Effect.gen(function* () {
      const home = tempHome()
      const first = entry(home.credentials)
      const file = yield* withJournal(home.credentials, (j) => j.begin(first))
      const planted = path.join(home.dir, "planted")
      const recorded = { ...first, newKey: { id: id(2), secret: Redacted.make("new/secret") } }
      // Every name the earlier versions used, and any this one could pick, point at `planted`.
      fs.symlinkSync(planted, `${file}.${process.pid}.tmp`)
      yield* withJournal(home.credentials, (j) => j.record(recorded))
      expect(fs.existsSync(planted)).toBe(false)
      const names = fs.readdirSync(path.dirname(file)).filter((n) => n.endsWith(".tmp"))
      expect(names).toEqual([`credentials.work.json.${process.pid}.tmp`])
      expect(fs.readFileSync(file, "utf8")).toContain("new/secret")
    }),
  )

  /** A pid no process has: one that has just ended. */

  it.effect(
    "a temporary copy a kill left behind is swept by the next locked run: a whole record completes the rename, anything else goes",
    () =>
      Effect.gen(function* () {
        const home = tempHome()
        const first = entry(home.credentials)
        const file = yield* withJournal(home.credentials, (j) => j.begin(first))
        const recorded = { ...first, newKey: { id: id(2), secret: Redacted.make("new/secret") } }
        // What a kill during the rename leaves: the whole new record beside the journal it was to replace.
        yield* withJournal(home.credentials, (j) => j.record(recorded))
        const whole = fs.readFileSync(file, "utf8")
        fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(/,\s*"newKey": \{[^}]*\}/, ""))
        const pid = deadPid()
        // The name the safe write gives a temporary copy, and the one earlier versions gave it.
        fs.writeFileSync(
          path.join(home.dir, ".aws-iam-login", `.credentials.work.json.${pid}.0123456789abcdef.tmp`),
          whole,
          { mode: 0o600 },
        )
        fs.writeFileSync(`${file}.${pid}.tmp`, whole.slice(0, 40), { mode: 0o600 })
        const unlocked = yield* withJournal(home.credentials, (j) => j.find("work"))
        expect(Option.map(unlocked, (f) => f.entry.newKey)).toEqual(Option.some(undefined))
        const found = yield* withJournal(home.credentials, (j) =>
          Effect.scoped(
            Effect.zipRight(
              j.lock(() => Effect.void),
              j.find("work"),
            ),
          ),
        )
        expect(Option.map(found, (f) => f.entry.newKey?.id)).toEqual(Option.some(id(2)))
        expect(fs.readdirSync(path.dirname(file))).toEqual(["credentials.work.json"])
      }),
  )

  it.effect("a failed file-system call is one sentence saying what to do, not the platform's words", () =>
    Effect.gen(function* () {
      const home = tempHome()
      fs.writeFileSync(path.join(home.dir, ".aws-iam-login"), "")
      const error = yield* withJournal(home.credentials, (j) => j.begin(entry(home.credentials))).pipe(
        Effect.flip,
      )
      expect(error.message).toBe(
        `Could not create ${path.join(home.dir, ".aws-iam-login")}: a file is in the way of a directory (EEXIST): check the path.`,
      )
    }),
  )
})
