// The launcher's fast paths that call AWS (src/fastStatus.ts, src/fastLogin.ts), built apart as
// dist/fast.cjs and run from the V8 code cache as the SDK bundles are (src/codeCache.ts): compiled
// from its source on every start, their code would cost as much as a tenth of the run.
import { fastLogin, type Asked as LoginAsked } from "./fastLogin.js"
import { readFiles } from "./fastRead.js"
import { fastStatus, type LoadIam } from "./fastStatus.js"
import type { Handover } from "./handover.js"
import type { Environment } from "./schema/Settings.js"

export type Call =
  | { readonly command: "status"; readonly profile: string; readonly json: boolean }
  | { readonly command: "login"; readonly profile: string; readonly code: string; readonly force: boolean }

export interface CallContext extends Pick<LoginAsked, "loadSts" | "whenStopped"> {
  readonly env: Environment
  readonly now: number
  readonly loadIam: LoadIam
}

/** What to print, or what the full program is handed to answer instead. */
export const callAnswer = async (call: Call, context: CallContext): Promise<string | Handover> => {
  const { env, now } = context
  const files = readFiles(env)
  if (files === undefined) return {}
  if (call.command === "status") return fastStatus({ ...call, env, files, now, loadIam: context.loadIam })
  return fastLogin({
    ...call,
    env,
    files,
    reread: () => readFiles(env),
    loadSts: context.loadSts,
    whenStopped: context.whenStopped,
  })
}
