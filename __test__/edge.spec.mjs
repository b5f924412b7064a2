// The edge entry: under the export conditions edge runtimes resolve (`edge-light`, `workerd`,
// `worker`, `browser`), every import path gives the same exports as in Node.js, with no native
// addon loaded; adapters, stores and providers can be made, providers work, and every call that
// needs the native side rejects with NOT_SUPPORTED naming the Node.js runtime.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'

import test from 'ava'

const root = fileURLToPath(new URL('..', import.meta.url))
const run = promisify(execFile)

/** Runs `source` as an ES module in a child Node.js resolving `condition`, with no loadable addon. */
async function underCondition(condition, source) {
  const env = { ...process.env, NAPI_RS_NATIVE_LIBRARY_PATH: '/nonexistent/nextauth.node' }
  const { stdout } = await run(process.execPath, [`--conditions=${condition}`, '--input-type=module', '-e', source], { cwd: root, env })
  return JSON.parse(stdout)
}

const NODE_EXPORTS = {
  '@chatbotkit/nextauth': ['ChatBotKitContactAdapter', 'ChatBotKitContactEmailProvider', 'ChatBotKitEmailProvider', 'ChatBotKitPartnerAdapter', 'ContactMemoryStore', 'ContactStore', 'ErrorCode', 'MemoryStore', 'RedisStore', 'Store'],
  '@chatbotkit/nextauth/partner': ['ChatBotKitEmailProvider', 'ChatBotKitPartnerAdapter', 'MemoryStore', 'RedisStore', 'Store'],
  '@chatbotkit/nextauth/contact/adapter': ['ChatBotKitContactAdapter', 'ChatBotKitContactEmailProvider', 'ContactMemoryStore', 'ContactStore', 'RedisStore'],
}

for (const condition of ['edge-light', 'workerd', 'worker', 'browser']) {
  test(`under "${condition}" every path has the Node.js exports and loads no addon`, async (t) => {
    const names = await underCondition(
      condition,
      `const paths = ${JSON.stringify(Object.keys(NODE_EXPORTS))}
       const out = {}
       for (const path of paths) out[path] = Object.keys(await import(path)).filter((k) => k !== 'default').sort()
       console.log(JSON.stringify(out))`,
    )
    t.deepEqual(names, NODE_EXPORTS)
  })
}

test('on the edge, adapters and stores are made, providers work, and native calls reject naming the Node.js runtime', async (t) => {
  const result = await underCondition(
    'edge-light',
    `import { ChatBotKitPartnerAdapter, ChatBotKitEmailProvider, MemoryStore, RedisStore, Store } from '@chatbotkit/nextauth'
     const outcome = async (promise) => promise.then(() => 'resolved', (e) => ({ code: e.code, message: e.message, isError: e instanceof Error }))
     const adapter = ChatBotKitPartnerAdapter({ secret: undefined, store: new MemoryStore() })
     const redis = new RedisStore('redis://127.0.0.1:1')
     const provider = ChatBotKitEmailProvider()
     let sent = 0
     const counting = ChatBotKitEmailProvider({ sendVerificationRequest: async () => void sent++ })
     const send = (p) => p.sendVerificationRequest({ identifier: 'edge@example.com', token: 'abc123', url: 'u' })
     const sends = []
     for (let i = 0; i < 6; i++) sends.push(await outcome(send(counting)))
     const withStore = ChatBotKitEmailProvider({ store: new MemoryStore(), sendVerificationRequest: async () => void sent++ })
     console.log(JSON.stringify({
       storeIsStore: new MemoryStore() instanceof Store,
       code: await provider.generateVerificationToken(),
       sends,
       sent,
       throttleInStore: await outcome(send(withStore)),
       getUserByEmail: await outcome(adapter.getUserByEmail('ann@example.com')),
       useVerificationToken: await outcome(adapter.useVerificationToken({ identifier: 'a@b.c', token: 'abcdef' })),
       redisGet: await outcome(redis.get('k')),
       linkAccount: await outcome(adapter.linkAccount({})),
     }))`,
  )
  t.true(result.storeIsStore)
  t.regex(result.code, /^[0-9a-f]{6}$/)
  for (const name of ['getUserByEmail', 'useVerificationToken', 'redisGet']) {
    t.like(result[name], { code: 'NOT_SUPPORTED', isError: true }, name)
    t.regex(result[name].message, /needs the Node\.js runtime/)
  }
  t.regex(result.getUserByEmail.message, /ChatBotKitPartnerAdapter\.getUserByEmail/)
  t.like(result.linkAccount, { message: 'Account linking not supported' }, 'the JS-only answers are the same as in Node.js')
  // The send throttle works on the edge in the process's memory; a native store there cannot count.
  t.deepEqual(result.sends.slice(0, 5), Array(5).fill('resolved'))
  t.like(result.sends[5], { code: 'TOO_MANY_REQUESTS', isError: true })
  t.is(result.sent, 5)
  t.like(result.throttleInStore, { code: 'NOT_SUPPORTED', isError: true })
})

test('without an edge condition the native entry loads (and fails clearly without its binary)', async (t) => {
  const env = { ...process.env, NAPI_RS_NATIVE_LIBRARY_PATH: '/nonexistent/nextauth.node' }
  const error = await t.throwsAsync(run(process.execPath, ['-e', "require('@chatbotkit/nextauth')"], { cwd: root, env }))
  t.regex(error.stderr, /cannot load its native addon/)
  t.notRegex(error.stderr, /runs from a bundle/, 'plain Node.js is not taken for a bundle')
})

test('the edge entry has the shape of the native one: the same adapter methods, provider fields and store methods', async (t) => {
  const source = `import * as nextauth from '@chatbotkit/nextauth'
    const keys = (object) => Object.keys(object).sort()
    const methods = (Class) => {
      const names = new Set()
      for (let proto = Class.prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
        for (const name of Object.getOwnPropertyNames(proto)) names.add(name)
      }
      return [...names].sort()
    }
    const store = new nextauth.MemoryStore()
    console.log(JSON.stringify({
      partner: keys(nextauth.ChatBotKitPartnerAdapter({ secret: 'sk', store })),
      contact: keys(nextauth.ChatBotKitContactAdapter({ secret: 'sk', store: new nextauth.ContactMemoryStore() })),
      provider: keys(nextauth.ChatBotKitEmailProvider()),
      store: methods(nextauth.Store),
      memoryStore: methods(nextauth.MemoryStore),
      redisStore: methods(nextauth.RedisStore),
    }))`
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', source], { cwd: root })
  const native = JSON.parse(stdout)
  t.true(native.partner.includes('useVerificationToken') && native.memoryStore.includes('getdel'), JSON.stringify(native))
  t.deepEqual(await underCondition('edge-light', source), native)
})
