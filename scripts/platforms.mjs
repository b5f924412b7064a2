// Every binary this host can build, each loaded by a runtime of its own platform and used for real:
//
//   npm run platforms                      builds them (npm run build:target), then checks each
//   npm run platforms -- --no-build        checks the binaries already in target/platforms/
//   npm run platforms -- linux-arm64-musl  only that target's checks (and build)
//   npm run platforms -- --no-build --here this host's own binary in this Node.js (no emulation)
//
// Linux arm64 runs under qemu-aarch64 with Node.js for arm64; musl under a musl sysroot with Bun's
// musl builds (there is no musl Node.js on npm); Windows in Node.js for Windows under wine, with
// the MinGW-w64 build standing in for the MSVC one. __test__/platforms.spec.mjs runs the same list.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

import { OUT, buildTarget, inspect } from './build-target.mjs'
import { runCheck, startServices } from './lib/check.mjs'
import { bun, deno, node } from './lib/runtimes.mjs'
import { target } from './lib/targets.mjs'

const { platformAbi } = createRequire(import.meta.url)('../lib/native.js')

/** Each binary with the runtimes it is checked in; `build` is the target whose binary is loaded. */
export const CHECKS = [
  { abi: 'linux-x64-gnu', in: 'Node.js 20', runtime: () => node(20) },
  { abi: 'linux-x64-gnu', in: 'Node.js 22', runtime: () => node(22) },
  { abi: 'linux-x64-gnu', in: 'Node.js 24', runtime: () => node(24) },
  { abi: 'linux-x64-gnu', in: 'Bun', runtime: bun },
  { abi: 'linux-x64-gnu', in: 'Deno', runtime: deno },
  { abi: 'linux-arm64-gnu', in: 'Node.js 22 for arm64 under qemu', runtime: () => node(22, 'arm64') },
  { abi: 'linux-x64-musl', in: 'Bun on musl', runtime: async () => (await import('./lib/musl.mjs')).muslRuntime('x64') },
  { abi: 'linux-arm64-musl', in: 'Bun on musl for arm64 under qemu', runtime: async () => (await import('./lib/musl.mjs')).muslRuntime('arm64') },
]

/** The binary of this host's own platform, loaded by this Node.js: the release workflow's runners. */
export function hereCheck() {
  const abi = platformAbi()
  return { abi, in: 'this Node.js', runtime: () => ({ command: process.execPath, args: [], describe: `Node.js ${process.version} (${abi}, this host)` }) }
}

/** The built binary a check loads; an error naming the command that builds it when absent. */
export function binaryFor(check) {
  const file = join(OUT, `nextauth.${check.build ?? check.abi}.node`)
  if (!existsSync(file)) throw new Error(`${file} is not built: run \`npm run build:target -- ${check.build ?? check.abi}\``)
  return file
}

/** Runs one check twice: with the binary (every use works) and without it (the load error). */
export async function check(entry, services) {
  const runtime = await entry.runtime()
  const binary = binaryFor(entry)
  const used = await runCheck(runtime, { abi: entry.abi, binary, services })
  const missing = await runCheck(runtime, { abi: entry.abi, binary, services, expect: 'load-error' })
  return { runtime, binary, used, missing }
}

async function main() {
  const args = process.argv.slice(2)
  const named = args.filter((a) => !a.startsWith('--'))
  const checks = args.includes('--here') ? [hereCheck()] : CHECKS.filter((c) => named.length === 0 || named.includes(c.abi))
  const builds = [...new Set(checks.map((c) => c.build ?? c.abi))].map((abi) => target(abi))
  const lines = []
  for (const t of builds) lines.push(args.includes('--no-build') ? inspect(t, binaryFor({ abi: t.abi })) : (await buildTarget(t.abi)).line)
  const services = await startServices()
  const rows = []
  try {
    for (const entry of checks) {
      try {
        const { runtime, used, missing } = await check(entry, services)
        const loaded = used.ok ? `ok (${used.runtime}, ${used.arch}, ${used.libc}; ${used.seconds.toFixed(1)} s)` : `FAILED: ${used.error ?? used.output}`
        const error = missing.ok ? 'load error names the package and the fix' : `FAILED: ${missing.loadError ?? missing.error ?? missing.output}`
        rows.push({ ok: used.ok && missing.ok, line: `${entry.abi} in ${runtime.describe}: ${loaded}; ${error}` })
      } catch (error) {
        rows.push({ ok: false, line: `${entry.abi}: FAILED: ${error.message}` })
      }
    }
  } finally {
    await services.stop()
  }
  console.log(`\nBuilt:\n${lines.map((l) => `  ${l}`).join('\n')}`)
  console.log(`\nChecked (a token used once, a user lookup, a Redis pair; then the load error without the binary):`)
  for (const row of rows) console.log(`  ${row.ok ? '✓' : '✗'} ${row.line}`)
  const failed = rows.filter((r) => !r.ok).length
  console.log(`\n${rows.length - failed} passed, ${failed} failed`)
  process.exitCode = failed ? 1 : 0
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
