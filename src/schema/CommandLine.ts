/** `name` as one word of a shell command line, quoted where the shell would split or expand it. */
export const shellWord = (name: string): string =>
  /^[\w.@%+=:,/-]+$/.test(name) ? name : `'${name.replace(/'/g, `'\\''`)}'`

/**
 * The words the command line takes for a command when they come first, also when a profile has that
 * name: `aws-iam-login status export` is the status of [export]. test/grammar.test.ts holds this
 * list to the command tree's.
 */
export const commandWords: ReadonlyArray<string> = [
  "login",
  "init",
  "rotate",
  "status",
  "export",
  "exec",
  "list",
  "logout",
  "key",
  "doctor",
  "help",
  "version",
]

/**
 * The command line that runs `command` (login when none) on `profile`, as the tool's sentences
 * show it: `aws-iam-login work rotate`, or `aws-iam-login rotate status` for a profile named like
 * a command, which first would be read as that command.
 */
export const toolLine = (profile: string, command?: string) =>
  commandWords.includes(profile)
    ? `aws-iam-login ${command ?? "login"} ${shellWord(profile)}`
    : `aws-iam-login ${shellWord(profile)}${command === undefined ? "" : ` ${command}`}`
