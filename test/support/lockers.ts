import { type ChildProcess, spawn } from "node:child_process"
import { afterAll, beforeAll } from "vitest"
import { bundle } from "./programs.js"

/**
 * Processes running test/support/locker.ts for the tests around the call: the program is bundled
 * before them, and each process `hold` starts is killed after them.
 */
export const lockers = () => {
  let locker = ""
  const children: Array<ChildProcess> = []
  beforeAll(async () => {
    locker = await bundle("locker")
  })
  afterAll(() => {
    for (const child of children) child.kill("SIGKILL")
  })
  return {
    /** The bundled program, for its other modes. */
    program: () => locker,
    /** A process that holds `lock`, once it has said so. */
    hold: (lock: string) =>
      new Promise<ChildProcess>((resolve, reject) => {
        const child = spawn(process.execPath, [locker, "hold", lock], {
          stdio: ["ignore", "pipe", "inherit"],
        })
        children.push(child)
        child.stdout?.on("data", (chunk: Buffer) => chunk.toString().includes("held") && resolve(child))
        child.once("exit", (code) => reject(new Error(`the holder exited with ${code}`)))
      }),
  }
}
