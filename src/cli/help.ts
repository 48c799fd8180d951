import * as Descriptor from "@effect/cli/CommandDescriptor"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Span from "@effect/cli/HelpDoc/Span"
import * as Usage from "@effect/cli/Usage"
import * as Arr from "effect/Array"
import * as HashMap from "effect/HashMap"
import * as Option from "effect/Option"
import pkg from "../../package.json" with { type: "json" }
import { examplesOf } from "./examples.js"
import { asksForHelp } from "./names.js"
import { renderHelp } from "./render.js"
import { cliConfig, command, debugDescription, description, grammar, name } from "./tree.js"
import { wrap } from "./wrap.js"

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
    `${name} <profile>${command === "login" ? "" : ` ${command}`} [options]${command === "exec" ? " [[--] <command>...]" : ""}`,
  ]
}

/** The DESCRIPTION paragraph of a command's help (@effect/cli puts it first). */
const descriptionOf = (help: HelpDoc.HelpDoc): HelpDoc.HelpDoc => {
  if (help._tag !== "Sequence") return HelpDoc.empty
  const { left } = help
  if (left._tag === "Sequence" && left.left._tag === "Header") return left.right
  return descriptionOf(left)
}

/** Each command's description up to its first `:` or `;`, for the shells that show one. */
export const commandDescriptions = (): ReadonlyMap<string, string> =>
  new Map(
    subcommands().map(([sub, descriptor]) => {
      const doc = descriptionOf(Descriptor.getHelp(descriptor, cliConfig))
      const text = doc._tag === "Paragraph" && doc.value._tag === "Text" ? doc.value.value : ""
      return [sub, text.split(/[:;]/)[0]!.trim()]
    }),
  )

const subcommands = () => HashMap.toEntries(Descriptor.getSubcommands(command.descriptor))

/**
 * The tool's own page: the description, then each command and what it does (each command's page
 * has its flags; @effect/cli's table of every command's full usage is wider than a terminal).
 */
const toolHelp = () =>
  HelpDoc.sequence(
    HelpDoc.sequence(HelpDoc.h1("DESCRIPTION"), HelpDoc.p(description)),
    HelpDoc.sequence(
      HelpDoc.h1("COMMANDS"),
      HelpDoc.descriptionList(
        [...grammar.commands].map(([sub, profiled]) => {
          const found = subcommands().find(([n]) => n === sub)
          const help = found === undefined ? HelpDoc.empty : Descriptor.getHelp(found[1], cliConfig)
          const term = `${sub}${profiled ? " <profile>" : ""}${sub === "exec" ? " [<command>...]" : ""}`
          return [Span.text(term), descriptionOf(help)] as [Span.Span, HelpDoc.HelpDoc]
        }) as [[Span.Span, HelpDoc.HelpDoc]],
      ),
    ),
  )

type Definition = [Span.Span, HelpDoc.HelpDoc]

/** The flags every command line takes, listed on each page they apply to. */
const commonOptions = (command: string): HelpDoc.HelpDoc => {
  const definitions: Array<Definition> = [
    ...(command === name || grammar.commands.get(command)
      ? [
          [
            Span.text("--profile NAME"),
            HelpDoc.p("The profile, when <profile> is not given (default: AWS_PROFILE)"),
          ] as Definition,
        ]
      : []),
    [Span.text("--debug"), HelpDoc.p(debugDescription)],
    [
      Span.text("-h, --help"),
      HelpDoc.p(command === name ? "This page; `help <command>` for one command's" : "This page"),
    ],
    ...(command === name
      ? ([
          [Span.text("--version"), HelpDoc.p("The version")],
          [Span.text("--completions bash|zsh|fish|sh"), HelpDoc.p("The shell completion script")],
        ] as Array<Definition>)
      : []),
  ]
  return HelpDoc.sequence(
    HelpDoc.h1(command === name ? "OPTIONS" : "COMMON OPTIONS"),
    HelpDoc.descriptionList(definitions as [Definition]),
  )
}

/** A command's page (the tool's, for `name`): title, usage, its help, the common options, examples. */
const helpPage = (command: string, descriptor: Descriptor.Command<unknown>) => {
  const inTree =
    command === name
      ? []
      : Usage.enumerate(
          Usage.concat(Usage.named([name], Option.none()), Descriptor.getUsage(descriptor)),
          cliConfig,
        )
  const usages = [...originalOrder(command).map(Span.text), ...inTree]
  return [
    HelpDoc.h1(Span.code(`${name} ${pkg.version}`)),
    HelpDoc.sequence(
      HelpDoc.h1("USAGE"),
      HelpDoc.blocks(usages.map((span) => HelpDoc.p(Span.concat(Span.text("$ "), span)))),
    ),
    command === name ? toolHelp() : withoutGenerated(Descriptor.getHelp(descriptor, cliConfig)),
    commonOptions(command),
    examplesOf(command),
  ].reduce((page, part) => HelpDoc.sequence(page, part))
}

/**
 * The help page `args` (already in the tree's order) ask for, built from the tree without parsing
 * (toTree turns every question into `[command] --help`), wrapped to `width` columns. A `--help`
 * after `--` is the command's that `exec` runs, never a question to this tool.
 */
export const helpFor = (args: ReadonlyArray<string>, width: number): Option.Option<string> => {
  if (!asksForHelp(args)) return Option.none()
  const asked = args.length > 1 && grammar.commands.has(args[0]!) ? args[0]! : name
  const sub = subcommands().find(([n]) => n === asked)
  return Option.some(wrap(renderHelp(helpPage(asked, sub?.[1] ?? command.descriptor)), width))
}
