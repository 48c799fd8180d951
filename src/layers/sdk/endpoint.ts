import { booleanSelector, loadConfig, SelectorType } from "@smithy/core/config"

/**
 * The endpoint URL configured for `service` ("STS", "IAM") under `profile`, found as the AWS CLI
 * and the SDK find it: AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the profile's `services`
 * section, its `endpoint_url`; none with ignore_configured_endpoint_urls. The SDK's own lookup
 * (@smithy/core 3.41) reads the profile named by AWS_PROFILE, or [default], whatever profile the
 * client was given: this one reads the client's.
 */
export const configuredEndpoint = async (service: string, profile: string | undefined) => {
  const options = profile === undefined ? {} : { profile }
  const ignored = await loadConfig(
    {
      environmentVariableSelector: (env) =>
        booleanSelector(env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", SelectorType.ENV),
      configFileSelector: (section) =>
        booleanSelector(section, "ignore_configured_endpoint_urls", SelectorType.CONFIG),
      default: false,
    },
    options,
  )()
  if (ignored) return undefined
  return loadConfig<string | undefined>(
    {
      environmentVariableSelector: (env) =>
        env[`AWS_ENDPOINT_URL_${service}`] || env.AWS_ENDPOINT_URL || undefined,
      configFileSelector: (section, config) => {
        if (section.services) {
          const services = config?.[`services.${section.services}`]
          if (services === undefined)
            throw new Error(
              `The services section "${section.services}" named by the profile is not in the config file.`,
            )
          const url = services[`${service.toLowerCase()}.endpoint_url`]
          if (url) return url
        }
        return section.endpoint_url || undefined
      },
      default: undefined,
    },
    options,
  )()
}
