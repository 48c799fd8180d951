// The IAM client and the commands the tool sends: the SDK chunk holds these and nothing else.
export {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  GetAccessKeyLastUsedCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListMFADevicesCommand,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam"
