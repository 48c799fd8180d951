// Run as its own process by the lock tests.
//   hold <lock>                  takes the lock, prints "held", keeps it until killed
//   count <lock> <counter> <n>   n times: take the lock, add 1 to the number in <counter>, release
//   die <lock> <counter>         take the lock, add 1 to <counter>, and die holding it (SIGKILL)
import * as fs from "node:fs"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect } from "effect"
import * as Lock from "../../src/layers/Lock.js"

const [mode = "", lock = "", counter = "", n = "0"] = process.argv.slice(2)

const hold = Effect.scoped(
  Effect.zipRight(
    Lock.acquire(lock),
    Effect.zipRight(
      Effect.sync(() => process.stdout.write("held\n")),
      Effect.never,
    ),
  ),
)

const increment = Effect.gen(function* () {
  yield* Lock.acquire(lock, { wait: "30 seconds" })
  const value = Number(fs.readFileSync(counter, "utf8"))
  yield* Effect.sleep("5 millis")
  fs.writeFileSync(counter, String(value + 1))
})

const count = Effect.forEach(Array.from({ length: Number(n) }), () => Effect.scoped(increment), {
  discard: true,
})

const die = Effect.scoped(
  Effect.zipRight(
    increment,
    Effect.sync(() => process.kill(process.pid, "SIGKILL")),
  ),
)

const modes = { hold, count, die } as const
const program = mode in modes ? modes[mode as keyof typeof modes] : Effect.die(`unknown mode ${mode}`)
NodeRuntime.runMain(program.pipe(Effect.provide(NodeFileSystem.layer)))
