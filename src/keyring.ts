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

/**
 * Why the library could not load its native part: "missing" when no place it looked had one, else
 * "fails" with the system's words for the first one that was there and did not load.
 */
const bindingFailure = (error: Error) => {
  for (let cause: unknown = error.cause; cause instanceof Error; cause = cause.cause)
    if (!cause.message.startsWith("Cannot find module"))
      return { ok: false, binding: "fails", error: cause.message.split("\n", 1)[0] }
  return { ok: false, binding: "missing", error: error.message }
}

const serve = async (request: Request): Promise<object> => {
  // Loaded here, so that a native part that is missing or does not load is an answer, not a crash.
  const library = await import("@napi-rs/keyring").then(
    (module) => ({ module }),
    (error: Error) => ({ failed: bindingFailure(error) }),
  )
  if ("failed" in library) return library.failed
  // On Linux the Secret Service, named: left to itself the library falls back to the kernel keyring,
  // which is lost at reboot. The option is Linux's only: on macOS the library always uses the login
  // keychain, on Windows the Credential Manager, with no other store built in to fall back to.
  const entry = new library.module.Entry(storeService, request.account, {
    linux: { store: "secret-service" },
  })
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
