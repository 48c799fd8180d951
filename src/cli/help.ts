import * as Descriptor from "@effect/cli/CommandDescriptor"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Span from "@effect/cli/HelpDoc/Span"
import * as Usage from "@effect/cli/Usage"
import * as Arr from "effect/Array"
import * as HashMap from "effect/HashMap"
import * as Option from "effect/Option"
import pkg from "../../package.json" with { type: "json" }
import { examplesOf } from "./examples.js"
import { renderHelp } from "./render.js"
import { cliConfig, command, grammar, name } from "./tree.js"

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

/**
 * The help page `args` (already in the tree's order) ask for, built from the tree without parsing:
 * toTree turns every question into `[command] --help`.
 */
export const helpFor = (args: ReadonlyArray<string>): Option.Option<string> => {
  if (args.at(-1) !== "--help") return Option.none()
  const asked = args.length > 1 && grammar.commands.has(args[0]!) ? args[0]! : name
  const sub =
    asked === name ? Option.none() : HashMap.get(Descriptor.getSubcommands(command.descriptor), asked)
  const descriptor = Option.getOrElse(sub, () => command.descriptor)
  return Option.some(
    renderHelp(helpPage(Descriptor.getUsage(descriptor), Descriptor.getHelp(descriptor, cliConfig), asked)),
  )
}
