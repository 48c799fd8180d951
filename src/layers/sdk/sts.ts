// The STS client and the commands the tool sends: the SDK chunk holds these and nothing else.
export { GetCallerIdentityCommand, GetSessionTokenCommand, STSClient } from "@aws-sdk/client-sts"
export { configuredEndpoint } from "./endpoint.js"
