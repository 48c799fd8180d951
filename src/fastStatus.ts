// `status` of a plain profile, before the full program loads (see src/fast.ts): its key in the
// credentials file as plain text, a username, no rotation journal that may name it, settings the
// full program takes. It makes the full program's one IAM call (ListAccessKeys, with the same client
// settings: src/layers/sdk/client.ts) and prints its report (src/schema/StatusReport.ts). Any
// failure of the call, or no answer within the moment after which the full program tells a person
// at a terminal what it waits for, hands the call to the full program (src/handover.ts), which
// takes it over, still on its way or answered, and reports it.
import * as fs from "node:fs"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { keyPatterns, plain, type readFiles, sessionPatterns, tokenKeys, withoutEscapes } from "./fastRead.js"
import { answerInTime, callKey, type Handover, type MadeCall, sent } from "./handover.js"
import { callSeconds, clientConfig, keysFrom } from "./layers/sdk/client.js"
import type * as IamSdk from "./layers/sdk/iam.js"
import type { Observed } from "./layers/sdk/observe.js"
import type { AccessKeyId } from "./schema/Credentials.js"
import type * as Ini from "./schema/Ini.js"
import { journalFiles } from "./schema/JournalFiles.js"
import { parseExpiration, sessionSection } from "./schema/SessionRules.js"
import { callSettings, type Environment, fallbackRegion, profileRegion } from "./schema/Settings.js"
import { statusOutput } from "./schema/StatusReport.js"
import type { AccessKeyInfo } from "./services/Iam.js"
import type { Signer } from "./services/Sts.js"

/** dist/sdk/iam.cjs, loaded as the full program loads it. */
export type LoadIam = () => Promise<typeof IamSdk>

interface Asked {
  readonly profile: string
  readonly json: boolean
  readonly env: Environment
  readonly files: NonNullable<ReturnType<typeof readFiles>>
  readonly now: number
  readonly loadIam: LoadIam
}

/**
 * Whether no journal can name the profile: the journals' directory is missing, or is a directory of
 * the user's alone (the full program refuses any other) holding no file a journal could be.
 */
const noJournal = (credentials: string) => {
  const { dir, mayBeJournal } = journalFiles(credentials)
  try {
    const info = fs.lstatSync(dir)
    return (
      info.isDirectory() &&
      info.uid === process.getuid?.() &&
      (info.mode & 0o022) === 0 &&
      !fs.readdirSync(dir).some(mayBeJournal)
    )
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT"
  }
}

/** The stored session's end: none without `[<profile>-sts]`, undefined (hand over) for one that is not plain. */
const sessionEnd = (stored: Ini.Section | undefined) => {
  if (stored === undefined) return Option.none<Date>()
  const plainSession = plain(stored, sessionPatterns)
  const expiration = plainSession ? parseExpiration(stored.values.expiration ?? "") : undefined
  return expiration === undefined ? undefined : Option.some(expiration)
}

/** What `status` prints, or what the full program is handed to answer instead. */
export const fastStatus = async ({
  profile: name,
  json,
  env,
  files,
  now,
  loadIam,
}: Asked): Promise<string | Handover> => {
  const { credentials, config } = files
  const profile = credentials.sections.get(name)
  const userName = profile?.values.username
  const keyIsPlain =
    profile !== undefined && plain(profile, keyPatterns) && tokenKeys.every((key) => !profile.keys.has(key))
  const expiration = sessionEnd(credentials.sections.get(sessionSection(name)))
  const region = profileRegion(env, credentials, config, name)
  const settings = callSettings(env, credentials, config, name).iam
  const seconds = callSeconds(env.AWS_IAM_LOGIN_TIMEOUT)
  if (
    !keyIsPlain ||
    userName === undefined ||
    name.endsWith("-sts") ||
    expiration === undefined ||
    Either.isLeft(region) ||
    Either.isLeft(settings) ||
    seconds === undefined ||
    !noJournal(credentials.path)
  )
    return {}
  const callRegion = region.right ?? fallbackRegion
  const signer: Signer = {
    credentials: {
      accessKeyId: profile.values.aws_access_key_id as AccessKeyId,
      secretAccessKey: Redacted.make(profile.values.aws_secret_access_key!),
    },
    region: callRegion,
    profile: name,
  }
  const found = await listed(loadIam, signer, userName, settings.right, seconds)
  if (!("keys" in found)) return found
  const text = `${statusOutput(
    {
      profile: name,
      described: {
        aws_access_key_id: profile.values.aws_access_key_id!,
        username: userName,
        mfa_serial: profile.values.mfa_serial,
      },
      home: { path: credentials.path, section: name },
      stored: undefined,
      expiration,
      journal: Either.right(Option.none()),
      region: Option.fromNullable(region.right),
      callRegion,
      keys: Either.right(found.keys),
      now,
    },
    json,
  )}\n`
  // The call answered: the full program prints the report itself, with its answer.
  return withoutEscapes(text) ?? { call: found.call }
}

/** The user's keys, with the call that listed them; else what the full program is handed. */
const listed = async (
  loadIam: LoadIam,
  signer: Signer,
  userName: string,
  settings: Parameters<typeof clientConfig>[0],
  seconds: number,
): Promise<{ readonly keys: ReadonlyArray<AccessKeyInfo>; readonly call: MadeCall } | Handover> => {
  const seen: Observed = {}
  let ready: { readonly sdk: typeof IamSdk; readonly client: IamSdk.IAMClient }
  try {
    const sdk = await loadIam()
    ready = { sdk, client: new sdk.IAMClient(clientConfig(settings, "iam", signer, seconds, "retry", seen)) }
  } catch {
    return {}
  }
  const { sdk, client } = ready
  const input = { UserName: userName }
  const call = sent(
    callKey("iam:ListAccessKeys", signer, input),
    seen,
    client,
    new AbortController(),
    (signal) => client.send(new sdk.ListAccessKeysCommand(input), { abortSignal: signal }),
  )
  const answer = await answerInTime(call, seconds)
  try {
    return answer === undefined ? { call } : { keys: keysFrom(answer), call }
  } catch {
    return { call }
  }
}
