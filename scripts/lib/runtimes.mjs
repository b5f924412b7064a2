// The JavaScript runtimes the platform checks run in, each taken from the npm registry (the only
// place this machine and CI can download from) and kept under target/platform-runtimes/.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const CACHE = fileURLToPath(new URL('../../target/platform-runtimes/', import.meta.url))

/** Pinned so that a check means the same thing on every run. */
export const VERSIONS = { node20: '20.20.2', node22: '22.23.5', node24: '24.22.3', bun: '1.4.5', deno: '2.9.6' }

/** Whether `command args` runs and exits 0. */
export function succeeds(command, args) {
  const result = spawnSync(command, args, { stdio: 'ignore' })
  return !result.error && result.status === 0
}

/**
 * `npm pack` of `spec` (a registry package), or of the package in `cwd`, unpacked into `dir` (made
 * if missing): the files as the tarball holds them, the tarball itself removed.
 */
export function packInto(dir, { spec, cwd = dir }) {
  mkdirSync(dir, { recursive: true })
  // npm is a .cmd script on Windows, which Node.js runs only through a shell.
  const shell = process.platform === 'win32'
  const args = ['pack', ...(spec ? [spec] : []), '--silent', '--pack-destination', dir]
  const file = execFileSync('npm', args, { cwd, encoding: 'utf8', shell }).trim().split('\n').at(-1)
  execFileSync('tar', ['-xzf', file, '--strip-components=1'], { cwd: dir })
  rmSync(join(dir, file))
}

/**
 * The folder of an npm package's files (`npm pack` downloads its tarball; it is unpacked, not
 * installed, so a package for another CPU or OS is fine). Made in a folder of its own and renamed,
 * so that a run killed halfway leaves nothing that looks complete.
 */
export function fromNpm(spec) {
  const dir = join(CACHE, spec.replace(/[/@]/g, '_'))
  if (existsSync(join(dir, 'package.json'))) return dir
  const scratch = `${dir}.partial-${process.pid}`
  rmSync(scratch, { recursive: true, force: true })
  packInto(scratch, { spec })
  // Another process may have finished the same download meanwhile: theirs is as good as ours.
  if (existsSync(join(dir, 'package.json'))) rmSync(scratch, { recursive: true, force: true })
  else renameSync(scratch, dir)
  return dir
}

/** Installs Debian packages (apt-get update first: the lists may be empty on a new machine). */
export function aptInstall(packages) {
  console.log(`installing ${packages.join(' ')} from Debian's packages`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
  execFileSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: ['ignore', 'ignore', 'inherit'], env })
}

/** Debian's qemu-user (qemu-aarch64, qemu-x86_64), installed when missing. */
export function qemuUser() {
  if (!existsSync('/usr/bin/qemu-aarch64') || !existsSync('/usr/bin/qemu-x86_64')) aptInstall(['qemu-user'])
}

/** `qemu-aarch64` and the arm64 glibc with its C++ runtime (which Node.js for arm64 links). */
export function qemuAarch64() {
  const sysroot = '/usr/aarch64-linux-gnu'
  qemuUser()
  if (!existsSync(join(sysroot, 'lib', 'libstdc++.so.6'))) aptInstall(['libc6-arm64-cross', 'libstdc++6-arm64-cross', 'libgcc-s1-arm64-cross'])
  return { command: 'qemu-aarch64', args: ['-L', sysroot], sysroot }
}

/** Node.js `major` for Linux on `arch` (under qemu for arm64 on an x64 host). */
export function node(major, arch = 'x64') {
  const version = VERSIONS[`node${major}`]
  const bin = join(fromNpm(`node-linux-${arch}@${version}`), 'bin', 'node')
  const describe = `Node.js ${version} (linux-${arch}, glibc)`
  if (arch === process.arch) return { command: bin, args: [], describe }
  const qemu = qemuAarch64()
  return { command: qemu.command, args: [...qemu.args, bin], describe: `${describe} under qemu-aarch64` }
}

/** Bun for Linux x64 (glibc). */
export function bun() {
  const bin = join(fromNpm(`@oven/bun-linux-x64@${VERSIONS.bun}`), 'bin', 'bun')
  return { command: bin, args: [], describe: `Bun ${VERSIONS.bun} (linux-x64, glibc)` }
}

/** Deno for Linux x64, with Node.js compatibility reading the folder's node_modules. */
export function deno() {
  const bin = join(fromNpm(`@deno/linux-x64-glibc@${VERSIONS.deno}`), 'deno')
  spawnSync('chmod', ['+x', bin])
  return { command: bin, args: ['run', '--allow-all', '--quiet'], env: { DENO_NO_UPDATE_CHECK: '1' }, describe: `Deno ${VERSIONS.deno} (linux-x64, glibc)` }
}
