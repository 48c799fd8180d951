import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { promisify } from "node:util"
import { afterEach, describe, expect, it } from "vitest"
import { bin } from "./moto.js"
import { installedBin, requireTools, Tmux } from "./terminal.js"

const ready = requireTools(["tmux", "bash", "zsh", "fish"], "apt-get install tmux zsh fish")

const home = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aws-iam-login-shell-"))
  const credentials = path.join(dir, "credentials")
  fs.writeFileSync(
    credentials,
    "[default]\nregion = eu-west-1\n[work]\naws_access_key_id = AKIAWORK000000000000\n[work-sts]\nexpiration = x\n" +
      "[personal]\naws_access_key_id = AKIAPERSONAL00000000\n",
  )
  fs.writeFileSync(
    path.join(dir, ".zshrc"),
    "autoload -Uz compinit && compinit -u\nsource <(aws-iam-login --completions zsh)\nPS1='$ '\n",
  )
  fs.writeFileSync(path.join(dir, ".bashrc"), "PS1='$ '\nsource <(aws-iam-login --completions bash)\n")
  return { dir, credentials }
}

const shells: Record<string, (dir: string) => ReadonlyArray<string>> = {
  bash: (dir) => ["bash", "--noprofile", "--rcfile", path.join(dir, ".bashrc"), "-i"],
  zsh: () => ["zsh", "-i"],
  fish: () => [
    "fish",
    "--no-config",
    "-i",
    "-C",
    "aws-iam-login --completions fish | source; function fish_prompt; echo '$ '; end",
  ],
}

describe.runIf(ready)("shell completion in real shells", () => {
  let session: Tmux | undefined
  afterEach(() => session?.stop())

  for (const [shell, command] of Object.entries(shells)) {
    it(`${shell}: subcommands after the profile, their flags, profiles that hold a key, commands after exec, descriptions`, async () => {
      const { dir, credentials } = home()
      const bin = installedBin()
      session = new Tmux(
        command(dir),
        {
          HOME: dir,
          ZDOTDIR: dir,
          TERM: "xterm",
          PATH: `${bin}:${process.env.PATH}`,
          AWS_SHARED_CREDENTIALS_FILE: credentials,
        },
        dir,
      )
      await session.waitFor(/^\$\s*$/m)
      for (const [typed, completed] of [
        ["aws-iam-login work ro", /^\$ aws-iam-login work rotate\s*$/m],
        ["aws-iam-login work rotate --d", /^\$ aws-iam-login work rotate --dry-run\s*$/m],
        ["aws-iam-login per", /^\$ aws-iam-login personal\s*$/m],
        [
          "aws-iam-login work export --format cred",
          /^\$ aws-iam-login work export --format credential-process\s*$/m,
        ],
        ["aws-iam-login status --profile p", /^\$ aws-iam-login status --profile personal\s*$/m],
        ["aws-iam-login exec work tmu", /^\$ aws-iam-login exec work tmux\s*$/m],
        ["aws-iam-login work exec -- tmu", /^\$ aws-iam-login work exec -- tmux\s*$/m],
        ["aws-iam-login de", /^\$ aws-iam-login de\s*$/m],
      ] as const) {
        session.type(typed, "Tab")
        await session.waitFor(completed)
        session.type("C-u")
        await session.waitFor(/^\$\s*$/m)
      }
      expect(session.screen()).not.toContain("work-sts")
      if (shell !== "bash") {
        // Two candidates: the shell lists them, with what each does.
        session.type("aws-iam-login work log", "Tab")
        await session.waitFor(/Remove the session/)
        expect(session.screen()).toContain("Log in")
      }
    }, 60_000)
  }
})

describe("the completion call back through the built CLI", () => {
  it("reads the words as typed, --debug among them, and describes each candidate", async () => {
    const { dir, credentials } = home()
    const run = promisify(execFile)
    const out = await run(process.execPath, [bin, "__complete", "2", "aws-iam-login", "--debug", "w"], {
      env: {
        ...process.env,
        HOME: dir,
        AWS_SHARED_CREDENTIALS_FILE: credentials,
        AWS_CONFIG_FILE: path.join(dir, "config"),
      },
    })
    expect(out).toEqual({ stdout: "work\tprofile\n", stderr: "" })
  })
})
