// The IAM client and the commands the tool sends: the SDK chunk holds these and nothing else.
import { IAMClient as Client, type IAMClientConfig } from "@aws-sdk/client-iam"
import { type Observed, observe, observerOptions } from "./observe.js"

export {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  GetAccessKeyLastUsedCommand,
  ListAccessKeysCommand,
  ListMFADevicesCommand,
  SimulatePrincipalPolicyCommand,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam"

/** The SDK's client, noting in `seen` what it did for `--debug`. */
export class IAMClient extends Client {
  constructor(config: IAMClientConfig & { readonly seen: Observed }) {
    super(config)
    this.middlewareStack.add(observe(config.seen), observerOptions)
  }
}
