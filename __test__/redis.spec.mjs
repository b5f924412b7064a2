// RedisStore against a real redis-server: the Store interface, the adapter's native fast path with
// an atomic GETDEL, many app instances sharing one server, faults and recovery, and a Cluster.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

import test from 'ava'

import { ChatBotKitContactAdapter, ChatBotKitPartnerAdapter, RedisStore, Store } from '@chatbotkit/nextauth'

import { emailSlot, requireRedis, startRedis, startRedisCluster, startRedisSentinel } from './fixtures/redis.mjs'
import { wrongCodesCountOnBothPaths } from './fixtures/shared-attempts.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const inAMinute = () => new Date(Date.now() + 60_000)
const adapterWith = (store) => ChatBotKitPartnerAdapter({ secret: 'sk-test', store, baseUrl: 'http://127.0.0.1:9' })

async function redis(t, options) {
  const server = await startRedis(options)
  t.teardown(() => server.stop())
  return server
}

test('without redis-server on PATH the tests fail and say how to install it', (t) => {
  const path = process.env.PATH
  process.env.PATH = '/nonexistent'
  try {
    t.throws(() => requireRedis(), { message: /apt-get install redis-server/ })
  } finally {
    process.env.PATH = path
  }
})

test('construction never connects, never blocks, and never throws for an unreachable server', (t) => {
  t.notThrows(() => new RedisStore('redis://127.0.0.1:1'))
  t.notThrows(() => new RedisStore({ url: 'rediss://user:pw@cache.invalid:6380/2' }))
  t.notThrows(() => new RedisStore())
  t.true(new RedisStore() instanceof Store)
  t.true(RedisStore('redis://127.0.0.1:1') instanceof RedisStore)
})

test('bad options are clear errors that never quote the URL', (t) => {
  const notRedis = t.throws(() => new RedisStore('http://user:hunter2@example.com'))
  t.is(notRedis.code, 'INVALID_ARGUMENT')
  t.false(notRedis.message.includes('hunter2'))
  t.throws(() => new RedisStore(42), { message: /redis:\/\/ URL string or an options object/ })
  t.throws(() => new RedisStore({ poolSize: 0 }), { message: /`poolSize` must be a whole number/ })
  t.throws(() => new RedisStore({ commandTimeout: 'fast' }), { message: /`commandTimeout`/ })
  t.throws(() => new RedisStore({ url: 'redis://a', nodes: ['redis://b'] }), { message: /cannot be combined/ })
})

test('an option RedisStore does not know is refused at construction, naming it and never its value', (t) => {
  const typo = t.throws(() => new RedisStore({ urll: 'redis://:hunter2@10.0.0.1:6379' }))
  t.is(typo.code, 'INVALID_ARGUMENT')
  t.regex(typo.message, /RedisStore: option `urll` is unknown \(the options are url, nodes, sentinels, name, /)
  t.false(typo.message.includes('hunter2'))
  t.throws(() => new RedisStore({ sentinels: [{ host: '127.0.0.1', port: 26379 }] }), {
    code: 'INVALID_ARGUMENT',
    message: /option `name` is required with `sentinels`: the master's name/,
  })
  t.throws(() => new RedisStore({ name: 'mymaster' }), { message: /`name` only applies with `sentinels`/ })
  t.throws(() => new RedisStore({ sentinelPassword: 'x', url: 'redis://a' }), { message: /`sentinelPassword` only applies with `sentinels`/ })
  t.throws(() => new RedisStore({ sentinels: [], name: 'm' }), { message: /`sentinels` must list at least one Sentinel/ })
  t.throws(() => new RedisStore({ sentinels: [{ port: 1 }], name: 'm' }), { message: /`sentinels` must list redis:\/\/ URLs or \{ host, port \} objects/ })
  t.throws(() => new RedisStore({ url: 'redis://a', sentinels: ['redis://b'], name: 'm' }), { message: /`sentinels` cannot be combined with `url`/ })
  t.throws(() => new RedisStore({ sentinels: ['redis://b'], name: 'm', port: 6380 }), { message: /`port` cannot be combined with `sentinels`/ })
  t.notThrows(() => new RedisStore({ sentinels: [{ host: '127.0.0.1' }, 'redis://127.0.0.1:26380'], name: 'mymaster', password: 'pw', db: 1, tls: {} }))
  t.throws(() => new RedisStore({ host: 'a', url: 'redis://b' }), { message: /`host` cannot be combined with `url`/ })
  t.throws(() => new RedisStore({ port: 70000 }), { message: /`port` must be a whole number from 1 to 65535/ })
  t.throws(() => new RedisStore({ nodes: [{ port: 6379 }] }), { message: /`nodes` must list redis:\/\/ URLs or \{ host, port \} objects/ })
  t.throws(() => new RedisStore({ tls: 'yes' }), { message: /`tls` must be true or an object/ })
})

test('ioredis-style options reach the server they name: host, port, username, password, db', async (t) => {
  const server = await redis(t, { password: 'pa ss:w@rd/#' })
  const store = new RedisStore({ host: '127.0.0.1', port: server.port, username: 'default', password: server.password, db: 2 })
  await store.set('ioredis-shape', 1)
  t.is(server.cli('-n', '2', 'EXISTS', 'chatbotkit:nextauth:ioredis-shape').stdout.trim(), '1')
  store.close()
  const refused = new RedisStore({ host: '127.0.0.1', port: server.port, password: 'wrong password' })
  const error = await t.throwsAsync(refused.get('k'))
  t.is(error.code, 'REDIS_UNAVAILABLE')
  t.false(error.message.includes('wrong password'))
  refused.close()
})

test('get, set with px, del and getdel keep JSON values under the key prefix', async (t) => {
  const server = await redis(t)
  const store = new RedisStore({ url: server.url, keyPrefix: 'app1:' })
  t.is(await store.get('k'), null)
  const setAt = Date.now()
  await store.set('k', { identifier: 'a@b.c', n: [1, 2] }, { px: 60_000 })
  t.deepEqual(await store.get('k'), { identifier: 'a@b.c', n: [1, 2] })
  t.deepEqual(server.cli('KEYS', '*').stdout.trim().split('\n'), ['app1:k'])
  const ttl = Number(server.cli('PTTL', 'app1:k').stdout)
  // 60 s from when the SET arrived, less what has passed since (bounded by the time since the call).
  t.true(ttl <= 60_000 && ttl >= 60_000 - (Date.now() - setAt) - 1_000, `PTTL ${ttl}`)
  t.deepEqual(await store.getdel('k'), { identifier: 'a@b.c', n: [1, 2] })
  t.is(await store.getdel('k'), null)
  await store.set('short', 'v', { px: 50 })
  await new Promise((resolve) => setTimeout(resolve, 120))
  t.is(await store.get('short'), null)
  await store.set('d', 1)
  await store.del('d')
  t.is(await store.get('d'), null)
  store.close()
})

// Serial: it changes process.env, and the timing tests below must not share the event loop with
// the fixtures' synchronous redis-cli calls.
test.serial('the URL may come from REDIS_URL, with a password and a db number', async (t) => {
  const server = await redis(t, { password: 'pa ss:w@rd' })
  const saved = process.env.REDIS_URL
  process.env.REDIS_URL = `${server.url}/3`
  try {
    const store = new RedisStore()
    await store.set('from-env', true)
    t.is(server.cli('-n', '3', 'EXISTS', 'chatbotkit:nextauth:from-env').stdout.trim(), '1')
    store.close()
  } finally {
    if (saved === undefined) delete process.env.REDIS_URL
    else process.env.REDIS_URL = saved
  }
})

test('the adapter keeps codes in Redis with their lifetime, bound to their email, used once', async (t) => {
  const server = await redis(t)
  for (const factory of [ChatBotKitPartnerAdapter, ChatBotKitContactAdapter]) {
    const store = new RedisStore(server.url)
    const adapter = factory({ secret: 'sk-test', store, baseUrl: 'http://127.0.0.1:9' })
    const expires = inAMinute()
    await adapter.createVerificationToken({ identifier: 'ann@example.com', token: 'abc123', expires })
    const [key] = server.cli('KEYS', '*verificationToken*').stdout.trim().split('\n')
    t.false(key.includes('abc123'), 'the key never shows the code')
    const ttl = Number(server.cli('PTTL', key).stdout)
    const left = expires.getTime() - Date.now()
    // The key lives until `expires`: its time-to-live is taken when the call starts, so it may
    // outlast `expires` by the time the SET took to reach Redis (seconds on a loaded CI machine,
    // where a fixed lower bound once failed), never by more.
    t.true(ttl <= 60_000 && ttl >= left - 1_000 && ttl <= left + 10_000, `PTTL ${ttl}, ${left} ms left`)
    t.is(await adapter.useVerificationToken({ identifier: 'eve@example.com', token: 'abc123' }), null)
    t.deepEqual(await adapter.useVerificationToken({ identifier: 'ann@example.com', token: 'abc123' }), {
      identifier: 'ann@example.com',
      token: 'abc123',
      expires,
    })
    t.is(await adapter.useVerificationToken({ identifier: 'ann@example.com', token: 'abc123' }), null)
    store.close()
  }
})

test('a RedisStore subclass (the JS-store path) and a plain RedisStore on one server share each email\'s attempt count', async (t) => {
  const server = await redis(t)
  class LoggingStore extends RedisStore {
    gets = 0
    async get(key) {
      this.gets++
      return super.get(key)
    }
  }
  const viaJs = new LoggingStore(server.url)
  const plain = new RedisStore(server.url)
  t.teardown(() => (viaJs.close(), plain.close()))
  const adapters = { js: adapterWith(viaJs), native: adapterWith(plain) }
  await wrongCodesCountOnBothPaths(t, adapters)
  t.true(viaJs.gets > 0, 'the subclass override is called: it is the JS-store path')
  const counters = server.cli('KEYS', '*verificationAttempts*').stdout.trim().split('\n')
  t.is(counters.length, 2)
  for (const key of counters) t.true(Number(server.cli('PTTL', key).stdout) > 0, `${key} expires`)
})

test('with a RedisStore the token work makes no call into JS, and a use is one atomic script call, sent in full once per server', async (t) => {
  const server = await redis(t)
  const store = new RedisStore(server.url)
  let jsCalls = 0
  for (const method of ['get', 'set', 'del', 'getdel']) store[method] = async () => void jsCalls++
  const adapter = adapterWith(store)
  server.cli('CONFIG', 'RESETSTAT')
  await adapter.createVerificationToken({ identifier: 'ann@example.com', token: 'fa57fa', expires: inAMinute() })
  t.like(await adapter.useVerificationToken({ identifier: 'ann@example.com', token: 'fa57fa' }), { token: 'fa57fa' })
  t.is(jsCalls, 0)
  // The use is one script (check the attempt counter, read and delete the code): atomic on the
  // server. The GET and DEL it runs inside are counted by Redis too, so look at what was sent:
  // EVALSHA, answered NOSCRIPT by this fresh server, then the script in full (EVAL) once.
  let stats = server.cli('INFO', 'commandstats').stdout
  t.regex(stats, /cmdstat_evalsha:calls=1,.*failed_calls=1/)
  t.regex(stats, /cmdstat_eval:calls=1,/)
  t.notRegex(stats, /cmdstat_getdel:/)
  // From then on, by hash only.
  await adapter.createVerificationToken({ identifier: 'ann@example.com', token: 'beef01', expires: inAMinute() })
  t.like(await adapter.useVerificationToken({ identifier: 'ann@example.com', token: 'beef01' }), { token: 'beef01' })
  stats = server.cli('INFO', 'commandstats').stdout
  t.regex(stats, /cmdstat_evalsha:calls=2,.*failed_calls=1/)
  t.regex(stats, /cmdstat_eval:calls=1,/)
  store.close()
})

test('200 concurrent uses of one code in one process: exactly one succeeds', async (t) => {
  const server = await redis(t)
  const store = new RedisStore(server.url)
  const adapter = adapterWith(store)
  await adapter.createVerificationToken({ identifier: 'ann@example.com', token: 'race01', expires: inAMinute() })
  const results = await Promise.all(
    Array.from({ length: 200 }, () => adapter.useVerificationToken({ identifier: 'ann@example.com', token: 'race01' })),
  )
  t.is(results.filter(Boolean).length, 1)
  store.close()
})

function instance(t, env) {
  const child = spawn(process.execPath, ['__test__/fixtures/redis-instance.mjs'], { cwd: root, env: { ...process.env, ...env } })
  t.teardown(() => child.exitCode === null && child.kill('SIGKILL'))
  let output = ''
  const lines = []
  child.stdout.on('data', (chunk) => {
    output += chunk
    lines.push(...String(chunk).split('\n').filter(Boolean))
  })
  child.stderr.on('data', (chunk) => (output += chunk))
  const exited = new Promise((resolve) => child.on('close', (code) => resolve(code)))
  const waitFor = async (predicate) => {
    const until = Date.now() + 20_000
    while (Date.now() < until) {
      const line = lines.find(predicate)
      if (line) return line
      if (child.exitCode !== null) break
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    throw new Error(`instance (exit code ${child.exitCode}) said: ${output}`)
  }
  return { child, exited, waitFor, go: () => child.stdin.write('go\n') }
}

test('two app instances: a code created in one is used once, in the other, and 200 racing uses split across both yield one success', async (t) => {
  const server = await redis(t)
  const common = { REDIS_URL_UNDER_TEST: server.url, IDENTIFIER: 'ann@example.com' }

  // Created by instance A, used by instance B, then refused to A.
  const a = instance(t, { ...common, ROLE: 'create', TOKEN: 'c0de01', ATTEMPTS: '1' })
  await a.waitFor((l) => l === 'ready')
  const b = instance(t, { ...common, ROLE: 'use', TOKEN: 'c0de01', ATTEMPTS: '1' })
  await b.waitFor((l) => l === 'ready')
  b.go()
  const usedInB = JSON.parse(await b.waitFor((l) => l.startsWith('{')))
  a.go()
  const usedInA = JSON.parse(await a.waitFor((l) => l.startsWith('{')))
  t.deepEqual([usedInB.successes, usedInA.successes], [1, 0])
  t.deepEqual(await Promise.all([a.exited, b.exited]), [0, 0])

  // 100 attempts in each instance, released together.
  const c = instance(t, { ...common, ROLE: 'create', TOKEN: 'race02', ATTEMPTS: '100' })
  const d = instance(t, { ...common, ROLE: 'use', TOKEN: 'race02', ATTEMPTS: '100' })
  await c.waitFor((l) => l === 'ready')
  await d.waitFor((l) => l === 'ready')
  c.go()
  d.go()
  const results = await Promise.all([c, d].map(async (i) => JSON.parse(await i.waitFor((l) => l.startsWith('{'))).successes))
  t.log(`200 concurrent uses across two processes: ${results[0]} + ${results[1]} successes`)
  t.is(results[0] + results[1], 1)
  t.deepEqual(await Promise.all([c.exited, d.exited]), [0, 0])
})

test.serial('redis-server killed: calls reject with REDIS_UNAVAILABLE naming the address, never the password; restarted: the same store works again', async (t) => {
  const server = await redis(t, { password: 's3cret-pw' })
  const store = new RedisStore({ url: server.url, commandTimeout: 500 })
  const adapter = adapterWith(store)
  await store.set('before', 1)

  await server.kill()
  for (const call of [() => store.get('before'), () => adapter.useVerificationToken({ identifier: 'a@b.c', token: 'x' })]) {
    const started = Date.now()
    const error = await t.throwsAsync(call())
    const elapsed = Date.now() - started
    t.is(error.code, 'REDIS_UNAVAILABLE')
    t.true(error.message.includes(`127.0.0.1:${server.port}`), error.message)
    t.false(error.message.includes('s3cret-pw'))
    t.true(elapsed < 1500, `rejected after ${elapsed} ms`)
  }

  await server.start()
  const restarted = Date.now()
  let recovered = false
  while (!recovered && Date.now() - restarted < 10_000) {
    recovered = await store.set('after', 2).then(() => true, () => false)
  }
  t.true(recovered)
  t.log(`recovered ${Date.now() - restarted} ms after the restart`)
  await adapter.createVerificationToken({ identifier: 'a@b.c', token: 'back', expires: inAMinute() })
  t.like(await adapter.useVerificationToken({ identifier: 'a@b.c', token: 'back' }), { token: 'back' })
  store.close()
})

test.serial('a frozen redis-server is bounded by commandTimeout', async (t) => {
  const server = await redis(t)
  const store = new RedisStore({ url: server.url, commandTimeout: 300 })
  await store.set('k', 1)
  server.pause()
  try {
    const started = Date.now()
    const error = await t.throwsAsync(store.get('k'))
    t.is(error.code, 'REDIS_UNAVAILABLE')
    t.regex(error.message, /did not answer GET within 300 ms/)
    const elapsed = Date.now() - started
    t.true(elapsed < 1500, `rejected after ${elapsed} ms`)
  } finally {
    server.resume()
  }
  store.close()
})

test('close() drains the pool; later calls reject', async (t) => {
  const server = await redis(t)
  const store = new RedisStore(server.url)
  await store.set('k', 1)
  store.close()
  await t.throwsAsync(store.get('k'), { code: 'REDIS_UNAVAILABLE', message: 'RedisStore is closed' })
})

test('a process that used a RedisStore and never closed it exits by itself', async (t) => {
  const server = await redis(t)
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { RedisStore } from '@chatbotkit/nextauth'
       const store = new RedisStore(${JSON.stringify(server.url)})
       await store.set('k', 1)
       console.log(await store.get('k'))`,
    ],
    { cwd: root },
  )
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  const code = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the process did not exit within 10 s')), 10_000)
    // 'close', not 'exit': stdout may still hold the output when the process has exited.
    child.on('close', (exitCode) => {
      clearTimeout(timer)
      resolve(exitCode)
    })
  })
  t.is(code, 0)
  t.is(output.trim(), '1')
})

test('Redis Cluster: the store and the adapter work across three masters, one code per slot', async (t) => {
  const cluster = await startRedisCluster()
  t.teardown(() => cluster.stop())
  const store = new RedisStore({ nodes: cluster.urls })
  for (let i = 0; i < 20; i++) await store.set(`key-${i}`, { i }, { px: 60_000 })
  for (let i = 0; i < 20; i++) t.deepEqual(await store.get(`key-${i}`), { i })
  const spread = cluster.nodes.map((n) => Number(n.cli('DBSIZE').stdout))
  t.true(spread.filter((size) => size > 0).length > 1, `keys on more than one master: ${spread}`)

  const adapter = adapterWith(store)
  for (const token of ['aaaaaa', 'bbbbbb', 'cccccc']) {
    await adapter.createVerificationToken({ identifier: 'ann@example.com', token, expires: inAMinute() })
  }
  const keys = cluster.nodes.flatMap((n) => n.cli('KEYS', '*verificationToken*').stdout.trim().split('\n').filter(Boolean))
  t.is(keys.length, 3)
  const slots = new Set(keys.map((key) => cluster.nodes[0].cli('CLUSTER', 'KEYSLOT', key).stdout.trim()))
  t.is(slots.size, 1, "one identifier's codes live in one slot")
  t.like(await adapter.useVerificationToken({ identifier: 'ann@example.com', token: 'bbbbbb' }), { token: 'bbbbbb' })
  t.is(await adapter.useVerificationToken({ identifier: 'ann@example.com', token: 'bbbbbb' }), null)
  store.close()
})

test('Redis Cluster: a dead master fails its own keys within commandTimeout, naming it; the other masters keep working', async (t) => {
  const cluster = await startRedisCluster({ fullCoverage: false })
  t.teardown(() => cluster.stop())
  const COMMAND_TIMEOUT = 500
  const store = new RedisStore({ nodes: cluster.urls, commandTimeout: COMMAND_TIMEOUT })
  t.teardown(() => store.close())
  const adapter = adapterWith(store)
  const [dead, alive] = cluster.nodes
  const emailOn = (node) => {
    const slots = cluster.slotsOf(node)
    for (let i = 0; ; i++) if (slots.has(emailSlot(`user-${i}@example.com`))) return `user-${i}@example.com`
  }
  const [onDead, onAlive] = [emailOn(dead), emailOn(alive)]
  for (const identifier of [onDead, onAlive]) {
    await adapter.createVerificationToken({ identifier, token: 'aaaaaa', expires: inAMinute() })
  }
  await dead.kill()

  const started = Date.now()
  const error = await t.throwsAsync(adapter.useVerificationToken({ identifier: onDead, token: 'aaaaaa' }))
  const took = Date.now() - started
  t.is(error.code, 'REDIS_UNAVAILABLE')
  t.true(error.message.includes(`master 127.0.0.1:${dead.port}, hash slot ${emailSlot(onDead)}`), error.message)
  t.log(`rejected after ${took} ms: ${error.message}`)
  // The slack covers a loaded CI machine's stalls (one run took 2,094 ms with the event loop held up).
  t.true(took < COMMAND_TIMEOUT + 2500, `rejected after ${took} ms`)
  t.like(await adapter.useVerificationToken({ identifier: onAlive, token: 'aaaaaa' }), { identifier: onAlive, token: 'aaaaaa' })
})

/** Calls `call` until it succeeds or `ms` pass; answers the failures seen and when it succeeded. */
async function untilItWorks(call, ms) {
  const started = Date.now()
  const failures = []
  while (Date.now() - started < ms) {
    try {
      const value = await call()
      return { value, after: Date.now() - started, failures }
    } catch (error) {
      failures.push(error)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  return { after: undefined, failures }
}

test.serial('Sentinel: the store follows a failover (master killed, replica promoted) without a new store, and keeps the replicated codes', async (t) => {
  const password = 'sentinel pw:s3cret'
  const setup = await startRedisSentinel({ password })
  t.teardown(() => setup.stop())
  const store = new RedisStore({
    sentinels: setup.sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
    name: setup.name,
    password,
    commandTimeout: 1000,
  })
  t.teardown(() => store.close())
  const adapter = adapterWith(store)
  await adapter.createVerificationToken({ identifier: 'a@b.c', token: 'kept', expires: inAMinute() })
  await adapter.createVerificationToken({ identifier: 'a@b.c', token: 'used', expires: inAMinute() })
  t.like(await adapter.useVerificationToken({ identifier: 'a@b.c', token: 'used' }), { token: 'used' })
  t.is(setup.master.cli('WAIT', '1', '2000').stdout.trim(), '1', 'the replica has the codes')

  await setup.master.kill()
  const killed = Date.now()
  const followed = await untilItWorks(() => store.set('after-failover', 1), 30_000)
  t.truthy(followed.after, `no write succeeded within 30 s of the kill: ${followed.failures.at(-1)?.message}`)
  t.log(`writes work again ${Date.now() - killed} ms after the master was killed; ${followed.failures.length} calls failed meanwhile`)
  for (const error of followed.failures) {
    t.is(error.code, 'REDIS_UNAVAILABLE', error.message)
    t.regex(error.message, /Redis master `mymaster` \(Sentinel at 127\.0\.0\.1:\d+/)
    t.false(error.message.includes('s3cret'), error.message)
  }
  t.is(setup.masterPort(), setup.replica.port, 'the Sentinels promoted the replica')
  t.is(setup.replica.cli('EXISTS', 'chatbotkit:nextauth:after-failover').stdout.trim(), '1')

  t.like(await adapter.useVerificationToken({ identifier: 'a@b.c', token: 'kept' }), { token: 'kept' })
  t.is(await adapter.useVerificationToken({ identifier: 'a@b.c', token: 'used' }), null)
  t.is(await adapter.useVerificationToken({ identifier: 'a@b.c', token: 'kept' }), null)
})

test.serial('Sentinel: after a failover with the old master still up (now a replica), writes move to the new master', async (t) => {
  const setup = await startRedisSentinel()
  t.teardown(() => setup.stop())
  const store = new RedisStore({ sentinels: setup.sentinels.map((s) => s.url), name: setup.name, commandTimeout: 2000, poolSize: 4 })
  t.teardown(() => store.close())
  const adapter = adapterWith(store)
  // Every kept connection now reaches the first master.
  await Promise.all(Array.from({ length: 8 }, (_, i) => store.set(`warm-${i}`, i)))

  t.is(setup.sentinels[0].cli('SENTINEL', 'FAILOVER', setup.name).stdout.trim(), 'OK')
  const switched = await untilItWorks(async () => {
    if (setup.masterPort() !== setup.replica.port) throw new Error('not switched yet')
    // The old master answers READONLY once it is a replica.
    if (!setup.master.cli('INFO', 'replication').stdout.includes('role:slave')) throw new Error('old master not demoted yet')
  }, 30_000)
  t.truthy(switched.after, 'the Sentinels switched the roles')

  // No call fails: a READONLY answer sends the call to the new master within its commandTimeout.
  const results = await Promise.allSettled(
    Array.from({ length: 32 }, async (_, i) => {
      await adapter.createVerificationToken({ identifier: `u${i}@b.c`, token: `t${i}`, expires: inAMinute() })
      return adapter.useVerificationToken({ identifier: `u${i}@b.c`, token: `t${i}` })
    }),
  )
  const failed = results.filter((r) => r.status === 'rejected')
  t.deepEqual(failed.map((r) => r.reason.message), [])
  t.true(results.every((r) => r.value?.token?.startsWith('t')))
  t.is(setup.replica.cli('EXISTS', 'chatbotkit:nextauth:warm-0').stdout.trim(), '1')
})
