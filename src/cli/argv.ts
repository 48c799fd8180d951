import * as Either from "effect/Either"
import { closest } from "../closest.js"
import { type Flag, flagNamed } from "./flags.js"

/** What the mapping needs to know of the command tree. */
export interface Grammar {
  /** Each subcommand, and whether it takes a `<profile>`. */
  readonly commands: ReadonlyMap<string, boolean>
  /** Every flag of every command, so that a flag's value is not taken for a word. */
  readonly flags: ReadonlyArray<Flag>
  /** The flags each subcommand takes, besides those every command line takes (`common`). */
  readonly own: ReadonlyMap<string, ReadonlyArray<Flag>>
  /** The flags every command line takes: @effect/cli's built-in ones, and the tool's own (`root`). */
  readonly common: ReadonlyArray<Flag>
  /** The tool's own options (--debug), read by the root command before the subcommand. */
  readonly root: ReadonlyArray<Flag>
}

/**
 * The first flag in `flags` (the line's flags and their values, before any `--`) that `command`
 * does not take, or that is given twice, as the sentence that says so. Of short flags given
 * together (`-fy`), @effect/cli takes only switches, each once, and reports anything else with no
 * sentence at all; nor does it read a short flag's value after `=` (`-t=123456`).
 */
const flagMistake = (flags: ReadonlyArray<string>, command: string, grammar: Grammar) => {
  const own = grammar.own.get(command) ?? []
  const taken = [...own, ...grammar.common]
  const seen = new Set<Flag>()
  for (let i = 0; i < flags.length; i++) {
    const arg = flags[i]!
    const joined = /^(-[a-zA-Z])=(.*)$/.exec(arg)
    const cluster = /^-[a-zA-Z]{2,}$/.test(arg)
    const names = cluster
      ? [...arg.slice(1)].map((letter) => `-${letter}`)
      : [joined?.[1] ?? arg.split("=")[0]!]
    for (const name of names) {
      const flag = flagNamed(taken, name)
      if (flag === undefined) {
        const suggestion = closest(
          name,
          own.flatMap((f) => f.names.filter((n) => n.startsWith("--"))),
        )
        return suggestion === undefined
          ? `${name} is not an option of ${command}: \`aws-iam-login ${command} --help\` lists its options.`
          : `The flag '${name}' is not recognized. Did you mean '${suggestion}'?`
      }
      if (seen.has(flag) && !grammar.root.includes(flag)) return `${name} is given twice.`
      seen.add(flag)
      if (joined !== null) return `Write ${name} ${joined[2]}: a short flag's value follows a space.`
      if (cluster && flag.values !== undefined)
        return `In ${arg}, ${name} takes a value: give it on its own, as ${name} VALUE.`
      if (!arg.includes("=") && flag.values !== undefined) i++
    }
  }
  return undefined
}

const without = (args: ReadonlyArray<string>, from: number, count: number) =>
  args.filter((_, i) => i < from || i >= from + count)

const isProfileFlag = (arg: string) => arg === "--profile" || arg.startsWith("--profile=")

/** Removes `--profile NAME` (or `--profile=NAME`) from `args`, returning the name. */
const takeProfileFlag = (args: ReadonlyArray<string>): [ReadonlyArray<string>, string | undefined] => {
  const at = args.findIndex(isProfileFlag)
  if (at < 0) return [args, undefined]
  const word = args[at]!
  if (word.includes("=")) return [without(args, at, 1), word.slice("--profile=".length)]
  const value = args[at + 1]
  return value === undefined ? [args, undefined] : [without(args, at, 2), value]
}

/**
 * The command line with `--` before the command `exec` runs, when it has none there: everything from
 * that command's name on is the command's, byte for byte, whatever it looks like. The command is the
 * word after `exec <profile>` or `<profile> exec` (after `exec` alone when `--profile` names the
 * profile); what comes before it is this tool's.
 */
export const separated = (args: ReadonlyArray<string>, grammar: Grammar): ReadonlyArray<string> => {
  const at = commandStart(args, grammar)
  return at === undefined || args[at - 1] === "--" ? args : [...args.slice(0, at), "--", ...args.slice(at)]
}

/**
 * How `args` reads up to its first `--` (`end`, args.length without one): the indices of its words,
 * neither flags nor a flag's value (`-t 123456`), and of its first `--profile`.
 */
const scan = (args: ReadonlyArray<string>, flags: ReadonlyArray<Flag>) => {
  const words: Array<number> = []
  let profileAt: number | undefined
  let i = 0
  for (; i < args.length && args[i] !== "--"; i++) {
    const arg = args[i]!
    if (!arg.startsWith("-") || arg === "-") words.push(i)
    else {
      if (isProfileFlag(arg)) profileAt ??= i
      if (!arg.includes("=") && flagNamed(flags, arg)?.values !== undefined) i++
    }
  }
  return { words, profileAt, end: Math.min(i, args.length) }
}

/** The indices of the words of `args` before its first `--`: neither flags nor a flag's value. */
export const wordsIn = (
  args: ReadonlyArray<string>,
  grammar: Pick<Grammar, "flags">,
): ReadonlyArray<number> => scan(args, grammar.flags).words

/**
 * Where in `args` the command `exec` runs starts (its name's index: past `--`, or else the word
 * after `exec <profile>`, `<profile> exec`, or `exec` alone when `--profile` names the profile),
 * when the line is exec's and gets that far.
 */
export const commandStart = (
  args: ReadonlyArray<string>,
  grammar: Pick<Grammar, "flags">,
): number | undefined => {
  const { words, profileAt, end } = scan(args, grammar.flags)
  const exec = words.slice(0, 2).findIndex((i) => args[i] === "exec")
  if (exec < 0) return undefined
  const named = (before: number) => profileAt !== undefined && profileAt < before
  // The command's name is the word after the profile's: `exec` alone when --profile came first.
  const at = exec === 0 && named(words[1] ?? end) ? 1 : 2
  // A --profile after the profile's word, in `exec <profile> --profile P`, leaves no place for it.
  if (at === 2 && exec === 0 && named(words[2] ?? end) && words.length > 1)
    return end < args.length ? end + 1 : undefined
  if (words[at] !== undefined) return words[at]
  if (end < args.length) return end + 1
  return words.length === at ? args.length : undefined
}

/**
 * Maps a command line in the original tool's order, `<profile> [subcommand] …`, onto the command
 * tree, `<subcommand> <profile> …`: `work` is `login work`, `work status --json` is
 * `status work --json`, `status work` stays. `help [command]` and `version` are `--help` and
 * `--version`. When no profile is named, `--profile NAME` or else `awsProfile` (AWS_PROFILE) is it;
 * named both as a word and with `--profile`, it is refused.
 * Everything after `--` is left alone. A word in a subcommand's place that is close to one, a flag
 * the command does not have, and a flag given twice are refused with a sentence (Left); every
 * other mistake is left for @effect/cli to report.
 *
 * Each rule is one that @effect/cli 0.77 cannot express in the tree (its source, internal/), and
 * test/grammar.test.ts fails without it:
 * - the subcommand first, `login` when none is named: a parent reads its arguments up to the first
 *   word naming a subcommand and needs one there, with no default (commandDescriptor.ts, Subcommands:
 *   `work status` and `work` fail "Invalid subcommand for aws-iam-login"); a mistyped one is named;
 * - `help [command]` and `version`, the original tool's words: the same failure;
 * - the root's options (`--debug`) before the subcommand, once: a parent's options are read only
 *   there, and a second one is left over and fails the same way (test/debug.test.ts);
 * - `--profile NAME`, else AWS_PROFILE, in the profile's place: the words after `--` are appended
 *   to the arguments before it (commandDescriptor.ts, splitForcedArgs), so an optional profile or
 *   one with Args.withFallbackConfig takes `exec -- aws s3 ls`'s `aws`;
 * - the profile after `--`: a switch takes a following true/false word as its value (options.ts,
 *   parseCommandLine: isTrueValue), so `status --json yes` would lose the profile named yes;
 * - `--` before the command `exec` runs (separated): options are matched anywhere among the
 *   arguments and a repeated text argument takes words starting with `-`, so `exec work aws -t 1`
 *   would give `-t 1` to exec (test/e2e/exec.e2e.test.ts);
 * - the flags checked: a flag the command lacks, or given twice, falls to the profile and fails as
 *   `"-f" cannot be a profile name`, as a profile truly named -f after `--` does; a bad cluster
 *   fails with no sentence at all.
 */
export const toTree = (
  args: ReadonlyArray<string>,
  grammar: Grammar,
  awsProfile: string | undefined,
): Either.Either<ReadonlyArray<string>, string> => {
  const { commands } = grammar
  if (args[0] !== "help") {
    const explicit = separated(args, grammar)
    if (explicit !== args) return toTree(explicit, grammar, awsProfile)
  }
  if (args[0] === "help") {
    const topic = args[1]
    return Either.right(topic !== undefined && commands.has(topic) ? [topic, "--help"] : ["--help"])
  }
  if (args[0] === "version" && args.length === 1) return Either.right(["--version"])
  const end = args.indexOf("--")
  const [own, named] = takeProfileFlag(end < 0 ? args : args.slice(0, end))
  const forced = end < 0 ? [] : args.slice(end)
  const words = wordsIn(own, grammar)
  const [first, second] = words.map((i) => own[i]!)
  const at = [first, second].findIndex((word) => word !== undefined && commands.has(word))
  if (at < 0) {
    if (second !== undefined) {
      // Two words and neither a command: one of them was meant to be.
      for (const typo of [second, first!]) {
        const suggestion = closest(typo, commands.keys())
        if (suggestion !== undefined)
          return Either.left(`Unknown command '${typo}'. Did you mean '${suggestion}'?`)
      }
    }
  }
  const command = at < 0 ? "login" : own[words[at]!]!
  // A question, whatever else the line holds: about the command, or with no word at all, the tool.
  const about = first === undefined ? [] : [command]
  if (own.includes("--help") || own.includes("-h")) return Either.right([...about, "--help"])
  if (own.includes("--version")) return Either.right(["--version"])
  const positionals = words.filter((_, i) => i !== at).map((i) => own[i]!)
  const allFlags = own.filter((_, i) => !words.includes(i))
  const mistake = flagMistake(allFlags, command, grammar)
  if (mistake !== undefined) return Either.left(mistake)
  // @effect/cli reads the root command's options only before the subcommand's name.
  const isRoot = (arg: string) => grammar.root.includes(flagNamed(grammar.flags, arg)!)
  const root = [...new Set(allFlags.filter(isRoot))]
  const flags = allFlags.filter((arg) => !isRoot(arg))
  const profiled = commands.get(command) === true
  if (profiled && positionals.length > 0 && named !== undefined)
    return Either.left(
      `The profile is named twice, as ${positionals[0]} and as --profile ${named}: give one.`,
    )
  const profile = positionals.length === 0 && profiled ? (named ?? awsProfile) : undefined
  // Flags before `--`, the words after it, where none is taken for a switch's value.
  const after = [...(profile === undefined ? [] : [profile]), ...positionals, ...forced.slice(1)]
  return Either.right([...root, command, ...flags, ...(after.length > 0 ? ["--", ...after] : [])])
}
