import * as AutoCorrect from "@effect/cli/AutoCorrect"
import * as CliConfig from "@effect/cli/CliConfig"

/**
 * The one of `names` that `word` is likely a typo of, if any: within @effect/cli's limit for flags,
 * and changing at most half of it (`ab` is no typo of `cd`).
 */
export const closest = (word: string, names: Iterable<string>): string | undefined => {
  let best: { name: string; distance: number } | undefined
  for (const name of names) {
    const distance = AutoCorrect.levensteinDistance(word, name, CliConfig.defaultConfig)
    if (
      distance <= CliConfig.defaultConfig.autoCorrectLimit &&
      distance * 2 <= word.length &&
      (best === undefined || distance < best.distance)
    )
      best = { name, distance }
  }
  return best?.name
}
