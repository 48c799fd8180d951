// biome-ignore-all lint/suspicious/noTemplateCurlyInString: paths with ${VAR} in them, as botocore expands them
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { type PlatformError, SystemError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Fiber, Layer } from "effect"
import * as CredentialsFileLayer from "../src/layers/CredentialsFile.js"
import { pathsFromEnvironment } from "../src/layers/FilePaths.js"
import * as Lock from "../src/layers/Lock.js"
import * as PlatformLayer from "../src/layers/Platform.js"
import { ProcessesLive } from "../src/layers/Processes.js"
import { CredentialsFile } from "../src/services/CredentialsFile.js"
import { Platform, type PlatformShape } from "../src/services/Platform.js"
import { Processes } from "../src/services/Processes.js"
import { passingTime, tempHome } from "./support/harness.js"
import { fakePlatform } from "./support/platforms.js"

/** What Python's ntpath or posixpath (botocore's os.path on Windows or elsewhere) makes of each path, in `env`. */
const python = (
  module: "ntpath" | "posixpath",
  env: Record<string, string>,
  paths: ReadonlyArray<string>,
) => {
  const script = `import sys, json, ${module} as p\nprint(json.dumps([p.expanduser(p.expandvars(x)) for x in json.loads(sys.stdin.read())]))`
  const out = spawnSync("python3", ["-c", script], { input: JSON.stringify(paths), env, encoding: "utf8" })
  return JSON.parse(out.stdout) as Array<string>
}

describe("paths from AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE", () => {
  it("on Windows, expand %VAR%, $VAR, ${VAR} and ~ (USERPROFILE) exactly as botocore's ntpath does", () => {
    const env = {
      USERPROFILE: "C:\\Users\\me",
      APPDATA: "C:\\Users\\me\\AppData",
      DIR: "D:\\aws",
      USERNAME: "me",
    }
    const paths = [
      "~\\.aws\\credentials",
      "~/.aws/config",
      "%USERPROFILE%\\.aws\\credentials",
      "%APPDATA%/aws/%NOPE%/x",
      "$DIR\\credentials",
      "${DIR}\\c-$DIR-x",
      "'%DIR%'\\%DIR%",
      "100%% %DIR",
      "$$DIR $",
      "${DIR",
      "C:\\plain\\~\\path",
      "~",
    ]
    const platform = fakePlatform("win32", { env, homedir: "C:\\Elsewhere" })
    const ours = paths.map((p) => Either.getOrThrow(platform.expandPath(p)))
    expect(ours).toEqual(python("ntpath", env, paths))
    expect(ours[0]).toBe("C:\\Users\\me\\.aws\\credentials")
  })

  it("on Windows, find variables whatever their case, and the home in HOMEDRIVE and HOMEPATH without USERPROFILE", () => {
    const platform = fakePlatform("win32", {
      env: { HOMEDRIVE: "C:", HOMEPATH: "\\Users\\me", Dir: "D:\\x" },
    })
    expect(platform.expandPath("~\\.aws\\credentials")).toEqual(
      Either.right("C:\\Users\\me\\.aws\\credentials"),
    )
    expect(platform.expandPath("%DIR%\\credentials")).toEqual(Either.right("D:\\x\\credentials"))
  })

  it("elsewhere, expand $VAR, ${VAR} and ~ (HOME) exactly as botocore's posixpath does, and leave %VAR% alone", () => {
    const env = { HOME: "/home/me/", DIR: "/data" }
    const paths = [
      "$HOME/.aws/credentials",
      "${DIR}/aws/$NOPE/x",
      "~/.aws/config",
      "~",
      "/plain/~/path",
      "%DIR%/x",
    ]
    for (const os of ["linux", "darwin"] as const) {
      const platform = fakePlatform(os, { env, homedir: "/elsewhere" })
      expect(paths.map((p) => Either.getOrThrow(platform.expandPath(p)))).toEqual(
        python("posixpath", env, paths),
      )
    }
    expect(fakePlatform("linux", { homedir: "/elsewhere/" }).expandPath("~")).toEqual(
      Either.right("/elsewhere"),
    )
  })

  it.effect("unset, name ~/.aws/credentials and ~/.aws/config in the OS's own separators", () =>
    Effect.gen(function* () {
      const paths = (platform: PlatformShape) =>
        pathsFromEnvironment.pipe(
          Effect.provideService(Platform, platform),
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map())),
        )
      expect(yield* paths(fakePlatform("win32", { env: { USERPROFILE: "C:\\Users\\me" } }))).toEqual({
        credentials: "C:\\Users\\me\\.aws\\credentials",
        config: "C:\\Users\\me\\.aws\\config",
      })
      expect(yield* paths(fakePlatform("linux", { env: { HOME: "/home/me" } }))).toEqual({
        credentials: "/home/me/.aws/credentials",
        config: "/home/me/.aws/config",
      })
    }),
  )

  it("refuse another user's ~name rather than read a different file", () => {
    for (const os of ["linux", "darwin", "win32"] as const) {
      const platform = fakePlatform(os, { env: { HOME: "/home/me", USERPROFILE: "C:\\Users\\me" } })
      expect(Either.isLeft(platform.expandPath("~nobody-else/.aws/credentials"))).toBe(true)
    }
  })
})

const withPlatform =
  (platform: PlatformShape, fileSystem = NodeFileSystem.layer) =>
  (credentials: string) =>
    Effect.provide(
      CredentialsFileLayer.layer({ credentials, config: `${credentials}.config` }).pipe(
        Layer.provide(Layer.merge(fileSystem, Layer.succeed(Platform, platform))),
      ),
    )

const save = Effect.flatMap(CredentialsFile, (files) =>
  files.update([{ section: "work-sts", set: { aws_session_token: "new" } }]),
)

/** A credentials file as Windows shows it: 0666, in a 0777 directory, owned by "uid 0". */
const windowsLooking = () => {
  const dir = path.join(tempHome().dir, "aws")
  fs.mkdirSync(dir, { mode: 0o777 })
  fs.chmodSync(dir, 0o777)
  const credentials = path.join(dir, "credentials")
  fs.writeFileSync(credentials, "[work]\r\naws_access_key_id = AKIA\r\n# mine\r\n", { mode: 0o666 })
  fs.chmodSync(credentials, 0o666)
  return credentials
}

describe("the credentials file on each platform", () => {
  it.effect(
    "on Windows, a file reported as 0666 in a 0777 folder owned by uid 0 is written, other lines kept",
    () =>
      Effect.gen(function* () {
        const credentials = windowsLooking()
        yield* save.pipe(withPlatform(fakePlatform("win32"))(credentials))
        expect(fs.readFileSync(credentials, "utf8")).toBe(
          "[work]\r\naws_access_key_id = AKIA\r\n# mine\r\n\r\n[work-sts]\r\naws_session_token = new\r\n",
        )
      }),
  )

  it.effect("on Linux the same file is refused, naming chmod", () =>
    Effect.gen(function* () {
      const credentials = windowsLooking()
      const message = yield* Effect.flip(
        save.pipe(withPlatform(fakePlatform("linux", { uid: 4242 }))(credentials)),
      )
      expect(message.message).toMatch(/other users can write to it \(mode 777\).*chmod 700/)
    }),
  )

  it.effect(
    "under WSL, a Windows drive that takes no modes is used with a one-line warning, once, that names the fix",
    () =>
      Effect.gen(function* () {
        const credentials = windowsLooking()
        fs.chmodSync(credentials, 0o600)
        const wsl = fakePlatform(
          "linux",
          { release: "5.15.153.1-microsoft-standard-WSL2" },
          { modesIgnored: () => true },
        )
        const warnings: Array<string> = []
        yield* Effect.zipRight(save, save).pipe(
          withPlatform(wsl)(credentials),
          Effect.withConsole({
            ...console,
            error: (line: string) => Effect.sync(() => void warnings.push(line)),
          } as never),
        )
        expect(fs.readFileSync(credentials, "utf8")).toContain("aws_session_token = new")
        expect(warnings).toHaveLength(1)
        expect(warnings[0]).toMatch(/metadata.*\/etc\/wsl\.conf.*wsl --shutdown.*chmod 700/)
      }),
  )

  it.effect(
    "a read-only file is left alone, with the fix of each platform: chmod, or attrib on Windows",
    () =>
      Effect.gen(function* () {
        const answers: Record<string, string> = {}
        for (const os of ["linux", "darwin", "win32"] as const) {
          const credentials = path.join(tempHome().dir, "credentials")
          fs.writeFileSync(credentials, "[work]\n", { mode: 0o444 })
          answers[os] = (yield* Effect.flip(save.pipe(withPlatform(fakePlatform(os))(credentials)))).message
        }
        expect(answers.linux).toMatch(/chmod u\+w/)
        expect(answers.darwin).toMatch(/chmod u\+w/)
        expect(answers.win32).toMatch(/it is read-only, so it is left as it is: .*attrib -R/)
        expect(answers.win32).not.toMatch(/chmod|sudo|lsattr|mode/)
      }),
  )
})

/** The file system, its `method` (rename or readFile) failing with `code` the first `times` times (all when undefined), as Windows fails it while another program holds the file; `failed` is called at each failure. */
const busy = (code: string, times?: number, method: "rename" | "readFile" = "rename", failed = () => {}) => {
  let failures = 0
  return Layer.effect(
    FileSystem.FileSystem,
    Effect.map(FileSystem.FileSystem, (fs) => {
      const failing = <A>(file: string, real: Effect.Effect<A, PlatformError>) =>
        Effect.suspend(() =>
          times === undefined || failures++ < times
            ? Effect.zipRight(
                Effect.sync(failed),
                Effect.fail(
                  new SystemError({
                    reason: "Busy",
                    module: "FileSystem",
                    method,
                    pathOrDescriptor: file,
                    cause: Object.assign(new Error(`${code}: resource busy or locked`), { code }),
                  }),
                ),
              )
            : real,
        )
      return method === "rename"
        ? { ...fs, rename: (from: string, to: string) => failing(to, fs.rename(from, to)) }
        : { ...fs, readFile: (file: string) => failing(file, fs.readFile(file)) }
    }),
  ).pipe(Layer.provide(NodeFileSystem.layer))
}
const busyRenames = (code: string, times?: number) => busy(code, times, "rename")

describe("WSL's Windows drives", () => {
  const table = [
    "/dev/sdc / ext4 rw,relatime,discard,errors=remount-ro,data=ordered 0 0",
    "C:\\134 /mnt/c 9p rw,noatime,dirsync,aname=drvfs;path=C:\\;uid=1000;gid=1000;symlinkroot=/mnt/,mmap,access=client,msize=65536,trans=fd,rfd=5,wfd=5 0 0",
    "D:\\134 /mnt/d 9p rw,noatime,dirsync,aname=drvfs;path=D:\\;uid=1000;gid=1000;metadata;symlinkroot=/mnt/,mmap,access=client,msize=65536,trans=fd,rfd=5,wfd=5 0 0",
    "E: /mnt/e\\040drive drvfs rw,noatime,uid=1000,gid=1000,case=off 0 0",
    "F: /mnt/f drvfs rw,noatime,uid=1000,gid=1000,metadata,case=off 0 0",
  ].join("\n")

  it("a drive mounted without metadata (WSL 1 or 2) takes no modes; with it, or on Linux's own disk, modes hold", () => {
    expect(PlatformLayer.drvfsWithoutMetadata(table, "/mnt/c/Users/me/.aws")).toBe(true)
    expect(PlatformLayer.drvfsWithoutMetadata(table, "/mnt/e drive/aws")).toBe(true)
    expect(PlatformLayer.drvfsWithoutMetadata(table, "/mnt/d/aws")).toBe(false)
    expect(PlatformLayer.drvfsWithoutMetadata(table, "/mnt/f/aws")).toBe(false)
    expect(PlatformLayer.drvfsWithoutMetadata(table, "/home/me/.aws")).toBe(false)
    expect(PlatformLayer.drvfsWithoutMetadata(table, "/mnt/cc/aws")).toBe(false)
  })
})

describe("exec with no command", () => {
  it("starts the person's shell: $SHELL, or %ComSpec% on Windows", () => {
    expect(fakePlatform("linux", { env: { SHELL: "/bin/zsh", ComSpec: "x" } }).userShell()).toBe("/bin/zsh")
    expect(fakePlatform("darwin").userShell()).toBe("/bin/sh")
    expect(
      fakePlatform("win32", {
        env: { SHELL: "/bin/zsh", COMSPEC: "C:\\Windows\\system32\\cmd.exe" },
      }).userShell(),
    ).toBe("C:\\Windows\\system32\\cmd.exe")
    expect(fakePlatform("win32").userShell()).toBe("cmd.exe")
  })
})

describe("replacing the file while another program holds it open", () => {
  it.effect(
    "a refused replace is explained in each platform's words: chflags on macOS, lsattr on Linux, never either on Windows",
    () =>
      Effect.gen(function* () {
        const answers: Record<string, string> = {}
        for (const os of ["linux", "darwin", "win32"] as const) {
          const credentials = path.join(tempHome().dir, "credentials")
          fs.writeFileSync(credentials, "[work]\n", { mode: 0o600 })
          answers[os] = (yield* passingTime(
            Effect.flip(save.pipe(withPlatform(fakePlatform(os), busyRenames("EPERM"))(credentials))),
          )).message
        }
        expect(answers.linux).toMatch(/EPERM.*lsattr/)
        expect(answers.darwin).toMatch(/EPERM.*ls -ldO.*chflags nouchg/)
        expect(answers.darwin).not.toMatch(/lsattr/)
        expect(answers.win32).toMatch(/EPERM.*another program/)
        expect(answers.win32).not.toMatch(/lsattr|chflags|sudo|ls -l/)
      }),
  )

  it.effect(
    "a temporary file a dead writer left is removed by the next write, even when its pid now names a live process",
    () =>
      Effect.gen(function* () {
        const credentials = path.join(tempHome().dir, "credentials")
        fs.writeFileSync(credentials, "[work]\n", { mode: 0o600 })
        const old = path.join(path.dirname(credentials), ".credentials.4242.0123456789abcdef.tmp")
        const fresh = path.join(path.dirname(credentials), ".credentials.4243.0123456789abcdef.tmp")
        fs.writeFileSync(old, "[work]\naws_secret_access_key = a copy\n")
        fs.writeFileSync(fresh, "being written")
        const hourAgo = new Date(Date.now() - 3_600_000)
        fs.utimesSync(old, hourAgo, hourAgo)
        yield* save.pipe(withPlatform(fakePlatform("darwin", {}, { running: () => true }))(credentials))
        expect(fs.existsSync(old)).toBe(false)
        expect(fs.existsSync(fresh)).toBe(true)
      }),
  )

  it.effect("on Windows, EBUSY, EPERM or EACCES for a moment only delays the write", () =>
    Effect.gen(function* () {
      for (const code of ["EBUSY", "EPERM", "EACCES"]) {
        const credentials = windowsLooking()
        yield* passingTime(save.pipe(withPlatform(fakePlatform("win32"), busyRenames(code, 5))(credentials)))
        expect(fs.readFileSync(credentials, "utf8")).toContain("aws_session_token = new")
      }
    }),
  )

  it.live(
    "on Windows, a Ctrl-C while the file is held open stops the write: the file stays as it was, even once let go",
    () =>
      Effect.gen(function* () {
        const credentials = windowsLooking()
        const before = fs.readFileSync(credentials, "utf8")
        let refused = () => {}
        const held = new Promise<void>((resolve) => {
          refused = resolve
        })
        const write = yield* Effect.fork(
          save.pipe(withPlatform(fakePlatform("win32"), busy("EBUSY", 3, "rename", refused))(credentials)),
        )
        yield* Effect.promise(() => held)
        yield* Fiber.interrupt(write)
        expect(fs.readFileSync(credentials, "utf8")).toBe(before)
        expect(fs.readdirSync(path.dirname(credentials)).filter((n) => n.endsWith(".tmp"))).toEqual([])
      }),
  )

  it.effect("on Windows, a file another program holds exclusively for a moment is read once it lets go", () =>
    Effect.gen(function* () {
      const credentials = windowsLooking()
      const file = yield* passingTime(
        Effect.flatMap(CredentialsFile, (files) => files.read).pipe(
          withPlatform(fakePlatform("win32"), busy("EBUSY", 5, "readFile"))(credentials),
        ),
      )
      expect([...file.sections.keys()]).toEqual(["work"])
    }),
  )

  it.effect(
    "on Windows, a file held open for good fails in one sentence, the file whole and no temporary file left",
    () =>
      Effect.gen(function* () {
        const credentials = windowsLooking()
        const before = fs.readFileSync(credentials, "utf8")
        const error = yield* passingTime(
          Effect.flip(save.pipe(withPlatform(fakePlatform("win32"), busyRenames("EBUSY"))(credentials))),
        )
        expect(error.message).toBe(
          `Could not write ${credentials}: another program (an editor, antivirus or the search indexer) keeps it open: close that program and run the command again.`,
        )
        expect(fs.readFileSync(credentials, "utf8")).toBe(before)
        expect(fs.readdirSync(path.dirname(credentials)).filter((n) => n.endsWith(".tmp"))).toEqual([])
      }),
  )
})

/** A lock file as a holder with pid `pid` leaves it on a platform without /proc. */
const leftBy = (lock: string, pid: number, nonce: string) =>
  fs.writeFileSync(
    lock,
    JSON.stringify({
      pid,
      host: os.hostname(),
      since: new Date().toISOString(),
      boot: "",
      started: "",
      nonce,
      proof: true,
    }),
  )

describe("the lock without /proc (macOS, Windows)", () => {
  // Every pid answers as running, as a pid the OS gave to a new process does.
  const reused = (os: "darwin" | "win32") => fakePlatform(os, {}, { running: () => true })
  const take = (platform: PlatformShape, lock: string) =>
    Effect.scoped(Lock.acquire(lock, { wait: 0 })).pipe(
      Effect.provide(NodeFileSystem.layer),
      Effect.provideService(Platform, platform),
    )

  it.effect("a holder that died is taken over at once, though its pid now names another live process", () =>
    Effect.gen(function* () {
      for (const system of ["darwin", "win32"] as const) {
        const lock = path.join(tempHome().dir, "credentials.lock")
        leftBy(lock, process.ppid, "dead-holder")
        fs.writeFileSync(`${lock}.alive-dead-holder`, "")
        yield* take(reused(system), lock)
        expect(fs.readdirSync(path.dirname(lock))).toEqual([])
      }
    }),
  )

  it.effect("a live holder's lock is never taken, and is still there when it lets go", () =>
    Effect.gen(function* () {
      for (const system of ["darwin", "win32"] as const) {
        const lock = path.join(tempHome().dir, "credentials.lock")
        const platform = reused(system)
        yield* Effect.scoped(
          Effect.gen(function* () {
            yield* Lock.acquire(lock).pipe(
              Effect.provide(NodeFileSystem.layer),
              Effect.provideService(Platform, platform),
            )
            const second = yield* Effect.flip(take(platform, lock))
            expect(second.message).toMatch(new RegExp(`process ${process.pid} on .+ holds it`))
            expect(fs.existsSync(lock)).toBe(true)
          }),
        )
        expect(fs.readdirSync(path.dirname(lock))).toEqual([])
        yield* take(platform, lock)
      }
    }),
  )
})

describe("the lock on a file system that takes no OS lock (some network shares on macOS)", () => {
  it.effect("is still taken and kept: its holder counts as alive while its pid runs", () =>
    Effect.gen(function* () {
      const lock = path.join(tempHome().dir, "credentials.lock")
      const noLocks = fakePlatform(
        "darwin",
        {},
        {
          running: () => true,
          liveness: {
            _tag: "HeldFile",
            hold: () => Effect.fail(new Error("ENOTSUP")),
            held: () => Effect.succeed(false),
          },
        },
      )
      const take = Effect.scoped(Lock.acquire(lock, { wait: 0 })).pipe(
        Effect.provide(NodeFileSystem.layer),
        Effect.provideService(Platform, noLocks),
      )
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* Lock.acquire(lock).pipe(
            Effect.provide(NodeFileSystem.layer),
            Effect.provideService(Platform, noLocks),
          )
          expect((yield* Effect.flip(take)).message).toMatch(
            new RegExp(`process ${process.pid} on .+ holds it`),
          )
        }),
      )
      yield* take
      expect(fs.readdirSync(path.dirname(lock))).toEqual([])
    }),
  )
})

describe("the lock on Linux, proved by /proc", () => {
  const take = (platform: PlatformShape, lock: string) =>
    Effect.scoped(Lock.acquire(lock, { wait: 0 })).pipe(
      Effect.provide(NodeFileSystem.layer),
      Effect.provideService(Platform, platform),
    )
  /** A holder whose pid answers, started when the lock says, and a zombie (killed, not yet reaped) or not. */
  const linux = (zombie: boolean) =>
    fakePlatform(
      "linux",
      {},
      {
        running: () => true,
        liveness: { _tag: "Proc", boot: "boot-1", started: () => "12345", zombie: () => zombie },
      },
    )
  const heldBy = (lock: string) =>
    fs.writeFileSync(
      lock,
      JSON.stringify({
        pid: 4242,
        host: os.hostname(),
        since: new Date().toISOString(),
        boot: "boot-1",
        started: "12345",
        nonce: "n",
      }),
    )

  it.effect("a holder killed but not yet reaped by its parent is gone: its lock is taken at once", () =>
    Effect.gen(function* () {
      const lock = path.join(tempHome().dir, "credentials.lock")
      heldBy(lock)
      yield* take(linux(true), lock)
      expect(fs.existsSync(lock)).toBe(false)
    }),
  )

  it.effect("a live holder, its start time the lock's, keeps it", () =>
    Effect.gen(function* () {
      const lock = path.join(tempHome().dir, "credentials.lock")
      heldBy(lock)
      const error = yield* Effect.flip(take(linux(false), lock))
      expect(error.message).toMatch(/process 4242 on .+ holds it/)
      expect(JSON.parse(fs.readFileSync(lock, "utf8")).nonce).toBe("n")
    }),
  )
})

describe("the lock's release", () => {
  it.effect("removes only its own holding: a lock someone took over since stays theirs", () =>
    Effect.gen(function* () {
      const lock = path.join(tempHome().dir, "credentials.lock")
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* Lock.acquire(lock).pipe(Effect.provide(NodeFileSystem.layer))
          fs.writeFileSync(
            `${lock}.other`,
            JSON.stringify({
              pid: 1,
              host: os.hostname(),
              since: new Date().toISOString(),
              boot: "",
              started: "",
              nonce: "theirs",
            }),
          )
          fs.renameSync(`${lock}.other`, lock)
        }),
      )
      expect(JSON.parse(fs.readFileSync(lock, "utf8")).nonce).toBe("theirs")
    }),
  )
})

describe("the atomic write", () => {
  it.effect("puts the new file on disk (fsync) before it replaces the old one", () =>
    Effect.gen(function* () {
      const credentials = path.join(tempHome().dir, "credentials")
      fs.writeFileSync(credentials, "[work]\n", { mode: 0o600 })
      const events: Array<string> = []
      const probe = yield* Effect.promise(() => fs.promises.open(credentials, "r"))
      const handles = Object.getPrototypeOf(probe) as { sync: () => Promise<void> }
      yield* Effect.promise(() => probe.close())
      const sync = handles.sync
      handles.sync = function (this: unknown) {
        events.push("sync")
        return sync.call(this)
      }
      const watching = Layer.effect(
        FileSystem.FileSystem,
        Effect.map(FileSystem.FileSystem, (fs) => ({
          ...fs,
          rename: (from: string, to: string) =>
            Effect.zipRight(
              Effect.sync(() => void events.push(`rename ${path.basename(to)}`)),
              fs.rename(from, to),
            ),
        })),
      ).pipe(Layer.provide(NodeFileSystem.layer))
      yield* save.pipe(
        withPlatform(fakePlatform("linux"), watching)(credentials),
        Effect.ensuring(
          Effect.sync(() => {
            handles.sync = sync
          }),
        ),
      )
      expect(events).toEqual(["sync", "rename credentials"])
    }),
  )
})

describe("mfa_process on Windows", () => {
  it.effect("runs through %ComSpec% /d /s /c with the line quoted whole, as cmd.exe needs", () =>
    Effect.gen(function* () {
      const dir = tempHome().dir
      const comspec = path.join(dir, "cmd.exe")
      fs.writeFileSync(comspec, '#!/bin/sh\nprintf "%s|" "$@"\n', { mode: 0o755 })
      const platform = fakePlatform("win32", { env: { ComSpec: comspec } })
      const out = yield* Effect.flatMap(Processes, (p) => p.output("ykman oath accounts code -s aws")).pipe(
        Effect.provide(ProcessesLive),
        Effect.provideService(Platform, platform),
      )
      expect(out).toBe('/d|/s|/c|"ykman oath accounts code -s aws"|')
    }),
  )
})
