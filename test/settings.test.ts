import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Either, Redacted, Schema } from "effect"
import fc from "fast-check"
import { clientConfig } from "../src/layers/Aws.js"
import { IAMClient, ListMFADevicesCommand } from "../src/layers/sdk/iam.js"
import { GetCallerIdentityCommand, STSClient } from "../src/layers/sdk/sts.js"
import { type AccessKeyId, LongTermProfile, longTermKey } from "../src/schema/Credentials.js"
import { read } from "../src/schema/Ini.js"
import { type CallSettings, callSettings, profileRegion, type Service } from "../src/schema/Settings.js"
import { available, type Destination, type SettingsOracle, startSettingsOracle } from "./support/botocore.js"

/** Where the SDK, handed `settings`, sends a call: scheme, host and port, or the error it stops with. */
const destination = async (settings: CallSettings, service: Service, region: string): Promise<string> => {
  const signer = {
    credentials: {
      accessKeyId: "AKIAEXAMPLE000000000" as AccessKeyId,
      secretAccessKey: Redacted.make("secret"),
    },
    region,
  }
  const sent: Array<string> = []
  const config = {
    ...clientConfig(settings, service, signer, 30, "once", {}),
    requestHandler: {
      handle: (request: { protocol: string; hostname: string; port?: number }) => {
        const port = request.port ?? (request.protocol === "https:" ? 443 : 80)
        sent.push(`${request.protocol.replace(":", "")}://${request.hostname}:${port}`)
        return Promise.reject(new Error("stopped before sending"))
      },
    },
  }
  const call =
    service === "sts"
      ? new STSClient(config).send(new GetCallerIdentityCommand({}))
      : new IAMClient(config).send(new ListMFADevicesCommand({}))
  return call.then(
    () => "sent without a request",
    (error: Error) => sent[0] ?? `error: ${error.message}`,
  )
}

/** What botocore did, in the shape compared. */
const theirs = (d: Destination) => ("error" in d ? "refused" : d.origin)

const url = (port: number) => `http://127.0.0.1:${port}`

describe.runIf(available)("endpoint and SDK settings agree with botocore (issue 24)", () => {
  let oracle: SettingsOracle
  let dir: string
  let n = 0
  beforeAll(() => {
    oracle = startSettingsOracle()
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-settings-"))
  })
  afterAll(() => {
    oracle?.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  /** The files written, botocore asked, and each service's destination compared with ours. */
  const agree = async (
    credentials: string,
    config: string,
    env: Record<string, string>,
    region: string,
    profile = "work",
  ) => {
    const files = { credentials: path.join(dir, `c${n}`), config: path.join(dir, `k${n++}`) }
    fs.writeFileSync(files.credentials, credentials)
    fs.writeFileSync(files.config, config)
    const answer = await oracle.resolve({
      env: { ...env, AWS_SHARED_CREDENTIALS_FILE: files.credentials, AWS_CONFIG_FILE: files.config },
      profile,
      region,
    })
    const c = read(credentials)
    const k = read(config)
    if (Either.isLeft(c) || Either.isLeft(k)) {
      // The tool refuses a file botocore refuses (issue 24.2); nothing is compared beyond that.
      expect(theirs(answer.sts)).toBe("refused")
      return
    }
    const all = callSettings(
      env,
      { path: files.credentials, sections: c.right },
      { path: files.config, sections: k.right },
      profile,
    )
    for (const service of ["sts", "iam"] as const) {
      const them = answer[service]
      const settings = all[service]
      if (Either.isLeft(settings)) {
        expect({ service, ours: "refused", where: settings.left.where }).toMatchObject({
          service,
          ours: theirs(them),
        })
        continue
      }
      const ours = await destination(settings.right, service, region)
      expect({ service, ours: ours.startsWith("error") ? "refused" : ours }).toEqual({
        service,
        ours: theirs(them),
      })
      if (!("error" in them)) {
        expect({ service, mode: settings.right.retryMode, attempts: settings.right.maxAttempts }).toEqual({
          service,
          mode: them.retries.mode,
          attempts: them.retries.total_max_attempts,
        })
      }
    }
  }

  const key = "aws_access_key_id = AKIAEXAMPLE000000000\naws_secret_access_key = secret\n"

  it("the issue's table: comments, key spelling, profile headers, precedence, ignoring, services, booleans", {
    timeout: 120_000,
  }, async () => {
    const table: ReadonlyArray<readonly [string, string]> = [
      ["", `[profile work]\nendpoint_url = ${url(5000)} ; note\n`],
      ["", `[profile work]\nENDPOINT_URL = ${url(5000)}\n`],
      ["", `[profile work]\nendpoint_url: ${url(5000)}\n`],
      ["", `[profile  work]\nendpoint_url = ${url(5000)}\n`],
      ["", `[DEFAULT]\nendpoint_url = ${url(5000)}\n[profile work]\n`],
      ["", `[profile.work]\nendpoint_url = ${url(5000)}\n`],
      [`endpoint_url = ${url(5001)}\n`, `[profile work]\nendpoint_url = ${url(5002)}\n`],
      ["", `[profile work]\nendpoint_url = ${url(5000)}\nignore_configured_endpoint_urls = True\n`],
      ["", "[profile work]\nservices = nope\n"],
      ["", "[profile work]\nuse_fips_endpoint = true ; FIPS\n"],
      ["", "[profile work]\nUSE_FIPS_ENDPOINT = True\n"],
      ["", `[default]\nendpoint_url = ${url(5000)}\nuse_fips_endpoint = true\n[profile work]\n`],
    ]
    for (const [credentials, config] of table)
      await agree(`[work]\n${key}${credentials}`, config, {}, "us-east-1")
  })

  const urlValue = fc.constantFrom(
    url(5001),
    `${url(5002)}/base`,
    `${url(5003)} ; note`,
    "ftp://x",
    "",
    "http://",
    "HTTP://LOCALHOST:5004",
  )
  const line = fc.oneof(
    urlValue.map((u) => `endpoint_url = ${u}`),
    urlValue.map((u) => `ENDPOINT_URL: ${u}`),
    fc
      .constantFrom("True", "true", "false", "yes", "true ; x")
      .map((v) => `ignore_configured_endpoint_urls = ${v}`),
    fc
      .constantFrom("true", "True", "TRUE", "true ; FIPS", "1", "false")
      .map((v) => `use_fips_endpoint = ${v}`),
    fc.constantFrom("true", "false", "True").map((v) => `use_dualstack_endpoint = ${v}`),
    fc.constantFrom("local", "nope", "empty", "flat", "").map((v) => `services = ${v}`),
    fc.constantFrom("1", "2", "0", "x", " 3 ", "1_0", "-1").map((v) => `max_attempts = ${v}`),
    fc.constantFrom("standard", "legacy", "adaptive", "Standard", "").map((v) => `retry_mode = ${v}`),
    fc.constantFrom("legacy", "regional", "Legacy", "").map((v) => `sts_regional_endpoints = ${v}`),
  )
  /** A section's lines, each key once (a repeated key is a refusal tested elsewhere). */
  const lines = fc
    .uniqueArray(line, { maxLength: 4, selector: (l) => l.split(/[=:]/)[0]!.trim().toLowerCase() })
    .map((ls) => ls.join("\n"))
  const header = fc.constantFrom(
    "[profile work]",
    "[profile  work]",
    '[profile "work"]',
    "[work]",
    "[profile.work]",
    "[default]",
    "[DEFAULT]",
  )
  const servicesSections = fc.constantFrom(
    "",
    `[services local]\nsts =\n  endpoint_url = ${url(5010)}\niam =\n  endpoint_url = ${url(5011)}\n`,
    `[services local]\nsts =\n  endpoint_url = ${url(5010)}\n`,
    `[services  local]\niam =\n  endpoint_url = ${url(5011)} ; note\n`,
    "[services empty]\n",
    "[services flat]\nsts = flat\n",
    `[services local]\nsts =\n  region = x\n`,
  )
  const config = fc
    .tuple(fc.array(fc.tuple(header, lines), { maxLength: 3 }), servicesSections)
    .map(([sections, services]) => {
      const seen = new Set<string>()
      const unique = sections.filter(([h]) => !seen.has(h) && seen.add(h))
      return `${unique.map(([h, ls]) => `${h}\n${ls}\n`).join("")}${services}`
    })
  const env = fc.record(
    {
      AWS_ENDPOINT_URL: fc.constantFrom(url(5020), ""),
      AWS_ENDPOINT_URL_STS: fc.constantFrom(url(5021), "", `${url(5022)} ; x`),
      AWS_ENDPOINT_URL_IAM: fc.constantFrom(url(5023), ""),
      AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: fc.constantFrom("true", "false", ""),
      AWS_USE_FIPS_ENDPOINT: fc.constantFrom("true", "false", ""),
      AWS_USE_DUALSTACK_ENDPOINT: fc.constantFrom("true", ""),
      AWS_MAX_ATTEMPTS: fc.constantFrom("4", ""),
      AWS_RETRY_MODE: fc.constantFrom("adaptive", "legacy", ""),
      AWS_STS_REGIONAL_ENDPOINTS: fc.constantFrom("legacy", "regional"),
    },
    { requiredKeys: [] },
  )
  const region = fc.constantFrom("us-east-1", "eu-west-1", "ap-southeast-3", "us-gov-west-1")
  const runs = Number(process.env.SETTINGS_RUNS ?? 60)

  it("property: for generated files and environments, each call goes where botocore sends it, with its retries, or nowhere", {
    timeout: 300_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(lines, config, env, region, async (credentials, config, env, region) => {
        await agree(`[work]\n${key}${credentials}\n`, config, env, region)
      }),
      { numRuns: runs },
    )
  })
})

describe.runIf(available)(
  "a session token beside a profile's key is sent as botocore sends it (issue 24.4)",
  () => {
    const key = "aws_access_key_id = AKIAEXAMPLE000000000\naws_secret_access_key = secret\n"
    const script =
      "import sys, botocore.session\nc = botocore.session.Session(profile='work').get_credentials()\nprint(repr(c.token))"
    const files: ReadonlyArray<string> = [
      key,
      `${key}aws_session_token = T1\n`,
      `${key}aws_security_token = T2\n`,
      `${key}aws_session_token = T1\naws_security_token = T2\n`,
      `${key}aws_security_token =\naws_session_token = T1\n`,
      `${key}aws_session_token =\n`,
    ]
    it("with aws_session_token, aws_security_token (read first), both, or empty ones", {
      timeout: 60_000,
    }, () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-token-"))
      try {
        for (const [i, text] of files.entries()) {
          const file = path.join(dir, `c${i}`)
          fs.writeFileSync(file, `[work]\n${text}`)
          const theirs = spawnSync("python3", ["-c", script], {
            encoding: "utf8",
            env: {
              PATH: process.env.PATH,
              HOME: dir,
              AWS_SHARED_CREDENTIALS_FILE: file,
              AWS_CONFIG_FILE: path.join(dir, "none"),
            },
          }).stdout.trim()
          const section = Either.getOrThrow(read(`[work]\n${text}`)).get("work")!
          const token = longTermKey(Schema.decodeUnknownSync(LongTermProfile)(section.values)).sessionToken
          // botocore signs with no token when its value is empty.
          const expected = theirs === "None" || theirs === "''" ? undefined : theirs.slice(1, -1)
          expect({ text, token: token === undefined ? undefined : Redacted.value(token) }).toEqual({
            text,
            token: expected,
          })
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true })
      }
    })
  },
)

describe.runIf(available)("the region is found as botocore finds it, AWS_REGION aside (issue 24.3)", () => {
  const script = `
import sys, json, os, botocore.session, botocore.utils
for line in sys.stdin:
    req = json.loads(line)
    os.environ.clear(); os.environ.update(req)
    try:
        region = botocore.session.Session(profile="work").get_config_variable("region")
        botocore.utils.validate_region_name(region)
        print(json.dumps({"region": region}), flush=True)
    except Exception as e:
        print(json.dumps({"error": type(e).__name__}), flush=True)
`
  const value = fc.constantFrom("eu-west-1", "us-west-2", "eu-west-1 ; main", "EU-WEST-1", "")
  const place = fc.constantFrom("[profile work]", "[default]", "[DEFAULT]", "[work]", "[profile  work]")
  it("property: for generated files and AWS_DEFAULT_REGION, the same region or the same refusal", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-region-"))
    const cases: Array<{ env: Record<string, string>; credentials: string; config: string }> = fc
      .sample(
        fc.record({
          // botocore counts an empty variable as set (no region); this tool, like AWS CLI v2 and the SDKs, as unset.
          env: fc.record({ AWS_DEFAULT_REGION: value.filter((v) => v !== "") }, { requiredKeys: [] }),
          credentials: fc.option(value, { nil: undefined }),
          config: fc.uniqueArray(fc.tuple(place, value), { maxLength: 3, selector: ([p]) => p }),
        }),
        { numRuns: 40, seed: 24 },
      )
      .map((c) => ({
        env: c.env as Record<string, string>,
        credentials: `[work]\naws_access_key_id = AKIAEXAMPLE000000000\n${c.credentials === undefined ? "" : `region = ${c.credentials}\n`}`,
        config: c.config.map(([p, v]) => `${p}\nregion = ${v}\n`).join(""),
      }))
    try {
      const requests = cases.map((c, i) => {
        const credentials = path.join(dir, `c${i}`)
        const config = path.join(dir, `k${i}`)
        fs.writeFileSync(credentials, c.credentials)
        fs.writeFileSync(config, c.config)
        return {
          PATH: process.env.PATH ?? "",
          ...c.env,
          AWS_SHARED_CREDENTIALS_FILE: credentials,
          AWS_CONFIG_FILE: config,
        }
      })
      const answers = spawnSync("python3", ["-c", script], {
        encoding: "utf8",
        input: requests.map((r) => JSON.stringify(r)).join("\n"),
      })
        .stdout.trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { region?: string | null; error?: string })
      cases.forEach((c, i) => {
        const found = profileRegion(
          c.env,
          { path: "credentials", sections: Either.getOrThrow(read(c.credentials)) },
          { path: "config", sections: Either.getOrThrow(read(c.config)) },
          "work",
        )
        const theirs = answers[i]!
        const ours = Either.match(found, {
          onLeft: () => "refused",
          onRight: (r) => r ?? null,
        })
        const expected =
          theirs.error !== undefined ? "refused" : theirs.region === "" ? null : (theirs.region ?? null)
        expect({ c, ours }).toEqual({ c, ours: expected })
      })
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
