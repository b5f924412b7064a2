// Builds the release binary for one or more targets, installing the tools each needs, and checks
// what the binary asks of the system that loads it (the glibc floor, musl, the DLLs, the macOS
// version).
//
//   npm run build:target -- linux-arm64-musl [more targets…]   (or a Rust triple)
//   npm run build:target -- --all-here                         (every target this host can build)
//
// Output: target/platforms/nextauth.<abi>.node. Linux targets build on a Linux host with zig
// (cargo-zigbuild through `napi build -x`), the gnu ones against glibc 2.17; win32-x64-msvc builds
// on Windows and the darwin targets on macOS (on Linux, with zig, to check that they link);
// win32-x64-gnu, the Windows build checked under wine here, builds on Linux with MinGW-w64.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { succeeds } from './lib/runtimes.mjs'
import { GLIBC_FLOOR, TARGETS, target } from './lib/targets.mjs'

export const root = fileURLToPath(new URL('..', import.meta.url))
export const OUT = join(root, 'target', 'platforms')

/** Versions of the zig toolchain from PyPI, pinned so every build links the same way. */
const ZIG_TOOLS = ['ziglang==0.17.1', 'cargo-zigbuild==0.24.1']

/**
 * Which targets a host can build: Linux builds the Linux binaries, the Windows stand-in, and the
 * darwin ones with zig (to check that they link; the published ones come from macOS).
 */
export function buildableHere({ platform } = process) {
  const via = { linux: ['zig', 'mingw', 'macos'], win32: ['msvc'], darwin: ['macos'] }[platform] ?? []
  return TARGETS.filter((t) => via.includes(t.via))
}

/** Whether dotted version `a` is above `b` (2.34 above 2.17; 15.0 above 11.0). */
function newer(a, b) {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number))
  return x[0] - y[0] > 0 || (x[0] === y[0] && (x[1] ?? 0) > (y[1] ?? 0))
}

function sh(command, args, options = {}) {
  // npx is a .cmd script on Windows, which Node.js runs only through a shell.
  execFileSync(command, args, { stdio: 'inherit', cwd: root, shell: process.platform === 'win32', ...options })
}

function installZig() {
  if (succeeds('cargo-zigbuild', ['--version']) && succeeds('python3', ['-m', 'ziglang', 'version'])) return
  console.log(`installing ${ZIG_TOOLS.join(' and ')} from PyPI`)
  sh('python3', ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...ZIG_TOOLS])
}

function cannotBuildHere(t) {
  const where = { msvc: 'on Windows (MSVC’s linker and libraries)', macos: 'on macOS (the macOS SDK)' }[t.via]
  return new Error(`${t.abi} is built ${where}; this host (${process.platform}) builds: ${buildableHere().map((b) => b.abi).join(', ')}`)
}

function objdump(flag, file) {
  return execFileSync('objdump', [flag, file], { encoding: 'utf8', maxBuffer: 256 << 20 })
}

/** The highest GLIBC_x.y version the binary's dynamic symbols need, or null. */
export function glibcFloor(file) {
  const symbols = objdump('-T', file)
  const versions = [...new Set(symbols.match(/GLIBC_[0-9.]+/g) ?? [])].map((v) => v.slice(6))
  return versions.reduce((highest, v) => (highest === null || newer(v, highest) ? v : highest), null)
}

/** The CPU, minimum macOS version and linked libraries in a 64-bit Mach-O file's load commands. */
export function machO(file) {
  const data = readFileSync(file)
  if (data.readUInt32LE(0) !== 0xfeedfacf) throw new Error(`${file} is not a 64-bit Mach-O file`)
  const cpu = { 0x01000007: 'x64', 0x0100000c: 'arm64' }[data.readUInt32LE(4)] ?? 'other'
  const found = { cpu, macos: null, dylibs: [] }
  let at = 32
  for (let i = 0, count = data.readUInt32LE(16); i < count; i++) {
    const [command, size] = [data.readUInt32LE(at), data.readUInt32LE(at + 4)]
    if (command === 0xc || command === 0x80000018) {
      const name = data.subarray(at + data.readUInt32LE(at + 8), at + size)
      found.dylibs.push(name.subarray(0, name.indexOf(0)).toString())
    }
    if (command === 0x32) {
      const version = data.readUInt32LE(at + 12)
      found.macos = `${version >>> 16}.${(version >>> 8) & 0xff}`
    }
    at += size
  }
  return found
}

/** What the binary needs from the system, checked against what its target promises. */
export function inspect(t, file) {
  const size = `${(statSync(file).size / 1024 / 1024).toFixed(2)} MiB`
  if (t.triple.includes('linux-gnu')) {
    const floor = glibcFloor(file)
    if (newer(floor, GLIBC_FLOOR)) throw new Error(`${t.abi}: the binary needs glibc ${floor}, above the floor of ${GLIBC_FLOOR}`)
    return `${t.abi}: ${size}, glibc floor ${floor}`
  }
  if (t.triple.includes('linux-musl')) {
    const floor = glibcFloor(file)
    if (floor) throw new Error(`${t.abi}: the musl binary asks for glibc ${floor}`)
    const needed = objdump('-p', file).match(/NEEDED\s+\S+/g) ?? []
    return `${t.abi}: ${size}, musl, needs ${needed.map((n) => n.split(/\s+/)[1]).join(' ')}`
  }
  if (t.triple.includes('windows') && process.platform === 'linux') {
    const dlls = objdump('-p', file).match(/DLL Name: \S+/g) ?? []
    return `${t.abi}: ${size}, imports ${dlls.map((d) => d.slice(10)).join(' ')}`
  }
  if (t.triple.includes('apple-darwin') && process.platform !== 'darwin') {
    const { cpu, macos, dylibs } = machO(file)
    if (cpu !== t.abi.split('-')[1]) throw new Error(`${t.abi}: the binary is for ${cpu}`)
    if (newer(macos, t.macos)) throw new Error(`${t.abi}: the binary needs macOS ${macos}, newer than ${t.macos}, the oldest Node.js 20 runs on`)
    return `${t.abi}: ${size}, macOS ${macos} or later, links ${dylibs.join(' ')}`
  }
  return `${t.abi}: ${size}`
}

/** Builds one target into target/platforms/ and answers what `inspect` says of it. */
export async function buildTarget(name) {
  const t = target(name)
  if (!buildableHere().includes(t)) throw cannotBuildHere(t)
  if (succeeds('rustup', ['--version'])) sh('rustup', ['target', 'add', t.triple], { stdio: ['ignore', 'ignore', 'inherit'] })
  let env = process.env
  const args = ['napi', 'build', '--platform', '--release', '--no-js', '--dts', join('dts', 'binding.d.ts'), '-o', OUT]
  if (t.via === 'zig' || (t.via === 'macos' && process.platform === 'linux')) {
    installZig()
    args.push('-x', '--target', t.zigTarget ?? t.triple)
    if (t.macos) env = { ...env, MACOSX_DEPLOYMENT_TARGET: t.macos }
  } else {
    if (t.via === 'mingw') {
      const { prepareWindowsGnuBuild } = await import('./lib/windows.mjs')
      env = { ...env, ...prepareWindowsGnuBuild() }
    }
    args.push('--target', t.triple)
  }
  mkdirSync(OUT, { recursive: true })
  const started = Date.now()
  sh('npx', args, { env })
  // The typings are the same for every target; the committed binding.d.ts is the one kept.
  rmSync(join(OUT, 'dts'), { recursive: true, force: true })
  const file = join(OUT, `nextauth.${t.abi}.node`)
  const line = `${inspect(t, file)}, built in ${Math.round((Date.now() - started) / 1000)} s`
  console.log(line)
  return { target: t, file, line }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const names = process.argv.slice(2)
  if (names.length === 0) {
    console.error('usage: npm run build:target -- <target…> | --all-here\ntargets: ' + TARGETS.map((t) => t.abi).join(', '))
    process.exit(2)
  }
  const chosen = names.includes('--all-here') ? buildableHere().map((t) => t.abi) : names
  const lines = []
  try {
    for (const name of chosen) lines.push((await buildTarget(name)).line)
  } catch (error) {
    // A failed command has printed its own output already; say which step, not a stack.
    console.error(`\nbuild:target: ${error.message.split('\n')[0]}`)
    process.exit(1)
  }
  console.log(`\n${lines.join('\n')}`)
}
