import * as path from "node:path"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { KeyStoreFailed } from "../schema/KeyStore.js"
import { KeyStore } from "../services/KeyStore.js"
import { Platform } from "../services/Platform.js"
import { childProcess } from "./Platform.js"

/** A keyring prompt waits 25 s in gnome-keyring; a D-Bus service may never reply; a Keychain prompt waits for someone. */
const deadline = Duration.seconds(20)

interface Answer {
  readonly ok: boolean
  readonly error?: string
  readonly secret?: string | null
  readonly removed?: boolean
  /** The library's native part is missing, or there and failing to load. */
  readonly binding?: "missing" | "fails"
}

/**
 * One request to the keyring helper (dist/keyring.cjs, beside the main bundle), the secret on its
 * stdin; interrupting the call, or the deadline, kills it, and nothing else does (not the terminal's Ctrl-C).
 */
const ask = (action: string, request: object) =>
  Effect.flatMap(Effect.zip(childProcess, Platform), ([{ spawn }, { secretStore: store, ownGroup }]) =>
    Effect.async<Answer, KeyStoreFailed>((resume) => {
      const child = spawn(process.execPath, [path.join(__dirname, "keyring.cjs")], {
        stdio: ["pipe", "pipe", "ignore"],
        windowsHide: true,
        ...ownGroup,
      })
      const out: Array<Buffer> = []
      const failed = (detail: string) =>
        resume(Effect.fail(new KeyStoreFailed({ action, store, problem: "other", detail })))
      child.stdout.on("data", (chunk: Buffer) => out.push(chunk))
      child.on("error", (error) => failed(error.message))
      child.on("close", () => {
        const text = Buffer.concat(out).toString("utf8").trim()
        const answer = text.startsWith("{") ? (JSON.parse(text) as Answer) : undefined
        if (answer === undefined) return failed("its helper process ended without an answer")
        if (!answer.ok) {
          const detail = answer.error ?? "unknown error"
          const problem =
            answer.binding === "missing"
              ? "no-binding"
              : answer.binding === "fails"
                ? "binding-fails"
                : store.problemOf(detail)
          return resume(Effect.fail(new KeyStoreFailed({ action, store, problem, detail })))
        }
        resume(Effect.succeed(answer))
      })
      child.stdin.on("error", () => undefined)
      child.stdin.end(JSON.stringify(request))
      return Effect.sync(() => child.kill("SIGKILL"))
    }).pipe(
      Effect.timeoutFail({
        duration: deadline,
        onTimeout: () => new KeyStoreFailed({ action, store, problem: "timeout", detail: "" }),
      }),
    ),
  )

/** The OS secret store through the keyring helper process. */
export const KeyStoreLive = Layer.succeed(
  KeyStore,
  KeyStore.of({
    write: (keyId, secret) =>
      Effect.asVoid(ask("write to", { op: "write", account: keyId, secret: Redacted.value(secret) })),
    read: (keyId) =>
      Effect.map(ask("read from", { op: "read", account: keyId }), (answer) =>
        Option.map(Option.fromNullable(answer.secret), Redacted.make),
      ),
    remove: (keyId) =>
      Effect.map(ask("remove from", { op: "remove", account: keyId }), (answer) => answer.removed === true),
  }),
)
