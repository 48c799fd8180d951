import * as Command from "@effect/cli/Command"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { profile } from "../cli/profile.js"
import { sessionSection } from "../schema/Credentials.js"
import { CredentialsFile } from "../services/CredentialsFile.js"

export const logout = Command.make(
  "logout",
  { profile },
  Effect.fn("logout")(function* ({ profile: name }) {
    const section = sessionSection(name)
    const removed = yield* (yield* CredentialsFile).remove(section)
    yield* Console.log(
      removed
        ? `Logged out: [${section}] is removed; the rest of the file is as it was.`
        : `There is no [${section}]: nothing to remove.`,
    )
  }),
).pipe(
  Command.withDescription(
    "Remove the session [<profile>-sts] from the credentials file; nothing else changes",
  ),
)
