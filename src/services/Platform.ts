import type { ChildProcess, SpawnOptions } from "node:child_process"
import type * as path from "node:path"
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import type * as Scope from "effect/Scope"
import type { ProcProofs } from "../files/lock.js"
import { nodePlatform } from "../layers/Platform.js"
import type { SecretStore } from "../schema/SecretStore.js"

/** How the shell runs a command line. */
export interface ShellCommand {
  readonly file: string
  readonly args: ReadonlyArray<string>
  readonly options: Pick<SpawnOptions, "detached" | "windowsVerbatimArguments">
}

/** What to tell a person about a file the system would not let this tool change, by OS. */
export interface Advice {
  /** EACCES on `file` in `dir`. */
  readonly denied: (file: string, dir: string) => string
  /** EPERM on `file` in `dir`. */
  readonly notPermitted: (file: string, dir: string) => string
  /** The file is read-only. */
  readonly readOnly: (file: string) => string
  /** The file belongs to another user. */
  readonly notYours: (file: string) => string
  /** Another program kept the file open past the retries. */
  readonly busy: (file: string) => string
}

/**
 * What differs between the operating systems this tool runs on: the only place that reads
 * `process.platform`. Live by default (the process's own OS); tests provide a darwin or win32 one.
 */
export interface PlatformShape {
  readonly os: NodeJS.Platform
  /** Linux under Windows' WSL. */
  readonly wsl: boolean
  /** The user's uid where files have POSIX owners and modes that mean something; undefined on Windows. */
  readonly uid: number | undefined
  readonly userName: string
  /** The path functions of this OS. */
  readonly path: path.PlatformPath
  /** An environment variable, looked up as this OS does (case-insensitively on Windows). */
  readonly env: (name: string) => string | undefined
  /**
   * A path from AWS_SHARED_CREDENTIALS_FILE or AWS_CONFIG_FILE as botocore expands it:
   * `os.path.expanduser(os.path.expandvars(path))` (on Windows `%VAR%` too, and the home directory
   * from USERPROFILE); Left: why it cannot be used.
   */
  readonly expandPath: (file: string) => Either.Either<string, string>
  /** The console a prompt is written to when stdout and stderr are captured: `/dev/tty`, `CONOUT$` on Windows. */
  readonly console: string
  /** The person's own shell, which `exec` starts when given no command: $SHELL, else /bin/sh; %ComSpec%, else cmd.exe, on Windows. */
  readonly userShell: () => string
  /** How `mfa_process` is run: `/bin/sh -c` in a process group of its own; `%ComSpec% /d /s /c` on Windows. */
  readonly shell: (line: string) => ShellCommand
  /**
   * How a helper process that only this tool may end is started: in a process group of its own, so
   * that the terminal's Ctrl-C (sent to the whole foreground group) reaches this tool alone, which
   * ends the helper when it gives up on it; on Windows as it is (there a group of its own means a new console).
   */
  readonly ownGroup: Pick<SpawnOptions, "detached">
  /** What starts `command` (synchronously, so that its events are listened to in time) found as a person's shell finds it (on Windows through PATHEXT, `.cmd` shims included). */
  readonly spawner: Effect.Effect<
    (command: string, args: ReadonlyArray<string>, options: SpawnOptions) => ChildProcess
  >
  /** Where a person's shell finds `command` on PATH (through PATHEXT on Windows): an existing file it may run; undefined when none. */
  readonly findCommand: (command: string) => string | undefined
  /** Passes a signal this process received on to a command it runs (on Windows Ctrl-C reaches it from the console itself). */
  readonly passOn: (child: ChildProcess, signal: NodeJS.Signals) => Effect.Effect<void>
  /** Ends the process `pid` and every process it started (a process group; `taskkill /T /F` on Windows). */
  readonly killTree: (pid: number) => Effect.Effect<void>
  /** Whether a process with this pid runs on this machine (another user's counts). */
  readonly running: (pid: number) => boolean
  /**
   * What proves a process alive beyond its pid, which the OS may give to another process once it
   * ends: where the OS says when a process started (Linux's /proc), that start time and boot id;
   * elsewhere a file the process holds open exclusively, which the OS lets go when it dies.
   */
  readonly liveness: Liveness
  /** The file system at `dir` takes no modes (WSL's Windows drives mounted without `metadata`): 0777 whatever chmod does. */
  readonly modesIgnored: (dir: string) => boolean
  /**
   * Opens and closes `file` as replacing it needs it: on Windows with no sharing, so that a program
   * that holds it open (an editor, antivirus) is found before an MFA code or a key is spent on the
   * write, not after; elsewhere nothing holds a file against a replace, and nothing is opened.
   */
  readonly unheld: (file: string) => Effect.Effect<void, NodeJS.ErrnoException>
  /** Retries for replacing a file that another program holds open (Windows: editors, antivirus, the indexer). */
  readonly busyCodes: ReadonlyArray<string>
  readonly advice: Advice
  /** The OS secret store @napi-rs/keyring keeps keys in here, named and with its fixes and commands. */
  readonly secretStore: SecretStore
}

export type Liveness =
  | ProcProofs
  | {
      readonly _tag: "HeldFile"
      /** Holds `file` open for the scope, so that `held` answers true everywhere else until then or until this process dies. */
      readonly hold: (file: string) => Effect.Effect<void, Error, Scope.Scope>
      /** Whether a live process holds `file`; false when it is missing. */
      readonly held: (file: string) => Effect.Effect<boolean>
    }

export class Platform extends Context.Reference<Platform>()("aws-iam-login/Platform", {
  defaultValue: nodePlatform,
}) {}
