import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import type { KeyStoreFailed } from "../schema/KeyStore.js"

/**
 * The OS secret store, holding long-term secrets by access key id (service `aws-iam-login`). Every
 * call opens the store afresh, so a read after a write proves what a later run will find.
 */
export class KeyStore extends Context.Tag("aws-iam-login/KeyStore")<
  KeyStore,
  {
    readonly write: (keyId: string, secret: Redacted.Redacted<string>) => Effect.Effect<void, KeyStoreFailed>
    /** None when the store holds no item for the key id. */
    readonly read: (keyId: string) => Effect.Effect<Option.Option<Redacted.Redacted<string>>, KeyStoreFailed>
    /** False when there was no item to remove. */
    readonly remove: (keyId: string) => Effect.Effect<boolean, KeyStoreFailed>
  }
>() {}
