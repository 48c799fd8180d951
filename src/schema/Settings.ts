import * as Either from "effect/Either"
import { configProfile, type Key, type Sections, servicesSection } from "./Ini.js"

/**
 * The settings that decide where the AWS CLI sends a call and how often it tries it, found as
 * botocore 1.43 finds them (`configprovider.py`, `args.py`): each from its environment variable when
 * that is set (even to ""), else from the profile, whose keys in the credentials file win over those
 * of `[profile <name>]` (or `[default]`) in the config file; a profile never falls back to `[default]`.
 * The AWS SDK is handed these and reads neither file itself (see scripts/build.mjs).
 */

export interface SettingsFile {
  readonly path: string
  readonly sections: Sections
}

/** STS answers in every region; us-east-1 is where the AWS CLI sends it when none is set. */
export const fallbackRegion = "us-east-1"

export type Environment = Readonly<Record<string, string | undefined>>

/** The services the tool calls, by botocore's snake-case service id. */
export type Service = "sts" | "iam"

export type RetryMode = "legacy" | "standard" | "adaptive"

/** The settings of one service's calls. */
export interface CallSettings {
  /** The configured endpoint URL; none means AWS's own endpoint. */
  readonly endpoint: string | undefined
  /** Where the endpoint URL was found: the environment variable, or the file and line. */
  readonly endpointFrom: string | undefined
  readonly useFipsEndpoint: boolean
  readonly useDualstackEndpoint: boolean
  /** `sts_regional_endpoints = legacy`: STS's global endpoint in the regions it served from before. */
  readonly stsGlobalEndpoint: boolean
  /** Every attempt, the first included; none means the retry mode's own. */
  readonly maxAttempts: number | undefined
  readonly retryMode: RetryMode
}

/** Where the AWS CLI would fail on a setting, so this tool does not call AWS either. */
export interface SettingRefusal {
  /** The environment variable, or the file and line. */
  readonly where: string
  readonly reason: string
}

/** A setting's value and where it was found. */
interface Found {
  readonly value: string
  /** A nested block (`key =` followed by indented `k = v` lines) instead of a value. */
  readonly nested: Readonly<Record<string, string>> | undefined
  readonly where: string
}

const inFile = (file: SettingsFile, key: Key): Found => ({
  value: key.value,
  nested: key.nested,
  where: `${file.path}, line ${key.line}`,
})

const fromEnv = (env: Environment, name: string): Found | undefined => {
  const value = env[name]
  return value === undefined ? undefined : { value, nested: undefined, where: name }
}

/** Python's `int()` on a string: surrounding whitespace, a sign, `_` between digits. */
const pythonInt = (text: string): number | undefined => {
  const match = /^\s*([+-]?)(\d(?:_?\d)*)\s*$/u.exec(text)
  return match === null ? undefined : Number(`${match[1]}${match[2]!.replaceAll("_", "")}`)
}

/** botocore's `ensure_boolean`: only a string that lower-cases to `true` is true. */
const isTrue = (found: Found | undefined) =>
  found !== undefined && found.nested === undefined && found.value.toLowerCase() === "true"

/**
 * botocore's `is_valid_endpoint_url` and urllib3's URL parsing, narrowed to what both read alike:
 * http(s), a host of DNS labels or an IPv4 address (or an IPv6 one in brackets), a port, a path.
 */
const endpointShape =
  /^https?:\/\/(?:(?:(?!-)[a-z\d-]{1,63}(?<!-)\.)*(?!-)[a-z\d-]{1,63}(?<!-)\.?|\[[\da-f:.]+\])(?::\d{1,5})?(?:\/[^\s?#]*)?$/i

const retryModes: ReadonlyArray<string> = ["legacy", "standard", "adaptive"]

/** A key of the profile, as botocore merges the two files: the credentials file's `[profile]` first. */
const scopedIn = (credentials: SettingsFile, config: SettingsFile, profile: string) => {
  const own = credentials.sections.get(profile)
  const configured = configProfile(config.sections, profile)
  return (key: string): Found | undefined => {
    const mine = own?.keys.get(key)
    if (mine !== undefined) return inFile(credentials, mine)
    const theirs = configured?.keys.get(key)
    return theirs === undefined ? undefined : inFile(config, theirs)
  }
}

/** botocore's `validate_region_name`: one host label, not all digits. */
const regionName = /^(?![0-9]+$)(?!-)[a-zA-Z0-9-]{0,63}(?<!-)$/

/**
 * The profile's region, by the rule of AWS CLI v2 and the AWS SDKs together: `AWS_REGION`, then
 * `AWS_DEFAULT_REGION` (the only variable AWS CLI v1 reads), then the profile's `region` (never
 * `[default]`'s for another profile); an empty variable counts as unset. One the AWS CLI refuses
 * (`eu-west-1 ; main`) is refused.
 */
export const profileRegion = (
  env: Environment,
  credentials: SettingsFile,
  config: SettingsFile,
  profile: string,
): Either.Either<string | undefined, SettingRefusal> => {
  const found =
    [fromEnv(env, "AWS_REGION"), fromEnv(env, "AWS_DEFAULT_REGION")].find(
      (v) => v?.value !== undefined && v.value !== "",
    ) ?? scopedIn(credentials, config, profile)("region")
  if (found === undefined || (found.nested === undefined && found.value === ""))
    return Either.right(undefined)
  if (found.nested !== undefined || !regionName.test(found.value))
    return Either.left({
      where: found.where,
      reason: `the region ${found.nested === undefined ? `"${found.value}"` : "(a nested block)"} is not a region name the AWS CLI accepts`,
    })
  return Either.right(found.value)
}

/** The settings for each service's calls signed for `profile`, or where the AWS CLI would fail before calling. */
export const callSettings = (
  env: Environment,
  credentials: SettingsFile,
  config: SettingsFile,
  profile: string,
): Readonly<Record<Service, Either.Either<CallSettings, SettingRefusal>>> => {
  const scoped = scopedIn(credentials, config, profile)
  const setting = (variable: string, key: string) => fromEnv(env, variable) ?? scoped(key)
  const refuse = (found: Found, reason: string) => Either.left<SettingRefusal>({ where: found.where, reason })

  const endpoint = (service: Service): Either.Either<Found | undefined, SettingRefusal> => {
    const candidates: Array<() => Either.Either<Found | undefined, SettingRefusal>> = [
      () => Either.right(fromEnv(env, `AWS_ENDPOINT_URL_${service.toUpperCase()}`)),
      () => Either.right(fromEnv(env, "AWS_ENDPOINT_URL")),
      () => {
        const named = scoped("services")
        if (named === undefined) return Either.right(undefined)
        const section = named.nested === undefined ? servicesSection(config.sections, named.value) : undefined
        if (section === undefined || section.keys.size === 0)
          return refuse(
            named,
            `the profile's services = ${named.value} names no [services ${named.value}] section with settings in ${config.path}`,
          )
        const block = section.keys.get(service)
        if (block === undefined) return Either.right(undefined)
        if (block.nested === undefined)
          return refuse(
            inFile(config, block),
            `${service} in [${section.name}] must be a nested block (${service} = followed by indented endpoint_url = URL)`,
          )
        const url = block.nested.endpoint_url
        return Either.right(
          url === undefined
            ? undefined
            : { value: url, nested: undefined, where: `${config.path}, line ${block.line}` },
        )
      },
      () => Either.right(scoped("endpoint_url")),
    ]
    for (const candidate of candidates) {
      const found = candidate()
      if (Either.isLeft(found)) return Either.left(found.left)
      const url = found.right
      if (url === undefined || (url.nested === undefined && url.value === "")) continue
      if (url.nested !== undefined || !endpointShape.test(url.value))
        return refuse(
          url,
          `the endpoint URL ${url.nested === undefined ? `"${url.value}"` : "(a nested block)"} is not one the AWS CLI can call (scheme://host[:port][/path], nothing after it)`,
        )
      return Either.right(url)
    }
    return Either.right(undefined)
  }

  const forService = (service: Service) =>
    Either.gen(function* () {
      const ignored = isTrue(
        setting("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "ignore_configured_endpoint_urls"),
      )
      const url = ignored ? undefined : yield* endpoint(service)
      const attempts = setting("AWS_MAX_ATTEMPTS", "max_attempts")
      const maxAttempts =
        attempts === undefined || attempts.nested !== undefined ? undefined : pythonInt(attempts.value)
      if (attempts !== undefined && (maxAttempts === undefined || maxAttempts < 1))
        return yield* refuse(attempts, "max_attempts must be a whole number of attempts, 1 or more")
      const mode = setting("AWS_RETRY_MODE", "retry_mode")
      if (mode !== undefined && (mode.nested !== undefined || !retryModes.includes(mode.value)))
        return yield* refuse(mode, "retry_mode must be legacy, standard or adaptive")
      const regional = setting("AWS_STS_REGIONAL_ENDPOINTS", "sts_regional_endpoints")
      const regionalValue = regional?.nested === undefined ? regional?.value : "(a nested block)"
      if (
        regional !== undefined &&
        regionalValue !== "" &&
        regionalValue !== "legacy" &&
        regionalValue !== "regional"
      )
        return yield* refuse(regional, "sts_regional_endpoints must be legacy or regional")
      return {
        endpoint: url?.value,
        endpointFrom: url?.where,
        useFipsEndpoint: isTrue(setting("AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint")),
        useDualstackEndpoint: isTrue(setting("AWS_USE_DUALSTACK_ENDPOINT", "use_dualstack_endpoint")),
        stsGlobalEndpoint: regionalValue === "legacy",
        maxAttempts,
        retryMode: (mode?.value ?? "legacy") as RetryMode,
      }
    })
  return { sts: forService("sts"), iam: forService("iam") }
}
