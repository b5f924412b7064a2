// Every binary this host builds (npm test builds them first: `npm run build:target -- --all-here`),
// loaded by a runtime of its own platform through the package's own entry and binary lookup, and
// used for real; then the same folder without the platform package gives the load error. The
// list and the runtimes are scripts/platforms.mjs's, which `npm run platforms` runs by hand.
import { join } from 'node:path'

import test from 'ava'

import { CHECKS, check, hereCheck } from '../scripts/platforms.mjs'
import { OUT, inspect } from '../scripts/build-target.mjs'
import { runCheck, startServices } from '../scripts/lib/check.mjs'
import { GLIBC_FLOOR, TARGETS, target } from '../scripts/lib/targets.mjs'
import { node } from '../scripts/lib/runtimes.mjs'
import pkg from '../package.json' with { type: 'json' }

let services
test.before(async () => {
  services = await startServices()
})
test.after.always(() => services?.stop())

test('the build table names every published target, and each check a built one', (t) => {
  const published = TARGETS.filter((entry) => !entry.standsInFor)
  t.deepEqual(published.map((entry) => entry.triple).sort(), [...pkg.napi.targets].sort())
  for (const entry of CHECKS) t.truthy(target(entry.build ?? entry.abi))
})

/** The emulators and sysroots come from Debian's packages and run x64 code natively. */
const EMULATES = process.platform === 'linux' && process.arch === 'x64'
const CANNOT = 'skipped: the emulated checks need a Linux x64 host (qemu-user, wine, Debian packages)'
const emulated = EMULATES ? test.serial : test.skip
const unless = EMULATES ? '' : ` (${CANNOT})`

async function checked(t, entry) {
  t.timeout(300_000)
  const { runtime, binary, used, missing, workers } = await check(entry, services)
  t.log(runtime.describe)
  t.log(inspect(target(entry.build ?? entry.abi), binary))
  t.true(used.ok, JSON.stringify(used))
  t.is(used.token, 'created, used once, second use refused')
  t.is(used.redis, services.env.REDIS_URL ? 'created, used once, second use refused' : 'not checked: no redis-server on this host')
  t.regex(used.user, / ann@example\.com$/)
  const [os, arch, libc] = entry.abi.split('-')
  t.is(used.platform, os)
  t.is(used.arch, arch)
  t.regex(used.libc, { gnu: /^glibc /, musl: /^musl$/, msvc: /^win32$/, undefined: new RegExp(`^${os}$`) }[libc])
  t.true(missing.ok, JSON.stringify(missing))
  if (entry.workers) t.true(workers.ok, JSON.stringify(workers))
}

for (const entry of CHECKS) {
  const built = entry.build ? `${entry.build} build as ${entry.abi}` : entry.abi
  const title = `${built} in ${entry.in}: a token used once, a user looked up, a Redis pair; without it, the load error${entry.workers ? '; workers end with calls in flight' : ''}`
  emulated(`${title}${unless}`, checked, entry)
}

if (!EMULATES) {
  const here = hereCheck()
  test.serial(`${here.abi}, this host's own binary, in this Node.js: a token used once, a user looked up, a Redis pair; without it, the load error; workers end with calls in flight`, checked, here)
}

emulated(`the gnu binaries need glibc ${GLIBC_FLOOR} at most${unless}`, (t) => {
  for (const abi of ['linux-x64-gnu', 'linux-arm64-gnu']) {
    const line = inspect(target(abi), join(OUT, `nextauth.${abi}.node`))
    t.log(line)
    t.regex(line, /glibc floor 2\.(1[0-7]|[0-9])$/)
  }
})

emulated(`the darwin binaries link without Apple's SDK: Mach-O for their CPU, for macOS 10.15 (x64) and 11.0 (arm64) on${unless}`, (t) => {
  // They cannot be loaded here (no macOS to run them); the release workflow loads them on macOS.
  for (const abi of ['darwin-x64', 'darwin-arm64']) {
    const line = inspect(target(abi), join(OUT, `nextauth.${abi}.node`))
    t.log(line)
    t.regex(line, /, links \/usr\/lib\/libSystem\.B\.dylib/)
  }
})

emulated(`a binary for another libc does not load, and the error says which one was expected${unless}`, async (t) => {
  // The gnu binary in the musl package's place: a musl process must refuse it, not crash.
  t.timeout(300_000)
  const { muslRuntime } = await import('../scripts/lib/musl.mjs')
  const wrong = await runCheck(await muslRuntime('x64'), { abi: 'linux-x64-musl', binary: join(OUT, 'nextauth.linux-x64-gnu.node'), services })
  t.false(wrong.ok)
  t.regex(wrong.error ?? wrong.output, /cannot load its native addon on linux-x64-musl/)
  const wrongGnu = await runCheck(node(22), { abi: 'linux-x64-gnu', binary: join(OUT, 'nextauth.linux-x64-musl.node'), services })
  t.false(wrongGnu.ok)
  t.regex(wrongGnu.error ?? wrongGnu.output, /cannot load its native addon on linux-x64-gnu/)
})
