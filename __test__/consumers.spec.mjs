// Users' own test suites: a Jest project (CommonJS and ESM) and an ava project install the
// package by name from its tarballs and sign a user in; Jest exits by itself with
// --detectOpenHandles reporting nothing — the addon never keeps Node's event loop alive.
import { fileURLToPath } from 'node:url'

import test from 'ava'

import { SECRET, startFakeApi } from './fixtures/fake-api.mjs'
import { installPacked, packedForTests } from './fixtures/pack.mjs'
import { run } from './fixtures/process.mjs'

const here = fileURLToPath(new URL('.', import.meta.url))
const packed = packedForTests(test)
let api
test.before(async () => {
  api = await startFakeApi({ seed: { 'partner/user': [{ email: 'ann@example.com', name: 'Ann' }] } })
})
test.after.always(() => api?.close())

async function consumer(t, name) {
  const dir = await installPacked(t, `${here}consumers/${name}`, packed)
  const env = { ...process.env, CBK_BASE_URL: api.url, CBK_SECRET: SECRET, NODE_OPTIONS: '' }
  return run('npm', ['test'], { cwd: dir, env, deadline: 60_000 })
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
