import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as CliConfig from "@effect/cli/CliConfig"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

const debug = Options.boolean("debug")
const profileFlag = Options.text("profile").pipe(Options.withFallbackConfig(Config.string("AWS_PROFILE")), Options.optional)
const profile = Args.text({ name: "profile" }).pipe(Args.optional)
const force = Options.boolean("force").pipe(Options.withAlias("f"))
const token = Options.text("token").pipe(Options.withAlias("t"), Options.optional)
const login = Command.make("login", { profile, profileFlag, force, token }, (c) => Console.log("login", JSON.stringify(c)))
const status = Command.make("status", { profile, profileFlag, json: Options.boolean("json") }, (c) => Console.log("status", JSON.stringify(c)))
const exec = Command.make("exec", { profile, profileFlag, token, cmd: Args.text({ name: "command" }).pipe(Args.repeated) }, (c) => Console.log("exec", JSON.stringify(c)))
const root = Command.make("x", { debug }).pipe(Command.withSubcommands([login, status, exec]))
const run = Command.run(root, { name: "x", version: "1" })
const lines = process.argv.slice(2).join(" ").split(",").map((l) => l.trim().split(/\s+/).filter(Boolean))
Effect.runPromise(Effect.forEach(lines, (l) => Console.log(">>", l.join(" ")).pipe(Effect.zipRight(run(["node", "x", ...l])), Effect.catchAll((e) => Console.log("ERR", e._tag, JSON.stringify(e).slice(0, 300))), Effect.catchAllDefect((e)=>Console.log("DEFECT", String(e)))), { discard: true }).pipe(Effect.provide(NodeContext.layer), Effect.provideService(CliConfig.CliConfig, CliConfig.make({ showBuiltIns: false }))))
