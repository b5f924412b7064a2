// Runs __test__/fixtures/platform-check.cjs for one binary in one runtime: the package laid out in
// a folder as npm installs it (the root tarball, and the platform package holding the binary), a
// fake ChatBotKit API and a redis-server on this host's loopback for it to use.
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { SECRET, startFakeApi } from '../../__test__/fixtures/fake-api.mjs'
import { run } from '../../__test__/fixtures/process.mjs'
import { startRedis } from '../../__test__/fixtures/redis.mjs'
import { packInto } from './runtimes.mjs'

const root = fileURLToPath(new URL('../..', import.meta.url))
const CHECK = join(root, '__test__', 'fixtures', 'platform-check.cjs')

/**
 * The fake API (seeded with Ann) and a redis-server; `stop()` ends both. Windows hosts (the release
 * workflow's runner) get no redis-server: Redis publishes no build for Windows.
 */
export async function startServices({ redis: withRedis = process.platform !== 'win32' } = {}) {
  const api = await startFakeApi({
    seed: { 'partner/user': [{ email: 'ann@example.com', name: 'Ann' }] },
    // Calls that are still waiting when the workers check ends its workers.
    fault: (exchange) => (exchange.query?.email === 'slow@example.com' ? { delay: 5000 } : undefined),
  })
  const redis = withRedis ? await startRedis() : null
  return {
    env: { API_URL: api.url, API_SECRET: SECRET, REDIS_URL: redis?.url ?? '' },
    stop: () => Promise.all([api.close(), redis?.stop()]),
  }
}

/** `npm pack` of the root package, unpacked once per process into a folder to copy from. */
let packedRoot
function rootPackage() {
  if (packedRoot) return packedRoot
  const dir = mkdtempSync(join(tmpdir(), 'cbk-root-'))
  packInto(dir, { cwd: root })
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
  packedRoot = dir
  return dir
}

/**
 * A folder laid out as `npm install @chatbotkit/nextauth` leaves it on the platform `abi`, with the
 * binary at `binary` as the platform package's file; without it when `platformPackage` is false.
 */
export function layout(abi, binary, { platformPackage = true } = {}) {
  const dir = mkdtempSync(join(tmpdir(), `cbk-${abi}-`))
  const scope = join(dir, 'node_modules', '@chatbotkit')
  mkdirSync(scope, { recursive: true })
  cpSync(rootPackage(), join(scope, 'nextauth'), { recursive: true })
  if (platformPackage) {
    const pkg = join(scope, `nextauth-${abi}`)
    cpSync(join(root, 'npm', abi), pkg, { recursive: true })
    copyFileSync(binary, join(pkg, `nextauth.${abi}.node`))
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'platform-check', private: true, dependencies: { '@chatbotkit/nextauth': '*' } }))
  copyFileSync(CHECK, join(dir, 'platform-check.cjs'))
  return dir
}

/**
 * Runs the check in `runtime` (`{ command, args, env }`) for the package laid out for `abi`;
 * resolves with the JSON line it printed (plus the output when there was no such line).
 */
export async function runCheck(runtime, { abi, binary, services, expect, deadline = 180_000 }) {
  const dir = layout(abi, binary, { platformPackage: expect !== 'load-error' })
  try {
    const env = { ...process.env, ...services.env, ...runtime.env, EXPECTED_ABI: abi, EXPECT: expect ?? '' }
    // The checked package must be found through the folder's node_modules, nowhere else.
    delete env.NAPI_RS_NATIVE_LIBRARY_PATH
    delete env.NODE_PATH
    const started = Date.now()
    const { code, output } = await run(runtime.command, [...runtime.args, 'platform-check.cjs'], { cwd: dir, env, deadline })
    const seconds = (Date.now() - started) / 1000
    const line = output.split('\n').find((l) => l.startsWith('{"runtime"'))
    if (!line) return { ok: false, code, seconds, output }
    // wine reports a crash on stderr and may still exit 0.
    const crashed = /Unhandled (page fault|exception)/.test(output)
    return { ...JSON.parse(line), code, seconds, output, ok: JSON.parse(line).ok && code === 0 && !crashed }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
