import * as Command from "@effect/cli/Command"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { profile } from "../cli/profile.js"
import type { AwsError } from "../schema/AwsErrors.js"
import { maskKeyId, type ProfileName } from "../schema/Credentials.js"
import { InvalidInput } from "../schema/Errors.js"
import { storeService } from "../schema/KeyStore.js"
import { CredentialsFile, type Exposure, type IniFile } from "../services/CredentialsFile.js"
import { type ContextEntry, Iam, mfaSessionContext } from "../services/Iam.js"
import { Platform } from "../services/Platform.js"
import { Session } from "../services/Session.js"
import { type Signer, Sts } from "../services/Sts.js"
import { sessionProcess } from "./key.js"

/** One line of the report: what was checked, and what was found, the problem with its fix, or why it was not checked. */
interface Check {
  readonly topic: string
  readonly status: "ok" | "PROBLEM" | "skipped"
  readonly text: string
}

const ok = (topic: string, text: string): Check => ({ topic, status: "ok", text })
const problem = (topic: string, text: string): Check => ({ topic, status: "PROBLEM", text })

/** The program a `credential_process` line starts, as its first word (quotes removed). */
const programOf = (line: string) => {
  const match = /^\s*(?:"([^"]*)"|'([^']*)'|(\S+))/.exec(line)
  return match?.[1] ?? match?.[2] ?? match?.[3] ?? ""
}

/**
 * The key's store: the item read when the profile points to one; a file key leaves the store
 * unopened. With what signs the AWS checks: the key, or a stored key's valid session.
 */
const storeCheck = (name: ProfileName) =>
  Effect.gen(function* () {
    const session = yield* Session
    const located = yield* session.locate(name)
    const where = `[${located.home.section}] of ${located.home.file.path}`
    if (located.stored === undefined)
      return {
        check: ok(
          "key",
          `the key ${maskKeyId(located.described.aws_access_key_id)} is in ${where}; the OS secret store is not used, so it was not opened (key --store keyring moves the key there)`,
        ),
        signer: Either.getRight(yield* session.reader(located)),
      }
    const keyId = located.stored
    const { secretStore: store } = yield* Platform
    return yield* session.withKey(located).pipe(
      Effect.map((loaded) => ({
        check: ok(
          "key",
          `the key ${maskKeyId(keyId)} is in the ${store.name} (service ${storeService}, account ${keyId}), which answered, unlocked`,
        ),
        signer: Option.some(loaded.signer),
      })),
      Effect.catchTags({
        KeyStoreFailed: (error) =>
          Effect.succeed({ check: problem("key", error.message), signer: Option.none() }),
        StoredKeyMissing: (error) =>
          Effect.succeed({ check: problem("key", error.message), signer: Option.none() }),
      }),
    )
  })

/** The calls rotate makes on the user's own keys. */
const rotateNeeds = [
  "iam:ListAccessKeys",
  "iam:CreateAccessKey",
  "iam:UpdateAccessKey",
  "iam:DeleteAccessKey",
]

/** Why the simulation gave no answer; an endpoint that does not implement it (moto) is no problem of the setup. */
const cannotTell = (error: AwsError): Check => ({
  topic: "policy",
  status: "skipped",
  text: `cannot tell what rotate may do: ${
    error._tag === "NotAws"
      ? `${error.endpoint} does not answer iam:SimulatePrincipalPolicy (it gave ${error.status} and ${error.answer}), which is no problem of this setup`
      : error._tag === "AwsFailure" && /^(NotImplemented|InvalidAction)$/.test(error.code)
        ? `the endpoint does not answer iam:SimulatePrincipalPolicy (${error.code}), which is no problem of this setup`
        : `iam:SimulatePrincipalPolicy failed (${error.message})`
  }`,
})

/**
 * What the user's policies decide on rotate's calls (iam:SimulatePrincipalPolicy): in an MFA session
 * as rotate --mfa makes one (the common policies allow IAM calls only with MFA), then signed with the
 * key alone, as rotate signs them by default.
 */
const policyCheck = (signer: Signer, arn: string) =>
  Effect.gen(function* () {
    const iam = yield* Iam
    const denied = (context: ReadonlyArray<ContextEntry>) =>
      iam.simulatePolicy(signer, arn, rotateNeeds, context).pipe(
        Effect.map((decided) => rotateNeeds.filter((action) => decided.get(action) !== true)),
        Effect.either,
      )
    const inSession = yield* denied(mfaSessionContext(0))
    if (Either.isLeft(inSession)) return cannotTell(inSession.left)
    if (inSession.right.length > 0)
      return problem(
        "policy",
        `the user's policies do not allow ${inSession.right.join(", ")} on ${arn}, even in an MFA session, which rotate needs: ask your AWS administrator to allow them`,
      )
    const allowed = `the user's policies allow what rotate needs (${rotateNeeds.join(", ")})`
    const withKey = yield* denied([])
    if (Either.isRight(withKey) && withKey.right.length === 0) return ok("policy", allowed)
    return ok(
      "policy",
      `${allowed} in an MFA session${Either.isRight(withKey) ? `, not signed with the key alone (${withKey.right.join(", ")})` : ""}: run rotate with --mfa`,
    )
  })

/** A skew AWS's and this machine's clocks may have before session expiry (judged with a 5-minute margin) goes wrong. */
const skewLimitSeconds = 60

/** The key signs a read-only call; AWS's Date header against this machine's clock. */
const awsChecks = (signer: Option.Option<Signer>) =>
  Effect.gen(function* () {
    if (Option.isNone(signer))
      return [
        {
          topic: "AWS",
          status: "skipped",
          text: "not asked: no key to sign with (see the key line above)",
        } as const,
      ]
    const sts = yield* Sts
    const answer = yield* sts.getCallerIdentity(signer.value).pipe(Effect.either)
    if (Either.isLeft(answer)) return [problem("AWS", answer.left.message)]
    // The answer's Date header is judged against the time it arrived, before any other call.
    const now = yield* Clock.currentTimeMillis
    const identity = answer.right
    const policy = yield* policyCheck(signer.value, identity.arn)
    const signs = ok("AWS", `the key signs as ${identity.arn}`)
    if (identity.answeredAt === undefined)
      return [
        signs,
        policy,
        { topic: "clock", status: "skipped", text: "cannot tell: AWS's answer had no Date header" } as const,
      ]
    // The header has whole seconds and was written before the answer travelled: a second either way is noise.
    const skew = Math.round((now - identity.answeredAt.getTime()) / 1000)
    const off = `${Math.abs(skew)} s ${skew > 0 ? "ahead of" : "behind"} AWS's`
    return [
      signs,
      policy,
      Math.abs(skew) < skewLimitSeconds
        ? ok(
            "clock",
            Math.abs(skew) <= 1 ? "this machine's clock agrees with AWS's" : `this machine's clock is ${off}`,
          )
        : problem(
            "clock",
            `this machine's clock is ${off}: a session is judged valid by it, and AWS refuses requests signed 5 minutes off; set the clock from the network (timedatectl set-ntp true; on macOS and Windows, the date and time settings)`,
          ),
    ]
  })

/**
 * What of `found` endangers the user: anything others may change (they could plant a key or a
 * credential_process), a file others may read when it holds a secret. A directory others may only
 * list shows file names, which the AWS CLI's own ~/.aws (0755) shows too.
 */
const endangers = (found: ReadonlyArray<Exposure>, secret: boolean) =>
  found.filter((exposure) => exposure.write || (exposure.read && !exposure.directory && secret))

/** The note for a directory others may list but not change. */
const listable = (found: ReadonlyArray<Exposure>) =>
  found
    .filter((exposure) => exposure.directory)
    .map(
      (exposure) =>
        `other users can list the file names in ${exposure.path} (mode ${exposure.mode}), not read the files: \`chmod 700 ${exposure.path}\` hides the names too`,
    )

/** A config file's section holds a key's secret or a session token, as a profile's key may be kept there. */
const holdsSecret = (file: IniFile) =>
  [...file.sections.values()].some(
    ({ values }) => values.aws_secret_access_key !== undefined || values.aws_session_token !== undefined,
  )

/**
 * The credentials file can be written safely (the user's own, in directories only the user can
 * change), no other user can read or change it or change its directory, and none can change the
 * config file (which names the programs credential_process runs) or read it when it holds a
 * secret; where the platform has no POSIX modes (Windows), says so.
 */
const fileChecks = (credentials: string, config: IniFile) =>
  Effect.gen(function* () {
    const files = yield* CredentialsFile
    const platform = yield* Platform
    const exposed = (file: string, directory: boolean) =>
      files.exposure(file, directory).pipe(
        Effect.map((found) => Either.right<ReadonlyArray<Exposure>>(found)),
        Effect.catchTag("FileError", (error) => Effect.succeed(Either.left(error.message))),
      )
    const closed = (file: string) =>
      platform.uid === undefined
        ? `Windows has no POSIX modes: its access list decides who may read ${file} (icacls ${file} shows it)`
        : `no other user can read or change ${file}`
    const writable = yield* Effect.either(files.writable(credentials))
    const open = Either.isLeft(writable)
      ? Either.left(writable.left.message)
      : yield* exposed(credentials, true)
    const ownDirectory = platform.path.dirname(config.path) !== platform.path.dirname(credentials)
    const openConfig = yield* exposed(config.path, ownDirectory)
    const credentialsCheck = Either.match(open, {
      onLeft: (reason) => problem("credentials file", reason),
      onRight: (found) => {
        const severe = endangers(found, true)
        if (severe.length > 0) return problem("credentials file", severe.map((e) => e.text).join("; "))
        if (platform.uid === undefined)
          return ok("credentials file", `${credentials} is writable; ${closed(credentials)}`)
        const notes = listable(found)
        return ok(
          "credentials file",
          [
            `${credentials} is yours and writable, in directories only you can change; no other user can read or change it${notes.length > 0 ? "" : " or its directory"}`,
            ...notes,
          ].join("; "),
        )
      },
    })
    const secret = holdsSecret(config)
    const configCheck = Either.match(openConfig, {
      onLeft: (reason) => problem("config file", reason),
      onRight: (found) => {
        const severe = endangers(found, secret)
        if (severe.length > 0) return problem("config file", severe.map((e) => e.text).join("; "))
        const readable = found.find((exposure) => !exposure.directory)
        return ok(
          "config file",
          [
            readable === undefined
              ? closed(config.path)
              : `other users can read ${config.path} (mode ${readable.mode}), which holds no secret key or session token; no other user can change it`,
            ...listable(found),
          ].join("; "),
        )
      },
    })
    return [credentialsCheck, configCheck]
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
    const store = yield* storeCheck(name)
    const checks = [
      store.check,
      ...(yield* fileChecks(located.file.path, config)),
      ...(yield* processChecks(
        name,
        [located.home.file, located.file, config].filter(
          (file, i, all) => all.findIndex((other) => other.path === file.path) === i,
        ),
        located.stored,
        located.home.section,
      )),
      ...(yield* awsChecks(store.signer)),
    ]
    const width = Math.max(...checks.map((check) => check.topic.length))
    for (const check of checks)
      yield* Console.log(`${check.status.padEnd(7)}  ${check.topic.padEnd(width)}  ${check.text}`)
    const problems = checks.filter((check) => check.status === "PROBLEM").length
    if (problems > 0)
      return yield* new InvalidInput({
        reason: `${problems === 1 ? "1 problem" : `${problems} problems`} found in the setup of [${name}]: each PROBLEM line above says what to do.`,
      })
  }),
).pipe(
  Command.withDescription(
    "Check the setup of [<profile>]: where its key is kept (the OS secret store reachable and unlocked, only when the key is there), the credentials file's safety, that no other user can read or change it or change its directory, and none can change the config file or read it when it holds a secret, that each credential_process running this tool finds it, that the key signs (sts:GetCallerIdentity) and the clock agrees with AWS's; exit 1 when a check finds a problem",
  ),
)
