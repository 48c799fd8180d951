// The IAM client and the commands the tool sends: the SDK chunk holds these and nothing else.
export {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListMFADevicesCommand,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam"
export { configuredEndpoint } from "./endpoint.js"
