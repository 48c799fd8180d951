import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"

/** A command could not be started, or did not end well. */
export class CommandFailed extends Data.TaggedError("CommandFailed")<{
  readonly command: string
  readonly reason: string
}> {
  override get message() {
    return `Could not run ${this.command}: ${this.reason}.`
  }
}

/** Other programs this tool runs: the command of `exec`, and a profile's `mfa_process`. */
export class Processes extends Context.Tag("aws-iam-login/Processes")<
  Processes,
  {
    /**
     * Runs `command` with `args` on this process's stdin, stdout and stderr, in this environment
     * changed by `env` (an undefined value unsets the variable), passing SIGINT, SIGTERM and SIGHUP
     * on to it. Its exit status: 128 + the signal's number when a signal ended it.
     */
    readonly run: (
      command: string,
      args: ReadonlyArray<string>,
      env: Readonly<Record<string, string | undefined>>,
    ) => Effect.Effect<number, CommandFailed>
    /**
     * What `line`, run by the shell (/bin/sh; cmd.exe on Windows: as aws-vault runs `mfa_process`), prints on stdout, once it exits
     * with 0; its stderr is ours, its stdin empty. Interrupting it kills the process.
     */
    readonly output: (line: string) => Effect.Effect<string, CommandFailed>
  }
>() {}
