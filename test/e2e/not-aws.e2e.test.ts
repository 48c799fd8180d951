import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { addToWork, aws_iam_login, makeHome } from "./moto.js"

/** A web server where AWS should be: every request gets `status` and `body` as `contentType`. */
const server = (status: number, contentType: string | undefined, body: string) => {
  const s = http.createServer((request, response) => {
    request.resume()
    response.writeHead(status, contentType === undefined ? {} : { "Content-Type": contentType }).end(body)
  })
  return new Promise<{ endpoint: string; stop: () => Promise<void> }>((resolve) =>
    s.listen(0, "127.0.0.1", () =>
      resolve({
        endpoint: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
        stop: () => new Promise((done) => s.close(() => done())),
      }),
    ),
  )
}

const user = {
  userName: "web",
  accessKeyId: "AKIAIOSFODNN7EXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  serials: [],
}

describe("an endpoint that is not AWS, the built CLI", () => {
  const servers: Array<{ stop: () => Promise<void> }> = []
  const start = async (...args: Parameters<typeof server>) => {
    const started = await server(...args)
    servers.push(started)
    return started.endpoint
  }
  let notFound: string
  beforeAll(async () => {
    notFound = await start(404, "text/html; charset=utf-8", "<!DOCTYPE html><html><h1>Not Found</h1></html>")
  })
  afterAll(() => Promise.all(servers.map((s) => s.stop())))

  it("names the endpoint, its 404 and the HTML page, and leaves the credentials file as it was", async () => {
    const home = makeHome(user)
    addToWork(home, "mfa_serial = arn:aws:iam::123456789012:mfa/web\r\nusername = web\r")
    const before = home.read()
    const login = await aws_iam_login(home, notFound, ["work", "--token", "123456"])
    expect(login.code).toBe(1)
    expect(login.stderr).toContain(
      `${notFound} answered sts:GetSessionToken with 404 and an HTML page, not AWS: check the endpoint URL set in AWS_ENDPOINT_URL.`,
    )
    expect(login.stderr).not.toMatch(/NotFound|Unknown|parse/)
    expect(home.read()).toBe(before)
  }, 60_000)

  it.each([
    [200, "text/html", "<html><body>Sign in to the Wi-Fi</body></html>", "200 and an HTML page"],
    [404, undefined, "not found", "404 and an answer without a content type"],
    [502, "text/plain", "Bad Gateway", "502 and a text/plain answer"],
  ])(
    "says what answered %i (%s) instead of AWS",
    async (status, contentType, body, said) => {
      const endpoint = await start(status, contentType, body)
      const home = makeHome(user)
      const before = home.read()
      const init = await aws_iam_login(home, endpoint, ["work", "init"])
      expect(init.code).toBe(1)
      expect(init.stderr).toContain(`${endpoint} answered sts:GetCallerIdentity with ${said}, not AWS`)
      expect(home.read()).toBe(before)
    },
    60_000,
  )
})
