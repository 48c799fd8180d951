// The launcher's fast path: the answers that run most often, given before the full program loads,
// when they are plain: a login or `export --format credential-process` that finds the session still
// valid, `--help` or `--version` on a pipe, and `status` of a profile whose key is in the credentials
// file (src/fastStatus.ts, which makes the one IAM call itself). It reads the files with the full
// program's reader (src/fastRead.ts), judges the session by its rules (src/schema/SessionRules.ts)
// and prints status with its report (src/schema/StatusReport.ts); for anything else it answers
// nothing and the full program runs: no session or an expired one, a file or setting the full
// program would refuse or that this does not read (a key in the config file, a path with `~user` or
// `$VAR`, an AWS_IAM_LOGIN_TIMEOUT that is not a number of seconds), another flag, --debug, a
// terminal for help, an answer that would hold an escape sequence (the full program takes those out
// on a pipe). test/e2e/fast.e2e.test.ts holds both to the same output.
import * as Either from "effect/Either"
import type * as FastCalls from "./fastCalls.js"
import type { Call } from "./fastCalls.js"
import type { Asked, LoadSts } from "./fastLogin.js"
import {
  keyPatterns,
  plain,
  plainName,
  readFiles,
  sessionPatterns,
  tokenKeys,
  withoutEscapes,
} from "./fastRead.js"
import type { LoadIam } from "./fastStatus.js"
import type { Handover } from "./handover.js"
import { callSeconds } from "./layers/sdk/client.js"
import {
  credentialProcessJson,
  formatExpiration,
  parseExpiration,
  reusable,
  sessionSection,
  stillValidLine,
} from "./schema/SessionRules.js"
import { type Environment, profileRegion } from "./schema/Settings.js"

/** The full program's stdout for `--help` and `--version` on a pipe, made when the tool is built (dist/texts.json). */
export interface Texts {
  readonly help: string
  readonly version: string
}

export interface Context {
  readonly args: ReadonlyArray<string>
  readonly env: Environment
  /** Asked only for help: a terminal gets the full program's help, wrapped to its width. */
  readonly stdoutMayBeTerminal: () => boolean
  readonly texts: () => Texts | undefined
  readonly now: number
  readonly loadIam: LoadIam
  readonly loadSts: LoadSts
  /** dist/fast.cjs (src/fastCalls.ts), loaded from the code cache. */
  readonly loadCalls: () => Promise<typeof FastCalls>
  readonly whenStopped: Asked["whenStopped"]
}

const allowedFlags = {
  login: [[]],
  export: [[], ["--format", "credential-process"], ["--format=credential-process"]],
  status: [[], ["--json"]],
}
type Command = keyof typeof allowedFlags

/** `login <profile>`, `<profile> [login]`, `export <profile>`, `<profile> export`, with export's default format named or not; `status` alike, with `--json` or not. */
const request = (args: ReadonlyArray<string>) => {
  const [first, second, ...rest] = args
  const named = (word: string | undefined): word is Command =>
    word !== undefined && Object.hasOwn(allowedFlags, word)
  const [command, profile] =
    args.length === 1
      ? ["login" as const, first]
      : named(first)
        ? [first, second]
        : named(second)
          ? [second, first]
          : []
  if (command === undefined || profile === undefined) return undefined
  const flags = args.length === 1 ? [] : rest
  if (
    !allowedFlags[command].some((a) => a.length === flags.length && a.every((word, i) => flags[i] === word))
  )
    return undefined
  return plainName(profile) ? { command, profile, json: flags.includes("--json") } : undefined
}

/** `<profile> [login] FLAGS` or `login <profile> FLAGS`, where the flags are `-t CODE` (`--token CODE`, `--token=CODE`) and maybe `-f` (`--force`), each once. */
const codeLogin = (args: ReadonlyArray<string>) => {
  const [profile, ...after] = args[0] === "login" ? args.slice(1) : args
  const flags = args[0] !== "login" && after[0] === "login" ? after.slice(1) : after
  let token: string | undefined
  let force = false
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i]!
    if (!force && (flag === "-f" || flag === "--force")) force = true
    else if (token === undefined && (flag === "-t" || flag === "--token") && i + 1 < flags.length)
      token = flags[++i]
    else if (token === undefined && flag.startsWith("--token=")) token = flag.slice("--token=".length)
    else return undefined
  }
  // The full program reads the code as MfaCode does: the spaces an authenticator shows are dropped.
  const code = token?.replace(/\s+/g, "")
  // Its lines name the profile: one that holds an escape sequence is the full program's to print.
  return profile !== undefined &&
    plainName(profile) &&
    !profile.includes("\x1b") &&
    code !== undefined &&
    /^\d{6}$/.test(code)
    ? { profile, code, force }
    : undefined
}

/**
 * What to print on stdout (with exit code 0), now or once the run's AWS call is answered; or
 * undefined, or what the fast path hands it (src/handover.ts), when the full program must answer.
 */
export const fastAnswer = (context: Context): string | Promise<string | Handover> | undefined => {
  const { args, env, stdoutMayBeTerminal, texts, now } = context
  if (process.platform === "win32" || env.AWS_IAM_LOGIN_DEBUG !== undefined) return undefined
  if (args.length === 1 && ["--version", "version"].includes(args[0]!)) return texts()?.version
  if (args.length === 1 && ["--help", "-h", "help"].includes(args[0]!))
    return stdoutMayBeTerminal() ? undefined : texts()?.help
  const asked = request(args)
  const login = asked === undefined ? codeLogin(args) : undefined
  // The full program refuses an AWS_IAM_LOGIN_TIMEOUT it cannot read before any command runs.
  if ((asked ?? login) === undefined || callSeconds(env.AWS_IAM_LOGIN_TIMEOUT) === undefined) return undefined
  const call: Call | undefined =
    login !== undefined
      ? { command: "login", ...login }
      : asked?.command === "status"
        ? { command: "status", profile: asked.profile, json: asked.json }
        : undefined
  if (call !== undefined)
    return context.loadCalls().then((calls) =>
      calls.callAnswer(call, {
        env,
        now,
        loadIam: context.loadIam,
        loadSts: context.loadSts,
        whenStopped: context.whenStopped,
      }),
    )
  const files = readFiles(env)
  if (asked === undefined || asked.command === "status" || files === undefined) return undefined
  return withoutEscapes(sessionAnswer(asked.command, asked.profile, files, env, now))
}

/** A valid session's login line or credential_process JSON. */
const sessionAnswer = (
  command: "login" | "export",
  name: string,
  files: NonNullable<ReturnType<typeof readFiles>>,
  env: Environment,
  now: number,
) => {
  const { credentials, config } = files
  const profile = credentials.sections.get(name)
  const stored = credentials.sections.get(sessionSection(name))
  const keyIsPlain =
    profile !== undefined &&
    plain(profile, keyPatterns) &&
    tokenKeys.every((key) => profile.keys.get(key)?.unclear === undefined)
  const sessionIsPlain = stored !== undefined && plain(stored, sessionPatterns)
  if (!keyIsPlain || !sessionIsPlain) return undefined
  const region = profileRegion(env, credentials, config, name)
  const expiration = parseExpiration(stored.values.expiration ?? "")
  if (Either.isLeft(region) || expiration === undefined || !reusable(expiration, now)) return undefined
  return `${
    command === "login"
      ? stillValidLine(name, expiration, now)
      : credentialProcessJson({
          AccessKeyId: stored.values.aws_access_key_id!,
          SecretAccessKey: stored.values.aws_secret_access_key!,
          SessionToken: stored.values.aws_session_token!,
          Expiration: formatExpiration(expiration),
        })
  }\n`
}
