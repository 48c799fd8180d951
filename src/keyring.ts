// The one place that loads @napi-rs/keyring, built as dist/keyring.cjs and run as a child process by
// the KeyStore layer: the main bundle never loads the native module, and a store that hangs is ended
// by killing this process. One request as JSON on stdin, one answer as JSON on stdout; the secret
// never goes on the command line or in the environment.
import { storeService } from "./schema/StoreService.js"

interface Request {
  readonly op: "write" | "read" | "remove"
  readonly account: string
  readonly secret?: string
}

const answer = (value: object) => process.stdout.write(`${JSON.stringify(value)}\n`)

const serve = async (request: Request): Promise<object> => {
  // Loaded here, so that a native part that is missing or does not load is an answer, not a crash.
  const { Entry } = await import("@napi-rs/keyring")
  // On Linux the Secret Service, named: left to itself the library falls back to the kernel keyring,
  // which is lost at reboot. The option is Linux's only: on macOS the library always uses the login
  // keychain, on Windows the Credential Manager, with no other store built in to fall back to.
  const entry = new Entry(storeService, request.account, { linux: { store: "secret-service" } })
  switch (request.op) {
    case "write":
      entry.setPassword(request.secret ?? "")
      return { ok: true }
    case "read":
      return { ok: true, secret: entry.getPassword() ?? null }
    case "remove":
      return { ok: true, removed: entry.deleteCredential() }
  }
}

const chunks: Array<Buffer> = []
process.stdin.on("data", (chunk: Buffer) => chunks.push(chunk))
process.stdin.on("end", () => {
  Promise.resolve()
    .then(() => serve(JSON.parse(Buffer.concat(chunks).toString("utf8")) as Request))
    .then(answer, (error: unknown) =>
      answer({ ok: false, error: error instanceof Error ? error.message : String(error) }),
    )
})
