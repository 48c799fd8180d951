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
