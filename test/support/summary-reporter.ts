import type { File, Task } from "@vitest/runner"
import type { Reporter } from "vitest/reporters"

const tests = (tasks: ReadonlyArray<Task>): Array<Task> =>
  tasks.flatMap((t) => (t.type === "suite" ? tests(t.tasks) : [t]))

/** Ends the run with the plain line CI reads: `N passed, N failed` (and skipped, if any). */
export default class SummaryReporter implements Reporter {
  onFinished(files: ReadonlyArray<File> = []) {
    const all = tests(files)
    const count = (state: string) => all.filter((t) => t.result?.state === state).length
    const skipped = all.filter((t) => t.mode === "skip" || t.mode === "todo").length
    console.log(
      `${count("pass")} passed, ${count("fail")} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`,
    )
  }
}
