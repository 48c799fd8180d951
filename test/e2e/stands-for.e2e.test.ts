import * as fs from "node:fs"
import { describe, expect, it } from "vitest"
import { available, aws, aws_iam_login, type Home, initialisedHome } from "./moto.js"
import { motoForSuite } from "./suite.js"

/** `<p>-sts` and role profiles reached through it mean `p`: the tool says so and what to run. */
describe.runIf(available)(
  "the built CLI against moto: session and role profiles stand for their IAM user's profile",
  () => {
    const moto = motoForSuite()

    const run = (home: Home, args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
      aws_iam_login(home, moto.endpoint, args, { env })

    it("AWS_PROFILE=work-sts, as login advised, names [work] and what to run; nothing is written", async () => {
      const { home } = await initialisedHome(moto, "sam")
      const login = await run(home, ["work", "-t", "123456"])
      expect(login.stdout).toContain("Use it with AWS_PROFILE=work-sts")
      const before = home.read()
      const calls = moto.requests.length
      for (const args of [[], ["status"], ["export"]]) {
        const out = await run(home, args, { AWS_PROFILE: "work-sts" })
        expect(out.code).toBe(1)
        expect(out.stderr).toBe(
          "aws-iam-login: [work-sts] is the session aws-iam-login writes for [work], not a profile with your IAM user's key: name work instead, e.g. `aws-iam-login work` or `aws-iam-login work status`.\n",
        )
        expect(out.stderr).not.toContain("work-sts-sts")
      }
      expect(moto.requests.length).toBe(calls)
      expect(home.read()).toBe(before)
    }, 90_000)

    it("a role profile over work-sts, directly or through another role, says to log in work, and then aws uses it", async () => {
      const { home } = await initialisedHome(moto, "rita")
      fs.appendFileSync(
        home.config,
        [
          "[profile role]",
          "role_arn = arn:aws:iam::123456789012:role/r1",
          "source_profile = work-sts",
          "[profile chained]",
          "role_arn = arn:aws:iam::123456789012:role/r2",
          "source_profile = role",
          "[profile direct]",
          "role_arn = arn:aws:iam::123456789012:role/r3",
          "source_profile = work",
          "",
        ].join("\n"),
      )
      const role = await run(home, ["role"])
      expect(role.code).toBe(1)
      expect(role.stderr).toContain(
        "[role] is a role profile whose credentials come from [work-sts], the session aws-iam-login writes for [work]: log in with `aws-iam-login work`, then AWS_PROFILE=role uses that session.",
      )
      expect(role.stderr).not.toContain("aws configure")
      const chained = await run(home, ["chained", "status"])
      expect(chained.stderr).toContain(
        "[chained] is a role profile whose credentials come from [role] → [work-sts]",
      )
      const direct = await run(home, ["direct"])
      expect(direct.stderr).toContain(
        "[direct] is a role profile whose credentials come from [work], your IAM user's key itself, so the AWS CLI assumes the role without MFA. To use the MFA session instead, set source_profile = work-sts",
      )

      expect((await run(home, ["work", "-t", "123456"])).code).toBe(0)
      const assumed = await aws(home, moto.endpoint, ["sts", "get-caller-identity", "--profile", "chained"])
      expect(assumed.code).toBe(0)
      expect(JSON.parse(assumed.stdout).Arn).toContain(":assumed-role/r2/")
    }, 90_000)
  },
)
