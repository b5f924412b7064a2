// The send throttle: a refused send never reaches the user's sendVerificationRequest, rejects with
// TOO_MANY_REQUESTS and retryAfter, and the count is one per store — memory, Redis (single and
// Cluster), a JS Store subclass, a @vercel/kv-shaped object, or this process without a store —
// shared by every instance that uses the store.
import { fileURLToPath } from 'node:url'

import test from 'ava'

import { ChatBotKitContactEmailProvider, ChatBotKitEmailProvider, ErrorCode, MemoryStore, RedisStore } from '@chatbotkit/nextauth'

import { MapStore } from './fixtures/map-store.mjs'
import { run } from './fixtures/process.mjs'
import { startRedis, startRedisCluster } from './fixtures/redis.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** A provider over `store` whose sends land in `sent`. */
function providerWith(options, factory = ChatBotKitEmailProvider) {
  const sent = []
  const provider = factory({ ...options, sendVerificationRequest: async ({ identifier, token }) => void sent.push({ identifier, token }) })
  const send = (identifier) => provider.sendVerificationRequest({ identifier, token: 'abc123', url: 'https://app.example/cb' })
  return { provider, sent, send }
}

/** `@vercel/kv`'s shape: get/set(key, value, { px })/del on a plain object, values as JSON text. */
function kvLike() {
  const map = new Map()
  return {
    map,
    async get(key) {
      const entry = map.get(key)
      if (!entry || entry.until <= Date.now()) return null
      return JSON.parse(entry.text)
    },
    async set(key, value, options) {
      map.set(key, { text: JSON.stringify(value), until: options?.px ? Date.now() + options.px : Infinity })
      return 'OK'
    },
    async del(key) {
      return map.delete(key) ? 1 : 0
    },
  }
}

async function refusal(t, promise) {
  const error = await t.throwsAsync(promise)
  t.is(error.code, ErrorCode.TOO_MANY_REQUESTS)
  t.is(error.code, 'TOO_MANY_REQUESTS')
  t.true(Number.isInteger(error.retryAfter) && error.retryAfter >= 1, `retryAfter ${error.retryAfter}`)
  t.notRegex(error.message, /@/, 'the message never names the address')
  return error
}

const STORES = {
  'no store (this process)': () => undefined,
  MemoryStore: () => new MemoryStore({ name: crypto.randomUUID() }),
  'a JS Store subclass': () => new MapStore(),
  'a @vercel/kv-shaped object': () => kvLike(),
}

for (const [name, makeStore] of Object.entries(STORES)) {
  test(`${name}: five sends per address, the sixth refused before the user's function runs; a new window sends again`, async (t) => {
    const store = makeStore()
    const address = `${crypto.randomUUID()}@example.com`
    // A window long enough that a loaded CI machine still makes the five sends inside it.
    const { sent, send } = providerWith({ store, throttle: { perEmail: { max: 5, windowSeconds: 20 } } })
    for (let i = 0; i < 5; i++) await send(address)
    const error = await refusal(t, send(address))
    t.true(error.retryAfter <= 20, `retryAfter ${error.retryAfter}`)
    t.is(sent.length, 5, 'no email left for the refused send')
    // Another spelling of the same address counts against it; another address does not.
    const again = await refusal(t, send(` ${address.toUpperCase()} `))
    await send(`other-${address}`)
    t.is(sent.length, 6)
    await sleep(again.retryAfter * 1000 + 50)
    await send(address)
    t.is(sent.length, 7, 'the next send after the wait works')
  })
}

test('the default is five sends per address per 15 minutes, `throttle: false` switches it off, and bad options are clear errors', async (t) => {
  const store = new MemoryStore({ name: crypto.randomUUID() })
  const address = 'default@example.com'
  const { sent, send } = providerWith({ store })
  for (let i = 0; i < 5; i++) await send(address)
  const error = await refusal(t, send(address))
  t.true(error.retryAfter > 890 && error.retryAfter <= 900, `retryAfter ${error.retryAfter}`)
  t.is(sent.length, 5)

  const off = providerWith({ store, throttle: false })
  for (let i = 0; i < 20; i++) await off.send(address)
  t.is(off.sent.length, 20)

  for (const throttle of [null, 5, { perEmail: { max: 0, windowSeconds: 60 } }, { perEmail: { max: 5 } }, { perEmail: { max: 1.5, windowSeconds: 60 } }, { overall: { max: 5, windowSeconds: -1 } }, { perAddress: {} }]) {
    t.throws(() => ChatBotKitEmailProvider({ throttle }), { code: 'INVALID_ARGUMENT', message: /throttle/ }, JSON.stringify(throttle))
  }
  t.throws(() => ChatBotKitContactEmailProvider({ store: 'redis://localhost' }), { code: 'INVALID_ARGUMENT', message: /store/ })
})

test('`overall` caps the sends across every address', async (t) => {
  const { sent, send } = providerWith(
    { store: new MemoryStore({ name: crypto.randomUUID() }), throttle: { perEmail: { max: 5, windowSeconds: 60 }, overall: { max: 3, windowSeconds: 60 } } },
    ChatBotKitContactEmailProvider,
  )
  for (let i = 0; i < 3; i++) await send(`user${i}@example.com`)
  const error = await refusal(t, send('user9@example.com'))
  t.regex(error.message, /in all/)
  t.is(sent.length, 3)
})

test('MemoryStore counts atomically: 100 concurrent sends to one address let exactly five through', async (t) => {
  const { sent, send } = providerWith({ store: new MemoryStore({ name: crypto.randomUUID() }) })
  const outcomes = await Promise.allSettled(Array.from({ length: 100 }, () => send('race@example.com')))
  t.is(outcomes.filter((o) => o.status === 'fulfilled').length, 5)
  t.true(outcomes.filter((o) => o.status === 'rejected').every((o) => o.reason.code === 'TOO_MANY_REQUESTS'))
  t.is(sent.length, 5)
})

test('RedisStore: one atomic script per send, 100 concurrent sends let exactly five through, and the count expires with its window', async (t) => {
  const server = await startRedis()
  t.teardown(() => server.stop())
  const store = new RedisStore({ url: server.url, keyPrefix: 'throttle:' })
  t.teardown(() => store.close())
  const { sent, send } = providerWith({ store, throttle: { perEmail: { max: 5, windowSeconds: 60 } } })
  const outcomes = await Promise.allSettled(Array.from({ length: 100 }, () => send('race@example.com')))
  t.is(outcomes.filter((o) => o.status === 'fulfilled').length, 5)
  t.is(sent.length, 5)
  const keys = server.cli('KEYS', 'throttle:sendThrottle:*').stdout.trim().split('\n')
  t.is(keys.length, 1)
  t.notRegex(keys[0], /race|example/, 'the key never shows the address')
  const ttl = Number(server.cli('PTTL', keys[0]).stdout)
  t.true(ttl > 50_000 && ttl <= 60_000, `PTTL ${ttl}`)
})

test('Redis Cluster: per-address and overall counts each live on their own slot, and both hold', async (t) => {
  const cluster = await startRedisCluster()
  t.teardown(() => cluster.stop())
  const store = new RedisStore({ nodes: cluster.urls })
  t.teardown(() => store.close())
  const { sent, send } = providerWith({ store, throttle: { perEmail: { max: 2, windowSeconds: 60 }, overall: { max: 6, windowSeconds: 60 } } })
  for (const address of ['a@example.com', 'b@example.com', 'c@example.com']) {
    await send(address)
    await send(address)
    await refusal(t, send(address))
  }
  t.is(sent.length, 6)
  await refusal(t, send('d@example.com'))
  t.is(sent.length, 6)
})

test('two processes sharing a RedisStore share the limit: five sends in all', async (t) => {
  const server = await startRedis()
  t.teardown(() => server.stop())
  const script = `
    const { ChatBotKitEmailProvider, RedisStore } = require('@chatbotkit/nextauth')
    const store = new RedisStore(${JSON.stringify(server.url)})
    let sent = 0
    const provider = ChatBotKitEmailProvider({ store, sendVerificationRequest: async () => void sent++ })
    Promise.allSettled(Array.from({ length: 5 }, () => provider.sendVerificationRequest({ identifier: 'shared@example.com', token: 'abc123', url: 'u' })))
      .then((outcomes) => console.log(JSON.stringify({ sent, refused: outcomes.filter((o) => o.reason?.code === 'TOO_MANY_REQUESTS').length })))
  `
  const results = await Promise.all([0, 1].map(() => run(process.execPath, ['-e', script], { cwd: root, deadline: 30_000 })))
  const counts = results.map(({ code, output }) => {
    t.is(code, 0, output)
    return JSON.parse(output.trim().split('\n').pop())
  })
  t.is(counts[0].sent + counts[1].sent, 5, JSON.stringify(counts))
  t.is(counts[0].refused + counts[1].refused, 5, JSON.stringify(counts))
})

// The refused sign-in as each NextAuth generation's browser sees it, counting the emails that left:
// the sixth sign-in within the window sends nothing, the next one after it is sent.
const GENERATIONS = {
  'next-auth 3.29': {
    refused: /error=EmailSignin/,
    async client(t, { adapter, provider, mailbox }) {
      const { startNextAuthV3, v3Client, v3Config } = await import('./fixtures/nextauth-v3.mjs')
      const server = await startNextAuthV3(v3Config({ adapter, provider, mailbox }))
      t.teardown(() => server.close())
      const client = v3Client(server.base)
      return async (email) => (await client.signIn(email)).headers.get('location') ?? ''
    },
  },
  'next-auth 4.24': {
    refused: /error=EmailSignin/,
    async client(t, { adapter, provider, mailbox }) {
      const { nextAuthClient, readmeConfig } = await import('./fixtures/nextauth-v4.mjs')
      const client = nextAuthClient(readmeConfig({ adapter, provider, mailbox }))
      return async (email) => (await client.signIn(email)).redirect
    },
  },
  // Auth.js hands the browser only the errors it deems safe to show; any other is `Configuration`.
  '@auth/core 0.41': {
    refused: /error=Configuration/,
    async client(t, { adapter, provider, mailbox }) {
      const { authClient, v5Config } = await import('./fixtures/authjs-v5.mjs')
      const client = authClient(v5Config({ adapter, provider, mailbox }))
      return async (email) => (await client.signIn(email)).headers.get('location') ?? ''
    },
  },
}

for (const [generation, { refused, client: makeClient }] of Object.entries(GENERATIONS)) {
  const serial = generation === 'next-auth 4.24' ? test.serial : test
  serial(`${generation}: the sixth sign-in for an address sends no email and the browser gets ${refused.source}; after the window one is sent`, async (t) => {
    const { KINDS, seededAdapter, ANN } = await import('./fixtures/sign-in-matrix.mjs')
    const { adapter, store } = await seededAdapter(t, KINDS.partner, (kind) => kind.memory())
    const mailbox = []
    const provider = (options) => ChatBotKitEmailProvider({ ...options, store, throttle: { perEmail: { max: 5, windowSeconds: 2 } } })
    const signIn = await makeClient(t, { adapter, provider, mailbox })
    for (let i = 0; i < 5; i++) t.regex(await signIn(ANN.email), /verify/, `sign-in ${i + 1}`)
    t.regex(await signIn(ANN.email), refused)
    t.is(mailbox.length, 5, 'no email left for the refused sign-in')
    await sleep(2100)
    t.regex(await signIn(ANN.email), /verify/)
    t.is(mailbox.length, 6)
  })
}

test('Auth.js in a plain Node.js process: a refused send is no unhandled rejection (the process lives on)', async (t) => {
  const script = `
    import { ChatBotKitEmailProvider, ChatBotKitPartnerAdapter, MemoryStore } from '@chatbotkit/nextauth'
    import { authClient, v5Config } from ${JSON.stringify(new URL('./fixtures/authjs-v5.mjs', import.meta.url).href)}
    import { SECRET, startFakeApi } from ${JSON.stringify(new URL('./fixtures/fake-api.mjs', import.meta.url).href)}
    const api = await startFakeApi({ seed: { 'partner/user': [{ email: 'plain@example.com', name: 'Plain' }] } })
    const store = new MemoryStore()
    const adapter = ChatBotKitPartnerAdapter({ secret: SECRET, store, baseUrl: api.url })
    const mailbox = []
    const provider = (options) => ChatBotKitEmailProvider({ ...options, store, throttle: { perEmail: { max: 1, windowSeconds: 60 } } })
    const client = authClient(v5Config({ adapter, provider, mailbox }))
    const locations = []
    for (let i = 0; i < 3; i++) locations.push((await client.signIn('plain@example.com')).headers.get('location'))
    await new Promise((resolve) => setTimeout(resolve, 200))
    await api.close()
    console.log(JSON.stringify({ locations, sent: mailbox.length }))
  `
  const { code, output } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root, deadline: 30_000 })
  t.is(code, 0, output)
  t.notRegex(output, /Unhandled|unhandled/)
  const { locations, sent } = JSON.parse(output.trim().split('\n').pop())
  t.is(sent, 1)
  t.is(locations.filter((l) => /error=Configuration/.test(l)).length, 2, JSON.stringify(locations))
})

test('the default sender prints codes in development, saying it is the default, and with NODE_ENV=production refuses and prints nothing', async (t) => {
  const script = `
    import { ChatBotKitEmailProvider } from '@chatbotkit/nextauth'
    import { KINDS, seededAdapter } from ${JSON.stringify(new URL('./fixtures/sign-in-matrix.mjs', import.meta.url).href)}
    import { nextAuthClient, readmeConfig } from ${JSON.stringify(new URL('./fixtures/nextauth-v4.mjs', import.meta.url).href)}
    const teardowns = []
    const { adapter, store } = await seededAdapter({ teardown: (f) => teardowns.push(f) }, KINDS.partner, (kind) => kind.memory())
    const config = readmeConfig({ adapter, provider: () => null, mailbox: [] })
    config.providers = [ChatBotKitEmailProvider({ store, generateVerificationToken: async () => 'c0de42' })]
    const errors = []
    config.logger = { error: (code, detail) => errors.push(String(detail?.message ?? detail?.error?.message ?? detail)), warn() {}, debug() {} }
    const { redirect } = await nextAuthClient(config).signIn('ann@example.com')
    for (const teardown of teardowns) await teardown()
    console.log(JSON.stringify({ redirect, errors }))
  `
  const signIn = async (env) => {
    const { code, output } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root, env: { ...process.env, ...env }, deadline: 30_000 })
    t.is(code, 0, output)
    return { output, ...JSON.parse(output.trim().split('\n').pop()) }
  }
  const development = await signIn({ NODE_ENV: 'development' })
  t.regex(development.redirect, /verify/)
  t.regex(development.output, /verification code for ann@example\.com: c0de42 \(the default sendVerificationRequest/)

  const production = await signIn({ NODE_ENV: 'production' })
  t.regex(production.redirect, /error=EmailSignin/)
  t.notRegex(production.output, /c0de42/, 'no code printed')
  t.true(
    production.errors.some((message) => /set the `sendVerificationRequest` option/.test(message)),
    JSON.stringify(production.errors),
  )
})

test('the guess bound: requesting codes as fast as allowed and guessing wrong, an attacker gets at most 5 guesses per window against at most 10 live codes', async (t) => {
  const { ChatBotKitPartnerAdapter } = await import('@chatbotkit/nextauth')
  // The defaults scaled down: 15 minutes become 1 s (code lifetime, throttle window, attempt window).
  const WINDOW_MS = 1000
  const WINDOWS = 4
  class CountingStore extends MapStore {
    guesses = 0
    async get(key) {
      if (key.startsWith('verificationToken:')) this.guesses++
      return super.get(key)
    }
  }
  const store = new CountingStore()
  const adapter = ChatBotKitPartnerAdapter({ secret: 'sk', store, baseUrl: 'http://127.0.0.1:9', attemptWindow: WINDOW_MS })
  const live = []
  const provider = ChatBotKitEmailProvider({
    store,
    throttle: { perEmail: { max: 5, windowSeconds: WINDOW_MS / 1000 } },
    sendVerificationRequest: async ({ token }) => void live.push({ token, until: Date.now() + WINDOW_MS }),
  })
  const victim = 'victim@example.com'
  let sent = 0
  let mostLive = 0
  let signIns = 0
  const started = Date.now()
  // At least WINDOWS windows, and enough sign-ins to use a window's guesses even on a loaded machine.
  while (Date.now() - started < WINDOWS * WINDOW_MS || signIns < 20) {
    signIns++
    // A sign-in, as NextAuth runs it: the provider's send and the adapter's store, side by side.
    const token = Math.floor(Math.random() * 0x1000000).toString(16).padStart(6, '0')
    const expires = new Date(Date.now() + WINDOW_MS)
    const [send] = await Promise.allSettled([provider.sendVerificationRequest({ identifier: victim, token, url: 'u' }), adapter.createVerificationToken({ identifier: victim, token, expires })])
    if (send.status === 'fulfilled') sent++
    const now = Date.now()
    mostLive = Math.max(mostLive, live.filter((code) => code.until > now).length)
    // Every guess wrong: one no live code has.
    let guess
    do guess = Math.floor(Math.random() * 0x1000000).toString(16).padStart(6, '0')
    while (live.some((code) => code.token === guess))
    t.is(await adapter.useVerificationToken({ identifier: victim, token: guess }), null)
  }
  // Windows follow one another, so at most this many began while the attacker ran.
  const windows = Math.floor((Date.now() - started) / WINDOW_MS) + 1
  const hourly = { guesses: store.guesses, sent, mostLive, signIns, windows }
  t.log(`${windows} windows began: ${signIns} sign-ins, ${store.guesses} guesses looked at, ${sent} codes sent, at most ${mostLive} live at once`)
  // Each window that begins lets 5 guesses and 5 sends through.
  t.true(hourly.guesses <= 5 * windows, JSON.stringify(hourly))
  t.true(hourly.guesses >= 5, `the attacker did get to guess: ${JSON.stringify(hourly)}`)
  t.true(hourly.sent <= 5 * windows, JSON.stringify(hourly))
  t.true(hourly.mostLive <= 10, JSON.stringify(hourly))
})
