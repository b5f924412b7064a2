// The addon never keeps Node alive and never takes it down: a script that uses the adapter exits
// on its own once its work is done, and a store that misbehaves only rejects a call.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

import test from 'ava'

const root = fileURLToPath(new URL('..', import.meta.url))

function run(source, deadlineMs = 15_000, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', source], { cwd: root, env: { ...process.env, ...env } })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`still running after ${deadlineMs} ms:\n${output}`))
    }, deadlineMs)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, output })
    })
  })
}

test('a process that used the adapter, the API pool and a JS store exits by itself', async (t) => {
  const { code, output } = await run(`
    import { ChatBotKitPartnerAdapter, MemoryStore } from '@chatbotkit/nextauth'
    import { SECRET, startFakeApi } from './__test__/fixtures/fake-api.mjs'
    import { MapStore } from './__test__/fixtures/map-store.mjs'
    const api = await startFakeApi({ seed: { 'partner/user': [{ email: 'ann@example.com' }] } })
    for (const store of [new MemoryStore(), new MapStore()]) {
      const adapter = ChatBotKitPartnerAdapter({ secret: SECRET, store, baseUrl: api.url })
      await adapter.getUserByEmail('ann@example.com')
      await adapter.createVerificationToken({ identifier: 'ann@example.com', token: 'abc', expires: new Date(Date.now() + 60000) })
      if (!(await adapter.useVerificationToken({ identifier: 'ann@example.com', token: 'abc' }))) throw new Error('token lost')
    }
    await api.close()
    console.log('done')
  `)
  t.is(code, 0, output)
  t.regex(output, /done/)
})

// The addon's runtime is one thread of its own, started by the first call that waits on the network
// or Redis: a process that only loads the package, or only uses a MemoryStore, has none; a process
// with calls from the main thread and from workers has exactly one. (Thread names from /proc: Linux.)
test('the runtime thread starts with the first waiting call (not with token or MemoryStore calls), and one serves every JS thread', async (t) => {
  if (process.platform !== 'linux') return t.pass('thread names are read from /proc')
  const { code, output } = await run(`
    import { readdirSync, readFileSync } from 'node:fs'
    import { Worker } from 'node:worker_threads'
    import { ChatBotKitPartnerAdapter, MemoryStore } from '@chatbotkit/nextauth'
    import { SECRET, startFakeApi } from './__test__/fixtures/fake-api.mjs'
    const runtimeThreads = () => readdirSync('/proc/self/task').filter((id) => readFileSync('/proc/self/task/' + id + '/comm', 'utf8').trim() === 'chatbotkit-rt').length
    const api = await startFakeApi({ seed: { 'partner/user': [{ email: 'ann@example.com' }] } })
    const adapter = ChatBotKitPartnerAdapter({ secret: SECRET, store: new MemoryStore(), baseUrl: api.url })
    await adapter.createVerificationToken({ identifier: 'ann@example.com', token: 'abc', expires: new Date(Date.now() + 60000) })
    await adapter.useVerificationToken({ identifier: 'ann@example.com', token: 'abc' })
    const store = new MemoryStore({ name: 'idle' })
    await store.set('k', { v: 1 }, { px: 60000 })
    await store.get('k')
    await store.getdel('k')
    await store.del('k')
    // A new thread names itself once it runs: give it the time to, had one started.
    await new Promise((resolve) => setTimeout(resolve, 200))
    const idle = runtimeThreads()
    const found = (await adapter.getUserByEmail('ann@example.com'))?.email
    const worker = new Worker(\`
      const { parentPort, workerData } = require('node:worker_threads')
      const { ChatBotKitPartnerAdapter, MemoryStore } = require(workerData.root)
      ChatBotKitPartnerAdapter({ secret: workerData.secret, store: new MemoryStore(), baseUrl: workerData.url })
        .getUserByEmail('ann@example.com').then((user) => parentPort.postMessage(user?.email))
    \`, { eval: true, execArgv: [], workerData: { root: process.cwd(), secret: SECRET, url: api.url } })
    const fromWorker = await new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject))
    await worker.terminate()
    console.log(JSON.stringify({ idle, found, fromWorker, after: runtimeThreads() }))
    await api.close()
  `)
  t.is(code, 0, output)
  const line = output.split('\n').find((l) => l.startsWith('{'))
  t.deepEqual(JSON.parse(line ?? 'null'), { idle: 0, found: 'ann@example.com', fromWorker: 'ann@example.com', after: 1 }, output)
})

test('a store whose promise never settles does not hang the process', async (t) => {
  const { code, output } = await run(`
    import { ChatBotKitPartnerAdapter } from '@chatbotkit/nextauth'
    const stuck = { get: () => new Promise(() => {}), set: () => new Promise(() => {}), del: async () => {} }
    const adapter = ChatBotKitPartnerAdapter({ secret: 'sk', store: stuck, baseUrl: 'http://127.0.0.1:9', timeout: 200 })
    await adapter.useVerificationToken({ identifier: 'a@b.c', token: 'x' }).catch((e) => console.log(e.code))
  `)
  t.is(code, 0, output)
  t.regex(output, /STORE_ERROR/)
})

test('a store that throws synchronously rejects the call and the process lives on', async (t) => {
  const { code, output } = await run(`
    import { ChatBotKitPartnerAdapter } from '@chatbotkit/nextauth'
    const bad = { get() { throw new TypeError('boom') }, set() { throw 'not even an Error' }, del() {} }
    const adapter = ChatBotKitPartnerAdapter({ secret: 'sk', store: bad, baseUrl: 'http://127.0.0.1:9' })
    const a = await adapter.useVerificationToken({ identifier: 'a@b.c', token: 'x' }).catch((e) => e.code)
    const b = await adapter.createVerificationToken({ identifier: 'a@b.c', token: 'x', expires: new Date(Date.now() + 1000) }).catch((e) => e.code)
    console.log('survived', a, b)
  `)
  t.is(code, 0, output)
  t.regex(output, /survived STORE_ERROR STORE_ERROR/)
})

// Each JS thread has its own completion channel; a worker's is torn down with it while the
// runtime may still be delivering that worker's answers.
test('worker threads settle their own calls, and a worker terminated with calls in flight takes nothing down', async (t) => {
  const { code, output } = await run(`
    import { Worker } from 'node:worker_threads'
    import { ChatBotKitPartnerAdapter, MemoryStore } from '@chatbotkit/nextauth'
    import { SECRET, startFakeApi } from './__test__/fixtures/fake-api.mjs'
    const api = await startFakeApi({
      seed: { 'partner/user': [{ email: 'ann@example.com' }] },
      fault: (exchange) => (exchange.query?.email === 'slow@example.com' ? { delay: 30 } : undefined),
    })
    const workerData = { secret: SECRET, url: api.url }
    const source = (calls, email) => \`
      const { parentPort, workerData } = require('node:worker_threads')
      const { ChatBotKitPartnerAdapter, MemoryStore } = require('@chatbotkit/nextauth')
      const adapter = ChatBotKitPartnerAdapter({ secret: workerData.secret, store: new MemoryStore(), baseUrl: workerData.url })
      Promise.all(Array.from({ length: \${calls} }, () => adapter.getUserByEmail('\${email}'))).then((users) =>
        parentPort.postMessage(users.filter((user) => user?.email === 'ann@example.com').length))
      parentPort.postMessage('started')\`
    const found = await Promise.all(Array.from({ length: 4 }, () => new Promise((resolve, reject) => {
      const worker = new Worker(source(200, 'ann@example.com'), { eval: true, execArgv: [], workerData })
      worker.on('message', (message) => message !== 'started' && (resolve(message), worker.terminate()))
      worker.on('error', reject)
    })))
    for (let i = 0; i < 20; i++) {
      const worker = new Worker(source(64, 'slow@example.com'), { eval: true, execArgv: [], workerData })
      await new Promise((resolve) => worker.once('message', resolve))
      await new Promise((resolve) => setTimeout(resolve, 5 + (i % 4) * 10))
      await worker.terminate()
    }
    const adapter = ChatBotKitPartnerAdapter({ secret: SECRET, store: new MemoryStore(), baseUrl: api.url })
    const users = await Promise.all(Array.from({ length: 64 }, () => adapter.getUserByEmail('ann@example.com')))
    await api.close()
    console.log('workers', found.join(','), 'main', users.filter(Boolean).length)
  `, 30_000)
  t.is(code, 0, output)
  t.true(output.includes('workers 200,200,200,200 main 64'), output)
})
