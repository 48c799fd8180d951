/**
 * The command names, for the launcher (src/launcher.ts) alone: it picks a code cache by command
 * before the bundle that defines the commands is loaded. test/grammar.test.ts holds this list equal
 * to the command tree's; everything else reads the tree.
 */
export const commandNames = [
  "login",
  "init",
  "rotate",
  "status",
  "export",
  "exec",
  "list",
  "logout",
  "key",
] as const

/** The arguments before `--`: what follows belongs to the command `exec` runs. */
export const ownArgs = (args: ReadonlyArray<string>): ReadonlyArray<string> => {
  const end = args.indexOf("--")
  return end < 0 ? args : args.slice(0, end)
}

/** Whether the command line asks for help (`--help` or `-h`, before any `--`). */
export const asksForHelp = (args: ReadonlyArray<string>): boolean => {
  const own = ownArgs(args)
  return own.includes("--help") || own.includes("-h")
}
