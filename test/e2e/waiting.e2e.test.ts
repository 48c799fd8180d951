import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { addToWork, aws_iam_login, makeHome } from "./moto.js"
import { installedBin, requireTools, Tmux } from "./terminal.js"

const ready = requireTools(["tmux"], "apt-get install tmux")

const user = {
  userName: "slow",
  accessKeyId: "AKIAIOSFODNN7EXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  serials: [],
}

describe.runIf(ready)("an endpoint that never answers, the built CLI", () => {
  // Takes every request and never answers it.
  const server = http.createServer((request) => request.resume())
  let endpoint: string
  let session: Tmux | undefined
  beforeAll(
    () =>
      new Promise<void>((resolve) =>
        server.listen(0, "127.0.0.1", () => {
          endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
          resolve()
        }),
      ),
  )
  afterAll(() => {
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  afterEach(() => {
    session?.stop()
    session = undefined
  })

  const home = () => {
    const made = makeHome(user)
    addToWork(made, "mfa_serial = arn:aws:iam::123456789012:mfa/slow\r\nusername = slow\r")
    return made
  }
  const shell = (h: ReturnType<typeof home>) =>
    new Tmux(
      ["bash", "--noprofile", "--norc", "-i"],
      {
        HOME: h.dir,
        TERM: "xterm",
        PS1: "$ ",
        PATH: `${installedBin()}:${process.env.PATH}`,
        AWS_SHARED_CREDENTIALS_FILE: h.credentials,
        AWS_CONFIG_FILE: h.config,
        AWS_ENDPOINT_URL: endpoint,
        AWS_REGION: "us-east-1",
      },
      h.dir,
    )

  it("says on the terminal what it waits for, and a Ctrl-C ends on a line of its own", async () => {
    const h = home()
    const before = h.read()
    session = shell(h)
    session.type("aws-iam-login work --token 123456; echo exit=$?", "Enter")
    await session.waitFor(
      new RegExp(
        `^Waiting for ${endpoint.replace(/\./g, "\\.")} to answer sts:GetSessionToken \\(up to 30 s\\)…$`,
        "m",
      ),
      30,
    )
    session.type("C-c")
    const screen = await session.waitFor(/exit=\d+/, 30)
    expect(screen).toMatch(
      /^\^C\naws-iam-login: interrupted by Ctrl-C\.\naws-iam-login: nothing was written; AWS may have used the MFA code: log in again with the next one\.\nexit=130$/m,
    )
    expect(h.read()).toBe(before)
  }, 90_000)

  it("a Ctrl-C at the code prompt ends with a new line and a sentence, not on the prompt's line", async () => {
    const h = home()
    session = shell(h)
    session.type("aws-iam-login work; echo exit=$?", "Enter")
    await session.waitFor(/MFA code for arn:aws:iam::123456789012:mfa\/slow:\s*$/m, 30)
    session.type("C-c")
    const screen = await session.waitFor(/exit=\d+/, 30)
    expect(screen).toMatch(/: \^C\naws-iam-login: interrupted by Ctrl-C\.\nexit=130$/m)
  }, 90_000)

  it("prints no waiting line when stderr is not a terminal", async () => {
    const h = home()
    const login = await aws_iam_login(h, endpoint, ["work", "--token", "123456"], {
      env: { AWS_IAM_LOGIN_TIMEOUT: "3" },
    })
    expect(login.code).toBe(1)
    expect(login.stderr).toContain(`did not answer sts:GetSessionToken at ${endpoint} within 3 s`)
    expect(login.stderr).not.toContain("Waiting for")
  }, 60_000)
})
