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
