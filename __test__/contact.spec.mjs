// The Contact adapter on the shared core: lookup by meta.email, creation with meta, the
// fingerprint fallback, emailVerified from verifiedAt, the contact wording, and updates that keep
// every meta key — so a contact that signed in once can sign in again.
import test from 'ava'

import { ChatBotKitContactAdapter, ContactMemoryStore } from '@chatbotkit/nextauth/contact'

import { SECRET, startFakeApi } from './fixtures/fake-api.mjs'

const ANN = { name: 'Ann', email: 'ann@example.com', meta: { email: 'ann@example.com', image: 'https://img.example/ann.png', plan: 'pro' } }

test.afterEach('every exchange conforms to the OpenAPI subset', (t) => {
  for (const api of t.context.apis ?? []) t.deepEqual(api.violations, [])
})

async function setup(t, options = {}, seed = [ANN]) {
  const api = await startFakeApi({ seed: { contact: seed } })
  t.teardown(() => api.close())
  const adapter = ChatBotKitContactAdapter({ secret: SECRET, store: new ContactMemoryStore(), baseUrl: api.url, ...options })
  ;(t.context.apis ??= []).push(api)
  return { api, adapter, contacts: api.data.contact }
}

test('getUserByEmail looks the contact up by meta.email, with the query the SDK sends', async (t) => {
  const { adapter, api } = await setup(t)
  const user = await adapter.getUserByEmail('ann@example.com')
  t.like(user, { id: 'cnt_1', name: 'Ann', email: 'ann@example.com', meta: ANN.meta })
  t.deepEqual(api.exchanges[0].query, { 'meta.email': 'ann@example.com' })
  t.is(await adapter.getUserByEmail('nobody@example.com'), null)
})

test('getUser gives emailVerified from verifiedAt, or null', async (t) => {
  const verifiedAt = Date.UTC(2026, 0, 2)
  const { adapter } = await setup(t, {}, [ANN, { email: 'bob@example.com', meta: { email: 'bob@example.com' }, verifiedAt }])
  t.is((await adapter.getUser('cnt_1')).emailVerified, null)
  const bob = await adapter.getUser('cnt_2')
  t.true(bob.emailVerified instanceof Date)
  t.is(bob.emailVerified.getTime(), verifiedAt)
  t.is(await adapter.getUser('cnt_404'), null)
})

test('a contact without an email is <fingerprint>@contact.local', async (t) => {
  const { adapter } = await setup(t, {}, [{ name: 'Anon', fingerprint: 'device-42' }])
  t.like(await adapter.getUser('cnt_1'), { email: 'device-42@contact.local', fingerprint: 'device-42' })
})

test('a contact with neither email nor fingerprint is an error', async (t) => {
  const api = await startFakeApi({ fault: () => ({ status: 200, body: { id: 'cnt_1', createdAt: 1, updatedAt: 1, fingerprint: '' } }) })
  t.teardown(() => api.close())
  const adapter = ChatBotKitContactAdapter({ secret: SECRET, store: new ContactMemoryStore(), baseUrl: api.url })
  const error = await t.throwsAsync(adapter.getUser('cnt_1'))
  t.is(error.code, 'INVALID_RESPONSE')
})

test('the address a contact carries, and its user\'s email, is meta.email when meta has that key, else email', async (t) => {
  const lookup = async (contact) => {
    const body = JSON.stringify({ items: [{ id: 'cnt_9', createdAt: 1, updatedAt: 1, ...contact }], cursor: '' })
    const api = await startFakeApi({ fault: ({ path }) => (path.endsWith('/list') ? { status: 200, body } : undefined) })
    t.teardown(() => api.close())
    const adapter = ChatBotKitContactAdapter({ secret: SECRET, store: new ContactMemoryStore(), baseUrl: api.url })
    const user = await adapter.getUserByEmail('ann@example.com')
    // The user found carries the address looked up (found by the properties in properties.spec.mjs:
    // it carried `email` while the lookup matched `meta.email`).
    if (user) t.is(user.email.toLowerCase(), 'ann@example.com')
    return user?.id ?? null
  }
  t.is(await lookup({ email: 'bob@example.com', meta: { email: 'Ann@Example.com' } }), 'cnt_9')
  t.is(await lookup({ email: ' ', meta: { email: 'ann@example.com' } }), 'cnt_9')
  t.is(await lookup({ email: 'ann@example.com', meta: { plan: 'pro' } }), 'cnt_9')
  t.is(await lookup({ email: 'ann@example.com', meta: 'not an object' }), 'cnt_9')
  // A meta.email that is not a string is no address, and `email` is not looked at instead.
  t.is(await lookup({ email: 'ann@example.com', meta: { email: 5 } }), null)
  t.is(await lookup({ email: 'ann@example.com', meta: { email: 'bob@example.com' } }), null)
})

test('createUser refuses unless autoCreateContact, and refuses a duplicate', async (t) => {
  const { adapter, contacts } = await setup(t)
  await t.throwsAsync(adapter.createUser({ email: 'new@example.com' }), { message: 'Cannot create new contact' })
  const on = ChatBotKitContactAdapter({ secret: SECRET, store: new ContactMemoryStore(), baseUrl: (await setup(t)).api.url, autoCreateContact: true })
  await t.throwsAsync(on.createUser({ email: 'ann@example.com' }), { message: 'Cannot create duplicate contact' })
  t.is(contacts.size, 1)
})

test('createUser creates the contact with name, email and meta { email, image }', async (t) => {
  const { adapter, api, contacts } = await setup(t, { autoCreateContact: true })
  const user = await adapter.createUser({ email: 'cat@example.com', name: 'Cat', image: 'https://img.example/cat.png', emailVerified: new Date() })
  t.like(user, { email: 'cat@example.com', name: 'Cat', meta: { email: 'cat@example.com', image: 'https://img.example/cat.png' } })
  t.deepEqual(api.exchanges.find((e) => e.path === '/v1/contact/create').body, {
    name: 'Cat',
    email: 'cat@example.com',
    meta: { email: 'cat@example.com', image: 'https://img.example/cat.png' },
  })
  t.is(contacts.size, 2)
})

test('a contact that signed in can sign in again: the update keeps meta.email', async (t) => {
  const { adapter, contacts } = await setup(t)
  const signedIn = new Date()
  const updated = await adapter.updateUser({ id: 'cnt_1', emailVerified: signedIn })
  t.deepEqual(contacts.get('cnt_1').meta, ANN.meta)
  t.is(updated.emailVerified.getTime(), signedIn.getTime(), 'emailVerified is kept as verifiedAt')
  t.like(await adapter.getUserByEmail('ann@example.com'), { id: 'cnt_1', name: 'Ann' })
})

test('updateUser with a new image replaces only meta.image and keeps the other meta keys', async (t) => {
  const { adapter, contacts, api } = await setup(t)
  await adapter.updateUser({ id: 'cnt_1', image: 'https://img.example/new.png' })
  t.deepEqual(contacts.get('cnt_1').meta, { ...ANN.meta, image: 'https://img.example/new.png' })
  t.is(contacts.get('cnt_1').name, 'Ann')
  const update = api.exchanges.find((e) => e.path.endsWith('/update'))
  t.deepEqual(Object.keys(update.body), ['meta'])
})

test('updateUser and deleteUser use the contact wording', async (t) => {
  const { adapter } = await setup(t, { autoUpdateContact: false })
  await t.throwsAsync(adapter.updateUser({ id: 'cnt_1', name: 'X' }), { message: 'Cannot update existing contact' })
  await t.throwsAsync(adapter.deleteUser('cnt_1'), { message: 'Cannot delete existing contact' })
  const deleting = await setup(t, { autoDeleteContact: true })
  await deleting.adapter.deleteUser('cnt_1')
  t.is(deleting.contacts.size, 0)
  await t.throwsAsync(deleting.adapter.deleteUser('cnt_1'), { message: 'Cannot delete non-existing contact' })
})

test('verification tokens work the same through ContactMemoryStore', async (t) => {
  const { adapter } = await setup(t)
  const expires = new Date(Date.now() + 60_000)
  await adapter.createVerificationToken({ identifier: 'ann@example.com', token: '0a1b2c', expires })
  t.is(await adapter.useVerificationToken({ identifier: 'bob@example.com', token: '0a1b2c' }), null)
  t.deepEqual(await adapter.useVerificationToken({ identifier: 'ann@example.com', token: '0a1b2c' }), {
    identifier: 'ann@example.com',
    token: '0a1b2c',
    expires,
  })
  t.is(await adapter.useVerificationToken({ identifier: 'ann@example.com', token: '0a1b2c' }), null)
})

test('construction errors name the Contact adapter and its options', async (t) => {
  const store = new ContactMemoryStore()
  t.throws(() => ChatBotKitContactAdapter({ secret: 'sk' }), { message: /ChatBotKitContactAdapter: option `store` is required/ })
  t.throws(() => ChatBotKitContactAdapter({ secret: 'sk', store, autoCreateContact: 1 }), {
    message: /`autoCreateContact` must be true or false/,
  })
  const noSecret = ChatBotKitContactAdapter({ store, baseUrl: 'http://127.0.0.1:9' })
  await t.throwsAsync(noSecret.getUserByEmail('ann@example.com'), {
    code: 'INVALID_ARGUMENT',
    message: /ChatBotKitContactAdapter: option `secret` is required/,
  })
})

test('account and session methods reject as the original did, and methods work detached', async (t) => {
  const { adapter } = await setup(t)
  for (const method of ['getUserByAccount', 'linkAccount', 'unlinkAccount']) {
    await t.throwsAsync(adapter[method]({}), { message: 'Account linking not supported' })
  }
  for (const method of ['createSession', 'getSessionAndUser', 'updateSession', 'deleteSession']) {
    await t.throwsAsync(adapter[method]({}), { message: 'Database strategy not supported' })
  }
  const { getUser, getUserByEmail, updateUser } = adapter
  t.like(await getUser('cnt_1'), { id: 'cnt_1' })
  t.like(await getUserByEmail('ann@example.com'), { id: 'cnt_1' })
  t.like(await updateUser({ id: 'cnt_1', name: 'Ann B.' }), { name: 'Ann B.', meta: ANN.meta })
})
