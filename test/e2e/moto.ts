import { type ChildProcess, execFile, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as http from "node:http"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { promisify } from "node:util"
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  CreateVirtualMFADeviceCommand,
  EnableMFADeviceCommand,
  GetAccessKeyLastUsedCommand,
  IAMClient,
  ListAccessKeysCommand,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam"

/**
 * moto_server (a real AWS emulator) on 127.0.0.1 for the built CLI, behind a recording proxy that
 * notes which access key signed each request: moto accepts Inactive keys where AWS refuses them,
 * so the proof that a deactivated key never signs again comes from this log.
 */

export const which = (command: string) =>
  (process.env.PATH ?? "").split(path.delimiter).some((dir) => fs.existsSync(path.join(dir, command)))

/** Outside CI a machine without moto or the AWS CLI skips these suites; under CI that is a failure. */
export const available = (() => {
  const missing = ["moto_server", "aws"].filter((c) => !which(c))
  if (missing.length === 0) return true
  const message = `${missing.join(" and ")} not found: install moto[server] and awscli (pip install 'moto[server]' awscli) to run the end-to-end tests`
  if (process.env.CI) throw new Error(message)
  console.warn(`Skipping the end-to-end tests: ${message}`)
  return false
})()

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })

export interface Signed {
  readonly action: string
  readonly accessKeyId: string
}

/**
 * What the proxy does to a chosen request: `hold` it before moto sees it (until released; dropped,
 * never forwarded, if the client gives up first); forward it and withhold the answer (`hang`);
 * forward it and answer 500 (`fail`); forward it and then drop the connection (`drop`).
 */
export type Fault = "hold" | "hang" | "fail" | "drop"

export interface Injected {
  /** Resolves when the request arrived (`hold`) or once moto has applied it (the others). */
  readonly reached: Promise<void>
  /** Sends a held request on to moto. */
  readonly release: () => void
}

export interface FaultProxy {
  /** Give it to the CLI as AWS_ENDPOINT_URL. */
  readonly endpoint: string
  /** Every request that reached the proxy, in order, with the key that signed it. */
  readonly requests: Array<Signed>
  /** The `nth` request (counted from now) for one of `actions` meets `fault`. */
  readonly inject: (actions: string | ReadonlyArray<string>, fault: Fault, nth?: number) => Injected
  /** Until the returned function is called, every `action` signed with `accessKeyId` is refused with Throttling, as AWS does under load. */
  readonly throttle: (action: string, accessKeyId: string) => () => void
  /** From now on AWS's times in every answer (its Date header, CreateDate, LastUsedDate) are `seconds` off the machine's clock. */
  readonly skew: (seconds: number) => void
  readonly stop: () => Promise<void>
}

export interface Moto {
  /** The first proxy's URL: give it to the CLI as AWS_ENDPOINT_URL. */
  readonly endpoint: string
  /** moto itself, without the recording proxy: for timing. */
  readonly direct: string
  readonly requests: Array<Signed>
  /** Another recording proxy in front of the same moto, with faults of its own. */
  readonly proxy: () => Promise<FaultProxy>
  /** Turns on moto's signature and policy checks. */
  readonly enableAuth: () => Promise<void>
  readonly admin: IAMClient
  readonly stop: () => Promise<void>
}

const awsError = (status: number, type: string, code: string, message: string) => ({
  status,
  body: `<ErrorResponse><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>proxy</RequestId></ErrorResponse>`,
})

const refusedKey = awsError(
  403,
  "Sender",
  "InvalidClientTokenId",
  "The security token included in the request is invalid.",
)
const throttling = awsError(400, "Sender", "Throttling", "Rate exceeded")
const internalError = awsError(
  500,
  "Receiver",
  "InternalFailure",
  "The proxy failed this request on purpose.",
)

/** `body` and `headers` with every time AWS states moved by `seconds`. */
const shifted = (body: string, headers: http.IncomingHttpHeaders, seconds: number) => {
  const move = (time: string) => new Date(Date.parse(time) + seconds * 1000)
  const text = body.replace(
    /<(CreateDate|LastUsedDate)>([^<]+)<\/\1>/g,
    (_, tag: string, time: string) => `<${tag}>${move(time).toISOString()}</${tag}>`,
  )
  const { "transfer-encoding": _chunked, ...rest } = headers
  return {
    text,
    headers: {
      ...rest,
      "content-length": String(Buffer.byteLength(text)),
      ...(headers.date === undefined ? {} : { date: move(headers.date).toUTCString() }),
    },
  }
}

/** Whether moto lists `accessKeyId` as Inactive: it accepts such keys, AWS refuses them. */
const inactiveIn = (admin: () => IAMClient) => {
  // Which user a key belongs to never changes, so that is cached; its status is asked every time.
  const owners = new Map<string, string>()
  return async (accessKeyId: string) => {
    let owner = owners.get(accessKeyId)
    if (owner === undefined) {
      const used = await admin()
        .send(new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId }))
        .catch(() => undefined)
      if (used?.UserName === undefined) return false
      owner = used.UserName
      owners.set(accessKeyId, owner)
    }
    const keys = await admin()
      .send(new ListAccessKeysCommand({ UserName: owner }))
      .catch(() => undefined)
    return (
      keys?.AccessKeyMetadata?.some((k) => k.AccessKeyId === accessKeyId && k.Status === "Inactive") ?? false
    )
  }
}

interface Rule {
  readonly actions: ReadonlyArray<string>
  readonly fault: Fault
  left: number
  readonly reached: () => void
  readonly released: Promise<void>
}

const startProxy = async (
  upstream: string,
  admin: () => IAMClient,
  adminKeys: Set<string>,
): Promise<FaultProxy> => {
  const requests: Array<Signed> = []
  const rules: Array<Rule> = []
  const throttled: Array<Signed> = []
  let skew = 0
  const inactive = inactiveIn(admin)
  const answer = (res: http.ServerResponse, { status, body }: { status: number; body: string }) =>
    res.writeHead(status, { "Content-Type": "text/xml" }).end(body)
  const server = http.createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", async () => {
      const body = Buffer.concat(chunks)
      const accessKeyId = /Credential=([A-Z0-9]+)\//.exec(req.headers.authorization ?? "")?.[1] ?? ""
      const action = new URLSearchParams(body.toString()).get("Action") ?? ""
      requests.push({ action, accessKeyId })
      if (throttled.some((t) => t.action === action && t.accessKeyId === accessKeyId))
        return answer(res, throttling)
      const due = rules.filter((r) => r.actions.includes(action) && --r.left === 0)
      for (const r of due) rules.splice(rules.indexOf(r), 1)
      const rule = due[0]
      let gone = false
      res.on("close", () => {
        gone = true
      })
      if (rule?.fault === "hold") {
        rule.reached()
        await rule.released
        if (gone) return
      }
      if (!adminKeys.has(accessKeyId) && (await inactive(accessKeyId))) return answer(res, refusedKey)
      const forward = http.request(
        `${upstream}${req.url}`,
        { method: req.method, headers: req.headers },
        (reply) => {
          if ((rule === undefined || rule.fault === "hold") && skew !== 0) {
            const chunks: Array<Buffer> = []
            reply.on("data", (c: Buffer) => chunks.push(c))
            reply.on("end", () => {
              const { text, headers } = shifted(Buffer.concat(chunks).toString(), reply.headers, skew)
              res.writeHead(reply.statusCode ?? 502, headers).end(text)
            })
            return
          }
          if (rule === undefined || rule.fault === "hold") {
            res.writeHead(reply.statusCode ?? 502, reply.headers)
            reply.pipe(res)
            return
          }
          reply.resume()
          reply.on("end", () => {
            rule.reached()
            if (rule.fault === "fail") answer(res, internalError)
            if (rule.fault === "drop") req.socket.destroy()
            // "hang": the answer is never sent
          })
        },
      )
      forward.on("error", () => res.writeHead(502).end())
      forward.end(body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    endpoint: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    requests,
    inject: (actions, fault, nth = 1) => {
      let reached = () => {}
      let release = () => {}
      const rule: Rule = {
        actions: typeof actions === "string" ? [actions] : actions,
        fault,
        left: nth,
        reached: () => reached(),
        released: new Promise<void>((resolve) => {
          release = resolve
        }),
      }
      const arrived = new Promise<void>((resolve) => {
        reached = resolve
      })
      rules.push(rule)
      return { reached: arrived, release: () => release() }
    },
    throttle: (action, accessKeyId) => {
      const rule = { action, accessKeyId }
      throttled.push(rule)
      return () => void throttled.splice(throttled.indexOf(rule), 1)
    },
    skew: (seconds) => {
      skew = seconds
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

export const startMoto = async (): Promise<Moto> => {
  const port = await freePort()
  const server: ChildProcess = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port)], {
    stdio: "ignore",
    detached: true,
  })
  const upstream = `http://127.0.0.1:${port}`
  for (let i = 0; ; i++) {
    const up = await fetch(`${upstream}/moto-api/`).then(
      () => true,
      () => false,
    )
    if (up) break
    if (i > 150) throw new Error("moto_server did not start within 15 s")
    await new Promise((r) => setTimeout(r, 100))
  }
  const adminCredentials = { accessKeyId: "AKIAADMIN0000000000", secretAccessKey: "admin" }
  const adminKeys = new Set([adminCredentials.accessKeyId])
  let admin = new IAMClient({ endpoint: upstream, region: "us-east-1", credentials: adminCredentials })
  const proxies: Array<FaultProxy> = []
  const proxy = async () => {
    const started = await startProxy(upstream, () => admin, adminKeys)
    proxies.push(started)
    return started
  }
  const first = await proxy()
  return {
    endpoint: first.endpoint,
    direct: upstream,
    requests: first.requests,
    proxy,
    get admin() {
      return admin
    },
    enableAuth: async () => {
      await admin.send(new CreateUserCommand({ UserName: "moto-admin" }))
      await admin.send(
        new PutUserPolicyCommand({
          UserName: "moto-admin",
          PolicyName: "all",
          PolicyDocument: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
          }),
        }),
      )
      const key = (await admin.send(new CreateAccessKeyCommand({ UserName: "moto-admin" }))).AccessKey!
      adminKeys.add(key.AccessKeyId!)
      admin = new IAMClient({
        endpoint: upstream,
        region: "us-east-1",
        credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! },
      })
      await fetch(`${upstream}/moto-api/reset-auth`, {
        method: "POST",
        body: "0",
        headers: { "Content-Type": "text/plain" },
      })
    },
    stop: async () => {
      await Promise.all(proxies.map((p) => p.stop()))
      if (server.pid !== undefined) process.kill(-server.pid, "SIGTERM")
    },
  }
}

/** The seed README's policy: what aws-iam-login needs, and no more. */
export const seedPolicy = (deny: ReadonlyArray<string> = []) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Action: ["sts:GetSessionToken", "sts:GetCallerIdentity"], Resource: "*" },
      {
        Effect: "Allow",
        Action: [
          "iam:ListAccessKeys",
          "iam:CreateAccessKey",
          "iam:UpdateAccessKey",
          "iam:DeleteAccessKey",
          "iam:ListMFADevices",
        ],
        Resource: "*",
      },
      ...(deny.length > 0 ? [{ Effect: "Deny", Action: deny, Resource: "*" }] : []),
    ],
  })

export interface SeededUser {
  readonly userName: string
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly serials: ReadonlyArray<string>
}

/** An IAM user with a path, MFA devices named unlike the user, one access key and the seed's policy. */
export const seedUser = async (
  moto: Moto,
  userName: string,
  options: { path?: string; devices?: ReadonlyArray<string>; deny?: ReadonlyArray<string> } = {},
): Promise<SeededUser> => {
  const iam = moto.admin
  await iam.send(new CreateUserCommand({ UserName: userName, Path: options.path ?? "/" }))
  const serials: Array<string> = []
  for (const name of options.devices ?? [`${userName}-phone`]) {
    const device = await iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: name }))
    const serial = device.VirtualMFADevice!.SerialNumber!
    await iam.send(
      new EnableMFADeviceCommand({
        UserName: userName,
        SerialNumber: serial,
        AuthenticationCode1: "123456",
        AuthenticationCode2: "654321",
      }),
    )
    serials.push(serial)
  }
  await iam.send(
    new PutUserPolicyCommand({
      UserName: userName,
      PolicyName: "aws-iam-login",
      PolicyDocument: seedPolicy(options.deny),
    }),
  )
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: userName }))).AccessKey!
  return { userName, accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey!, serials }
}

const run = promisify(execFile)
const bin = path.resolve(import.meta.dirname, "..", "..", "dist", "bin.js")

export interface Home {
  readonly dir: string
  readonly credentials: string
  readonly config: string
  readonly read: () => string
  readonly write: (text: string) => void
}

/** A fresh HOME (or `dir`) with a messy, hand-kept credentials file around `[profile]`. */
export const makeHome = (
  user: SeededUser,
  profile = "work",
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-e2e-")),
): Home => {
  fs.mkdirSync(path.join(dir, ".aws"), { mode: 0o700, recursive: true })
  const credentials = path.join(dir, ".aws", "credentials")
  const config = path.join(dir, ".aws", "config")
  fs.writeFileSync(
    credentials,
    [
      "# AWS keys — kept by hand\r",
      "[default]\r",
      "aws_access_key_id = AKIADEFAULTKEY000000\r",
      "aws_secret_access_key = default/secret\r",
      "\r",
      "; my IAM user, copied from the console\r",
      `[${profile}]\r`,
      `aws_access_key_id=${user.accessKeyId}\r`,
      `aws_secret_access_key=${user.secretAccessKey}\r`,
      "region   =   us-east-1\r",
      "\r",
      "[other-tool]\r",
      "token = abc=def==\r",
      "  # indented comment",
    ].join("\n"),
    { mode: 0o600 },
  )
  fs.writeFileSync(config, "[default]\nregion = us-east-1\n")
  return {
    dir,
    credentials,
    config,
    read: () => fs.readFileSync(credentials, "utf8"),
    write: (text) => fs.writeFileSync(credentials, text, { mode: 0o600 }),
  }
}

/** A seeded user (one MFA device, `<name>-phone`) with a messy home whose `[work]` `init` filled in. */
export const initialisedHome = async (moto: Moto, name: string) => {
  const user = await seedUser(moto, name, { devices: [`${name}-phone`] })
  const home = makeHome(user)
  const init = await aws_iam_login(home, moto.endpoint, ["work", "init"])
  if (init.code !== 0) throw new Error(`init failed: ${init.stderr}`)
  return { user, home }
}

/** `lines` (CRLF-ended, as the file is) added at the end of `[work]` of a home from `makeHome`. */
export const addToWork = (home: Home, lines: string) =>
  home.write(home.read().replace("[other-tool]", `${lines}\r\n[other-tool]`))

/** The key in `[profile]` of a credentials file's text. */
export const keyOf = (text: string, profile: string) => {
  const section = text.split(`[${profile}]`)[1] ?? ""
  return {
    id: /aws_access_key_id\s*=\s*(\S+)/.exec(section)?.[1] ?? "",
    secret: /aws_secret_access_key\s*=\s*(\S+)/.exec(section)?.[1] ?? "",
  }
}

export interface Result {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/**
 * Runs the built CLI (or `command`, an installed one) as a user would: its own HOME, files and
 * endpoint, nothing inherited from AWS_*.
 */
export const aws_iam_login = async (
  home: Home,
  endpoint: string,
  args: ReadonlyArray<string>,
  options: { input?: string; env?: Record<string, string>; command?: string } = {},
): Promise<Result> =>
  options.command === undefined
    ? runIn(home, endpoint, process.execPath, [bin, ...args], options)
    : runIn(home, endpoint, options.command, args, options)

/** The real AWS CLI with the same files and endpoint. */
export const aws = (
  home: Home,
  endpoint: string,
  args: ReadonlyArray<string>,
  env?: Record<string, string>,
) => runIn(home, endpoint, "aws", [...args, "--output", "json"], env === undefined ? {} : { env })

/** The environment the built CLI and `aws` run in: their own HOME, files and endpoint, nothing inherited from AWS_*. */
export const environment = (home: Home, endpoint: string, extra: Record<string, string> = {}) => ({
  PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}`,
  HOME: home.dir,
  AWS_SHARED_CREDENTIALS_FILE: home.credentials,
  AWS_CONFIG_FILE: home.config,
  AWS_ENDPOINT_URL: endpoint,
  AWS_REGION: "us-east-1",
  AWS_DEFAULT_REGION: "us-east-1",
  ...extra,
})

const runIn = async (
  home: Home,
  endpoint: string,
  command: string,
  args: ReadonlyArray<string>,
  options: { input?: string; env?: Record<string, string> },
): Promise<Result> => {
  const child = run(command, [...args], { env: environment(home, endpoint, options.env), timeout: 60_000 })
  child.child.stdin?.end(options.input ?? "")
  return child.then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: typeof error.code === "number" ? error.code : -1,
      stdout: error.stdout ?? "",
      stderr: error.stderr ?? "",
    }),
  )
}

export interface Ended extends Result {
  /** The signal that killed the process, if one did (a handled signal ends it with a code instead). */
  readonly signal: NodeJS.Signals | null
  /** When it ended (performance.now()). */
  readonly at: number
}

export interface Running {
  readonly child: ChildProcess
  readonly ended: Promise<Ended>
}

/**
 * Starts the built CLI as `aws_iam_login` does, for a test that signals it while it runs; `group`:
 * in a process group of its own, as a shell runs a command in the foreground, so that
 * `process.kill(-pid)` signals it and all it started, as the terminal's Ctrl-C does.
 */
export const launch = (
  home: Home,
  endpoint: string,
  args: ReadonlyArray<string>,
  options: { env?: Record<string, string>; group?: boolean } = {},
): Running => {
  const child = spawn(process.execPath, [bin, ...args], {
    env: environment(home, endpoint, options.env),
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.group === true,
  })
  let stdout = ""
  let stderr = ""
  child.stdout?.on("data", (c: Buffer) => {
    stdout += c.toString()
  })
  child.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString()
  })
  const ended = new Promise<Ended>((resolve) =>
    child.on("close", (code, signal) =>
      resolve({ code: code ?? -1, signal, stdout, stderr, at: performance.now() }),
    ),
  )
  return { child, ended }
}

export { bin }
