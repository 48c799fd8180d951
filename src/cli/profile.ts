import * as Args from "@effect/cli/Args"
import { ProfileName } from "../schema/Credentials.js"
import { validateArg } from "./validate.js"

/** `<profile>`: every command but `list` takes one, defined once here. */
export const profile = Args.text({ name: "profile" }).pipe(
  Args.mapEffect(validateArg(ProfileName)),
  Args.withDescription("The [profile] in ~/.aws/credentials that holds your IAM user's access key"),
)
