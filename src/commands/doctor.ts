import * as Command from "@effect/cli/Command"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { profile } from "../cli/profile.js"
import { maskKeyId, type ProfileName } from "../schema/Credentials.js"
import { InvalidInput } from "../schema/Errors.js"
import { storeService } from "../schema/KeyStore.js"
import { CredentialsFile, type IniFile } from "../services/CredentialsFile.js"
import { Platform } from "../services/Platform.js"
import { Session } from "../services/Session.js"
import { sessionProcess } from "./key.js"

/** One line of the report: what was checked, and either what was found or the problem with its fix. */
interface Check {
  readonly topic: string
  readonly ok: boolean
  readonly text: string
}

const ok = (topic: string, text: string): Check => ({ topic, ok: true, text })
const problem = (topic: string, text: string): Check => ({ topic, ok: false, text })

/** The program a `credential_process` line starts, as its first word (quotes removed). */
const programOf = (line: string) => {
  const match = /^\s*(?:"([^"]*)"|'([^']*)'|(\S+))/.exec(line)
  return match?.[1] ?? match?.[2] ?? match?.[3] ?? ""
}

/** The key's store: read the item when the profile points to one; a file key leaves the store unopened. */
const storeCheck = (name: ProfileName) =>
  Effect.gen(function* () {
    const session = yield* Session
    const located = yield* session.locate(name)
    const where = `[${located.home.section}] of ${located.home.file.path}`
    if (located.stored === undefined)
      return ok(
        "key",
        `the key ${maskKeyId(located.described.aws_access_key_id)} is in ${where}; the OS secret store is not used, so it was not opened (key --store keyring moves the key there)`,
      )
    const keyId = located.stored
    return yield* session.withKey(located).pipe(
      Effect.as(
        ok(
          "key",
          `the key ${maskKeyId(keyId)} is in the OS secret store (service ${storeService}, account ${keyId}), which answered, unlocked`,
        ),
      ),
      Effect.catchTags({
        KeyStoreFailed: (error) => Effect.succeed(problem("key", error.message)),
        StoredKeyMissing: (error) => Effect.succeed(problem("key", error.message)),
      }),
    )
  })

/** The credentials file can be written safely: the user's own, in directories only the user can change. */
const fileCheck = (path: string) =>
  Effect.gen(function* () {
    const files = yield* CredentialsFile
    return yield* files.writable(path).pipe(
      Effect.as(ok("credentials file", `${path} is yours and writable, in directories only you can change`)),
      Effect.catchTag("FileError", (error) => Effect.succeed(problem("credentials file", error.message))),
    )
  })

/** Each `credential_process` of the two files that starts this tool finds it on PATH, and the profile's own is there when its key is stored. */
const processChecks = (
  name: ProfileName,
  files: ReadonlyArray<IniFile>,
  stored: string | undefined,
  home: string,
) =>
  Effect.gen(function* () {
    const platform = yield* Platform
    const checks: Array<Check> = []
    for (const file of files)
      for (const [section, { values }] of file.sections) {
        const line = values.credential_process
        if (line === undefined) continue
        const program = programOf(line)
        if (!/^aws-iam-login(?:\.cmd)?$/i.test(platform.path.basename(program))) continue
        const found = platform.findCommand(program)
        checks.push(
          found === undefined
            ? problem(
                "credential_process",
                `[${section}] of ${file.path} runs ${program}, which is not found as a program you may run on PATH: install the tool (npm install -g aws-iam-login) or write its full path there`,
              )
            : ok("credential_process", `[${section}] of ${file.path} runs ${found}`),
        )
      }
    const own = files[0]?.sections.get(home)?.values.credential_process
    if (stored !== undefined && own === undefined)
      checks.push(
        problem(
          "credential_process",
          `[${home}] points to its key in the OS secret store but has no credential_process, so aws --profile ${name} has no key: add credential_process = ${sessionProcess(name)}`,
        ),
      )
    return checks
  })

export const doctor = Command.make(
  "doctor",
  { profile },
  Effect.fn("doctor")(function* ({ profile: name }) {
    const files = yield* CredentialsFile
    const located = yield* (yield* Session).locate(name)
    const config = yield* files.readConfig
    const checks = [
      yield* storeCheck(name),
      yield* fileCheck(located.file.path),
      ...(yield* processChecks(
        name,
        [located.home.file, located.file, config].filter(
          (file, i, all) => all.findIndex((other) => other.path === file.path) === i,
        ),
        located.stored,
        located.home.section,
      )),
    ]
    const width = Math.max(...checks.map((check) => check.topic.length))
    for (const check of checks)
      yield* Console.log(`${check.ok ? "ok     " : "PROBLEM"}  ${check.topic.padEnd(width)}  ${check.text}`)
    const problems = checks.filter((check) => !check.ok).length
    if (problems > 0)
      return yield* new InvalidInput({
        reason: `${problems === 1 ? "1 problem" : `${problems} problems`} found in the setup of [${name}]: each PROBLEM line above says what to do.`,
      })
  }),
).pipe(
  Command.withDescription(
    "Check the setup of [<profile>]: where its key is kept (the OS secret store reachable and unlocked, only when the key is there), the credentials file's safety, and that each credential_process running this tool finds it; exit 1 when a check finds a problem",
  ),
)
