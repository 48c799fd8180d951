import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { CredentialsFile, profileNames } from "../services/CredentialsFile.js"
import { usageHint } from "./exit.js"
import { builtInFlags, type CommandFlags, type Flag, flagNamed, shells } from "./flags.js"
import { asksForHelp, ownArgs } from "./names.js"

/**
 * Shell completion. The scripts call back `aws-iam-login __complete <index> <words…>`, so one
 * piece of code knows the commands, flags and the profiles in the credentials file.
 */

/** Values to offer for flags that take free text. */
const suggestions: Record<string, ReadonlyArray<string>> = { "--duration": ["15m", "1h", "12h", "36h"] }

/** The built-in flags offered after the profile, and after a subcommand. */
const offeredBuiltIns = { root: ["--help", "--version", "--completions"], subcommand: ["--help"] }

const longNames = (flags: ReadonlyArray<Flag>) =>
  flags.flatMap((flag) => flag.names.filter((name) => name.startsWith("--")))

const bash = `_aws_iam_login_complete() {
  local IFS=$'\\n'
  COMPREPLY=($(aws-iam-login __complete "$COMP_CWORD" "\${COMP_WORDS[@]}" 2>/dev/null))
}
complete -o default -F _aws_iam_login_complete aws-iam-login
`

const zsh = `#compdef aws-iam-login
_aws_iam_login_complete() {
  local -a candidates
  candidates=("\${(@f)$(aws-iam-login __complete $((CURRENT - 1)) "\${words[@]}" 2>/dev/null)}")
  compadd -a candidates
}
compdef _aws_iam_login_complete aws-iam-login
`

const fish = `function __aws_iam_login_complete
    set -l current (commandline -ct)
    set -l words (commandline -opc) "$current"
    aws-iam-login __complete (math (count $words) - 1) $words 2>/dev/null
end
complete -c aws-iam-login -f -a '(__aws_iam_login_complete)'
`

export const script = (shell: (typeof shells)[number]): string => ({ bash, sh: bash, zsh, fish })[shell]

/** The candidates for word `index` of `words` (words[0] is the command itself). */
export const candidates = (
  index: number,
  words: ReadonlyArray<string>,
  profiles: ReadonlyArray<string>,
  flags: CommandFlags,
) => {
  const current = words[index] ?? ""
  const before = words.slice(1, index)
  const allFlags = [...[...flags.subcommands.values()].flat(), ...builtInFlags]
  const takingValue = (word: string | undefined) => {
    const flag = word?.startsWith("-") && !word.includes("=") ? flagNamed(allFlags, word) : undefined
    return flag?.values === undefined ? undefined : flag
  }
  const all = ((): ReadonlyArray<string> => {
    if (before.includes("--")) return []
    const previous = takingValue(before.at(-1))
    if (previous !== undefined) {
      const suggested = previous.names.flatMap((name) => suggestions[name] ?? [])
      return previous.values?.length ? previous.values : suggested
    }
    const positionals = before.filter(
      (word, i) => !word.startsWith("-") && takingValue(before[i - 1]) === undefined,
    )
    const commands = [...flags.subcommands.keys()]
    const subcommand = positionals.slice(0, 2).find((word) => flags.subcommands.has(word))
    if (current.startsWith("-")) {
      if (subcommand !== undefined)
        return [...longNames(flags.subcommands.get(subcommand) ?? []), ...offeredBuiltIns.subcommand]
      // After a profile alone, the flags of login, which it means.
      const login = positionals.length > 0 ? longNames(flags.subcommands.get("login") ?? []) : []
      return [...login, ...offeredBuiltIns.root]
    }
    if (positionals.length === 0) return [...profiles, ...commands]
    if (positionals.length === 1)
      return subcommand === undefined
        ? commands.filter((name) => flags.profiled.has(name))
        : flags.profiled.has(subcommand)
          ? profiles
          : []
    return []
  })()
  return all.filter((candidate) => candidate.startsWith(current))
}

const complete = (args: ReadonlyArray<string>, flags: CommandFlags) =>
  Effect.gen(function* () {
    const file = yield* Effect.flatMap(CredentialsFile, (files) => files.read)
    const [index, ...words] = args
    yield* Console.log(candidates(Number(index), words, profileNames(file), flags).join("\n"))
  }).pipe(Effect.catchAll(() => Effect.void))

/** The completion script `--completions SHELL` asks for (exit 0), or its usage error (exit 2). */
export const completionScript = (args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const at = ownArgs(args).indexOf("--completions")
    if (at < 0 || asksForHelp(args.slice(0, at))) return Option.none<number>()
    const shell = shells.find((s) => s === args[at + 1])
    if (shell === undefined) {
      yield* Console.error(`--completions takes one of: ${shells.join(", ")}. ${usageHint}`)
      return Option.some(2)
    }
    return Option.some(yield* Effect.as(Console.log(script(shell)), 0))
  })

/** The candidates for `__complete <index> <words…>`, the scripts' call back. */
export const completeWords = (args: ReadonlyArray<string>, flags: CommandFlags) =>
  Effect.as(complete(args, flags), 0)
