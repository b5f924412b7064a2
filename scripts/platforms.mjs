// Every binary this host can build, each loaded by a runtime of its own platform and used for real
// (the darwin ones, which nothing here can load, are only built and inspected):
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

import { OUT, buildTarget, buildableHere, inspect } from './build-target.mjs'
import { runCheck, startServices } from './lib/check.mjs'
import { bun, deno, node } from './lib/runtimes.mjs'
import { target } from './lib/targets.mjs'

const { platformAbi } = createRequire(import.meta.url)('../lib/native.js')

/**
 * Each binary with the runtimes it is checked in; `build` is the target whose binary is loaded,
 * `workers` that the runtime is Node.js, whose worker threads unload an addon when they end.
 */
export const CHECKS = [
  { abi: 'linux-x64-gnu', in: 'Node.js 20', workers: true, runtime: () => node(20) },
  { abi: 'linux-x64-gnu', in: 'Node.js 22', workers: true, runtime: () => node(22) },
  { abi: 'linux-x64-gnu', in: 'Node.js 24', workers: true, runtime: () => node(24) },
  { abi: 'linux-x64-gnu', in: 'Bun', runtime: bun },
  { abi: 'linux-x64-gnu', in: 'Deno', runtime: deno },
  { abi: 'linux-arm64-gnu', in: 'Node.js 22 for arm64 under qemu', workers: true, runtime: () => node(22, 'arm64') },
  { abi: 'linux-x64-musl', in: 'Bun on musl', runtime: async () => (await import('./lib/musl.mjs')).muslRuntime('x64') },
  { abi: 'linux-arm64-musl', in: 'Bun on musl for arm64 under qemu', runtime: async () => (await import('./lib/musl.mjs')).muslRuntime('arm64') },
  {
    abi: 'win32-x64-msvc',
    build: 'win32-x64-gnu',
    in: 'Node.js 22 for Windows under wine',
    workers: true,
    runtime: async () => (await import('./lib/windows.mjs')).windowsRuntime(22),
  },
]

/** The binary of this host's own platform, loaded by this Node.js: the release workflow's runners. */
export function hereCheck() {
  const abi = platformAbi()
  return { abi, in: 'this Node.js', workers: true, runtime: () => ({ command: process.execPath, args: [], describe: `Node.js ${process.version} (${abi}, this host)` }) }
}

/** The built binary a check loads; an error naming the command that builds it when absent. */
export function binaryFor(check) {
  const file = join(OUT, `nextauth.${check.build ?? check.abi}.node`)
  if (!existsSync(file)) throw new Error(`${file} is not built: run \`npm run build:target -- ${check.build ?? check.abi}\``)
  return file
}

/**
 * Runs one check: with the binary (every use works), without it (the load error), and for Node.js
 * with only worker threads loading it, ended with calls in flight (the process lives on).
 */
export async function check(entry, services) {
  const runtime = await entry.runtime()
  const binary = binaryFor(entry)
  const used = await runCheck(runtime, { abi: entry.abi, binary, services })
  const missing = await runCheck(runtime, { abi: entry.abi, binary, services, expect: 'load-error' })
  const workers = entry.workers ? await runCheck(runtime, { abi: entry.abi, binary, services, expect: 'workers' }) : null
  return { runtime, binary, used, missing, workers }
}

async function main() {
  const args = process.argv.slice(2)
  const named = args.filter((a) => !a.startsWith('--'))
  const checks = args.includes('--here') ? [hereCheck()] : CHECKS.filter((c) => named.length === 0 || named.includes(c.abi))
  // With no target named, every target this host builds: the darwin ones have no runtime here, but
  // building them checks that they link.
  const builds = named.length === 0 && !args.includes('--here') ? buildableHere() : [...new Set(checks.map((c) => target(c.build ?? c.abi)))]
  const lines = []
  for (const t of builds) lines.push(args.includes('--no-build') ? inspect(t, binaryFor({ abi: t.abi })) : (await buildTarget(t.abi)).line)
  const services = await startServices()
  const rows = []
  try {
    for (const entry of checks) {
      try {
        const { runtime, used, missing, workers } = await check(entry, services)
        const why = (result) => `FAILED: ${result.error ?? result.loadError ?? result.output.slice(-800)}`
        const parts = [
          used.ok ? `ok (${used.runtime}, ${used.arch}, ${used.libc}; ${used.seconds.toFixed(1)} s; Redis: ${used.redis})` : why(used),
          missing.ok ? 'load error names the package and the fix' : why(missing),
          ...(workers ? [workers.ok ? 'workers ended with calls in flight' : why(workers)] : []),
        ]
        const ok = used.ok && missing.ok && (workers?.ok ?? true)
        rows.push({ ok, line: `${entry.abi} in ${runtime.describe}: ${parts.join('; ')}` })
      } catch (error) {
        rows.push({ ok: false, line: `${entry.abi}: FAILED: ${error.message}` })
      }
    }
  } finally {
    await services.stop()
  }
  console.log(`\nBuilt:\n${lines.map((l) => `  ${l}`).join('\n')}`)
  console.log(`\nChecked (a token used once, a user lookup, a Redis pair; the load error without the binary; Node.js workers ending with calls in flight):`)
  for (const row of rows) console.log(`  ${row.ok ? '✓' : '✗'} ${row.line}`)
  const failed = rows.filter((r) => !r.ok).length
  console.log(`\n${rows.length - failed} passed, ${failed} failed`)
  process.exitCode = failed ? 1 : 0
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
