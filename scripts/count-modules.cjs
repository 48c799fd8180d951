// Preloaded by the benchmark: at exit, prints how many Node built-in modules and which of our bundles were loaded.
const fs = require("node:fs")
const bundles = new Set()
const read = fs.readFileSync
fs.readFileSync = function (file, ...rest) {
  if (typeof file === "string" && /[\\/]dist[\\/].*\.cjs$/.test(file))
    bundles.add(file.replace(/.*[\\/]dist[\\/]/, ""))
  return read.call(this, file, ...rest)
}
process.on("exit", () => {
  const builtins = process.moduleLoadList.filter((m) => m.startsWith("NativeModule ")).length
  process.stderr.write(`\nMODULES ${builtins} ${[...bundles].join(",")}\n`)
})
