import * as HelpDoc from "@effect/cli/HelpDoc"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { firstIssue } from "../schema/Errors.js"

/** Decodes an argument with `schema`; a failure is one plain sentence. */
export const validateArg =
  <A, I>(schema: Schema.Schema<A, I>) =>
  (value: I) =>
    Schema.decodeUnknown(schema)(value).pipe(Effect.mapError((error) => HelpDoc.p(firstIssue(error).message)))

/** Decodes a flag's value with `schema`; a failure is a usage error of one plain sentence. */
export const validateOption =
  <A, I>(schema: Schema.Schema<A, I>) =>
  (value: I) =>
    validateArg(schema)(value).pipe(Effect.mapError(ValidationError.invalidValue))
