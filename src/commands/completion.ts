import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { CredentialsFile, profileNames } from "../services/CredentialsFile.js"
import { isSubcommand, type Subcommand, subcommands } from "./names.js"

/**
 * Shell completion. The scripts call back `aws-iam-login __complete <index> <words…>`, so one
 * piece of code knows the commands, flags and the profiles in the credentials file.
 */

export const shells = ["bash", "zsh", "fish", "sh"] as const

const rootFlags = ["--token", "--duration", "--force", "--help", "--version", "--completions"]
const flags: Record<Subcommand, ReadonlyArray<string>> = {
  init: ["--force", "--yes", "--help"],
  rotate: ["--dry-run", "--yes", "--mfa", "--help"],
  status: ["--json", "--help"],
  export: ["--format", "--help"],
}
const values: Record<string, ReadonlyArray<string>> = {
  "--format": ["credential-process", "env", "json"],
  "--completions": shells,
  "--duration": ["15m", "1h", "12h", "36h"],
  "-d": ["15m", "1h", "12h", "36h"],
  "--token": [],
  "-t": [],
}

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
export const candidates = (index: number, words: ReadonlyArray<string>, profiles: ReadonlyArray<string>) => {
  const current = words[index] ?? ""
  const before = words.slice(1, index)
  const previous = before.at(-1)
  const all = ((): ReadonlyArray<string> => {
    if (previous !== undefined && previous in values) return values[previous] ?? []
    const positionals = before.filter(
      (word, i) => !word.startsWith("-") && !((before[i - 1] ?? "") in values),
    )
    const subcommand = positionals.find(isSubcommand)
    if (current.startsWith("-")) return subcommand === undefined ? rootFlags : flags[subcommand]
    if (positionals.length === 0) return [...profiles, ...subcommands]
    if (positionals.length === 1) return subcommand === undefined ? subcommands : profiles
    return []
  })()
  return all.filter((candidate) => candidate.startsWith(current))
}

export const complete = (args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const file = yield* Effect.flatMap(CredentialsFile, (files) => files.read)
    const [index, ...words] = args
    yield* Console.log(candidates(Number(index), words, profileNames(file)).join("\n"))
  }).pipe(Effect.catchAll(() => Effect.void))
