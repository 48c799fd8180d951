import * as path from "node:path"

/** A name part with no "." in it (nor "/" or anything a file system treats specially). */
const nameEscape = (part: string) => encodeURIComponent(part).replaceAll(".", "%2E").replaceAll("*", "%2A")

/**
 * Where the journals of the rotations of `credentials` are: one file per rotation in `.aws-iam-login/`
 * next to it, named `<file>.<profile>.json` with both parts escaped. The first "." of a journal's name
 * ends the file's part: `credentials.work` is not `credentials` and a profile.
 */
export const journalFiles = (credentials: string) => {
  const dir = path.join(path.dirname(credentials), ".aws-iam-login")
  const base = path.basename(credentials)
  const prefix = `${nameEscape(base)}.`
  // Earlier versions named a journal `<file>.<profile>.json` unescaped: those of another file are told by what they record.
  const legacy = `${base}.`
  return {
    dir,
    base,
    prefix,
    fileOf: (profile: string) => path.join(dir, `${prefix}${nameEscape(profile)}.json`),
    /** Whether a name in `dir` may be a journal of this file's rotations. */
    mayBeJournal: (name: string) =>
      (name.startsWith(prefix) || name.startsWith(legacy)) && name.endsWith(".json"),
  }
}
