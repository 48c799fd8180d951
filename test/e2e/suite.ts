import { afterAll, beforeAll } from "vitest"
import { type Moto, startMoto } from "./moto.js"

/**
 * A moto server for the enclosing `describe`: started before its tests (with moto's signature and
 * policy checks on when `auth`), stopped after them. Read it only inside a test or hook.
 */
export const motoForSuite = (options: { readonly auth?: boolean } = {}): Moto => {
  let started: Moto | undefined
  beforeAll(async () => {
    started = await startMoto()
    if (options.auth) await started.enableAuth()
  })
  afterAll(() => started?.stop())
  return new Proxy({} as Moto, {
    get: (_, key) => {
      if (started === undefined) throw new Error("moto is read before the suite started it")
      return started[key as keyof Moto]
    },
  })
}
