import * as Descriptor from "@effect/cli/CommandDescriptor"
import type * as Usage from "@effect/cli/Usage"
import * as Option from "effect/Option"

/** A flag's spellings, and its values: none for a switch, the choices for a choice, else []. */
export interface Flag {
  readonly names: ReadonlyArray<string>
  readonly values: ReadonlyArray<string> | undefined
}

export const shells = ["bash", "zsh", "fish", "sh"] as const

/** The flags a usage names, with their values. */
export const flagsIn = (usage: Usage.Usage): Array<Flag> => {
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

const namesIn = (usage: Usage.Usage): Array<string> => {
  switch (usage._tag) {
    case "Named":
      return [...usage.names]
    case "Optional":
    case "Repeated":
      return namesIn(usage.usage)
    case "Alternation":
    case "Concat":
      return [...namesIn(usage.left), ...namesIn(usage.right)]
    default:
      return []
  }
}

/** Whether a command takes the `<profile>` argument (src/cli/profile.ts). */
export const takesProfile = <A>(command: Descriptor.Command<A>): boolean =>
  namesIn(Descriptor.getUsage(command)).includes("<profile>")

export interface CommandFlags {
  /** Each subcommand's flags, in the tree's order. */
  readonly subcommands: ReadonlyMap<string, ReadonlyArray<Flag>>
  /** The subcommands that take a `<profile>`. */
  readonly profiled: ReadonlySet<string>
}

/** A command's own flags, read from its definition. */
export const ownFlags = <A>(command: Descriptor.Command<A>): ReadonlyArray<Flag> =>
  flagsIn(Descriptor.getUsage(command))

/** The flags of each of `subcommands`, and which take a profile. */
export const flagsOf = (subcommands: ReadonlyArray<Descriptor.Command<unknown>>): CommandFlags => {
  const named = subcommands.map((sub) => [[...Descriptor.getNames(sub)][0]!, sub] as const)
  return {
    subcommands: new Map(named.map(([name, sub]) => [name, ownFlags(sub)])),
    profiled: new Set(named.filter(([, sub]) => takesProfile(sub)).map(([name]) => name)),
  }
}

/** The flag `word` names (`--token=123456` names `--token`), without regard to case, as @effect/cli reads it. */
export const flagNamed = (flags: ReadonlyArray<Flag>, word: string): Flag | undefined => {
  const name = word.split("=")[0]!.toLowerCase()
  return flags.find((flag) => flag.names.some((n) => n.toLowerCase() === name))
}
