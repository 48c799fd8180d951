// The credentials and config files as the full program reads them, for the launcher's fast paths
// (src/fast.ts, src/fastStatus.ts): only at a plain path, and only what it reads without a doubt.
import * as fs from "node:fs"
import * as Either from "effect/Either"
import { commandWords } from "./schema/CommandLine.js"
import * as Ini from "./schema/Ini.js"
import { accessKeyIdPattern, profileNamePattern, secretPattern } from "./schema/SessionRules.js"
import type { Environment, SettingsFile } from "./schema/Settings.js"

/** A profile name the command line takes as it is: not a flag, a command's name, or anything ProfileName refuses. */
export const plainName = (profile: string) =>
  !profile.startsWith("-") &&
  profileNamePattern.test(profile) &&
  profile.trim() === profile &&
  profile !== "__proto__" &&
  !commandWords.includes(profile)

/** The file's path when it is the default one or a plain path: botocore's expansions are the full program's. */
const filePath = (env: Environment, variable: string, name: string) => {
  const set = env[variable]
  if (set !== undefined) return set === "" || set.startsWith("~") || set.includes("$") ? undefined : set
  return env.HOME ? `${env.HOME.replace(/\/+$/, "")}/.aws/${name}` : undefined
}

/** The last bytes read of each file and what they read as: a file read again unchanged is not parsed again. */
const parsed = new Map<string, { readonly bytes: Buffer; readonly sections: Ini.Sections | undefined }>()

/** The file's sections as the full program reads them; an empty file when `missing` allows; undefined for anything else. */
const readSections = (file: string, missing: boolean) => {
  let bytes: Buffer
  try {
    if (!fs.statSync(file).isFile()) return undefined
    bytes = fs.readFileSync(file)
  } catch (error) {
    if (!missing || (error as NodeJS.ErrnoException).code !== "ENOENT") return undefined
    bytes = Buffer.alloc(0)
  }
  const known = parsed.get(file)
  if (known?.bytes.equals(bytes)) return known.sections
  const sections = sectionsOf(bytes)
  parsed.set(file, { bytes, sections })
  return sections
}

const sectionsOf = (bytes: Uint8Array) => {
  const text = Ini.decode(bytes)
  const sections = Either.isRight(text) ? Ini.read(text.right) : undefined
  return sections !== undefined && Either.isRight(sections) ? sections.right : undefined
}

/** Both files as the full program reads them (a missing config file reads as empty), or undefined. */
export const readFiles = (
  env: Environment,
): { readonly credentials: SettingsFile; readonly config: SettingsFile } | undefined => {
  const credentialsPath = filePath(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials")
  const configPath = filePath(env, "AWS_CONFIG_FILE", "config")
  if (credentialsPath === undefined || configPath === undefined) return undefined
  const credentials = readSections(credentialsPath, false)
  const config = credentials && readSections(configPath, true)
  return credentials === undefined || config === undefined
    ? undefined
    : {
        credentials: { path: credentialsPath, sections: credentials },
        config: { path: configPath, sections: config },
      }
}

/** Whether each key is in the section as plain text that matches its pattern. */
export const plain = (section: Ini.Section, patterns: Record<string, RegExp>) =>
  Object.entries(patterns).every(([name, pattern]) => {
    const key = section.keys.get(name)
    const value = section.values[name]
    return key !== undefined && key.unclear === undefined && value !== undefined && pattern.test(value)
  })

export const tokenKeys = ["aws_session_token", "aws_security_token"]

/** A long-term key's lines, as the full program's schema takes them. */
export const keyPatterns = { aws_access_key_id: accessKeyIdPattern, aws_secret_access_key: secretPattern }

/** A stored session's lines, as the full program's schema takes them. */
export const sessionPatterns = { ...keyPatterns, aws_session_token: secretPattern }

/** The answer, unless it holds an escape sequence: the full program takes those out on a pipe. */
export const withoutEscapes = (text: string | undefined) => (text?.includes("\x1b") ? undefined : text)
