import * as fs from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { parse } from "../../src/schema/Ini.js"
import { cli, cliTimed, tempHome } from "../support/harness.js"
import { SimAws, SimulatedAws, validCode } from "../support/SimulatedAws.js"

const serial = "arn:aws:iam::123456789012:mfa/alice-phone"

/** alice's key kept in ~/.aws/config, as `aws configure set` can leave it; no credentials file. */
const setup = Effect.gen(function* () {
  const sim = yield* SimAws
  sim.addUser("alice", { devices: [serial] })
  const key = yield* sim.addKey("alice")
  const files = tempHome()
  fs.writeFileSync(
    files.config,
    `[default]\nregion = eu-west-1\n\n[profile work]\naws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${Redacted.value(key.secretAccessKey)}\n`,
  )
  const config = () => parse(fs.readFileSync(files.config, "utf8"))
  const credentials = () =>
    parse(fs.existsSync(files.credentials) ? fs.readFileSync(files.credentials, "utf8") : "")
  return { sim, key, files, config, credentials }
})

describe("a key kept in the config file", () => {
  it.effect(
    "is read from [profile work]; init and rotate write back there, the session goes to the credentials file",
    () =>
      Effect.gen(function* () {
        const { sim, key, files, config, credentials } = yield* setup
        const init = yield* cli(files, ["work", "init"])
        expect(init.code).toBe(0)
        expect(config().get("profile work")?.values).toMatchObject({ username: "alice", mfa_serial: serial })
        expect(credentials().has("work")).toBe(false)

        expect((yield* cli(files, ["work", "-t", validCode])).code).toBe(0)
        expect(credentials().get("work-sts")?.values.aws_session_token).toBeDefined()
        expect([...credentials().keys()]).toEqual(["work-sts"])

        const rotated = yield* cliTimed(files, ["work", "rotate", "--yes"])
        expect(rotated.code).toBe(0)
        expect(rotated.stdout).toContain("Rotated: [profile work] now uses")
        const active = sim.keysOf("alice").filter((k) => k.status === "Active")
        expect(active.map((k) => k.id)).not.toContain(key.accessKeyId)
        expect(config().get("profile work")?.values).toMatchObject({
          aws_access_key_id: active[0]?.id,
          aws_secret_access_key: active[0]?.secret,
          username: "alice",
        })
        expect(config().get("default")?.values).toEqual({ region: "eu-west-1" })
        expect([...credentials().keys()]).toEqual(["work-sts"])
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("list shows [work] once, with its session, and not the session as a profile of its own", () =>
    Effect.gen(function* () {
      const { files } = yield* setup
      expect((yield* cli(files, ["work", "init"])).code).toBe(0)
      expect((yield* cli(files, ["work", "-t", validCode])).code).toBe(0)
      const listed = yield* cli(files, ["list", "--json"])
      expect(listed.code).toBe(0)
      expect(JSON.parse(listed.stdout)).toEqual([
        expect.objectContaining({ profile: "work", sessionProfile: "work-sts", sessionValid: true }),
      ])
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect("loses to a key for the same profile in the credentials file, as with the AWS CLI", () =>
    Effect.gen(function* () {
      const { sim, files } = yield* setup
      const other = yield* sim.addKey("alice")
      fs.writeFileSync(
        files.credentials,
        `[work]\naws_access_key_id = ${other.accessKeyId}\naws_secret_access_key = ${Redacted.value(other.secretAccessKey)}\n`,
      )
      expect((yield* cli(files, ["work", "init"])).code).toBe(0)
      expect(sim.calls[0]?.signer).toBe(other.accessKeyId)
      expect(credentials(files).get("work")?.values.mfa_serial).toBe(serial)
    }).pipe(Effect.provide(SimulatedAws)),
  )
})

describe("a new user with no files", () => {
  it.effect("is told how to add the key and what to run next", () =>
    Effect.gen(function* () {
      const files = tempHome()
      const out = yield* cli(files, ["my-profile"])
      expect(out.code).toBe(1)
      expect(out.stderr).toBe(
        `aws-iam-login: No profile [my-profile] in ${files.credentials}: add your IAM user's key with \`aws configure --profile my-profile\`, then run \`aws-iam-login my-profile init\`.`,
      )
      expect(fs.existsSync(files.credentials)).toBe(false)
    }).pipe(Effect.provide(SimulatedAws)),
  )
})

const credentials = (files: ReturnType<typeof tempHome>) => parse(fs.readFileSync(files.credentials, "utf8"))
