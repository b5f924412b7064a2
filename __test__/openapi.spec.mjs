// Keeps the fake ChatBotKit API honest: the checker catches departures from the OpenAPI subset,
// and every request the adapter makes, with the fake's answer, conforms to it.
import test from 'ava'

import { ChatBotKitPartnerAdapter, MemoryStore } from '@chatbotkit/nextauth'

import { SECRET, startFakeApi } from './fixtures/fake-api.mjs'
import { violations } from './fixtures/openapi.mjs'

test('the checker flags an unknown route, an undeclared query, a bad body and a bad response', (t) => {
  t.regex(violations({ method: 'GET', path: '/v1/partner/user/find', query: {}, status: 200, response: {} })[0], /no such operation/)
  t.regex(
    violations({ method: 'GET', path: '/v1/partner/user/list', query: { name: 'x' }, status: 200, response: { items: [], cursor: '' } })[0],
    /query parameter `name`/,
  )
  t.true(violations({ method: 'POST', path: '/v1/partner/user/create', query: {}, body: { name: 5 }, status: 200, response: { id: 'u' } }).length > 0)
  t.regex(
    violations({ method: 'POST', path: '/v1/partner/user/create', query: {}, body: { nickname: 'x' }, status: 200, response: { id: 'u' } })[0],
    /`nickname` is not in the OpenAPI schema/,
  )
  t.true(violations({ method: 'GET', path: '/v1/partner/user/u1/fetch', query: {}, status: 200, response: { id: 'u1' } }).length > 0)
  t.true(violations({ method: 'GET', path: '/v1/partner/user/u1/fetch', query: {}, status: 404, response: { message: 'x' } }).length > 0)
})

test('every partner operation the adapter uses conforms to the OpenAPI subset', async (t) => {
  const api = await startFakeApi({ seed: { 'partner/user': [{ email: 'ann@example.com', name: 'Ann', image: 'https://img.example/a.png' }] } })
  t.teardown(() => api.close())
  const adapter = ChatBotKitPartnerAdapter({
    secret: SECRET,
    store: new MemoryStore(),
    baseUrl: api.url,
    autoCreateUser: true,
    autoDeleteUser: true,
  })
  await adapter.getUser('usr_1')
  await adapter.getUser('usr_missing')
  await adapter.getUserByEmail('ann@example.com')
  const bob = await adapter.createUser({ email: 'bob@example.com', name: 'Bob', image: 'https://img.example/b.png', emailVerified: new Date() })
  await adapter.updateUser({ id: bob.id, name: 'Robert', image: null, emailVerified: new Date() })
  await adapter.deleteUser(bob.id)

  t.deepEqual(api.violations, [])
  const operations = new Set(api.exchanges.map((e) => `${e.method} ${e.path.replace(/\/usr_[^/]+\//, '/{userId}/')}`))
  t.deepEqual([...operations].sort(), [
    'GET /v1/partner/user/list',
    'GET /v1/partner/user/{userId}/fetch',
    'POST /v1/partner/user/create',
    'POST /v1/partner/user/{userId}/delete',
    'POST /v1/partner/user/{userId}/update',
  ])
  t.true(api.exchanges.every((e) => e.authorization === `Bearer ${SECRET}`))
  t.deepEqual(api.exchanges.find((e) => e.path.endsWith('/list')).query, { email: 'ann@example.com' })
})
