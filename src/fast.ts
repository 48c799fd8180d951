// The launcher's fast path: the answers that run most often, given before the full program loads,
// when they are plain: a login or `export --format credential-process` that finds the session still
// valid, and `--help` or `--version` on a pipe. It reads the files with the full program's reader and
// judges the session by its rules (src/schema/SessionRules.ts); for anything else it answers
// nothing and the full program runs: no session or an expired one, a file or setting the full
// program would refuse or that this does not read (a key in the config file, a path with `~user` or
// `$VAR`), another flag, --debug, a terminal for help. test/fast.test.ts holds both to the same output.
import * as fs from "node:fs"
import * as Either from "effect/Either"
import { commandNames } from "./cli/commandNames.js"
import * as Ini from "./schema/Ini.js"
import {
  accessKeyIdPattern,
  credentialProcessJson,
  formatExpiration,
  parseExpiration,
  profileNamePattern,
  reusable,
  secretPattern,
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
}

const exportFlags = [[], ["--format", "credential-process"], ["--format=credential-process"]]

/** `login <profile>`, `<profile> [login]`, `export <profile>`, `<profile> export`, with export's default format named or not. */
const request = (args: ReadonlyArray<string>) => {
  const [first, second, ...rest] = args
  const named = (word: string | undefined) => word === "login" || word === "export"
  const [command, profile] =
    args.length === 1
      ? ["login", first]
      : named(first)
        ? [first, second]
        : named(second)
          ? [second, first]
          : []
  if (command === undefined || profile === undefined) return undefined
  const flags = args.length === 1 ? [] : rest
  const allowed = command === "login" ? [[]] : exportFlags
  if (!allowed.some((a) => a.length === flags.length && a.every((word, i) => flags[i] === word)))
    return undefined
  const plainName =
    !profile.startsWith("-") &&
    profileNamePattern.test(profile) &&
    profile.trim() === profile &&
    profile !== "__proto__" &&
    ![...commandNames, "help", "version"].includes(profile)
  return plainName ? { command, profile } : undefined
}

/** The file's path when it is the default one or a plain path: botocore's expansions are the full program's. */
const filePath = (env: Environment, variable: string, name: string) => {
  const set = env[variable]
  if (set !== undefined) return set === "" || set.startsWith("~") || set.includes("$") ? undefined : set
  return env.HOME ? `${env.HOME.replace(/\/+$/, "")}/.aws/${name}` : undefined
}

/** The file's sections as the full program reads them; an empty file when `missing` allows; undefined for anything else. */
const readSections = (file: string, missing: boolean) => {
  let bytes: Uint8Array
  try {
    if (!fs.statSync(file).isFile()) return undefined
    bytes = fs.readFileSync(file)
  } catch (error) {
    if (!missing || (error as NodeJS.ErrnoException).code !== "ENOENT") return undefined
    bytes = new Uint8Array()
  }
  const text = Ini.decode(bytes)
  const sections = Either.isRight(text) ? Ini.read(text.right) : undefined
  return sections !== undefined && Either.isRight(sections) ? sections.right : undefined
}

/** Whether each key is in the section as plain text that matches its pattern. */
const plain = (section: Ini.Section, patterns: Record<string, RegExp>) =>
  Object.entries(patterns).every(([name, pattern]) => {
    const key = section.keys.get(name)
    const value = section.values[name]
    return key !== undefined && key.unclear === undefined && value !== undefined && pattern.test(value)
  })

const tokenKeys = ["aws_session_token", "aws_security_token"]

/** What to print on stdout (with exit code 0), or undefined when the full program must answer. */
export const fastAnswer = ({ args, env, stdoutMayBeTerminal, texts, now }: Context): string | undefined => {
  if (process.platform === "win32" || env.AWS_IAM_LOGIN_DEBUG !== undefined) return undefined
  if (args.length === 1 && ["--version", "version"].includes(args[0]!)) return texts()?.version
  if (args.length === 1 && ["--help", "-h", "help"].includes(args[0]!))
    return stdoutMayBeTerminal() ? undefined : texts()?.help
  const asked = request(args)
  const credentialsPath = filePath(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials")
  const configPath = filePath(env, "AWS_CONFIG_FILE", "config")
  if (asked === undefined || credentialsPath === undefined || configPath === undefined) return undefined
  const credentials = readSections(credentialsPath, false)
  const config = credentials && readSections(configPath, true)
  if (credentials === undefined || config === undefined) return undefined
  const profile = credentials.get(asked.profile)
  const stored = credentials.get(sessionSection(asked.profile))
  const keyIsPlain =
    profile !== undefined &&
    plain(profile, { aws_access_key_id: accessKeyIdPattern, aws_secret_access_key: secretPattern }) &&
    tokenKeys.every((name) => profile.keys.get(name)?.unclear === undefined)
  const sessionIsPlain =
    stored !== undefined &&
    plain(stored, {
      aws_access_key_id: accessKeyIdPattern,
      aws_secret_access_key: secretPattern,
      aws_session_token: secretPattern,
    })
  if (!keyIsPlain || !sessionIsPlain) return undefined
  const region = profileRegion(
    env,
    { path: credentialsPath, sections: credentials },
    { path: configPath, sections: config },
    asked.profile,
  )
  const expiration = parseExpiration(stored.values.expiration ?? "")
  if (Either.isLeft(region) || expiration === undefined || !reusable(expiration, now)) return undefined
  return `${
    asked.command === "login"
      ? stillValidLine(asked.profile, expiration, now)
      : credentialProcessJson({
          AccessKeyId: stored.values.aws_access_key_id!,
          SecretAccessKey: stored.values.aws_secret_access_key!,
          SessionToken: stored.values.aws_session_token!,
          Expiration: formatExpiration(expiration),
        })
  }\n`
}
