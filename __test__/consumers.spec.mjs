// Users' own test suites: a Jest project (CommonJS and ESM) and an ava project install the
// package by name from its tarballs and sign a user in; Jest exits by itself with
// --detectOpenHandles reporting nothing — the addon never keeps Node's event loop alive.
import { execFile } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import test from 'ava'

import { SECRET, startFakeApi } from './fixtures/fake-api.mjs'
import { PLATFORM, packPackages } from './fixtures/pack.mjs'

const here = fileURLToPath(new URL('.', import.meta.url))
let packed
let api
test.before(async () => {
  packed = await packPackages()
  api = await startFakeApi({ seed: { 'partner/user': [{ email: 'ann@example.com', name: 'Ann' }] } })
})
test.after.always(async () => {
  await api?.close()
  if (packed) rmSync(packed.dir, { recursive: true, force: true })
})

/** Runs a command; resolves with its output and exit code, or rejects after `deadline` ms. */
function run(command, args, options, deadline) {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { ...options, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? (error.code ?? 1) : 0, output: stdout + stderr }),
    )
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${command} ${args.join(' ')} did not exit within ${deadline} ms`))
    }, deadline)
    child.on('exit', () => clearTimeout(timer))
  })
}

async function consumer(t, name) {
  const dir = mkdtempSync(join(tmpdir(), `cbk-${name}-`))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  cpSync(join(here, 'consumers', name), dir, { recursive: true })
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
  pkg.dependencies = {
    '@chatbotkit/nextauth': `file:${packed.root.path}`,
    [`@chatbotkit/nextauth-${PLATFORM}`]: `file:${packed.platform.path}`,
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2))
  const install = await run('npm', ['install', '--no-audit', '--no-fund'], { cwd: dir }, 240_000)
  t.is(install.code, 0, install.output)
  const env = { ...process.env, CBK_BASE_URL: api.url, CBK_SECRET: SECRET, NODE_OPTIONS: '' }
  return run('npm', ['test'], { cwd: dir, env }, 60_000)
}

test('a Jest suite (CommonJS and ESM) passes, and Jest exits with no open handles', async (t) => {
  t.timeout(300_000)
  const { code, output } = await consumer(t, 'jest')
  t.is(code, 0, output)
  t.regex(output, /Tests:\s+4 passed, 4 total/)
  t.notRegex(output, /open handle/i)
  t.notRegex(output, /did not exit one second after/)
})

test('an ava suite passes in its default worker threads and exits', async (t) => {
  t.timeout(300_000)
  const { code, output } = await consumer(t, 'ava')
  t.is(code, 0, output)
  t.regex(output, /2 tests passed/)
})
