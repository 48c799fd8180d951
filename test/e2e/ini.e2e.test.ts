import * as fs from "node:fs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Botocore, available as botocoreAvailable, startBotocore } from "../support/botocore.js"
import { available, aws, aws_iam_login, type Home, makeHome, type SeededUser, seedUser } from "./moto.js"
import { motoForSuite } from "./suite.js"

/** Hostile shapes of issue 12 around the user's `[work]`, each a file the AWS CLI reads. */
const shapes: Record<string, (user: SeededUser) => string> = {
  "text after ], the : separator, ; in names, [DEFAULT], a nested block, a continuation": (user) =>
    [
      "[DEFAULT]",
      "region = us-east-1",
      "[default]",
      "aws_access_key_id = AKIADEFAULT000000000",
      "aws_secret_access_key = default",
      "[work] # my team",
      `aws_access_key_id : ${user.accessKeyId}`,
      `aws_secret_access_key: ${user.secretAccessKey}`,
      "[team;prod]",
      "aws_access_key_id = AKIATEAMPROD00000000",
      "aws_secret_access_key = team",
      "s3 =",
      "  addressing_style = path",
      "[notes]",
      "text = first line",
      "  second line",
      "[work-sts] ; written by aws-iam-login",
      "expiration = 2000-01-01T00:00:00Z",
      "",
    ].join("\n"),
  "CR-only endings, a lone CR before a header, an indented first header, no final newline": (user) =>
    `  [other]\r  aws_access_key_id = AKIAOTHER00000000000\r  aws_secret_access_key = o\r[work]\raws_access_key_id=${user.accessKeyId}\raws_secret_access_key=${user.secretAccessKey}\r\n[last]\naws_access_key_id = AKIALAST000000000000\naws_secret_access_key = l`,
}

describe.runIf(available && botocoreAvailable)(
  "the built CLI reads and edits hostile files as the AWS CLI does",
  () => {
    const moto = motoForSuite()
    let botocore: Botocore
    beforeAll(() => {
      botocore = startBotocore()
    })
    afterAll(() => botocore?.stop())

    const homeWith = (user: SeededUser, text: string): Home => {
      const home = makeHome(user)
      fs.writeFileSync(home.credentials, text)
      return home
    }
    const botocoreReads = async (home: Home) => {
      const reading = await botocore.read(home.credentials)
      if (!("ok" in reading)) throw new Error(`botocore refuses the file: ${JSON.stringify(reading)}`)
      return reading.ok
    }

    let n = 0
    for (const [shape, file] of Object.entries(shapes)) {
      it(`${shape}: status shows the key aws configure get prints; init and login change only [work] and [work-sts]`, async () => {
        const user = await seedUser(moto, `shape${n++}`)
        const home = homeWith(user, file(user))
        const before = await botocoreReads(home)
        for (const profile of Object.keys(before).filter((p) => p !== "work-sts")) {
          const theirs = await aws(home, moto.endpoint, [
            "configure",
            "get",
            "aws_access_key_id",
            "--profile",
            profile,
          ])
          const ours = await aws_iam_login(home, moto.endpoint, [profile, "status", "--json"])
          const id = theirs.stdout.trim()
          if (profile === "notes") {
            expect(id).toBe("")
            expect(ours.code).not.toBe(0)
            continue
          }
          expect(theirs.code).toBe(0)
          expect(ours.code, ours.stderr).toBe(0)
          expect(JSON.parse(ours.stdout).accessKeyIdMasked).toBe(`${id.slice(0, 4)}…${id.slice(-4)}`)
        }
        expect((await aws_iam_login(home, moto.endpoint, ["work", "init"])).code).toBe(0)
        const login = await aws_iam_login(home, moto.endpoint, ["work", "-t", "123456"])
        expect(login.code, login.stderr).toBe(0)
        const after = await botocoreReads(home)
        const others = (reading: typeof before) =>
          Object.fromEntries(Object.entries(reading).filter(([p]) => p !== "work" && p !== "work-sts"))
        expect(others(after)).toEqual(others(before))
        expect(after.work).toEqual({ ...before.work, username: user.userName, mfa_serial: user.serials[0] })
        expect(after["work-sts"]).toMatchObject({
          aws_access_key_id: expect.stringMatching(/^[A-Z0-9]{16,}$/),
        })
        const mfa = await aws(home, moto.endpoint, ["configure", "get", "mfa_serial", "--profile", "work"])
        expect(mfa.stdout.trim()).toBe(user.serials[0])
      })
    }

    it("a file the AWS CLI refuses is refused with the line by status, init and login, and left as it was", async () => {
      const user = await seedUser(moto, "refused")
      const text = `[work]\naws_access_key_id = ${user.accessKeyId}\naws_secret_access_key = ${user.secretAccessKey}\n\n[work]\nregion = eu-west-1\n`
      const home = homeWith(user, text)
      const theirs = await aws(home, moto.endpoint, [
        "configure",
        "get",
        "aws_access_key_id",
        "--profile",
        "work",
      ])
      expect(theirs.code).not.toBe(0)
      for (const args of [
        ["work", "status"],
        ["work", "init"],
        ["work", "-t", "123456"],
      ]) {
        const ours = await aws_iam_login(home, moto.endpoint, args)
        expect(ours.code).not.toBe(0)
        expect(ours.stderr).toContain("line 5: [work] appears a second time (first on line 1)")
      }
      expect(home.read()).toBe(text)
    })
  },
)
