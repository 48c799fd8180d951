// The STS client and the commands the tool sends: the SDK chunk holds these and nothing else.
import { STSClient as Client, type STSClientConfig } from "@aws-sdk/client-sts"
import { type Observed, observe, observerOptions } from "./observe.js"

export { GetCallerIdentityCommand, GetSessionTokenCommand } from "@aws-sdk/client-sts"

/** The SDK's client, noting in `seen` what it did for `--debug`. */
export class STSClient extends Client {
  constructor(config: STSClientConfig & { readonly seen: Observed }) {
    super(config)
    this.middlewareStack.add(observe(config.seen), observerOptions)
  }
}
