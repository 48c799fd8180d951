import * as Descriptor from "@effect/cli/CommandDescriptor"
import type * as Usage from "@effect/cli/Usage"
import * as HashMap from "effect/HashMap"
import * as Option from "effect/Option"

/** A flag's spellings, and its values: none for a switch, the choices for a choice, else []. */
export interface Flag {
  readonly names: ReadonlyArray<string>
  readonly values: ReadonlyArray<string> | undefined
}

export const shells = ["bash", "zsh", "fish", "sh"] as const

/** The flags @effect/cli gives every command line. */
export const builtInFlags: ReadonlyArray<Flag> = [
  { names: ["-h", "--help"], values: undefined },
  { names: ["--version"], values: undefined },
  { names: ["--wizard"], values: undefined },
  { names: ["--completions"], values: shells },
  { names: ["--log-level"], values: ["all", "trace", "debug", "info", "warning", "error", "fatal", "none"] },
  // Not @effect/cli's: src/layers/Debug.ts takes it off the command line before parsing.
  { names: ["--debug"], values: undefined },
]

const flagsIn = (usage: Usage.Usage): Array<Flag> => {
  switch (usage._tag) {
    case "Named": {
      if (!usage.names.some((name) => name.startsWith("-"))) return []
      const values = Option.match(usage.acceptedValues, {
        onNone: () => undefined,
        onSome: (accepted) => (accepted.includes(" | ") ? accepted.split(" | ") : []),
      })
      return [{ names: usage.names, values }]
    }
    case "Optional":
    case "Repeated":
      return flagsIn(usage.usage)
    case "Alternation":
    case "Concat":
      return [...flagsIn(usage.left), ...flagsIn(usage.right)]
    default:
      return []
  }
}

export interface CommandFlags {
  readonly root: ReadonlyArray<Flag>
  readonly subcommands: ReadonlyMap<string, ReadonlyArray<Flag>>
}

/** A command's own flags, read from its definition. */
export const ownFlags = <A>(command: Descriptor.Command<A>): ReadonlyArray<Flag> =>
  flagsIn(Descriptor.getUsage(command))

/** The flags of a command and of each of its subcommands. */
export const flagsOf = <A>(command: Descriptor.Command<A>): CommandFlags => ({
  root: ownFlags(command),
  subcommands: new Map(
    HashMap.toEntries(Descriptor.getSubcommands(command)).map(([name, sub]) => [name, ownFlags(sub)]),
  ),
})

/** The flag `word` names (`--token=123456` names `--token`), without regard to case, as @effect/cli reads it. */
export const flagNamed = (flags: ReadonlyArray<Flag>, word: string): Flag | undefined => {
  const name = word.split("=")[0]!.toLowerCase()
  return flags.find((flag) => flag.names.some((n) => n.toLowerCase() === name))
}

/** The first argument that looks like a flag but is none of `flags`, skipping flags' values. */
export const unknownFlag = (args: ReadonlyArray<string>, flags: ReadonlyArray<Flag>): string | undefined => {
  let value = false
  for (const arg of args) {
    if (arg === "--") return undefined
    if (value) {
      value = false
      continue
    }
    if (!arg.startsWith("-") || arg === "-") continue
    const flag = flagNamed(flags, arg)
    if (flag === undefined) return arg
    value = flag.values !== undefined && !arg.includes("=")
  }
  return undefined
}
