import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest"
import { available, aws, aws_iam_login, type Moto, makeHome, seedUser, startMoto } from "./moto.js"

/** One moto for the file's suites. */
let moto: Moto
beforeAll(async () => {
  if (available) moto = await startMoto()
})
afterAll(async () => {
  await moto?.stop()
})

/** Nothing listens here: a call sent to it fails. */
const nowhere = "http://127.0.0.1:9"

describe.runIf(available)("the built CLI against moto: the settings of the profile in use", () => {
  /** No endpoint in the environment: only the config file says where AWS is. */
  const noEndpointInEnv = { AWS_ENDPOINT_URL: "", AWS_PROFILE: "default" }

  it("endpoint_url comes from [profile work], not from [default] or AWS_PROFILE, as the AWS CLI reads it", async () => {
    const user = await seedUser(moto, "erin")
    const home = makeHome(user)
    fs.writeFileSync(
      home.config,
      `[default]\nendpoint_url = ${nowhere}\n\n[profile work]\nendpoint_url = ${moto.endpoint}\nmax_attempts = 1\n`,
    )
    const calls = moto.requests.length
    const init = await aws_iam_login(home, "", ["work", "init"], { env: noEndpointInEnv })
    expect(init).toMatchObject({ code: 0, stderr: "" })
    const login = await aws_iam_login(home, "", ["work", "-t", "123456"], { env: noEndpointInEnv })
    expect(login.code).toBe(0)
    expect(login.stdout).toContain("Logged in: [work-sts]")
    expect(moto.requests.slice(calls).map((r) => r.action)).toEqual([
      "GetCallerIdentity",
      "ListMFADevices",
      "GetSessionToken",
    ])
    const identity = await aws(home, "", ["sts", "get-caller-identity", "--profile", "work"])
    expect(identity.code).toBe(0)
    expect(JSON.parse(identity.stdout).Arn).toBe("arn:aws:iam::123456789012:user/erin")
  })

  it("a profile's services section names each service's endpoint; the environment still wins", async () => {
    const user = await seedUser(moto, "frank")
    const home = makeHome(user)
    fs.writeFileSync(
      home.config,
      `[default]\nendpoint_url = ${nowhere}\n\n[profile work]\nservices = local\n\n` +
        `[services local]\nsts =\n  endpoint_url = ${moto.endpoint}\niam =\n  endpoint_url = ${moto.endpoint}\n`,
    )
    const init = await aws_iam_login(home, "", ["work", "init"], { env: noEndpointInEnv })
    expect(init).toMatchObject({ code: 0, stderr: "" })
    fs.writeFileSync(home.config, `[profile work]\nendpoint_url = ${nowhere}\nmax_attempts = 1\n`)
    const login = await aws_iam_login(home, "", ["work", "-t", "123456"], {
      env: { ...noEndpointInEnv, AWS_ENDPOINT_URL_STS: moto.endpoint },
    })
    expect(login.code).toBe(0)
    const unreachable = await aws_iam_login(home, "", ["work", "-t", "123456", "--force"], {
      env: noEndpointInEnv,
    })
    expect(unreachable.code).toBe(1)
    expect(unreachable.stderr).toContain("sts:GetSessionToken")
  })
})

/** Where a call went: scheme, host and port. */
const origin = (url: string) => {
  const u = new URL(url)
  return `${u.protocol}//${u.hostname}:${u.port || (u.protocol === "https:" ? "443" : "80")}`
}

describe.runIf(available)("the built CLI and the AWS CLI read the endpoint settings alike (issue 24)", () => {
  /** Nothing in the environment says where AWS is; a call to AWS itself fails fast. */
  const env = {
    AWS_ENDPOINT_URL: "",
    AWS_PROFILE: "default",
    AWS_MAX_ATTEMPTS: "1",
    AWS_IAM_LOGIN_TIMEOUT: "8",
  }

  /**
   * The first STS call of `init` with `--debug`, and the AWS CLI's GetCallerIdentity with `--debug`:
   * where each sent it, or that it sent nothing.
   */
  const hosts = async (config: (moto: string) => string, credentials = "") => {
    const user = await seedUser(moto, `settings${Math.random().toString(36).slice(2, 8)}`)
    const home = makeHome(user)
    fs.writeFileSync(home.config, config(moto.endpoint))
    home.write(home.read().replace("[work]\r\n", `[work]\r\n${credentials.replace("MOTO", moto.endpoint)}`))
    const ours = await aws_iam_login(home, "", ["work", "init", "--debug"], { env })
    const sent = /aws sts:GetCallerIdentity (\S+)/.exec(ours.stderr)?.[1]
    const theirs = await aws(
      home,
      "",
      ["sts", "get-caller-identity", "--profile", "work", "--debug", "--cli-connect-timeout", "3"],
      env,
    )
    // urllib3 notes each connection it opens: none means the AWS CLI failed before sending.
    const connection = /Starting new (HTTPS?) connection \(\d+\): (\S+)/.exec(theirs.stderr)
    return {
      ours: sent === undefined || sent.startsWith("(") ? "nothing sent" : origin(sent),
      theirs:
        connection === null ? "nothing sent" : origin(`${connection[1]!.toLowerCase()}://${connection[2]}`),
      stderr: ours.stderr,
      code: ours.code,
    }
  }

  const local = () => origin(moto.endpoint)
  const cases: ReadonlyArray<{
    readonly name: string
    readonly config: (moto: string) => string
    readonly credentials?: string
    readonly host: () => string
  }> = [
    {
      name: "endpoint_url = URL ; note (the note is part of the URL)",
      config: (m) => `[profile work]\nendpoint_url = ${m} ; note\n`,
      host: () => "nothing sent",
    },
    { name: "ENDPOINT_URL = URL", config: (m) => `[profile work]\nENDPOINT_URL = ${m}\n`, host: local },
    { name: "endpoint_url: URL", config: (m) => `[profile work]\nendpoint_url: ${m}\n`, host: local },
    {
      name: "[profile  work] (two spaces)",
      config: (m) => `[profile  work]\nendpoint_url = ${m}\n`,
      host: local,
    },
    {
      name: "[DEFAULT] endpoint_url, inherited by [profile work]",
      config: (m) => `[DEFAULT]\nendpoint_url = ${m}\n[profile work]\n`,
      host: local,
    },
    {
      name: "[profile.work] is not a profile",
      config: () => "[profile.work]\nendpoint_url = http://127.0.0.1:9\n",
      host: () => "https://sts.us-east-1.amazonaws.com:443",
    },
    {
      name: "the credentials file's endpoint_url over the config file's",
      config: () => "[profile work]\nendpoint_url = http://127.0.0.1:9\n",
      credentials: "endpoint_url = MOTO\r\n",
      host: local,
    },
    {
      name: "ignore_configured_endpoint_urls = True",
      config: () =>
        "[profile work]\nendpoint_url = http://127.0.0.1:9\nignore_configured_endpoint_urls = True\n",
      host: () => "https://sts.us-east-1.amazonaws.com:443",
    },
    {
      name: "services = nope (no such section)",
      config: () => "[profile work]\nservices = nope\n",
      host: () => "nothing sent",
    },
    {
      name: "use_fips_endpoint = true ; FIPS (not true)",
      config: () => "[profile work]\nuse_fips_endpoint = true ; FIPS\n",
      host: () => "https://sts.us-east-1.amazonaws.com:443",
    },
    {
      name: "USE_FIPS_ENDPOINT = True",
      config: () => "[profile work]\nUSE_FIPS_ENDPOINT = True\n",
      host: () => "https://sts-fips.us-east-1.amazonaws.com:443",
    },
  ]

  for (const c of cases)
    it(`${c.name}: the same host as the AWS CLI, or nothing sent`, { timeout: 120_000 }, async () => {
      const seen = await hosts(c.config, c.credentials)
      expect({ ours: seen.ours, theirs: seen.theirs }).toEqual({ ours: c.host(), theirs: c.host() })
      if (c.host() === "nothing sent") {
        expect(seen.code).toBe(1)
        expect(seen.stderr).toContain("was not sent")
      }
      // --debug says where a configured endpoint came from.
      if (c.host() === local())
        expect(seen.stderr).toMatch(
          c.credentials === undefined
            ? /\[work\] sts: endpoint \S+ from \S+config, line \d+/
            : /\[work\] sts: endpoint \S+ from \S+credentials, line 8/,
        )
    })
})

describe("the built SDK chunk reads no AWS file (issue 24)", () => {
  it("a client handed only a key and a region ignores ~/.aws/config's FIPS and endpoint settings, and opens neither file", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-sdk-"))
    const config = path.join(dir, "config")
    const credentials = path.join(dir, "credentials")
    fs.writeFileSync(config, "[default]\nuse_fips_endpoint = true\nendpoint_url = http://127.0.0.1:9\n")
    fs.writeFileSync(credentials, "[default]\nuse_dualstack_endpoint = true\n")
    const saved = { ...process.env }
    Object.assign(process.env, {
      AWS_CONFIG_FILE: config,
      AWS_SHARED_CREDENTIALS_FILE: credentials,
      AWS_PROFILE: "default",
    })
    for (const name of [
      "AWS_ENDPOINT_URL",
      "AWS_ENDPOINT_URL_STS",
      "AWS_USE_FIPS_ENDPOINT",
      "AWS_USE_DUALSTACK_ENDPOINT",
    ])
      delete process.env[name]
    const promises = createRequire(import.meta.url)("node:fs/promises") as typeof import("node:fs/promises")
    const reads = vi.spyOn(promises, "readFile")
    const opened = vi.spyOn(createRequire(import.meta.url)("node:fs") as typeof fs, "readFileSync")
    try {
      const sdk = createRequire(import.meta.url)(
        path.resolve(import.meta.dirname, "..", "..", "dist", "sdk", "sts.cjs"),
      )
      const sent: Array<string> = []
      const client = new sdk.STSClient({
        seen: {},
        region: "eu-west-1",
        maxAttempts: 1,
        credentials: { accessKeyId: "AKIAEXAMPLE000000000", secretAccessKey: "secret" },
        requestHandler: {
          handle: (request: { protocol: string; hostname: string }) => {
            sent.push(`${request.protocol}//${request.hostname}`)
            return Promise.reject(new Error("not sent"))
          },
        },
      })
      await expect(client.send(new sdk.GetCallerIdentityCommand({}))).rejects.toThrow("not sent")
      expect(sent).toEqual(["https://sts.eu-west-1.amazonaws.com"])
      const touched = [...reads.mock.calls, ...opened.mock.calls].map(([file]) => String(file))
      expect(touched.filter((file) => file.startsWith(dir))).toEqual([])
    } finally {
      reads.mockRestore()
      opened.mockRestore()
      process.env = saved
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe.runIf(available)(
  "a config file the AWS CLI refuses is refused, naming the line, before any call (issue 24.2)",
  () => {
    const latin1 = (text: string) => Buffer.from(text, "latin1")
    const files: ReadonlyArray<readonly [string, Buffer, number]> = [
      ["[profile work] twice", Buffer.from("[profile work]\nregion = us-east-1\n[profile work]\n"), 3],
      ["a byte order mark", Buffer.from("\ufeff[default]\nregion = us-east-1\n"), 1],
      ["a byte that is not UTF-8", latin1("[default]\n# caf\xe9\n"), 2],
      ["a nested line without =", Buffer.from("[profile work]\ns3 =\n  addressing_style\n"), 3],
    ]

    for (const [name, bytes, line] of files)
      it(`${name}: the AWS CLI fails, and init and status stop at line ${line} without calling AWS`, {
        timeout: 120_000,
      }, async () => {
        const user = await seedUser(moto, `refused${Math.random().toString(36).slice(2, 8)}`)
        const home = makeHome(user)
        fs.writeFileSync(home.config, bytes)
        const theirs = await aws(home, moto.endpoint, ["configure", "list", "--profile", "work"])
        expect(theirs.code).not.toBe(0)
        const calls = moto.requests.length
        for (const command of ["init", "status"]) {
          const ours = await aws_iam_login(home, moto.endpoint, ["work", command])
          expect(ours.code).toBe(1)
          expect(ours.stderr).toContain(`${home.config}: line ${line}:`)
        }
        expect(moto.requests.length).toBe(calls)
      })
  },
)

describe.runIf(available)("one region rule for calls, export and exec (issue 24.3)", () => {
  it("AWS_REGION over the profile's region: calls go there, status shows it, and exec and export hand both variables to the AWS CLI", {
    timeout: 120_000,
  }, async () => {
    const user = await seedUser(moto, "regina")
    const home = makeHome(user)
    fs.writeFileSync(home.config, "[profile work]\nregion = us-west-2\n")
    const env = { AWS_REGION: "eu-west-1", AWS_DEFAULT_REGION: "", AWS_PROFILE: "work" }
    expect((await aws_iam_login(home, moto.endpoint, ["work", "init"], { env })).code).toBe(0)
    const login = await aws_iam_login(home, moto.endpoint, ["work", "-t", "123456", "--debug"], { env })
    expect(login.code).toBe(0)
    expect(login.stderr).toMatch(/aws sts:GetSessionToken \S+ region=eu-west-1 /)
    const status = await aws_iam_login(home, moto.endpoint, ["work", "status", "--json"], { env })
    expect(JSON.parse(status.stdout).region).toBe("eu-west-1")
    const exported = await aws_iam_login(home, moto.endpoint, ["work", "export", "--format", "env"], { env })
    expect(exported.stdout.trimEnd().split("\n").slice(-4)).toEqual([
      "export AWS_REGION=eu-west-1",
      "export AWS_DEFAULT_REGION=eu-west-1",
      "unset AWS_PROFILE",
      "unset AWS_DEFAULT_PROFILE",
    ])
    // AWS CLI v1 reads only AWS_DEFAULT_REGION, and AWS_PROFILE would make it use [work]'s key.
    const listed = await aws_iam_login(
      home,
      moto.endpoint,
      ["exec", "work", "--", "aws", "configure", "list"],
      { env },
    )
    expect(listed.code).toBe(0)
    expect(listed.stdout).toMatch(/region\s+eu-west-1\s+env/)
    expect(listed.stdout).toMatch(/access_key\s+\*+\w{4}\s+env/)
  })
})
