import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Span from "@effect/cli/HelpDoc/Span"
import * as Arr from "effect/Array"
import { name } from "./tree.js"

type Example = readonly [commandLine: string, what: string]

const examples: Record<string, ReadonlyArray<Example>> = {
  [name]: [
    ["aws-iam-login work init", "store the IAM username and MFA device of profile [work], read from AWS"],
    ["aws-iam-login work", "log in: asks for the MFA code, writes the session to [work-sts]"],
    ["aws-iam-login work --token 123456 --duration 1h", "log in with a code, for one hour"],
    ["AWS_PROFILE=work aws-iam-login status", "the profile can also come from --profile or AWS_PROFILE"],
    ["aws-iam-login exec work -- aws sts get-caller-identity", "run a command with the session"],
    ["aws-iam-login help status", "the help of one command (also: aws-iam-login status --help)"],
    ["source <(aws-iam-login --completions bash)", "shell completion (bash, zsh, fish, sh); --version"],
  ],
  login: [
    ["aws-iam-login work", "asks for the code on a terminal, or reads one line of stdin"],
    ["aws-iam-login login work -t 123456 -d 8h", "the same, with the code given and an 8-hour session"],
    ["aws-iam-login work --force", "a new session even though the stored one is still valid"],
    [
      "aws-iam-login work",
      "with mfa_process = ykman oath accounts code --single work in [work], the code comes from that command",
    ],
  ],
  init: [
    ["aws-iam-login work init", "reads username and mfa_serial from AWS into [work]"],
    ["aws-iam-login init work --force --yes", "reads them again; with several devices takes the first"],
    [
      "aws-iam-login work init --store keyring",
      "a new profile: asks for its key and keeps it in the OS secret store, never in the file",
    ],
  ],
  rotate: [
    ["aws-iam-login work rotate --dry-run", "shows the plan, changes nothing"],
    ["aws-iam-login work rotate", "shows the plan, asks, then rotates"],
    ["aws-iam-login rotate work --yes --mfa", "no question; IAM calls signed with the MFA session"],
  ],
  status: [
    ["aws-iam-login work status", "key (masked) and age, username, MFA device, session expiry"],
    ["aws-iam-login status work --json", "the same, for scripts"],
  ],
  export: [
    ["credential_process = aws-iam-login work export", "in ~/.aws/config: the AWS CLI logs in by itself"],
    [
      "credential_process = aws-iam-login.cmd work export",
      "the same on Windows, where npm's shim needs its full name",
    ],
    ['eval "$(aws-iam-login work export --format env)"', "the session as environment variables"],
  ],
  exec: [
    [
      "aws-iam-login exec work -- aws s3 ls",
      "runs aws with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_CREDENTIAL_EXPIRATION and AWS_REGION set, AWS_PROFILE unset",
    ],
    ["aws-iam-login work exec terraform plan -var env=prod", "the original order works too; -- is optional"],
    [
      "aws-iam-login exec work -d 1h",
      "your $SHELL with a one-hour session, AWS_IAM_LOGIN_PROFILE=work in it",
    ],
  ],
  list: [
    ["aws-iam-login list", "every profile: username, MFA device, session expiry (no network)"],
    ["aws-iam-login list --keys --json", "with each key's age from IAM, as JSON"],
  ],
  logout: [["aws-iam-login work logout", "removes [work-sts]; [work] and everything else stay"]],
  doctor: [
    [
      "aws-iam-login work doctor",
      "checks where the key of [work] is kept, the credentials file and the credential_process lines; exit 1 on a problem",
    ],
  ],
  key: [
    [
      "aws-iam-login work key --store keyring",
      "moves the key of [work] into the OS secret store; [work] points to it, and aws --profile work still works",
    ],
    ["aws-iam-login work key --store file --dry-run", "shows how the key would come back into the file"],
  ],
}

/** The EXAMPLES section of `command`'s help page. */
export const examplesOf = (command: string): HelpDoc.HelpDoc =>
  Arr.match(examples[command] ?? [], {
    onEmpty: () => HelpDoc.empty,
    onNonEmpty: (list) =>
      HelpDoc.sequence(
        HelpDoc.h1("EXAMPLES"),
        HelpDoc.descriptionList(
          Arr.map(
            list,
            ([line, what]) => [Span.code(`$ ${line}`), HelpDoc.p(what)] as [Span.Span, HelpDoc.HelpDoc],
          ),
        ),
      ),
  })
