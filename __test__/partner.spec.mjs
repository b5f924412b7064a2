// The Partner adapter, method by method, against the fake ChatBotKit API: flags on and off,
// null when absent, the original's error messages, real Dates, and calls detached from the object.
import test from 'ava'

import { ChatBotKitPartnerAdapter, MemoryStore } from '@chatbotkit/nextauth'

import { SECRET, startFakeApi } from './fixtures/fake-api.mjs'
import { root } from './fixtures/pack.mjs'
import { run } from './fixtures/process.mjs'

const ANN = { email: 'ann@example.com', name: 'Ann', image: 'https://img.example/ann.png' }

async function setup(t, options = {}, fakeOptions = {}) {
  const api = await startFakeApi({ seed: { 'partner/user': [ANN] }, ...fakeOptions })
  t.teardown(() => api.close())
  const adapter = ChatBotKitPartnerAdapter({ secret: SECRET, store: new MemoryStore(), baseUrl: api.url, ...options })
  return { api, adapter, users: api.data['partner/user'] }
}

test('is called without new and returns all 14 NextAuth v4 methods, and v3\'s getAdapter', async (t) => {
  const { adapter } = await setup(t)
  const methods = [
    'createUser', 'getUser', 'getUserByEmail', 'getUserByAccount', 'updateUser', 'deleteUser', 'linkAccount',
    'unlinkAccount', 'createSession', 'getSessionAndUser', 'updateSession', 'deleteSession',
    'createVerificationToken', 'useVerificationToken',
  ]
  t.deepEqual(Object.keys(adapter).sort(), [...methods, 'getAdapter'].sort())
  for (const method of methods) t.is(typeof adapter[method], 'function', method)
})

test('getUser returns every API field, the email and emailVerified as a Date', async (t) => {
  const { adapter, users } = await setup(t)
  const stored = users.get('usr_1')
  const user = await adapter.getUser('usr_1')
  t.like(user, { id: 'usr_1', email: ANN.email, name: ANN.name, image: ANN.image, createdAt: stored.createdAt, meta: {} })
  t.true(user.emailVerified instanceof Date)
  t.is(user.emailVerified.getTime(), stored.createdAt)
})

test('getUser is null for an unknown id, and for ids that are not one path segment', async (t) => {
  const { adapter, api } = await setup(t)
  t.is(await adapter.getUser('usr_404'), null)
  t.is(await adapter.getUser('..'), null)
  t.is(await adapter.getUser('.'), null)
  t.is(await adapter.getUser('usr_1/../usr_1'), null)
  const paths = api.exchanges.map((e) => e.rawPath)
  t.true(paths.includes('/v1/partner/user/usr_1%2F..%2Fusr_1/fetch'))
})

test('getUserByEmail finds the user, and is null for an unknown email', async (t) => {
  const { adapter } = await setup(t)
  t.like(await adapter.getUserByEmail(ANN.email), { id: 'usr_1', email: ANN.email })
  t.is(await adapter.getUserByEmail('nobody@example.com'), null)
})

test('getUserByEmail is null when the API answers with a user carrying another email', async (t) => {
  const { adapter } = await setup(t, {}, {
    fault: ({ path }) =>
      path.endsWith('/list') ? { status: 200, body: { items: [{ id: 'usr_9', email: 'eve@example.com', createdAt: 1, updatedAt: 1 }], cursor: '' } } : undefined,
  })
  t.is(await adapter.getUserByEmail(ANN.email), null)
})

test('getUserByEmail matches the email case-insensitively', async (t) => {
  const { adapter } = await setup(t, {}, {
    fault: ({ path }) =>
      path.endsWith('/list') ? { status: 200, body: { items: [{ id: 'usr_9', email: 'Ann@Example.COM', createdAt: 1, updatedAt: 1 }], cursor: '' } } : undefined,
  })
  t.like(await adapter.getUserByEmail('ann@example.com'), { id: 'usr_9' })
})

test('getUser, getUserByEmail and deleteUser reject an id or email that is not a string, before any request', async (t) => {
  const { adapter, api } = await setup(t, { autoDeleteUser: true })
  for (const [method, name, value] of [['getUser', 'id', 5], ['getUserByEmail', 'email', null], ['deleteUser', 'id', { id: 'usr_1' }]]) {
    const error = await t.throwsAsync(adapter[method](value))
    t.is(error.code, 'INVALID_ARGUMENT', method)
    t.is(error.message, `\`${name}\` must be a string`, method)
  }
  t.is(api.exchanges.length, 0)
})

test('a `__proto__` field of an API record stays a plain field of the user, not its prototype', async (t) => {
  const record = '{"id":"usr_9","email":"ann@example.com","createdAt":1,"updatedAt":1,"__proto__":{"isAdmin":true}}'
  const { adapter } = await setup(t, {}, {
    fault: ({ path }) => (path.endsWith('/list') ? { status: 200, body: `{"items":[${record}],"cursor":""}` } : undefined),
  })
  const user = await adapter.getUserByEmail(ANN.email)
  t.is(Object.getPrototypeOf(user), Object.prototype)
  t.is(user.isAdmin, undefined)
  t.deepEqual(Object.getOwnPropertyDescriptor(user, '__proto__')?.value, { isAdmin: true })
})

test('a record reaches the user as JSON.parse reads the API\'s text: the last of a repeated key, escapes undone, numbers as written', async (t) => {
  // Pretty-printed, as another server might send it; `email` twice (the second escaped), `createdAt` first not a number.
  const record = `{
    "id": "usr_9", "email": "old@example.com", "em\\u0061il": "Ann@Example.com",
    "createdAt": "soon", "createdAt": 1767225600000, "name": "A\\u00f1n \\"the first\\"",
    "big": 12345678901234567890, "ratio": 1.5e3, "meta": { "plan": "pro", "tags": [1, "two", null] }
  }`
  const body = `{ "items": [ ${record} ], "cursor": "" }\n`
  const { adapter } = await setup(t, {}, { fault: ({ path }) => (path.endsWith('/list') ? { status: 200, body } : undefined) })
  const user = await adapter.getUserByEmail('ann@example.com')
  t.deepEqual({ ...user, emailVerified: user.emailVerified.getTime() }, { ...JSON.parse(record), emailVerified: 1767225600000 })
  t.is(user.email, 'Ann@Example.com')
  t.is(user.name, 'Añn "the first"')
  // The first `email` is not the record's address.
  t.is(await adapter.getUserByEmail('old@example.com'), null)
})

test('a list answer that is not a list of records rejects with INVALID_RESPONSE', async (t) => {
  for (const body of ['[]', '{"items":{}}', '{"items":[{"email":"ann@example.com"}]}', '{"items":[1]}', '{"items":[]} trailing']) {
    const { adapter } = await setup(t, {}, { fault: ({ path }) => (path.endsWith('/list') ? { status: 200, body } : undefined) })
    const error = await t.throwsAsync(adapter.getUserByEmail(ANN.email), undefined, body)
    t.is(error.code, 'INVALID_RESPONSE', body)
    t.regex(error.message, /^listPartnerUsers: /, body)
  }
})

test('createUser refuses unless autoCreateUser is on', async (t) => {
  const { adapter, users } = await setup(t)
  const error = await t.throwsAsync(adapter.createUser({ email: 'bob@example.com', emailVerified: new Date() }))
  t.is(error.message, 'Cannot create new user')
  t.is(users.size, 1)
})

test('createUser creates the partner user with name, image and email, then returns it fetched', async (t) => {
  const { adapter, users, api } = await setup(t, { autoCreateUser: true })
  const user = await adapter.createUser({ email: 'bob@example.com', name: 'Bob', image: 'https://img.example/bob.png', emailVerified: new Date() })
  t.like(user, { email: 'bob@example.com', name: 'Bob', image: 'https://img.example/bob.png' })
  t.true(user.emailVerified instanceof Date)
  t.like(users.get(user.id), { email: 'bob@example.com', name: 'Bob', image: 'https://img.example/bob.png' })
  const create = api.exchanges.find((e) => e.path === '/v1/partner/user/create')
  t.deepEqual(create.body, { email: 'bob@example.com', name: 'Bob', image: 'https://img.example/bob.png' })
})

test('createUser refuses a duplicate email', async (t) => {
  const { adapter, users } = await setup(t, { autoCreateUser: true })
  const error = await t.throwsAsync(adapter.createUser({ email: ANN.email }))
  t.is(error.message, 'Cannot create duplicate user')
  t.is(error.code, 'DUPLICATE')
  t.is(users.size, 1)
})

test('createUser without an email is a clear error', async (t) => {
  const { adapter } = await setup(t, { autoCreateUser: true })
  const error = await t.throwsAsync(adapter.createUser({ name: 'No Mail' }))
  t.is(error.code, 'INVALID_ARGUMENT')
  t.regex(error.message, /email/)
})

test('updateUser refuses when autoUpdateUser is off', async (t) => {
  const { adapter } = await setup(t, { autoUpdateUser: false })
  const error = await t.throwsAsync(adapter.updateUser({ id: 'usr_1', name: 'Changed' }))
  t.is(error.message, 'Cannot update existing user')
})

test('updateUser after sign-in ({ id, emailVerified }) keeps the name and image', async (t) => {
  const { adapter, users, api } = await setup(t)
  const user = await adapter.updateUser({ id: 'usr_1', emailVerified: new Date() })
  t.like(user, { id: 'usr_1', name: ANN.name, image: ANN.image, email: ANN.email })
  t.like(users.get('usr_1'), { name: ANN.name, image: ANN.image, email: ANN.email })
  t.false(api.exchanges.some((e) => e.path.endsWith('/update')), 'nothing to change, so no update request')
})

test('updateUser changes only the fields it is given', async (t) => {
  const { adapter, users, api } = await setup(t)
  const user = await adapter.updateUser({ id: 'usr_1', name: 'Ann Smith' })
  t.like(user, { name: 'Ann Smith', image: ANN.image })
  t.like(users.get('usr_1'), { name: 'Ann Smith', image: ANN.image, email: ANN.email })
  t.deepEqual(api.exchanges.find((e) => e.path.endsWith('/update')).body, { name: 'Ann Smith' })
})

test('updateUser of an unknown user is NOT_FOUND', async (t) => {
  const { adapter } = await setup(t)
  const error = await t.throwsAsync(adapter.updateUser({ id: 'usr_404', name: 'X' }))
  t.is(error.code, 'NOT_FOUND')
})

test('deleteUser refuses unless autoDeleteUser is on', async (t) => {
  const { adapter, users } = await setup(t)
  const error = await t.throwsAsync(adapter.deleteUser('usr_1'))
  t.is(error.message, 'Cannot delete existing user')
  t.true(users.has('usr_1'))
})

test('deleteUser deletes, and refuses a user that does not exist', async (t) => {
  const { adapter, users } = await setup(t, { autoDeleteUser: true })
  t.is(await adapter.deleteUser('usr_1'), undefined)
  t.false(users.has('usr_1'))
  const error = await t.throwsAsync(adapter.deleteUser('usr_1'))
  t.is(error.message, 'Cannot delete non-existing user')
})

test('account methods reject with "Account linking not supported"', async (t) => {
  const { adapter } = await setup(t)
  for (const method of ['getUserByAccount', 'linkAccount', 'unlinkAccount']) {
    const error = await t.throwsAsync(adapter[method]({}))
    t.is(error.message, 'Account linking not supported', method)
  }
})

test('session methods reject with "Database strategy not supported"', async (t) => {
  const { adapter } = await setup(t)
  for (const method of ['createSession', 'getSessionAndUser', 'updateSession', 'deleteSession']) {
    const error = await t.throwsAsync(adapter[method]({}))
    t.is(error.message, 'Database strategy not supported', method)
  }
})

test('methods work detached from the adapter object, as NextAuth calls them', async (t) => {
  const { adapter } = await setup(t, { autoCreateUser: true })
  const { getUser, getUserByEmail, createUser, updateUser, createVerificationToken, useVerificationToken } = adapter
  t.like(await getUser('usr_1'), { id: 'usr_1' })
  t.like(await getUserByEmail(ANN.email), { id: 'usr_1' })
  t.like(await createUser({ email: 'cat@example.com' }), { email: 'cat@example.com' })
  t.like(await updateUser.call(undefined, { id: 'usr_1', name: 'A' }), { name: 'A' })
  const expires = new Date(Date.now() + 60_000)
  await createVerificationToken({ identifier: ANN.email, token: 'abc123', expires })
  const used = await useVerificationToken({ identifier: ANN.email, token: 'abc123' })
  t.deepEqual(used, { identifier: ANN.email, token: 'abc123', expires })
})

test('verification tokens: returned with a Date, single use, bound to their identifier', async (t) => {
  const { adapter } = await setup(t)
  const expires = new Date(Date.now() + 60_000)
  const created = await adapter.createVerificationToken({ identifier: ANN.email, token: 'c0ffee', expires })
  t.deepEqual(created, { identifier: ANN.email, token: 'c0ffee', expires })
  t.is(await adapter.useVerificationToken({ identifier: 'eve@example.com', token: 'c0ffee' }), null)
  const used = await adapter.useVerificationToken({ identifier: ANN.email, token: 'c0ffee' })
  t.true(used.expires instanceof Date)
  t.is(used.expires.getTime(), expires.getTime())
  t.is(await adapter.useVerificationToken({ identifier: ANN.email, token: 'c0ffee' }), null)
})

test('an expired verification token is refused', async (t) => {
  const { adapter } = await setup(t)
  await adapter.createVerificationToken({ identifier: ANN.email, token: 'aaaaaa', expires: new Date(Date.now() + 40) })
  await new Promise((resolve) => setTimeout(resolve, 80))
  t.is(await adapter.useVerificationToken({ identifier: ANN.email, token: 'aaaaaa' }), null)
  await adapter.createVerificationToken({ identifier: ANN.email, token: 'bbbbbb', expires: new Date(Date.now() - 1000) })
  t.is(await adapter.useVerificationToken({ identifier: ANN.email, token: 'bbbbbb' }), null)
})

test('bad arguments reject with INVALID_ARGUMENT instead of crashing', async (t) => {
  const { adapter } = await setup(t)
  for (const call of [
    () => adapter.getUser(42),
    () => adapter.getUserByEmail({}),
    () => adapter.updateUser('usr_1'),
    () => adapter.updateUser({ id: 'usr_1', name: 7 }),
    () => adapter.createVerificationToken({ identifier: 'a@b.c', token: 'x', expires: 'soon' }),
    () => adapter.createVerificationToken({ identifier: 'a@b.c', token: 'x', expires: new Date(NaN) }),
    () => adapter.useVerificationToken({ identifier: 'a@b.c' }),
    () => adapter.useVerificationToken(null),
  ]) {
    const error = await t.throwsAsync(call())
    t.true(error instanceof Error)
    t.is(error.code, 'INVALID_ARGUMENT', error.message)
  }
})

test('API errors carry the API code and name the operation, never the secret', async (t) => {
  const api = await startFakeApi()
  t.teardown(() => api.close())
  const secret = 'sk-wrong-secret-value'
  const adapter = ChatBotKitPartnerAdapter({ secret, store: new MemoryStore(), baseUrl: api.url })
  const error = await t.throwsAsync(adapter.getUser('usr_1'))
  t.is(error.code, 'NOT_AUTHENTICATED')
  t.regex(error.message, /fetchPartnerUser/)
  t.false(error.message.includes(secret))
  t.false(String(error.stack).includes(secret))
})

test('without a secret the adapter is made, its codes work, and each API call rejects naming the option', async (t) => {
  // As in `next build`, where the auth config is evaluated with no secret in the environment.
  const api = await startFakeApi()
  t.teardown(() => api.close())
  for (const secret of [undefined, '', '   ']) {
    const adapter = ChatBotKitPartnerAdapter({ secret, store: new MemoryStore({ name: 'no-secret' }), baseUrl: api.url })
    await adapter.createVerificationToken({ identifier: 'ann@example.com', token: 'n0s3cr', expires: new Date(Date.now() + 60_000) })
    t.like(await adapter.useVerificationToken({ identifier: 'ann@example.com', token: 'n0s3cr' }), { token: 'n0s3cr' })
    for (const call of [() => adapter.getUser('usr_1'), () => adapter.getUserByEmail('ann@example.com'), () => adapter.updateUser({ id: 'usr_1', name: 'Ann' })]) {
      const error = await t.throwsAsync(call())
      t.is(error.code, 'INVALID_ARGUMENT')
      t.regex(error.message, /ChatBotKitPartnerAdapter: option `secret` is required/)
    }
  }
  t.is(api.exchanges.length, 0, 'nothing was sent without a secret')
})

test('construction fails clearly without a store, or with a bad option', (t) => {
  const store = new MemoryStore()
  t.throws(() => ChatBotKitPartnerAdapter({ secret: 'sk' }), { message: /option `store` is required/ })
  t.throws(() => ChatBotKitPartnerAdapter({ secret: 'sk', store: {} }), { message: /option `store` is required/ })
  t.throws(() => ChatBotKitPartnerAdapter(), { message: /options object/ })
  const badType = t.throws(() => ChatBotKitPartnerAdapter({ secret: 12345678, store }))
  t.is(badType.code, 'INVALID_ARGUMENT')
  t.false(badType.message.includes('12345678'))
  t.throws(() => ChatBotKitPartnerAdapter({ secret: 'sk', store, autoCreateUser: 'yes' }), { message: /`autoCreateUser` must be true or false/ })
  t.throws(() => ChatBotKitPartnerAdapter({ secret: 'sk', store, baseUrl: 'ftp://x' }), { message: /`baseUrl`/ })
  t.throws(() => ChatBotKitPartnerAdapter({ secret: 'sk', store, timeout: -1 }), { message: /`timeout`/ })
})

test('a hung API is bounded by the timeout option', async (t) => {
  const { adapter } = await setup(t, { timeout: 200, retries: 0 }, { fault: () => 'hang' })
  const started = Date.now()
  const error = await t.throwsAsync(adapter.getUser('usr_1'))
  t.is(error.code, 'TIMEOUT')
  t.true(Date.now() - started < 2000)
})

test('a hung API rejects within one timeout for the whole call, whatever retries says', async (t) => {
  const { adapter, api } = await setup(t, { timeout: 400, retries: 3 }, { fault: () => 'hang' })
  const started = Date.now()
  const error = await t.throwsAsync(adapter.getUser('usr_1'))
  const took = Date.now() - started
  t.is(error.code, 'TIMEOUT')
  t.true(took >= 350 && took < 1000, `rejected after ${took} ms`)
  t.log(`hung API, timeout 400 ms, retries 3: rejected after ${took} ms (${api.exchanges.length} attempt(s))`)
})

test('createUser makes three API calls within one timeout, not one timeout each', async (t) => {
  // Each call answers well within `timeout`; the three together do not.
  const { adapter } = await setup(t, { timeout: 1000, autoCreateUser: true }, { fault: () => ({ delay: 400 }) })
  const started = Date.now()
  const error = await t.throwsAsync(adapter.createUser({ email: 'slow@example.com', name: 'Slow' }))
  const took = Date.now() - started
  t.is(error.code, 'TIMEOUT')
  t.true(took >= 950 && took < 2000, `rejected after ${took} ms`)
  t.log(`three calls answering 400 ms late each, timeout 1000 ms: createUser rejected after ${took} ms`)
})

test('a connection reset on a read is retried and the call succeeds; a create is not resent', async (t) => {
  let resets = (exchange) => exchange.path.endsWith('/list')
  const { adapter, api } = await setup(t, { autoCreateUser: true }, { fault: (exchange) => (resets(exchange) ? ((resets = () => false), 'reset') : undefined) })
  t.like(await adapter.getUserByEmail('ann@example.com'), { email: 'ann@example.com' })
  t.deepEqual(api.exchanges.map((e) => e.status), ['reset', 200])

  resets = (exchange) => exchange.path.endsWith('/create')
  const error = await t.throwsAsync(adapter.createUser({ email: 'new@example.com', name: 'New' }))
  t.is(error.code, 'NETWORK_ERROR')
  t.is(api.exchanges.filter((e) => e.path.endsWith('/create')).length, 1, 'a create that may have arrived is not sent twice')
})

test('a 503 is retried and the call succeeds', async (t) => {
  let failures = 1
  const { adapter, api } = await setup(t, {}, {
    fault: () => (failures-- > 0 ? { status: 503, body: { message: 'busy', code: 'SERVICE_UNAVAILABLE' } } : undefined),
  })
  t.like(await adapter.getUser('usr_1'), { id: 'usr_1' })
  t.is(api.exchanges.length, 2)
})

test('a body that is not JSON rejects with INVALID_RESPONSE', async (t) => {
  const { adapter } = await setup(t, {}, { fault: () => ({ status: 200, body: '<html>oops' }) })
  const error = await t.throwsAsync(adapter.getUser('usr_1'))
  t.is(error.code, 'INVALID_RESPONSE')
})

test('an option the adapter does not know is warned about once per process, naming it, and ignored', async (t) => {
  const source = `
    const { ChatBotKitPartnerAdapter, ChatBotKitContactAdapter, MemoryStore } = require('@chatbotkit/nextauth')
    const options = { secret: 'sk-hunter2', store: new MemoryStore(), autoCreateUsers: true, debug: true }
    for (let i = 0; i < 3; i++) ChatBotKitPartnerAdapter(options)
    ChatBotKitContactAdapter({ secret: 'sk-hunter2', store: new MemoryStore(), autoCreateContact: true, autoCreateUser: true })
  `
  const { code, output } = await run(process.execPath, ['-e', source], { cwd: root, deadline: 20_000 })
  t.is(code, 0, output)
  const warnings = output.split('\n').filter((line) => line.includes('Warning:'))
  t.deepEqual(warnings.map((line) => line.replace(/^\(node:\d+\) /, '')), [
    "[CHATBOTKIT_NEXTAUTH_UNKNOWN_OPTION] Warning: ChatBotKitPartnerAdapter: option `autoCreateUsers` is unknown and ignored; check its spelling against the README's options table",
    "[CHATBOTKIT_NEXTAUTH_UNKNOWN_OPTION] Warning: ChatBotKitPartnerAdapter: option `debug` is unknown and ignored; check its spelling against the README's options table",
    "[CHATBOTKIT_NEXTAUTH_UNKNOWN_OPTION] Warning: ChatBotKitContactAdapter: option `autoCreateUser` is unknown and ignored; check its spelling against the README's options table",
  ])
  t.false(output.includes('hunter2'))
})

// Found by the properties in properties.spec.mjs: Node-API's own code (`InvalidArg`) reached the caller.
test('a user with values JSON cannot hold is refused with INVALID_ARGUMENT, without quoting it', async (t) => {
  const adapter = ChatBotKitPartnerAdapter({ secret: 'sk-test', store: new MemoryStore({ name: 'non-json' }), baseUrl: 'http://127.0.0.1:9', autoCreateUser: true, autoUpdateUser: true })
  for (const user of [{ id: 'usr_1', name: () => 'x' }, { email: 'a@b.c', tag: Symbol('secret-ish') }, Symbol('s')]) {
    for (const method of ['createUser', 'updateUser']) {
      const error = await t.throwsAsync(adapter[method](user), { code: 'INVALID_ARGUMENT', message: /must be JSON/ })
      t.notRegex(error.message, /secret-ish|=>/)
    }
  }
})
