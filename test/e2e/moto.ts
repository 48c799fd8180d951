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
  IAMClient,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam"

/**
 * moto_server (a real AWS emulator) on 127.0.0.1 for the built CLI, behind a recording proxy that
 * notes which access key signed each request: moto accepts Inactive keys where AWS refuses them,
 * so the proof that a deactivated key never signs again comes from this log.
 */

const which = (command: string) =>
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

export interface Moto {
  /** The proxy's URL: give it to the CLI as AWS_ENDPOINT_URL. */
  readonly endpoint: string
  /** moto itself, without the recording proxy: for timing. */
  readonly direct: string
  readonly requests: Array<Signed>
  /** Turns on moto's signature and policy checks. */
  readonly enableAuth: () => Promise<void>
  readonly admin: IAMClient
  readonly stop: () => Promise<void>
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
  const requests: Array<Signed> = []
  const proxy = http.createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      const body = Buffer.concat(chunks)
      const accessKeyId = /Credential=([A-Z0-9]+)\//.exec(req.headers.authorization ?? "")?.[1] ?? ""
      const action = new URLSearchParams(body.toString()).get("Action") ?? ""
      requests.push({ action, accessKeyId })
      const forward = http.request(
        `${upstream}${req.url}`,
        { method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(res)
        },
      )
      forward.on("error", () => res.writeHead(502).end())
      forward.end(body)
    })
  })
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve))
  const endpoint = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`
  const adminCredentials = { accessKeyId: "AKIAADMIN0000000000", secretAccessKey: "admin" }
  let admin = new IAMClient({ endpoint: upstream, region: "us-east-1", credentials: adminCredentials })
  return {
    endpoint,
    direct: upstream,
    requests,
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
      await new Promise<void>((resolve) => proxy.close(() => resolve()))
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
}

/** A fresh HOME with a messy, hand-kept credentials file around `[profile]`. */
export const makeHome = (user: SeededUser, profile = "work"): Home => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-e2e-"))
  fs.mkdirSync(path.join(dir, ".aws"), { mode: 0o700 })
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
  return { dir, credentials, config, read: () => fs.readFileSync(credentials, "utf8") }
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
export const aws = (home: Home, endpoint: string, args: ReadonlyArray<string>) =>
  runIn(home, endpoint, "aws", [...args, "--output", "json"], {})

const runIn = async (
  home: Home,
  endpoint: string,
  command: string,
  args: ReadonlyArray<string>,
  options: { input?: string; env?: Record<string, string> },
): Promise<Result> => {
  const env = {
    PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}`,
    HOME: home.dir,
    AWS_SHARED_CREDENTIALS_FILE: home.credentials,
    AWS_CONFIG_FILE: home.config,
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: "us-east-1",
    AWS_DEFAULT_REGION: "us-east-1",
    ...options.env,
  }
  const child = run(command, [...args], { env, timeout: 60_000 })
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

export { bin }
