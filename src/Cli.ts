import * as CliConfig from "@effect/cli/CliConfig"
import * as Command from "@effect/cli/Command"
import * as Descriptor from "@effect/cli/CommandDescriptor"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Span from "@effect/cli/HelpDoc/Span"
import * as Usage from "@effect/cli/Usage"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Arr from "effect/Array"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import pkg from "../package.json" with { type: "json" }
import { complete, script } from "./commands/completion.js"
import { exec } from "./commands/exec.js"
import { exportCommand } from "./commands/export.js"
import { builtInFlags, flagsOf, shells } from "./commands/flags.js"
import { type Grammar, separated, toTree } from "./commands/grammar.js"
import { init } from "./commands/init.js"
import { list } from "./commands/list.js"
import { login } from "./commands/login.js"
import { logout } from "./commands/logout.js"
import { asksForHelp, ownArgs } from "./commands/names.js"
import { rotate } from "./commands/rotate/index.js"
import { status } from "./commands/status.js"
import { renderHelp } from "./Help.js"

const name = "aws-iam-login"

/** The subcommands, in the order the help lists them: the one list (completion reads it too). */
const subcommands = [login, init, rotate, status, exportCommand, exec, list, logout] as const

export const command = Command.make(name).pipe(
  Command.withDescription(
    "Log in to AWS as an IAM user with an MFA device: your long-term key and a 6-digit code become a session in [<profile>-sts] of ~/.aws/credentials, for the AWS CLI and every SDK. Also rotates that key without locking you out.",
  ),
  Command.withSubcommands([...subcommands]),
)

/** No built-in options on the pages: @effect/cli would list --wizard and --log-level among them. */
const cliConfig = CliConfig.make({ showBuiltIns: false })

export const run = (args: ReadonlyArray<string>) =>
  Command.run(command, { name, version: pkg.version })(args).pipe(
    Effect.provideService(CliConfig.CliConfig, cliConfig),
  )

/** Each subcommand's flags, and which take a profile: what completion offers. */
export const commandFlags = flagsOf(subcommands.map((sub) => sub.descriptor))

/** What the mapping from the original order needs to know of the tree. */
export const grammar: Grammar = {
  commands: new Map(
    [...commandFlags.subcommands.keys()].map((name) => [name, commandFlags.profiled.has(name)]),
  ),
  flags: [
    ...[...commandFlags.subcommands.values()].flat(),
    ...builtInFlags,
    { names: ["--profile"], values: [] },
  ],
}

/** The command line with `--` before the command `exec` runs: what follows is never read as ours. */
export const withSeparator = (args: ReadonlyArray<string>) => separated(args, grammar)

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
    ['eval "$(aws-iam-login work export --format env)"', "the session as environment variables"],
  ],
  exec: [
    [
      "aws-iam-login exec work -- aws s3 ls",
      "runs aws with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_CREDENTIAL_EXPIRATION and AWS_REGION set, AWS_PROFILE unset",
    ],
    ["aws-iam-login work exec -- terraform plan", "the original order works too"],
  ],
  list: [
    ["aws-iam-login list", "every profile: username, MFA device, session expiry (no network)"],
    ["aws-iam-login list --keys --json", "with each key's age from IAM, as JSON"],
  ],
  logout: [["aws-iam-login work logout", "removes [work-sts]; [work] and everything else stay"]],
}

const examplesOf = (command: string): HelpDoc.HelpDoc =>
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

/**
 * @effect/cli describes every option and argument by its type and default as well ("A user-defined
 * piece of text.", "This setting is optional."), whatever description it is given, with no setting
 * to turn that off; every one here has a description of its own, so the page drops those lines.
 */
const generated =
  /^(A user-defined piece of text\.|A true or false value\.|This setting is optional\.|One of the following: .*|This argument (may|must) be repeated .*)$/

const withoutGenerated = (doc: HelpDoc.HelpDoc): HelpDoc.HelpDoc => {
  switch (doc._tag) {
    case "Paragraph":
      return doc.value._tag === "Text" && generated.test(doc.value.value) ? HelpDoc.empty : doc
    case "Sequence":
      return HelpDoc.sequence(withoutGenerated(doc.left), withoutGenerated(doc.right))
    case "DescriptionList":
      return HelpDoc.descriptionList(
        Arr.map(
          doc.definitions,
          ([term, description]) => [term, withoutGenerated(description)] as [Span.Span, HelpDoc.HelpDoc],
        ),
      )
    default:
      return doc
  }
}

/** The usage lines in the original tool's order, `aws-iam-login <profile> [command] …`. */
const originalOrder = (command: string): ReadonlyArray<string> => {
  if (command === name)
    return [`${name} <profile> [<command>] [options]`, `${name} <command> [<profile>] [options]`]
  if (!grammar.commands.get(command)) return []
  return [
    `${name} <profile>${command === "login" ? "" : ` ${command}`} [options]${command === "exec" ? " [--] <command>..." : ""}`,
  ]
}

/** The page @effect/cli's `--help` prints (banner, version, usage, the command's help), with examples. */
const helpPage = (usage: Usage.Usage, help: HelpDoc.HelpDoc, command: string) => {
  const inTree =
    command === name
      ? []
      : Usage.enumerate(Usage.concat(Usage.named([name], Option.none()), usage), cliConfig)
  const usages = [...originalOrder(command).map(Span.text), ...inTree]
  return [
    HelpDoc.h1(Span.code(name)),
    HelpDoc.p(Span.spans([Span.text(`${name} ${pkg.version}`), Span.empty])),
    HelpDoc.sequence(
      HelpDoc.h1("USAGE"),
      HelpDoc.blocks(usages.map((span) => HelpDoc.p(Span.concat(Span.text("$ "), span)))),
    ),
    withoutGenerated(help),
    examplesOf(command),
  ].reduce((page, part) => HelpDoc.sequence(page, part))
}

/** The help page or the version that `args` (already in tree order) ask for, if they do. */
const helpOrVersion = (args: ReadonlyArray<string>) =>
  Descriptor.parse(command.descriptor, [name, ...args], cliConfig).pipe(
    Effect.map((directive) => {
      if (directive._tag !== "BuiltIn") return Option.none<string>()
      const { option } = directive
      const asked = grammar.commands.has(args[0] ?? "") ? args[0]! : name
      if (option._tag === "ShowHelp")
        return Option.some(renderHelp(helpPage(option.usage, option.helpDoc, asked)))
      // @effect/cli prints the version with a blank line after it.
      return option._tag === "ShowVersion" ? Option.some(pkg.version) : Option.none<string>()
    }),
    Effect.orElseSucceed(() => Option.none<string>()),
  )

const usageHint = "Run `aws-iam-login --help` for usage."

/** Completion, which the scripts call back with the words typed so far, and the scripts themselves. */
const completion = (args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    if (args[0] === "__complete")
      return Option.some(yield* Effect.as(complete(args.slice(1), commandFlags), 0))
    const at = ownArgs(args).indexOf("--completions")
    if (at < 0 || asksForHelp(args.slice(0, at))) return Option.none<number>()
    const shell = shells.find((s) => s === args[at + 1])
    if (shell === undefined) {
      yield* Console.error(`--completions takes one of: ${shells.join(", ")}. ${usageHint}`)
      return Option.some(2)
    }
    return Option.some(yield* Effect.as(Console.log(script(shell)), 0))
  })

/** What this tool does itself rather than leave to @effect/cli: help and version, the wizard. */
const builtIn = (args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    if (asksForHelp(args) || ownArgs(args).includes("--version")) {
      const page = yield* helpOrVersion(args)
      if (Option.isSome(page)) return Option.some(yield* Effect.as(Console.log(page.value), 0))
    }
    // @effect/cli's wizard treats Ctrl-C as success, and this tool's prompts are its own.
    if (ownArgs(args).includes("--wizard")) {
      yield* Console.error(`aws-iam-login has no --wizard: every command asks what it needs. ${usageHint}`)
      return Option.some(2)
    }
    return Option.none<number>()
  })

const awsProfile = Config.option(Config.nonEmptyString("AWS_PROFILE")).pipe(
  Effect.map(Option.getOrUndefined),
  Effect.orElseSucceed(() => undefined),
)

/**
 * Runs the command line `args` (without node and the script) and returns the exit code:
 * 0 done, 1 failed (one sentence on stderr), 2 usage error (printed once, with a hint).
 */
export const main = (args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const completed = yield* completion(args[0] === "__complete" ? args : withSeparator(args))
    if (Option.isSome(completed)) return completed.value
    const mapped = toTree(args, grammar, yield* awsProfile)
    if (Either.isLeft(mapped)) return yield* Effect.as(Console.error(`${mapped.left}\n\n${usageHint}`), 2)
    const handled = yield* builtIn(mapped.right)
    if (Option.isSome(handled)) return handled.value
    return yield* run(["node", name, ...mapped.right]).pipe(
      Effect.as(0),
      Effect.catchAll((error) =>
        error._tag === "CommandExited"
          ? Effect.succeed(error.status)
          : ValidationError.isValidationError(error)
            ? Effect.as(ValidationError.isHelpRequested(error) ? Effect.void : Console.error(usageHint), 2)
            : Console.error(`aws-iam-login: ${error.message}`).pipe(Effect.as(1)),
      ),
      Effect.catchAllDefect((defect) =>
        Console.error(
          `aws-iam-login: unexpected error: ${defect instanceof Error ? defect.message : String(defect)}`,
        ).pipe(Effect.as(1)),
      ),
    )
  })
