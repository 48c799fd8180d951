// The command names, for the launcher (src/launcher.ts, src/fast.ts) alone: it picks a code cache and
// answers the fast path before the bundle that defines the commands loads. scripts/build.mjs writes
// them in when it builds the launcher, read from that bundle's command tree (src/cli/tree.ts).
declare const AWS_IAM_LOGIN_COMMANDS: ReadonlyArray<string>

export const commandNames: ReadonlyArray<string> = AWS_IAM_LOGIN_COMMANDS
