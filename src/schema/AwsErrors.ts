import * as Data from "effect/Data"

interface Call {
  /** The AWS action, e.g. `sts:GetSessionToken`. */
  readonly operation: string
  /** The masked access key id that signed the call. */
  readonly signer: string
}

export class InvalidCredentials extends Data.TaggedError("InvalidCredentials")<
  Call & { readonly detail: string; readonly keptIn?: string }
> {
  override get message() {
    const from = this.keptIn === undefined ? "" : ` (its secret was read from ${this.keptIn})`
    return `AWS refused key ${this.signer} for ${this.operation} (${this.detail}): the key is wrong, inactive or deleted${from}.`
  }
}

export class AccessDenied extends Data.TaggedError("AccessDenied")<Call & { readonly detail: string }> {
  override get message() {
    return `AWS denied ${this.operation} to key ${this.signer}: the IAM policy does not allow it (${this.detail}).`
  }
}

export class MfaRejected extends Data.TaggedError("MfaRejected")<Call & { readonly detail: string }> {
  override get message() {
    return `AWS rejected the MFA code (${this.detail}): wait for the next code and try again.`
  }
}

export class LimitExceeded extends Data.TaggedError("LimitExceeded")<Call & { readonly detail: string }> {
  override get message() {
    return `AWS refused ${this.operation}: a limit was reached (${this.detail}).`
  }
}

export class NoSuchEntity extends Data.TaggedError("NoSuchEntity")<Call & { readonly detail: string }> {
  override get message() {
    return `AWS found nothing for ${this.operation} (${this.detail}).`
  }
}

export class Throttled extends Data.TaggedError("Throttled")<Call> {
  override get message() {
    return `AWS throttled ${this.operation}: wait a moment and try again.`
  }
}

export class Unreachable extends Data.TaggedError("Unreachable")<Call & { readonly detail: string }> {
  override get message() {
    return `Could not reach AWS for ${this.operation} (${this.detail}): check the network, AWS_REGION and AWS_ENDPOINT_URL.`
  }
}

export class TimedOut extends Data.TaggedError("TimedOut")<
  Call & { readonly endpoint: string; readonly seconds: number }
> {
  override get message() {
    return `AWS did not answer ${this.operation} at ${this.endpoint} within ${this.seconds} s: check the network, AWS_REGION and AWS_ENDPOINT_URL.`
  }
}

/** Something other than AWS answered: a wrong endpoint URL, a proxy or a captive portal. */
export class NotAws extends Data.TaggedError("NotAws")<
  Call & {
    readonly endpoint: string
    readonly status: number
    /** What came back, e.g. "an HTML page". */
    readonly answer: string
    /** What to check, e.g. "AWS_ENDPOINT_URL". */
    readonly check: string
  }
> {
  override get message() {
    return `${this.endpoint} answered ${this.operation} with ${this.status} and ${this.answer}, not AWS: check ${this.check}.`
  }
}

/** AWS_IAM_LOGIN_TIMEOUT holds something other than a number of seconds. */
export class BadTimeout extends Data.TaggedError("BadTimeout")<{ readonly value: string }> {
  override get message() {
    return `AWS_IAM_LOGIN_TIMEOUT is "${this.value}": set it to the number of seconds an AWS call may take (30 when unset).`
  }
}

export class AwsFailure extends Data.TaggedError("AwsFailure")<
  Call & { readonly code: string; readonly detail: string; readonly status?: number }
> {
  override get message() {
    return this.status === undefined
      ? `AWS ${this.operation} failed with ${this.code}: ${this.detail}`
      : `AWS answered ${this.operation} with ${this.status} ${this.code} (${this.detail.replace(/\.$/, "")})`
  }
}

/** A setting the AWS CLI would fail on (an endpoint URL it cannot call, an unknown retry mode): nothing was sent. */
export class BadSetting extends Data.TaggedError("BadSetting")<
  Call & { readonly where: string; readonly reason: string }
> {
  override get message() {
    return `${this.where}: ${this.reason}. The AWS CLI would fail on it too, so ${this.operation} was not sent; fix it and try again.`
  }
}

export type AwsError =
  | InvalidCredentials
  | AccessDenied
  | MfaRejected
  | LimitExceeded
  | NoSuchEntity
  | Throttled
  | Unreachable
  | TimedOut
  | NotAws
  | AwsFailure
  | BadSetting
