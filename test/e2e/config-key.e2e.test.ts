import * as fs from "node:fs"
import { describe, expect, it } from "vitest"
import { available, aws, aws_iam_login, makeHome, seedUser } from "./moto.js"
import { motoForSuite } from "./suite.js"

describe.runIf(available)("a key kept in ~/.aws/config, the built CLI and the AWS CLI against moto", () => {
  const moto = motoForSuite({ auth: true })

  it("is the key the AWS CLI uses, unless the credentials file has one for the profile; rotate writes it back", async () => {
    const kept = await seedUser(moto, "kept-in-config", { devices: ["kept-phone"] })
    const filed = await seedUser(moto, "in-credentials", { devices: ["filed-phone"] })
    const home = makeHome(filed, "other")
    const keyLines = `aws_access_key_id = ${kept.accessKeyId}\naws_secret_access_key = ${kept.secretAccessKey}\n`
    fs.writeFileSync(home.config, `[default]\nregion = us-east-1\n\n[profile work]\n${keyLines}`)
    const who = async () =>
      JSON.parse((await aws(home, moto.endpoint, ["sts", "get-caller-identity", "--profile", "work"])).stdout)
        .Arn

    expect(await who()).toMatch(/:user\/kept-in-config$/)
    const init = await aws_iam_login(home, moto.endpoint, ["work", "init"])
    expect(init).toMatchObject({ code: 0, stderr: "" })
    expect(init.stdout).toContain("username kept-in-config")
    const rotated = await aws_iam_login(home, moto.endpoint, ["work", "rotate", "--yes"])
    expect(rotated).toMatchObject({ code: 0, stderr: "" })
    const config = fs.readFileSync(home.config, "utf8")
    expect(config).not.toContain(kept.accessKeyId)
    expect(config).toMatch(
      /\[profile work\]\naws_access_key_id = \w+\naws_secret_access_key = \S+\nusername = /,
    )
    expect(home.read()).not.toContain("[work]")
    expect(await who()).toMatch(/:user\/kept-in-config$/)

    fs.appendFileSync(
      home.credentials,
      `\n[work]\naws_access_key_id = ${filed.accessKeyId}\naws_secret_access_key = ${filed.secretAccessKey}\n`,
    )
    expect(await who()).toMatch(/:user\/in-credentials$/)
    const again = await aws_iam_login(home, moto.endpoint, ["work", "init", "--force"])
    expect(again.stdout).toContain("username in-credentials")
  })
})
