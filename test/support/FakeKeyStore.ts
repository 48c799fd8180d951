import { Effect, Layer, Option, Redacted } from "effect"
import { KeyStoreFailed, type StoreProblem } from "../../src/schema/KeyStore.js"
import { KeyStore } from "../../src/services/KeyStore.js"

export type StoreOp = "write" | "read" | "remove"

/** An in-memory OS secret store: items by key id, every call counted, and a fault plan. */
export const fakeKeyStore = () => {
  const items = new Map<string, string>()
  const calls: Array<StoreOp> = []
  /** Fail call number N (1-based, over all operations) with this problem. */
  const faults = new Map<number, StoreProblem>()
  /** Items written are read back otherwise (a store that mangles what it keeps). */
  let mangle = false
  const call = <A>(op: StoreOp, run: () => A) =>
    Effect.suspend(() => {
      calls.push(op)
      const problem = faults.get(calls.length)
      return problem === undefined
        ? Effect.sync(run)
        : Effect.fail(new KeyStoreFailed({ action: `${op} in`, problem, detail: "the fault plan" }))
    })
  const layer = Layer.succeed(
    KeyStore,
    KeyStore.of({
      write: (keyId, secret) =>
        call(
          "write",
          () => void items.set(keyId, mangle ? `${Redacted.value(secret)}x` : Redacted.value(secret)),
        ),
      read: (keyId) => call("read", () => Option.map(Option.fromNullable(items.get(keyId)), Redacted.make)),
      remove: (keyId) => call("remove", () => items.delete(keyId)),
    }),
  )
  return {
    items,
    calls,
    faults,
    layer,
    mangling: () => {
      mangle = true
    },
  }
}
