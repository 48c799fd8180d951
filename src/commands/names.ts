/** The subcommands. The profile may come before or after one: `work status`, `status work`. */
export const subcommands = ["init", "rotate", "status", "export"] as const

export type Subcommand = (typeof subcommands)[number]

/** Whether the command line asks for help (`--help` or `-h`, anywhere). */
export const asksForHelp = (args: ReadonlyArray<string>): boolean =>
  args.includes("--help") || args.includes("-h")

export const isSubcommand = (word: string | undefined): word is Subcommand =>
  subcommands.some((name) => name === word)
