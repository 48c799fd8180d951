// Run as its own process by the concurrency test: sets `n = 1..count` in [profile], one update each.
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect } from "effect"
import * as CredentialsFileLayer from "../../src/layers/CredentialsFile.js"
import { CredentialsFile } from "../../src/services/CredentialsFile.js"

const [credentials = "", profile = "", count = "0"] = process.argv.slice(2)

const program = Effect.gen(function* () {
  const files = yield* CredentialsFile
  for (let n = 1; n <= Number(count); n++) {
    yield* files.update([{ section: profile, set: { [`k${n}`]: `v${n}` } }])
  }
})

NodeRuntime.runMain(
  program.pipe(
    Effect.provide(CredentialsFileLayer.layer({ credentials, config: `${credentials}.config` })),
    Effect.provide(NodeFileSystem.layer),
  ),
)
