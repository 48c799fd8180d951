import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { CredentialsFile, profileNames } from "../services/CredentialsFile.js"
import { commandStart, wordsIn } from "./argv.js"
import { usageHint } from "./exit.js"
import { type CommandFlags, type Flag, flagNamed, shells } from "./flags.js"
import { asksForHelp, ownArgs } from "./names.js"
import { grammar } from "./tree.js"

/**
 * Shell completion. The scripts call back `aws-iam-login __complete <index> <words…>`, so one
 * piece of code knows the commands, flags and the profiles in the credentials file.
 */

/** Values to offer for flags that take free text. */
const suggestions: Record<string, ReadonlyArray<string>> = {
  "--duration": ["15m", "1h", "12h", "36h"],
  "--completions": shells,
}

/** The built-in flags offered after the profile, and after a subcommand. */
const offeredBuiltIns = { root: ["--help", "--version", "--completions"], subcommand: ["--help"] }

const longNames = (flags: ReadonlyArray<Flag>) =>
  flags.flatMap((flag) => flag.names.filter((name) => name.startsWith("--")))

/** What `__complete` prints when the word is the name of the command `exec` runs. */
export const commandsMarker = "\tcommands"

// Each candidate is a line, `name<TAB>description` for commands and profiles: bash shows names only.
const bash = `_aws_iam_login_complete() {
  local IFS=$'\\n' out
  out=$(aws-iam-login __complete "$COMP_CWORD" "\${COMP_WORDS[@]}" 2>/dev/null)
  if [[ "$out" == $'\\tcommands' ]]; then
    COMPREPLY=($(compgen -c -- "\${COMP_WORDS[COMP_CWORD]}"))
  else
    COMPREPLY=($(printf '%s\\n' "$out" | cut -f1))
  fi
}
complete -o default -F _aws_iam_login_complete aws-iam-login
`

const zsh = `#compdef aws-iam-login
_aws_iam_login_complete() {
  local out line
  local -a candidates
  out=$(aws-iam-login __complete $((CURRENT - 1)) "\${words[@]}" 2>/dev/null)
  if [[ "$out" == $'\\tcommands' ]]; then
    _command_names
    return
  fi
  for line in "\${(@f)out}"; do
    [[ -n "$line" ]] && candidates+=("\${\${line%%$'\\t'*}//:/\\\\:}\${\${line#*$'\\t'}:+:\${line#*$'\\t'}}")
  done
  _describe -V aws-iam-login candidates
}
compdef _aws_iam_login_complete aws-iam-login
`

const fish = `function __aws_iam_login_complete
    set -l current (commandline -ct)
    set -l words (commandline -opc) "$current"
    set -l out (aws-iam-login __complete (math (count $words) - 1) $words 2>/dev/null)
    if test "$out" = (printf '\\tcommands')
        __fish_complete_command
    else
        printf '%s\\n' $out
    end
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
  const takingValue = (word: string | undefined) => {
    const flag = word?.startsWith("-") && !word.includes("=") ? flagNamed(grammar.flags, word) : undefined
    return flag?.values === undefined ? undefined : flag
  }
  const all = ((): ReadonlyArray<string> => {
    const end = before.indexOf("--")
    const positionals = wordsIn(before, grammar).map((i) => before[i]!)
    const subcommand = positionals.slice(0, 2).find((word) => flags.subcommands.has(word))
    if (
      subcommand === "exec" &&
      commandStart(before, grammar) === before.length &&
      (end >= 0 || !current.startsWith("-"))
    )
      return [commandsMarker]
    if (end >= 0) return []
    if (before.at(-1) === "--profile") return profiles
    const previous = takingValue(before.at(-1))
    if (previous !== undefined) {
      const suggested = previous.names.flatMap((name) => suggestions[name] ?? [])
      return suggested.length > 0 ? suggested : (previous.values ?? [])
    }
    const commands = [...flags.subcommands.keys()]
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
  return all[0] === commandsMarker ? all : all.filter((candidate) => candidate.startsWith(current))
}

/** The profiles worth offering: those holding a long-term key, in either file (not sessions). */
const loginProfiles = Effect.gen(function* () {
  const files = yield* CredentialsFile
  const file = yield* files.read
  const config = yield* files.readConfig.pipe(Effect.orElseSucceed(() => undefined))
  const keyed = (values: Readonly<Record<string, string>> | undefined) =>
    values?.aws_access_key_id !== undefined && values.aws_session_token === undefined
  const inConfig = [...(config?.sections.values() ?? [])]
    .filter((section) => keyed(section.values))
    .map((section) => section.name.replace(/^profile\s+/, ""))
  const inCredentials = profileNames(file).filter((name) => keyed(file.sections.get(name)?.values))
  return [...new Set([...inCredentials, ...inConfig])]
})

/** Each candidate as `name<TAB>description`: zsh and fish show the description. */
const described = (candidate: string, profiles: ReadonlyArray<string>, descriptions: Descriptions) =>
  `${candidate}\t${descriptions.get(candidate) ?? (profiles.includes(candidate) ? "profile" : "")}`

/** A short description of each command, for the shells that show one. */
export type Descriptions = ReadonlyMap<string, string>

const complete = (args: ReadonlyArray<string>, flags: CommandFlags, descriptions: Descriptions) =>
  Effect.gen(function* () {
    const profiles = yield* loginProfiles
    const [index, ...words] = args
    const found = candidates(Number(index), words, profiles, flags)
    yield* Console.log(
      found[0] === commandsMarker
        ? commandsMarker
        : found.map((candidate) => described(candidate, profiles, descriptions)).join("\n"),
    )
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
export const completeWords = (args: ReadonlyArray<string>, flags: CommandFlags, descriptions: Descriptions) =>
  Effect.as(complete(args, flags, descriptions), 0)
