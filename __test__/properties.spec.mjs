// Property tests of the JS boundary (fast-check): adapter methods and store operations called with
// generated input — strings of every shape (lone surrogates, NUL, combining marks, 4-byte
// characters, lengths around buffer edges, up to 64 KiB), wrong types, odd Dates, objects with
// `__proto__` keys — and with generated API answers. What must hold: no crash and no hang; a
// correct answer or an error with a stable code; a code works for exactly the identifier it was
// issued for; nothing leaks into Object.prototype; no answer is ever another user.
//
// `npm test` runs FUZZ_RUNS cases a property (200); `npm run fuzz` runs 100,000. The properties
// run one at a time: one that keeps the event loop busy would hold up another's calls.
import { createServer } from 'node:http'
import { isDeepStrictEqual } from 'node:util'

import test from 'ava'
import fc from 'fast-check'

import { ChatBotKitContactAdapter, ChatBotKitPartnerAdapter, ErrorCode, MemoryStore } from '@chatbotkit/nextauth'

import { MapStore } from './fixtures/map-store.mjs'

const RUNS = Number(process.env.FUZZ_RUNS ?? 200)
const CODES = new Set(Object.values(ErrorCode))
/** Says how many cases a property ran (each would have failed the test with its counterexample). */
const ran = (t, runs = RUNS) => {
  t.log(`${runs} cases, 0 counterexamples`)
  t.pass()
}
const params = (runs = RUNS) => ({ numRuns: runs, seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined })

/** One UTF-16 unit or character of the kinds that break string handling. */
const unit = fc.oneof(
  fc.constantFrom('a', 'Z', '@', '.', '\0', '\u0301', '\u200d', 'é', '日', '😀', '\u{10ffff}', '\ufffd'),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
)
/** Strings of those, mostly short, some around 256 and 4096 bytes, a few up to 64 KiB. */
const text = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit, maxLength: 40 }) },
  { weight: 2, arbitrary: fc.tuple(fc.integer({ min: 250, max: 260 }), unit).map(([n, u]) => 'x'.repeat(n) + u) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 4090, max: 4100 }), unit).map(([n, u]) => u + 'y'.repeat(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 65536 }).map((n) => 'z'.repeat(n)) },
)
const wellFormed = text.filter((s) => s.length > 0 && s.isWellFormed())
/** Anything a caller might pass where a string or a Date belongs. */
const anything = fc.oneof(
  text,
  fc.anything(),
  fc.constantFrom(undefined, null, NaN, Infinity, -0, 2 ** 53, -(2 ** 63), 1e308),
  fc.date({ noInvalidDate: false }),
  fc.constantFrom(new Date(NaN), new Date(-8.64e15), new Date(8.64e15), new Date(0)),
  fc.constant(Object.assign(Object.create(null), { toString: () => 'x' })),
  fc.constant(JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}')),
)

const inAMinute = () => new Date(Date.now() + 60_000)
const adapterOver = (store) => ChatBotKitPartnerAdapter({ secret: 'sk-test', store, baseUrl: 'http://127.0.0.1:9', maxAttempts: 1000 })

/** Settles `promise` as `{ value }` or `{ error }`, failing if it throws synchronously or takes too long. */
async function settle(call) {
  let timer
  const promise = call()
  const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5000)))
  try {
    return { value: await Promise.race([promise, timeout]) }
  } catch (error) {
    if (error?.message === 'no answer within 5 s') throw error
    return { error }
  } finally {
    clearTimeout(timer)
  }
}

/** One of ours, or (for an error the API answered with) the API's own code. */
function stableError(t, error, what) {
  t.true(error instanceof Error, `${what}: an Error`)
  t.true(CODES.has(error.code) || /^[A-Za-z][A-Za-z0-9_]*$/.test(error.code), `${what}: code ${error?.code}`)
}

for (const [name, makeStore] of [
  ['MemoryStore', () => new MemoryStore({ name: 'properties' })],
  ['a JS store', () => new MapStore()],
]) {
  test.serial(`${name}: a code works for exactly the identifier it was issued for, byte for byte, and for no other`, async (t) => {
    const adapter = adapterOver(makeStore())
    await fc.assert(
      fc.asyncProperty(text, text, wellFormed, async (identifier, other, token) => {
        const created = await settle(() => adapter.createVerificationToken({ identifier, token, expires: inAMinute() }))
        if (identifier.length === 0 || !identifier.isWellFormed()) {
          return created.error?.code === 'INVALID_ARGUMENT'
        }
        if (created.error) return false
        if (other !== identifier) {
          const wrong = await settle(() => adapter.useVerificationToken({ identifier: other, token }))
          if (wrong.value !== null && wrong.error?.code !== 'INVALID_ARGUMENT') return false
        }
        const used = await settle(() => adapter.useVerificationToken({ identifier, token }))
        return used.value?.identifier === identifier && used.value?.token === token && used.value.expires instanceof Date
      }),
      params(),
    )
    ran(t)
  })
}

test.serial('token methods and store operations with wrong types and odd values: an answer or a coded error, never a crash', async (t) => {
  const store = new MemoryStore({ name: 'properties-types' })
  const adapter = adapterOver(store)
  const before = Object.getOwnPropertyNames(Object.prototype).length
  await fc.assert(
    fc.asyncProperty(anything, anything, anything, async (a, b, c) => {
      const calls = {
        create: () => adapter.createVerificationToken({ identifier: a, token: b, expires: c }),
        createRaw: () => adapter.createVerificationToken(a),
        use: () => adapter.useVerificationToken({ identifier: a, token: b }),
        get: () => store.get(a),
        set: () => store.set(a, b, c),
        del: () => store.del(a),
        getdel: () => store.getdel(a),
      }
      for (const [what, call] of Object.entries(calls)) {
        const { error } = await settle(call)
        if (error && !(error instanceof Error && CODES.has(error.code))) {
          t.log(what, error)
          return false
        }
      }
      return true
    }),
    params(),
  )
  ran(t)
  t.is(Object.getOwnPropertyNames(Object.prototype).length, before, 'nothing leaked into Object.prototype')
  t.is({}.polluted, undefined)
})

test.serial('MemoryStore gives back what JSON would, for any JSON value under any well-formed key', async (t) => {
  const store = new MemoryStore({ name: 'properties-values' })
  await fc.assert(
    fc.asyncProperty(wellFormed, fc.jsonValue(), async (key, value) => {
      await store.set(key, value, { px: 60_000 })
      const back = await store.get(key)
      await store.del(key)
      // Compared as values: the store keeps an object's members sorted by key.
      return isDeepStrictEqual(back, JSON.parse(JSON.stringify(value)))
    }),
    params(),
  )
  ran(t)
})

test.serial('RedisStore gives back what JSON would, and refuses what it cannot keep with a stable code', async (t) => {
  const { startRedis } = await import('./fixtures/redis.mjs')
  const { RedisStore } = await import('@chatbotkit/nextauth')
  const server = await startRedis()
  const store = new RedisStore({ url: server.url, keyPrefix: 'values:' })
  t.teardown(() => (store.close(), server.stop()))
  await fc.assert(
    fc.asyncProperty(fc.oneof(wellFormed, anything), fc.oneof(fc.jsonValue(), anything), async (key, value) => {
      const set = await settle(() => store.set(key, value, { px: 60_000 }))
      if (set.error) return CODES.has(set.error.code)
      const back = await settle(() => store.getdel(key))
      return !back.error && isDeepStrictEqual(back.value, JSON.parse(JSON.stringify(value) ?? 'null'))
    }),
    params(),
  )
  ran(t)
})

/** A one-route server answering every request with `answer()`: `{ status, body }`. */
async function answering(t, answer) {
  const server = createServer((req, res) => {
    const { status, body } = answer(req)
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(body)
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  return `http://127.0.0.1:${server.address().port}`
}

test.serial('generated API answers to real adapter calls: never another user, never a crash, errors coded', async (t) => {
  let next = { status: 200, body: '{}' }
  const url = await answering(t, () => next)
  const email = 'ann@example.com'
  const record = fc.record(
    {
      id: fc.oneof(fc.string(), fc.integer()),
      email: fc.oneof(fc.constantFrom(email, 'ANN@example.com', 'eve@example.com', ''), fc.string(), fc.jsonValue()),
      fingerprint: fc.oneof(fc.string(), fc.jsonValue()),
      name: fc.jsonValue(),
      meta: fc.oneof(fc.jsonValue(), fc.record({ email: fc.oneof(fc.constantFrom(email, 'eve@example.com'), fc.jsonValue()) })),
      createdAt: fc.oneof(fc.integer(), fc.double(), fc.string()),
    },
    { requiredKeys: [] },
  )
  const body = fc.oneof(
    record.map((r) => JSON.stringify(r)),
    fc.array(record, { maxLength: 3 }).map((items) => JSON.stringify({ items })),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.string({ unit: 'binary' }),
    record.map((r) => JSON.stringify(r).replace(/"email"/, '"e\\u006dail"') + ''),
    record.map((r) => `{"email":"eve@example.com",${JSON.stringify(r).slice(1)}`),
  )
  const status = fc.constantFrom(200, 200, 200, 201, 400, 401, 404, 429, 500)
  const adapters = [ChatBotKitPartnerAdapter, ChatBotKitContactAdapter].map((factory) =>
    factory({ secret: 'sk-test', store: new MemoryStore({ name: 'properties-api' }), baseUrl: url, retries: 0, timeout: 2000 }),
  )
  await fc.assert(
    fc.asyncProperty(body, status, fc.integer({ min: 0, max: 1 }), async (text, code, which) => {
      next = { status: code, body: text }
      const adapter = adapters[which]
      const byEmail = await settle(() => adapter.getUserByEmail(email))
      if (byEmail.error) stableError(t, byEmail.error, 'getUserByEmail')
      else if (byEmail.value !== null && byEmail.value.email?.toLowerCase() !== email) return false
      const byId = await settle(() => adapter.getUser('usr_1'))
      if (byId.error) stableError(t, byId.error, 'getUser')
      return true
    }),
    params(),
  )
  ran(t)
})

/** Values a store might hand back under a code's key: ours, damaged, of other types, enormous. */
const storedValue = (identifier) => {
  const record = fc.record({ identifier: fc.oneof(fc.constant(identifier), fc.string()), expires: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(Date.now() + 60_000)) })
  return fc.oneof(
    record,
    record.map((r) => JSON.stringify(r)),
    record.chain((r) => fc.integer({ min: 0, max: JSON.stringify(r).length }).map((cut) => JSON.stringify(r).slice(0, cut))),
    fc.anything(),
    fc.jsonValue(),
    fc.string({ unit: 'binary' }),
    fc.integer({ min: 1, max: 2_000_000 }).map((n) => `{"identifier":"${identifier}","expires":${Date.now() + 60_000},"pad":"${'x'.repeat(n)}"}`),
  )
}

/** Whether `value` is a live record of ours for `identifier`, as the store would hand it back. */
function isLiveRecord(value, identifier) {
  let record = value
  if (typeof value === 'string') {
    try {
      record = JSON.parse(value)
    } catch {
      return false
    }
  }
  const expires = typeof record?.expires === 'string' ? Number(record.expires) : record?.expires
  return record?.identifier === identifier && Number.isFinite(expires) && expires > Date.now()
}

test.serial("a JS store answering values of every shape under a code's key: the code is accepted only for a live record of its own, else null or STORE_ERROR", async (t) => {
  let answer
  const store = { get: async () => answer, set: async () => {}, del: async () => {} }
  const adapter = adapterOver(store)
  const identifier = 'store@example.com'
  await fc.assert(
    fc.asyncProperty(storedValue(identifier), async (value) => {
      answer = value
      const { value: used, error } = await settle(() => adapter.useVerificationToken({ identifier, token: 'abc123' }))
      if (error) return error.code === 'STORE_ERROR'
      if (used === null) return value === null || value === undefined || !isLiveRecord(value, identifier)
      return isLiveRecord(value, identifier) && used.identifier === identifier
    }),
    params(),
  )
  ran(t)
})

test.serial("Redis holding values of every shape under a code's key and its attempt counter: the code is accepted only for a live record of its own, else null or STORE_ERROR", async (t) => {
  const { startRedis } = await import('./fixtures/redis.mjs')
  const { RedisStore } = await import('@chatbotkit/nextauth')
  const { default: Redis } = await import('ioredis')
  const server = await startRedis()
  t.teardown(() => server.stop())
  const redis = new Redis(server.port, '127.0.0.1')
  const store = new RedisStore({ url: server.url, keyPrefix: 'p:' })
  t.teardown(() => (redis.disconnect(), store.close()))
  const adapter = adapterOver(store)
  const identifier = 'redis@example.com'
  await adapter.createVerificationToken({ identifier, token: 'abc123', expires: inAMinute() })
  const [codeKey] = await redis.keys('p:verificationToken*')
  const attemptsKey = codeKey.replace(/^p:verificationToken:(\{[^}]*\}).*/, 'p:verificationAttempts:$1')
  const text = (value) => (typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined'))
  await fc.assert(
    fc.asyncProperty(storedValue(identifier), fc.oneof(fc.constant(null), fc.string(), fc.jsonValue()), async (value, counter) => {
      await redis.set(codeKey, text(value))
      if (counter === null) await redis.del(attemptsKey)
      else await redis.set(attemptsKey, text(counter), 'PX', 60_000)
      const { value: used, error } = await settle(() => adapter.useVerificationToken({ identifier, token: 'abc123' }))
      if (error) return error.code === 'STORE_ERROR'
      if (used === null) return true
      return isLiveRecord(text(value), identifier) && used.identifier === identifier
    }),
    params(),
  )
  ran(t)
})

test.serial('every adapter method with generated input against the fake API: an answer or a coded error, and nothing leaks into Object.prototype', async (t) => {
  const { SECRET, startFakeApi } = await import('./fixtures/fake-api.mjs')
  const api = await startFakeApi({ seed: { 'partner/user': [{ email: 'ann@example.com', name: 'Ann' }], contact: [{ email: 'ann@example.com', meta: { email: 'ann@example.com' } }] } })
  t.teardown(() => api.close())
  const options = { secret: SECRET, baseUrl: api.url, retries: 0, autoCreateUser: true, autoUpdateUser: true, autoDeleteUser: true, autoCreateContact: true, autoUpdateContact: true, autoDeleteContact: true }
  const adapters = [ChatBotKitPartnerAdapter, ChatBotKitContactAdapter].map((factory) => factory({ ...options, store: new MemoryStore({ name: 'properties-methods' }) }))
  const userLike = fc.oneof(
    anything,
    fc.record({ id: anything, email: fc.oneof(text, anything), name: anything, image: anything, emailVerified: anything }, { requiredKeys: [] }),
    fc.constant(JSON.parse('{"email":"p@example.com","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}')),
  )
  const before = Object.getOwnPropertyNames(Object.prototype).join()
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: 1 }), fc.constantFrom('createUser', 'updateUser', 'getUser', 'getUserByEmail', 'deleteUser'), userLike, async (which, method, input) => {
      const { value, error } = await settle(() => adapters[which][method](input))
      if (error) {
        stableError(t, error, method)
        return true
      }
      // An email lookup answers only a user that carries the email asked for.
      if (method === 'getUserByEmail' && value !== null) return value.email?.toLowerCase() === String(input).toLowerCase()
      return true
    }),
    params(),
  )
  ran(t)
  t.is(Object.getOwnPropertyNames(Object.prototype).join(), before, 'nothing leaked into Object.prototype')
  t.is({}.polluted, undefined)
  t.deepEqual(api.violations, [], 'every request the adapters made fits the OpenAPI document')
})
