// A JavaScript runtime on real musl libc, for the musl binaries' platform checks. Node.js has no
// musl build on npm, so this is Bun's musl build (which loads Node-API addons), run under
// qemu-user with a musl sysroot assembled once under target/platform-runtimes/musl-<arch>/:
//
// - Bun's musl builds need musl 1.2.4 or newer (Debian 12 has 1.2.3, on which Bun crashes at
//   start), so musl comes from Debian 13's package, fetched with apt-get into this folder only.
// - They also need a musl-built libstdc++.so.6 and libgcc_s.so.1, which Debian does not package;
//   the musllinux wheels on PyPI carry them (auditwheel renames them with a hash, so the sysroot
//   gets the plain names as links).
// - qemu-user's `-L <sysroot>` makes every absolute path the guest opens resolve inside the
//   sysroot when it exists there, and on the host otherwise. So the program interpreter
//   /lib/ld-musl-<arch>.so.1, /etc/ld-musl-<arch>.path and /usr/bin/ldd are the sysroot's, with
//   no root, mount namespace or change to the host, while the script, node_modules, /etc/hosts and
//   the loopback network are the host's. The package's loader (binding.js) reads /usr/bin/ldd to
//   choose between its musl and gnu binaries, so the sysroot has an ldd as musl systems do. x64
//   runs emulated as well (not through the musl loader directly) for that ldd, and so that
//   `process.execPath` names Bun, not the loader.
//
// Only for running a script: Bun's child processes (`process.execPath`, `Bun.spawn`) start
// outside qemu, where the musl interpreter does not exist.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

import { fromNpm, qemuUser } from './runtimes.mjs'

/** Bun, from `@oven/bun-linux-<cpu>-musl` on npm. */
export const BUN_VERSION = '1.4.5'

/**
 * Debian 13 (trixie)'s musl 1.2.5, fetched with apt-get from the Debian mirror this machine's apt
 * already uses; an update there may retire this version.
 */
export const MUSL_DEB = { suite: 'trixie', version: '1.2.5-3.1~deb13u1' }

/** The musllinux wheel whose `<name>.libs/` holds libstdc++ and libgcc_s built against musl. */
export const CXX_WHEEL = { name: 'numpy', version: '2.5.5', python: '3.12', musllinux: 'musllinux_1_2' }

export const CACHE = fileURLToPath(new URL('../../target/platform-runtimes/', import.meta.url))

/** Per Node.js arch: the names each source gives it, and the emulator. */
const ARCHES = {
  x64: { bun: 'x64', deb: 'amd64', musl: 'x86_64', wheel: 'x86_64', qemu: 'qemu-x86_64' },
  arm64: { bun: 'aarch64', deb: 'arm64', musl: 'aarch64', wheel: 'aarch64', qemu: 'qemu-aarch64' },
}

/** What a finished folder was made from; a change to the pins above remakes it. */
function pins(arch) {
  return { bun: BUN_VERSION, musl: MUSL_DEB.version, wheel: `${CXX_WHEEL.name}-${CXX_WHEEL.version}-${CXX_WHEEL.musllinux}_${ARCHES[arch].wheel}` }
}

function run(command, args, options = {}) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options })
  } catch (error) {
    const why = error.code === 'ENOENT' ? 'not found on PATH' : `${error.stderr || error.message}`.trim()
    throw new Error(`musl runtime: \`${command} ${args.join(' ')}\` failed: ${why}`, { cause: error })
  }
}

/** Bun's musl build, unpacked from its npm tarball (`npm pack`: nothing is installed). */
function bunBinary(arch) {
  return join(fromNpm(`@oven/bun-linux-${ARCHES[arch].bun}-musl@${BUN_VERSION}`), 'bin', 'bun')
}

/** The address of the Debian archive in this machine's apt sources (deb822 or one-line form). */
function debianMirror() {
  const dir = '/etc/apt/sources.list.d'
  const files = [...(existsSync('/etc/apt/sources.list') ? ['/etc/apt/sources.list'] : []), ...(existsSync(dir) ? readdirSync(dir).map((f) => join(dir, f)) : [])]
  for (const file of files.filter((f) => /\.(list|sources)$/.test(f))) {
    const text = readFileSync(file, 'utf8')
    const uris = [...text.matchAll(/^URIs:\s*(\S+)/gm), ...text.matchAll(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+\s/gm)].map((m) => m[1])
    const archive = uris.find((uri) => /\/debian\/?$/.test(uri))
    if (archive) return archive
  }
  throw new Error('musl runtime: no Debian archive (a URI ending in /debian) in /etc/apt/sources.list or sources.list.d/')
}

/**
 * The musl .deb, through apt-get with a sources list, state and cache of its own, so that the
 * host's apt configuration, package lists and dpkg architectures stay as they are. apt checks the
 * download against the suite's signed index.
 */
function fetchMusl(arch, dir) {
  const deb = ARCHES[arch].deb
  const apt = join(dir, 'apt')
  mkdirSync(join(apt, 'lists', 'partial'), { recursive: true })
  mkdirSync(join(apt, 'cache', 'archives', 'partial'), { recursive: true })
  const sources = join(apt, 'sources.list')
  writeFileSync(sources, `deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${debianMirror()} ${MUSL_DEB.suite} main\n`)
  const options = [
    ['Dir::Etc::sourcelist', sources],
    ['Dir::Etc::sourceparts', '-'],
    ['Dir::State::Lists', join(apt, 'lists')],
    ['Dir::State::status', '/dev/null'],
    ['Dir::Cache', join(apt, 'cache')],
    ['APT::Architecture', deb],
    ['APT::Architectures', deb],
  ].flatMap(([key, value]) => ['-o', `${key}=${value}`])
  run('apt-get', [...options, '-qq', 'update'])
  const debs = join(dir, 'debs')
  mkdirSync(debs, { recursive: true })
  // apt's unprivileged download user cannot write here; as root apt warns and downloads itself.
  run('apt-get', [...options, '-qq', 'download', `musl:${deb}=${MUSL_DEB.version}`], { cwd: debs })
  const file = readdirSync(debs).find((name) => name.startsWith('musl_') && name.endsWith(`_${deb}.deb`))
  if (!file) throw new Error(`musl runtime: apt-get left no musl .deb for ${deb} in ${debs}`)
  return join(debs, file)
}

/** The paths of libstdc++ and libgcc_s from the musllinux wheel (`pip download`: no install). */
function fetchCxxRuntime(arch, dir) {
  const wheels = join(dir, 'wheel')
  const platform = `${CXX_WHEEL.musllinux}_${ARCHES[arch].wheel}`
  const spec = `${CXX_WHEEL.name}==${CXX_WHEEL.version}`
  run('python3', ['-m', 'pip', 'download', '--quiet', '--no-deps', '--only-binary=:all:', '--platform', platform, '--python-version', CXX_WHEEL.python, '--implementation', 'cp', '--dest', wheels, spec])
  const wheel = readdirSync(wheels).find((name) => name.endsWith(`${platform}.whl`))
  if (!wheel) throw new Error(`musl runtime: pip left no ${platform} wheel of ${spec} in ${wheels}`)
  // Only the two libraries, not the whole wheel.
  const extract = [
    'import re, sys, zipfile',
    'z = zipfile.ZipFile(sys.argv[1])',
    "names = [n for n in z.namelist() if re.search(r'\\.libs/(libstdc\\+\\+|libgcc_s)-[^/]*\\.so', n)]",
    'z.extractall(sys.argv[2], names)',
    "print('\\n'.join(names))",
  ].join('\n')
  const names = run('python3', ['-c', extract, join(wheels, wheel), join(dir, 'libs')]).trim().split('\n').filter(Boolean)
  const find = (prefix) => {
    const name = names.find((n) => n.split('/').at(-1).startsWith(prefix))
    if (!name) throw new Error(`musl runtime: ${wheel} has no ${prefix}*.so in its .libs folder`)
    return join(dir, 'libs', name)
  }
  return { libstdcxx: find('libstdc++-'), libgcc: find('libgcc_s-') }
}

/**
 * The sysroot, laid out as a musl system expects it: the musl loader at the path in Bun's
 * program header (which is also the libc it links, `libc.musl-<arch>.so.1`, Alpine's name), the
 * C++ runtime in /lib under the names Bun and the libraries ask for, and an ldd.
 */
function assembleSysroot(arch, { deb, libstdcxx, libgcc }, sysroot) {
  const { musl } = ARCHES[arch]
  mkdirSync(sysroot, { recursive: true })
  run('dpkg-deb', ['-x', deb, sysroot])
  const libc = `../usr/lib/${musl}-linux-musl/libc.so`
  if (!existsSync(join(sysroot, 'lib', libc))) throw new Error(`musl runtime: ${deb} has no usr/lib/${musl}-linux-musl/libc.so`)
  const lib = join(sysroot, 'lib')
  mkdirSync(lib, { recursive: true })
  symlinkSync(libc, join(lib, `ld-musl-${musl}.so.1`))
  symlinkSync(libc, join(lib, `libc.musl-${musl}.so.1`))
  for (const [file, plain] of [[libstdcxx, 'libstdc++.so.6'], [libgcc, 'libgcc_s.so.1']]) {
    const name = file.split('/').at(-1)
    renameSync(file, join(lib, name))
    // The hashed name stays: libstdc++ names libgcc_s by it.
    symlinkSync(name, join(lib, plain))
  }
  // Debian's path file lists only its multiarch folder, and replaces musl's default search path.
  writeFileSync(join(sysroot, 'etc', `ld-musl-${musl}.path`), `/lib\n/usr/lib/${musl}-linux-musl\n`)
  mkdirSync(join(sysroot, 'usr', 'bin'), { recursive: true })
  writeFileSync(join(sysroot, 'usr', 'bin', 'ldd'), `#!/bin/sh\nexec /lib/ld-musl-${musl}.so.1 --list "$@"\n`, { mode: 0o755 })
}

/** The runtime object for a finished folder. */
function runtimeIn(arch, dir) {
  const { qemu } = ARCHES[arch]
  const sysroot = join(dir, 'sysroot')
  return {
    command: qemu,
    // `-U`: the host's LD_LIBRARY_PATH or LD_PRELOAD (glibc libraries) must not reach the musl
    // loader. `--no-install`: Bun must not fetch a package that a check leaves out on purpose.
    args: ['-cpu', 'max', '-L', sysroot, '-U', 'LD_LIBRARY_PATH', '-U', 'LD_PRELOAD', bunBinary(arch), '--no-install'],
    env: {},
    describe: `Bun ${BUN_VERSION} (linux-${arch}, musl ${MUSL_DEB.version.split('-')[0]}) under ${qemu}`,
  }
}

/**
 * Runs `runtime` once and checks that it is Bun on musl alone: no glibc version in the report, and
 * no glibc (libc.so.6, ld-linux) among the objects it has mapped (Bun's report lists none itself).
 */
function verify(arch, runtime) {
  const probe = [
    "const maps = require('fs').readFileSync('/proc/self/maps', 'utf8').split('\\n').map((l) => l.split(/\\s+/)[5]).filter((p) => p && p.startsWith('/'))",
    "console.log(JSON.stringify({ bun: process.versions.bun, arch: process.arch, glibc: process.report.getReport().header.glibcVersionRuntime ?? null, objects: [...new Set(maps)] }))",
  ].join('\n')
  const result = spawnSync(runtime.command, [...runtime.args, '-e', probe], { encoding: 'utf8', env: { ...process.env, ...runtime.env }, timeout: 120_000 })
  const line = (result.stdout ?? '').split('\n').find((l) => l.startsWith('{'))
  if (!line) throw new Error(`musl runtime: ${runtime.describe} did not start: ${result.error?.message ?? ''}${result.stderr ?? ''}`.trim())
  const seen = JSON.parse(line)
  const glibcObjects = seen.objects.filter((p) => /\/(libc\.so\.6|ld-linux[^/]*\.so\.\d)$/.test(p))
  if (seen.bun !== BUN_VERSION || seen.arch !== arch || seen.glibc !== null || glibcObjects.length > 0 || !seen.objects.some((p) => p.endsWith('-linux-musl/libc.so'))) {
    throw new Error(`musl runtime: ${runtime.describe} is not Bun ${BUN_VERSION} on musl alone: ${line}`)
  }
  return seen
}

/**
 * Bun on musl for `arch` ('x64' or 'arm64'), assembled once (and again when a pin above changes)
 * under target/platform-runtimes/musl-<arch>/. `spawn(command, [...args, script])`, with `env`
 * added to the environment, runs the script with that Bun on musl, under qemu-user (qemu-x86_64
 * or qemu-aarch64, from Debian's qemu-user). Assembling needs npm, apt-get and dpkg-deb (Debian
 * or Ubuntu), python3 with pip, and the network to their registries.
 */
export function muslRuntime(arch) {
  if (!ARCHES[arch]) throw new Error(`musl runtime: unknown arch ${arch}: one of ${Object.keys(ARCHES).join(', ')}`)
  qemuUser()
  const dir = join(CACHE, `musl-${arch}`)
  const stamp = join(dir, 'pins.json')
  const wanted = JSON.stringify(pins(arch))
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) return runtimeIn(arch, dir)

  // Made aside and renamed into place, so that an interrupted run leaves no half-made runtime.
  const scratch = `${dir}.partial`
  rmSync(scratch, { recursive: true, force: true })
  const downloads = join(scratch, 'downloads')
  mkdirSync(downloads, { recursive: true })
  const deb = fetchMusl(arch, downloads)
  const cxx = fetchCxxRuntime(arch, downloads)
  assembleSysroot(arch, { deb, ...cxx }, join(scratch, 'sysroot'))
  rmSync(downloads, { recursive: true, force: true })
  // The runtime names its folder, so it is checked in place, under the name it keeps.
  rmSync(dir, { recursive: true, force: true })
  renameSync(scratch, dir)
  const runtime = runtimeIn(arch, dir)
  try {
    verify(arch, runtime)
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
  writeFileSync(stamp, wanted)
  return runtime
}

// `node scripts/lib/musl.mjs <arch> [script args…]` runs a script (or, with none, checks the
// runtime and prints what it is).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [arch = 'x64', ...rest] = process.argv.slice(2)
  const runtime = muslRuntime(arch)
  if (rest.length === 0) {
    console.log(runtime.describe)
    console.log(JSON.stringify(verify(arch, runtime)))
  } else {
    const result = spawnSync(runtime.command, [...runtime.args, ...rest], { stdio: 'inherit', env: { ...process.env, ...runtime.env } })
    process.exitCode = result.status ?? 1
  }
}
