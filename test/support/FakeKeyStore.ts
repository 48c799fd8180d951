import { Effect, Layer, Option, Redacted } from "effect"
import { KeyStoreFailed, type StoreProblem } from "../../src/schema/KeyStore.js"
import { KeyStore } from "../../src/services/KeyStore.js"
import { Platform } from "../../src/services/Platform.js"

export type StoreOp = "write" | "read" | "remove"

/** An in-memory OS secret store: items by key id, every call counted, and a fault plan. */
export const fakeKeyStore = () => {
  const items = new Map<string, string>()
  const calls: Array<StoreOp> = []
  /** Fail call number N (1-based, over all operations) with this problem. */
  const faults = new Map<number, StoreProblem>()
  /** Calls (by number) that never answer, as a keyring prompt nobody sees; an interruption ends them. */
  const hangs = new Set<number>()
  /** Told of each call as it starts, with the key id: to order the calls against others. */
  const observers: Array<(op: StoreOp, keyId: string) => void> = []
  /** Items written are read back otherwise (a store that mangles what it keeps). */
  let mangle = false
  const call = <A>(op: StoreOp, keyId: string, run: () => A) =>
    Effect.suspend(() => {
      calls.push(op)
      for (const observe of observers) observe(op, keyId)
      if (hangs.has(calls.length)) return Effect.never
      const problem = faults.get(calls.length)
      return problem === undefined
        ? Effect.sync(run)
        : Effect.flatMap(Platform, (platform) =>
            Effect.fail(
              new KeyStoreFailed({
                action: `${op} in`,
                store: platform.secretStore,
                problem,
                detail: "the fault plan",
              }),
            ),
          )
    })
  const layer = Layer.succeed(
    KeyStore,
    KeyStore.of({
      write: (keyId, secret) =>
        call(
          "write",
          keyId,
          () => void items.set(keyId, mangle ? `${Redacted.value(secret)}x` : Redacted.value(secret)),
        ),
      read: (keyId) =>
        call("read", keyId, () => Option.map(Option.fromNullable(items.get(keyId)), Redacted.make)),
      remove: (keyId) => call("remove", keyId, () => items.delete(keyId)),
    }),
  )
  return {
    items,
    calls,
    faults,
    hangs,
    observers,
    layer,
    mangling: () => {
      mangle = true
    },
  }
}
