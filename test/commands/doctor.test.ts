import * as fs from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Platform } from "../../src/services/Platform.js"
import { alice } from "../support/alice.js"
import { cli, type tempHome } from "../support/harness.js"
import { fakePlatform } from "../support/platforms.js"
import { SimulatedAws } from "../support/SimulatedAws.js"

const at = "2026-11-23T19:00:00Z"

/** [work] holding alice's key, with her user name and no MFA device. */
const workKey = (keyId: string, secret: string) =>
  `[work]\naws_access_key_id = ${keyId}\naws_secret_access_key = ${secret}\nusername = alice\n`

/** Sets the modes of the directory, the credentials file and the config file of `files`. */
const setModes = (files: ReturnType<typeof tempHome>, dir: number, credentials: number, config: number) => {
  fs.chmodSync(files.dir, dir)
  fs.chmodSync(files.credentials, credentials)
  fs.chmodSync(files.config, config)
}

describe("doctor", () => {
  it.effect("a policy that denies a call rotate needs is a problem naming it; allowed, the line is ok", () =>
    Effect.gen(function* () {
      const { sim, files } = yield* alice(workKey, { at })
      const good = yield* cli(files, ["work", "doctor"])
      expect(good.stdout).toMatch(/^ok +policy +the user's policies allow what rotate needs/m)
      sim.deny("alice", "iam:DeleteAccessKey")
      const bad = yield* cli(files, ["work", "doctor"])
      expect(bad.code).toBe(1)
      expect(bad.stdout).toMatch(
        /^PROBLEM +policy +the user's policies do not allow iam:DeleteAccessKey on /m,
      )
    }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "the common force-MFA policy (rotate's calls allowed only with MFA, within an hour of the code) is ok, saying to use rotate --mfa",
    () =>
      Effect.gen(function* () {
        const { sim, files } = yield* alice(workKey, { at })
        const rotateNeeds = [
          "iam:ListAccessKeys",
          "iam:CreateAccessKey",
          "iam:UpdateAccessKey",
          "iam:DeleteAccessKey",
        ]
        for (const action of rotateNeeds) sim.requireMfa("alice", action, 3600)
        const out = yield* cli(files, ["work", "doctor"])
        expect(out.stdout).toMatch(
          /^ok +policy +the user's policies allow what rotate needs \(iam:ListAccessKeys, iam:CreateAccessKey, iam:UpdateAccessKey, iam:DeleteAccessKey\) in an MFA session, not signed with the key alone \(iam:ListAccessKeys, iam:CreateAccessKey, iam:UpdateAccessKey, iam:DeleteAccessKey\): run rotate with --mfa$/m,
        )
        expect(out.stdout).not.toMatch(/^PROBLEM +policy/m)
        // What the simulation said holds for the real calls: signed with the key alone, rotate is denied.
        const rotated = yield* cli(files, ["work", "rotate", "--yes"])
        expect(rotated.code).toBe(1)
        expect(rotated.stderr).toContain("AWS denied iam:ListAccessKeys")
      }).pipe(Effect.provide(SimulatedAws)),
  )

  it.effect(
    "what others could use is a problem with its chmod (the credentials file read or changed, its directory changed, the config file changed, or read while it holds a secret); a directory others may only list is ok with a note; Windows is not judged by modes",
    () =>
      Effect.gen(function* () {
        const { files } = yield* alice(workKey, { at })
        fs.writeFileSync(files.config, "[default]\nregion = us-east-1\n", { mode: 0o600 })

        // What `aws configure` makes: ~/.aws 755, the config file 644 without a secret. Nothing to fix.
        setModes(files, 0o755, 0o600, 0o644)
        const usual = yield* cli(files, ["work", "doctor"])
        expect(usual.code).toBe(0)
        expect(usual.stdout).toContain(
          `ok       credentials file  ${files.credentials} is yours and writable, in directories only you can change; no other user can read or change it; other users can list the file names in ${files.dir} (mode 755), not read the files: \`chmod 700 ${files.dir}\` hides the names too\n`,
        )
        expect(usual.stdout).toContain(
          `ok       config file       other users can read ${files.config} (mode 644), which holds no secret key or session token; no other user can change it\n`,
        )
        expect(usual.stdout).not.toContain("PROBLEM")

        // A secret in the config file (a key kept in [profile p], or a session token) makes reading it a problem.
        for (const secret of ["aws_secret_access_key = wJalrXUtnFEMI", "aws_session_token = IQoJb3JpZ2lu"]) {
          fs.writeFileSync(files.config, `[default]\nregion = us-east-1\n[profile p]\n${secret}\n`)
          const leaked = yield* cli(files, ["work", "doctor"])
          expect(leaked.code).toBe(1)
          expect(leaked.stdout).toContain(
            `PROBLEM  config file       other users can read ${files.config} (mode 644): run \`chmod 600 ${files.config}\`\n`,
          )
          expect(leaked.stderr).toContain("1 problem found")
        }
        fs.writeFileSync(files.config, "[default]\nregion = us-east-1\n")

        // Others who can change the config file could make credential_process run their program; a directory they
        // can write, plant files; a credentials file they can read, take the key.
        setModes(files, 0o755, 0o640, 0o666)
        const open = yield* cli(files, ["work", "doctor"])
        expect(open.code).toBe(1)
        expect(open.stdout).toContain(
          `PROBLEM  credentials file  other users can read ${files.credentials} (mode 640): run \`chmod 600 ${files.credentials}\`\n`,
        )
        expect(open.stdout).toContain(
          `PROBLEM  config file       other users can read and write to ${files.config} (mode 666): run \`chmod 600 ${files.config}\`\n`,
        )
        expect(open.stderr).toContain("2 problems found")
        setModes(files, 0o775, 0o600, 0o644)
        const plantable = yield* cli(files, ["work", "doctor"])
        expect(plantable.code).toBe(1)
        expect(plantable.stdout).toContain(
          `PROBLEM  credentials file  Could not use ${files.dir}: other users can write to it (mode 775) and could plant or swap files there: run \`chmod 700 ${files.dir}\`.\n`,
        )
        expect(plantable.stderr).toContain("1 problem found")
        setModes(files, 0o755, 0o640, 0o644)

        // On Windows there are no POSIX modes to judge: the lines say what decides instead.
        const windows = yield* cli(files, ["work", "doctor"]).pipe(
          Effect.provideService(Platform, fakePlatform("win32")),
        )
        expect(windows.stdout).toContain(
          `ok       credentials file  ${files.credentials} is writable; Windows has no POSIX modes: its access list decides who may read ${files.credentials} (icacls ${files.credentials} shows it)\n`,
        )
        expect(windows.stdout).not.toContain("chmod")

        // A WSL mount of a Windows drive without metadata keeps every mode at 777: chmod alone does nothing there.
        const wsl = yield* cli(files, ["work", "doctor"]).pipe(
          Effect.provideService(Platform, fakePlatform("linux", {}, { wsl: true, modesIgnored: () => true })),
        )
        expect(wsl.stdout).toContain(
          `PROBLEM  credentials file  ${files.dir} is on a Windows drive mounted without the metadata option, so its mode stays 755 and any Windows program can read the keys in it; to protect them, add \`options = "metadata"\` under [automount] in /etc/wsl.conf, run \`wsl --shutdown\`, then \`chmod 700 ${files.dir}\`\n`,
        )

        // The fixes the lines name make them ok.
        setModes(files, 0o700, 0o600, 0o600)
        const fixed = yield* cli(files, ["work", "doctor"])
        expect(fixed.code).toBe(0)
        expect(fixed.stdout).toContain(
          `ok       credentials file  ${files.credentials} is yours and writable, in directories only you can change; no other user can read or change it or its directory\n`,
        )
        expect(fixed.stdout).toContain(
          `ok       config file       no other user can read or change ${files.config}\n`,
        )
      }).pipe(Effect.provide(SimulatedAws)),
  )
})
