import * as Descriptor from "@effect/cli/CommandDescriptor"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, HashMap } from "effect"
import { toTree } from "../src/cli/argv.js"
import { command, commandNames, grammar } from "../src/cli/tree.js"
import { commandWords } from "../src/schema/CommandLine.js"
import { cli, SimulatedAws, tempHome } from "./support/harness.js"

const mapped = (line: string, awsProfile?: string) =>
  toTree(line === "" ? [] : line.split(" "), grammar, awsProfile).pipe(Either.map((args) => args.join(" ")))

describe("the original order, mapped onto the command tree", () => {
  it("the words read as a command before a profile are the command tree's names, help and version", () => {
    expect([...commandWords].sort()).toEqual([...commandNames, "help", "version"].sort())
  })

  it("inserts login when no command is named, and moves the command first", () => {
    expect(mapped("work")).toEqual(Either.right("login -- work"))
    expect(mapped("work --token 123456")).toEqual(Either.right("login --token 123456 -- work"))
    expect(mapped("work -t 123456 -d 1h --force")).toEqual(
      Either.right("login -t 123456 -d 1h --force -- work"),
    )
    expect(mapped("work status --json")).toEqual(Either.right("status --json -- work"))
    expect(mapped("status work")).toEqual(Either.right("status -- work"))
    expect(mapped("login work")).toEqual(Either.right("login -- work"))
    expect(mapped("work export --format env")).toEqual(Either.right("export --format env -- work"))
    expect(mapped("list")).toEqual(Either.right("list"))
    expect(mapped("")).toEqual(Either.right("login"))
  })

  it("refuses a flag the command does not take, or takes once, with a sentence", () => {
    expect(mapped("work --forse")).toEqual(
      Either.left("The flag '--forse' is not recognized. Did you mean '--force'?"),
    )
    expect(mapped("work --no-such-flag")).toEqual(
      Either.left(
        "--no-such-flag is not an option of login: `aws-iam-login login --help` lists its options.",
      ),
    )
    expect(mapped("exec work --no-such-flag -- ls")).toEqual(
      Either.left("--no-such-flag is not an option of exec: `aws-iam-login exec --help` lists its options."),
    )
    expect(mapped("work --force -f")).toEqual(Either.left("-f is given twice."))
    expect(mapped("work status --json --debug")).toEqual(Either.right("--debug status --json -- work"))
  })

  it("takes short switches given together, and says what is wrong with any other cluster", () => {
    expect(mapped("work init -fy")).toEqual(Either.right("init -fy -- work"))
    expect(mapped("work -ft 123456")).toEqual(
      Either.left("In -ft, -t takes a value: give it on its own, as -t VALUE."),
    )
    expect(mapped("work init -ff")).toEqual(Either.left("-f is given twice."))
    expect(mapped("work init -f -yf")).toEqual(Either.left("-f is given twice."))
    expect(mapped("work -fx")).toEqual(
      Either.left("-x is not an option of login: `aws-iam-login login --help` lists its options."),
    )
    expect(mapped("work -t=123456")).toEqual(
      Either.left("Write -t 123456: a short flag's value follows a space."),
    )
    expect(mapped("work -x=1")).toEqual(
      Either.left("-x is not an option of login: `aws-iam-login login --help` lists its options."),
    )
  })

  it("leaves what follows -- to the command exec runs", () => {
    expect(mapped("exec work -- aws s3 ls --profile x --help")).toEqual(
      Either.right("exec -- work aws s3 ls --profile x --help"),
    )
    expect(mapped("work exec -- status")).toEqual(Either.right("exec -- work status"))
  })

  it("gives exec's command everything from its name on, as if -- came before it", () => {
    expect(mapped("exec work aws --version")).toEqual(Either.right("exec -- work aws --version"))
    expect(mapped("work exec -t 123456 terraform apply -var env=prod")).toEqual(
      Either.right("exec -t 123456 -- work terraform apply -var env=prod"),
    )
    expect(mapped("exec --profile work aws s3 ls --profile x")).toEqual(
      Either.right("exec -- work aws s3 ls --profile x"),
    )
  })

  it("takes the profile from --profile, else AWS_PROFILE, only when none is named", () => {
    expect(mapped("status", "alice")).toEqual(Either.right("status -- alice"))
    expect(mapped("status --profile bob", "alice")).toEqual(Either.right("status -- bob"))
    expect(mapped("--profile=bob --json status")).toEqual(Either.right("status --json -- bob"))
    expect(mapped("", "alice")).toEqual(Either.right("login -- alice"))
    expect(mapped("work status", "alice")).toEqual(Either.right("status -- work"))
    expect(mapped("list", "alice")).toEqual(Either.right("list"))
  })

  it("refuses a profile named both as a word and with --profile, naming both", () => {
    const twice = "The profile is named twice, as work and as --profile bob: give one."
    expect(mapped("work status --profile bob")).toEqual(Either.left(twice))
    expect(mapped("status --profile=bob work", "alice")).toEqual(Either.left(twice))
    expect(mapped("exec work --profile bob aws s3 ls")).toEqual(Either.left(twice))
    expect(mapped("exec --profile bob aws s3 ls --profile work")).toEqual(
      Either.right("exec -- bob aws s3 ls --profile work"),
    )
  })

  it("turns help and version into the flags, and leaves questions about the whole tool alone", () => {
    expect(mapped("help")).toEqual(Either.right("--help"))
    expect(mapped("help status")).toEqual(Either.right("status --help"))
    expect(mapped("version")).toEqual(Either.right("--version"))
    expect(mapped("--help")).toEqual(Either.right("--help"))
    expect(mapped("--version")).toEqual(Either.right("--version"))
    expect(mapped("work --help")).toEqual(Either.right("login --help"))
    expect(mapped("work -t 123456 --help")).toEqual(Either.right("login --help"))
    expect(mapped("work status --json -h")).toEqual(Either.right("status --help"))
    expect(mapped("--token 123456 --help")).toEqual(Either.right("--help"))
    expect(mapped("init --help")).toEqual(Either.right("init --help"))
  })

  it("suggests the command a mistyped one was meant to be", () => {
    expect(mapped("work stauts")).toEqual(Either.left("Unknown command 'stauts'. Did you mean 'status'?"))
    expect(mapped("rotat work")).toEqual(Either.left("Unknown command 'rotat'. Did you mean 'rotate'?"))
    expect(Either.isRight(mapped("work somethingelse"))).toBe(true)
  })

  it("knows the commands from the tree", () => {
    const names = HashMap.keys(Descriptor.getSubcommands(command.descriptor))
    expect([...names].sort()).toEqual([...grammar.commands.keys()].sort())
    expect([...grammar.commands].filter(([, profiled]) => !profiled).map(([name]) => name)).toEqual(["list"])
  })

  it.effect(
    "reads a profile named like a switch's value (yes, on, 1) as the profile, wherever it stands",
    () =>
      Effect.gen(function* () {
        const files = tempHome()
        for (const args of [
          ["status", "--json", "yes"],
          ["yes", "status", "--json"],
          ["rotate", "--dry-run", "on"],
          ["--profile", "1", "status"],
        ]) {
          const out = yield* cli(files, args)
          expect(out.stderr, args.join(" ")).toMatch(/^aws-iam-login: No profile \[(yes|on|1)\] in /)
        }
      }).pipe(Effect.provide(SimulatedAws)),
  )
})
