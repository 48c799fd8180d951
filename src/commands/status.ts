import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { profile } from "../cli/profile.js"
import { SessionProfile, sessionSection } from "../schema/Credentials.js"
import { statusOutput } from "../schema/StatusReport.js"
import { decodeSection } from "../services/CredentialsFile.js"
import { Iam } from "../services/Iam.js"
import { Journal } from "../services/Journal.js"
import { Session } from "../services/Session.js"

const json = Options.boolean("json").pipe(Options.withDescription("Print the status as JSON"))

export const status = Command.make(
  "status",
  { profile, json },
  Effect.fn("status")(function* ({ profile: name, json }) {
    const session = yield* Session
    const located = yield* session.locate(name)
    const { file, described, region, home, stored } = located
    const signer = yield* session.reader(located)
    const now = yield* Clock.currentTimeMillis
    const expiration = Option.map(
      yield* decodeSection(file, sessionSection(name), SessionProfile).pipe(Effect.option),
      (s) => s.expiration,
    )
    const journal = yield* (yield* Journal).find(name).pipe(Effect.either)
    const userName = described.username
    const keys =
      userName === undefined
        ? Either.left("no username: run init")
        : Either.isLeft(signer)
          ? Either.left(signer.left)
          : yield* (yield* Iam).listAccessKeys(signer.right, userName).pipe(
              Effect.mapError((e) => e.message),
              Effect.either,
            )
    yield* Console.log(
      statusOutput(
        {
          profile: name,
          described,
          home: { path: home.file.path, section: home.section },
          stored,
          expiration,
          journal,
          region,
          callRegion: located.callRegion,
          keys,
          now,
        },
        json,
      ),
    )
  }),
).pipe(
  Command.withDescription(
    "Show the key (masked) and its age, username, MFA device, session expiry, any unfinished rotation",
  ),
)
