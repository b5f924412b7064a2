// Token stores: the Store base class, the native MemoryStore (time-to-live honoured), and user
// stores written in JS — a subclass of Store, a @vercel/kv-like object, a JSON-serialising store.
import test from 'ava'

import { ChatBotKitPartnerAdapter, MemoryStore, Store } from '@chatbotkit/nextauth'

import { MapStore } from './fixtures/map-store.mjs'
import { wrongCodesCountOnBothPaths } from './fixtures/shared-attempts.mjs'

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const inAMinute = () => new Date(Date.now() + 60_000)

// Token methods never reach the API, so no server is needed behind this address.
const adapterWith = (store, options = {}) =>
  ChatBotKitPartnerAdapter({ secret: 'sk-test', store, baseUrl: 'http://127.0.0.1:9', ...options })

test('Store is a base class whose methods reject with "Not implemented"', async (t) => {
  const store = new Store()
  await t.throwsAsync(store.get('k'), { message: 'Not implemented' })
  await t.throwsAsync(store.set('k', 1, { px: 1 }), { message: 'Not implemented' })
  await t.throwsAsync(store.del('k'), { message: 'Not implemented' })
})

test('MemoryStore gets, sets and deletes JSON values', async (t) => {
  const store = new MemoryStore()
  t.is(await store.get('missing'), null)
  await store.set('k', { identifier: 'a@b.c', expires: 5, nested: [1, 'two'] })
  t.deepEqual(await store.get('k'), { identifier: 'a@b.c', expires: 5, nested: [1, 'two'] })
  await store.del('k')
  t.is(await store.get('k'), null)
})

test('MemoryStore honours px: an entry past its time-to-live is gone', async (t) => {
  const store = new MemoryStore()
  await store.set('short', 'v', { px: 300 })
  await store.set('long', 'v', { px: 60_000 })
  t.is(await store.get('short'), 'v')
  await sleep(400)
  t.is(await store.get('short'), null)
  t.is(await store.get('long'), 'v')
})

test('every MemoryStore of one name shares its entries, across adapters made again (as next dev does)', async (t) => {
  const first = new MemoryStore()
  await first.set('shared-key', 'v', { px: 60_000 })
  t.is(await new MemoryStore().get('shared-key'), 'v', "the default map is the process's")
  t.is(await new MemoryStore({ name: 'apart' }).get('shared-key'), null, 'a named store keeps its own')

  // The auth module evaluated twice: a code issued through the first adapter is used through the second.
  const before = adapterWith(new MemoryStore())
  await before.createVerificationToken({ identifier: 'dev@example.com', token: 'd3v5rv', expires: inAMinute() })
  const after = adapterWith(new MemoryStore())
  t.like(await after.useVerificationToken({ identifier: 'dev@example.com', token: 'd3v5rv' }), { token: 'd3v5rv' })
  t.is(await before.useVerificationToken({ identifier: 'dev@example.com', token: 'd3v5rv' }), null, 'still used once')

  for (const name of ['', 5, {}]) {
    t.throws(() => new MemoryStore({ name }), { code: 'INVALID_ARGUMENT', message: /option `name`/ })
  }
})

test('MemoryStore is a Store, works without new, and rejects a bad px', async (t) => {
  t.true(new MemoryStore() instanceof Store)
  t.true(MemoryStore() instanceof MemoryStore)
  await t.throwsAsync(new MemoryStore().set('k', 1, { px: -5 }), { message: /px/, code: 'INVALID_ARGUMENT' })
})

test('MemoryStore sweeps expired entries as it grows', async (t) => {
  const store = new MemoryStore({ name: 'sweeps' })
  for (let i = 0; i < 1500; i++) await store.set(`old${i}`, i, { px: 1 })
  await sleep(10)
  for (let i = 0; i < 1500; i++) await store.set(`new${i}`, i, { px: 60_000 })
  t.true(store.size < 3000, `size ${store.size}`)
  t.true(store.size >= 1500)
})

test('a JS subclass of Store holds the tokens, and never sees a code in its keys', async (t) => {
  class RecordingStore extends MapStore {
    calls = []
    async get(key) {
      this.calls.push(['get', key])
      return super.get(key)
    }
    async set(key, value, options) {
      this.calls.push(['set', key, options])
      return super.set(key, value)
    }
    async del(key) {
      this.calls.push(['del', key])
      return super.del(key)
    }
  }
  const store = new RecordingStore()
  const adapter = adapterWith(store)
  const expires = inAMinute()
  await adapter.createVerificationToken({ identifier: 'ann@example.com', token: 'a1b2c3', expires })
  const [[, key, options]] = store.calls
  t.false(key.includes('a1b2c3'))
  t.true(options.px > 55_000 && options.px <= 60_000, `px ${options.px}`)
  t.deepEqual(await adapter.useVerificationToken({ identifier: 'ann@example.com', token: 'a1b2c3' }), {
    identifier: 'ann@example.com',
    token: 'a1b2c3',
    expires,
  })
  t.is(store.map.size, 0)
  t.is(await adapter.useVerificationToken({ identifier: 'ann@example.com', token: 'a1b2c3' }), null)
})

test('a store with getdel (like @vercel/kv and @upstash/redis) consumes the code in one call', async (t) => {
  const map = new Map()
  const calls = []
  const kv = {
    get: async (key) => (calls.push(['get', key]), map.get(key) ?? null),
    set: async (key, value) => (calls.push(['set', key]), map.set(key, value), 'OK'),
    del: async (key) => (calls.push(['del', key]), map.delete(key) ? 1 : 0),
    getdel: async (key) => {
      calls.push(['getdel', key])
      const value = map.get(key) ?? null
      map.delete(key)
      return value
    },
  }
  const adapter = adapterWith(kv)
  await adapter.createVerificationToken({ identifier: 'ann@example.com', token: 'abcdef', expires: inAMinute() })
  t.like(await adapter.useVerificationToken({ identifier: 'ann@example.com', token: 'abcdef' }), { token: 'abcdef' })
  const [[, codeKey]] = calls
  t.deepEqual(
    calls.map(([method, key]) => [method, key === codeKey ? 'code' : key.startsWith('verificationAttempts:') ? 'attempts' : key]),
    [['set', 'code'], ['get', 'attempts'], ['getdel', 'code']],
    'the code is never read then deleted: one getdel',
  )
})

test('a store that serialises values to JSON strings still yields a Date', async (t) => {
  const map = new Map()
  const stringStore = {
    get: async (key) => map.get(key) ?? null,
    set: async (key, value) => void map.set(key, JSON.stringify(value)),
    del: async (key) => void map.delete(key),
  }
  const adapter = adapterWith(stringStore)
  const expires = inAMinute()
  await adapter.createVerificationToken({ identifier: 'ann@example.com', token: 'abcdef', expires })
  const used = await adapter.useVerificationToken({ identifier: 'ann@example.com', token: 'abcdef' })
  t.true(used.expires instanceof Date)
  t.is(used.expires.getTime(), expires.getTime())
})

test('a store that ignores px still cannot revive an expired code', async (t) => {
  const map = new Map()
  const forgetful = {
    get: async (key) => map.get(key) ?? null,
    set: async (key, value) => void map.set(key, value),
    del: async (key) => void map.delete(key),
  }
  const adapter = adapterWith(forgetful)
  await adapter.createVerificationToken({ identifier: 'ann@example.com', token: 'abcdef', expires: new Date(Date.now() + 30) })
  await sleep(60)
  t.is(await adapter.useVerificationToken({ identifier: 'ann@example.com', token: 'abcdef' }), null)
})

test('a store that throws or rejects makes the call reject with STORE_ERROR', async (t) => {
  const throwing = {
    get: () => {
      throw new Error('disk on fire')
    },
    set: async () => {
      throw new Error('read-only')
    },
    del: async () => {},
  }
  const adapter = adapterWith(throwing)
  const setError = await t.throwsAsync(adapter.createVerificationToken({ identifier: 'a@b.c', token: 'x', expires: inAMinute() }))
  t.is(setError.code, 'STORE_ERROR')
  t.regex(setError.message, /store\.set\(\) failed: read-only/)
  const getError = await t.throwsAsync(adapter.useVerificationToken({ identifier: 'a@b.c', token: 'x' }))
  t.is(getError.code, 'STORE_ERROR')
  t.regex(getError.message, /disk on fire/)
})

test('a store that never answers is bounded by the timeout option', async (t) => {
  const stuck = { get: () => new Promise(() => {}), set: () => new Promise(() => {}), del: async () => {} }
  const adapter = adapterWith(stuck, { timeout: 150 })
  const started = Date.now()
  const error = await t.throwsAsync(adapter.useVerificationToken({ identifier: 'a@b.c', token: 'x' }))
  t.is(error.code, 'STORE_ERROR')
  // Bounded either way: by the timeout, or sooner when the promise is garbage-collected unsettled.
  t.regex(error.message, /store\.get\(\) (did not settle within 150 ms|returned a promise that can never settle)/)
  t.true(Date.now() - started < 2000)
})

test('concurrent uses of one code in MemoryStore: exactly one succeeds', async (t) => {
  const adapter = adapterWith(new MemoryStore())
  await adapter.createVerificationToken({ identifier: 'ann@example.com', token: 'race01', expires: inAMinute() })
  const results = await Promise.all(
    Array.from({ length: 200 }, () => adapter.useVerificationToken({ identifier: 'ann@example.com', token: 'race01' })),
  )
  t.is(results.filter(Boolean).length, 1)
})

test('with a native MemoryStore or ContactMemoryStore the token work makes no call into JS', async (t) => {
  const { ContactMemoryStore } = await import('@chatbotkit/nextauth/contact')
  for (const NativeStore of [MemoryStore, ContactMemoryStore]) {
    const store = new NativeStore({ name: `no-js-calls-${NativeStore.name}` })
    let jsCalls = 0
    // Own properties shadow the native methods: only a trip through JS would reach them.
    for (const method of ['get', 'set', 'del', 'getdel']) store[method] = async () => void jsCalls++
    const adapter = adapterWith(store)
    await adapter.createVerificationToken({ identifier: 'ann@example.com', token: 'fa57fa', expires: inAMinute() })
    t.is(store.size, 1)
    t.like(await adapter.useVerificationToken({ identifier: 'ann@example.com', token: 'fa57fa' }), { token: 'fa57fa' })
    t.is(jsCalls, 0, NativeStore.name)
  }
})

test('a subclass of MemoryStore that overrides a method is called through JS', async (t) => {
  class CountingStore extends MemoryStore {
    sets = 0
    async set(key, value, options) {
      this.sets++
      return super.set(key, value, options)
    }
  }
  const store = new CountingStore({ name: 'counting' })
  const adapter = adapterWith(store)
  await adapter.createVerificationToken({ identifier: 'ann@example.com', token: 'c0unt1', expires: inAMinute() })
  t.is(store.sets, 1)
  t.like(await adapter.useVerificationToken({ identifier: 'ann@example.com', token: 'c0unt1' }), { token: 'c0unt1' })
})

test('a MemoryStore subclass (the JS-store path) and a plain MemoryStore on one map share each email\'s attempt count', async (t) => {
  class LoggingStore extends MemoryStore {
    gets = 0
    async get(key) {
      this.gets++
      return super.get(key)
    }
  }
  const name = 'shared-attempts'
  const viaJs = new LoggingStore({ name })
  const adapters = { js: adapterWith(viaJs), native: adapterWith(new MemoryStore({ name })) }
  await wrongCodesCountOnBothPaths(t, adapters)
  t.true(viaJs.gets > 0, 'the subclass override is called: it is the JS-store path')
})

test('identifiers and codes cross to the native side whole, whatever their length or script', async (t) => {
  // A string cut short on its way (at a buffer's edge, or mid-character) would let its prefix
  // share the code: lengths around powers of two, in 1- to 4-byte characters.
  const jsStore = new MapStore()
  const identifiers = []
  for (const unit of ['a', 'ü', '日', '😀']) {
    for (const bytes of [250, 251, 252, 253, 254, 255, 256, 257, 300, 10_000]) {
      const units = Math.ceil(bytes / Buffer.byteLength(unit))
      identifiers.push(`${'x'.repeat(bytes % Buffer.byteLength(unit))}${unit.repeat(units)}@example.com`)
    }
  }
  for (const store of [new MemoryStore({ name: 'whole-strings' }), jsStore]) {
    const adapter = adapterWith(store)
    for (const identifier of identifiers) {
      const token = `${Array.from(identifier).slice(0, 3).join('')}-code`
      await adapter.createVerificationToken({ identifier, token, expires: inAMinute() })
      const shorter = identifier.slice(0, -1)
      t.is(await adapter.useVerificationToken({ identifier: shorter, token }), null, `prefix of ${identifier.length} chars`)
      const used = await adapter.useVerificationToken({ identifier, token })
      t.is(used?.identifier, identifier)
      t.is(used?.token, token)
    }
  }
  const stored = [...jsStore.map.values()].filter((value) => typeof value?.identifier === 'string')
  t.is(stored.length, 0, 'every code was used')
  const adapter = adapterWith(new MemoryStore())
  for (const [identifier, token] of [
    [42, 'abcdef'],
    ['a@b.c', 42],
    [{}, 'abcdef'],
    ['', 'abcdef'],
    ['a@b.c', ''],
  ]) {
    for (const call of [
      () => adapter.createVerificationToken({ identifier, token, expires: inAMinute() }),
      () => adapter.useVerificationToken({ identifier, token }),
    ]) {
      const error = await t.throwsAsync(call())
      t.is(error.code, 'INVALID_ARGUMENT')
      t.regex(error.message, /`(identifier|token)` must be a non-empty string/)
    }
  }
})

// Found by the properties in properties.spec.mjs.
test('a string with a lone surrogate is refused: it would reach the native side as U+FFFD and meet another', async (t) => {
  const adapter = adapterWith(new MemoryStore({ name: 'lone-surrogates' }))
  const refused = { code: 'INVALID_ARGUMENT', message: /must be well-formed Unicode/ }
  await t.throwsAsync(adapter.createVerificationToken({ identifier: 'a\uD800@b.c', token: 'abc123', expires: inAMinute() }), refused)
  await adapter.createVerificationToken({ identifier: 'a\uFFFD@b.c', token: 'abc123', expires: inAMinute() })
  await t.throwsAsync(adapter.useVerificationToken({ identifier: 'a\uDBFF@b.c', token: 'abc123' }), refused)
  await t.throwsAsync(adapter.useVerificationToken({ identifier: 'a\uFFFD@b.c', token: 'abc\uDC00' }), refused)
  await t.throwsAsync(adapter.getUserByEmail('a\uD800@b.c'), refused)
  const store = new MemoryStore({ name: 'lone-surrogates' })
  await t.throwsAsync(store.set('k\uD800', 1), refused)
  t.like(await adapter.useVerificationToken({ identifier: 'a\uFFFD@b.c', token: 'abc123' }), { identifier: 'a\uFFFD@b.c' })
})

test('MemoryStore keeps every number exactly, and refuses keys and values it cannot keep with INVALID_ARGUMENT', async (t) => {
  const store = new MemoryStore({ name: 'exact-numbers' })
  for (const value of [3.9366805007518244e201, 5e-324, 0.1 + 0.2, 2 ** 53 - 1, -1.7976931348623157e308]) {
    await store.set('n', [value])
    t.is((await store.get('n'))[0], value)
  }
  for (const key of [undefined, 5, {}, new Date(0)]) {
    await t.throwsAsync(store.get(key), { code: 'INVALID_ARGUMENT', message: /`key` must be a string/ })
  }
  await t.throwsAsync(store.set('k', () => 1), { code: 'INVALID_ARGUMENT', message: /must be JSON/ })
  await t.throwsAsync(store.set('k', 1, 'px'), { code: 'INVALID_ARGUMENT', message: /`options` must be an object/ })
})

test("a store answering something that is not a code's record under its key fails the call with STORE_ERROR; the code is never accepted", async (t) => {
  for (const answer of [false, 0, 'not json', '{"identifier":"ann@example.com","expi', [1, 2], { identifier: 'ann@example.com' }, { expires: Date.now() + 60_000 }]) {
    const adapter = adapterWith({ get: async () => answer, set: async () => {}, del: async () => {} })
    await t.throwsAsync(adapter.useVerificationToken({ identifier: 'ann@example.com', token: 'abc123' }), { code: 'STORE_ERROR' }, JSON.stringify(answer))
  }
  const missing = adapterWith({ get: async () => null, set: async () => {}, del: async () => {} })
  t.is(await missing.useVerificationToken({ identifier: 'ann@example.com', token: 'abc123' }), null, 'nothing there is a wrong code, not an error')
})

// Found by the properties in properties.spec.mjs: values came back built property by property, so
// a `__proto__` key set the object's prototype instead of being kept.
test('a stored `__proto__` key comes back an own property, never the prototype', async (t) => {
  const store = new MemoryStore({ name: 'proto-keys' })
  await store.set('k', JSON.parse('{"__proto__":{"isAdmin":true},"a":1}'))
  for (const value of [await store.get('k'), await store.getdel('k')]) {
    t.is(Object.getPrototypeOf(value), Object.prototype)
    t.is(value.isAdmin, undefined)
    t.deepEqual(Object.keys(value).sort(), ['__proto__', 'a'])
  }
})

// Found by the RedisStore property in properties.spec.mjs: a lone surrogate in a value came back
// as U+FFFD.
test('a stored string comes back exactly, lone surrogates included', async (t) => {
  const store = new MemoryStore({ name: 'exact-strings' })
  const value = { text: 'a\uD800b\uDFFF', list: ['\uDBFF'] }
  await store.set('k', value)
  t.deepEqual(await store.get('k'), value)
})
