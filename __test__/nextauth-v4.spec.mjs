// A real NextAuth v4 email sign-in with the native adapter and MemoryStore: csrf → signin/email
// (the code captured in sendVerificationRequest) → callback/email → session.
import test from 'ava'

import { ChatBotKitEmailProvider, ChatBotKitPartnerAdapter, MemoryStore } from '@chatbotkit/nextauth'

import { SECRET, startFakeApi } from './fixtures/fake-api.mjs'
import { linkQuery, nextAuthClient, readmeConfig } from './fixtures/nextauth-v4.mjs'

const ANN = { email: 'ann@example.com', name: 'Ann', image: 'https://img.example/ann.png' }

async function setup(t, adapterOptions = {}) {
  const api = await startFakeApi({ seed: { 'partner/user': [ANN] } })
  t.teardown(() => api.close())
  const mailbox = []
  const adapter = ChatBotKitPartnerAdapter({ secret: SECRET, store: new MemoryStore(), baseUrl: api.url, ...adapterOptions })
  const client = nextAuthClient(readmeConfig({ adapter, provider: ChatBotKitEmailProvider, mailbox }))
  return { api, mailbox, client, users: api.data['partner/user'] }
}

// Serial: NextAuth reads NEXTAUTH_URL from the environment.
test.serial('an existing user signs in with the emailed code; the session shows the partner user', async (t) => {
  const { api, mailbox, client, users } = await setup(t)
  const signIn = await client.signIn(ANN.email)
  t.regex(signIn.redirect, /\/verify/)
  t.is(mailbox.length, 1)
  t.regex(mailbox[0].token, /^[0-9a-f]{6}$/)

  const callback = await client.callback(linkQuery(mailbox[0].url))
  t.notRegex(callback.redirect, /error=/)
  const session = await client.session()
  t.like(session.user, { id: 'usr_1', email: ANN.email, name: ANN.name, image: ANN.image })
  t.like(users.get('usr_1'), { name: ANN.name, image: ANN.image }, 'the sign-in did not wipe the user')
  t.deepEqual(api.violations, [])

  await client.signOut()
  t.deepEqual(await client.session(), {})
})

test.serial('a new user is created on first sign-in with autoCreateUser', async (t) => {
  const { mailbox, client, users } = await setup(t, { autoCreateUser: true })
  await client.signIn('new@example.com')
  await client.callback(linkQuery(mailbox[0].url))
  const session = await client.session()
  t.is(users.size, 2)
  const created = [...users.values()].find((u) => u.email === 'new@example.com')
  t.like(session.user, { id: created.id, email: 'new@example.com' })
})

test.serial('an unknown email without autoCreateUser gets no session and an error redirect', async (t) => {
  const { mailbox, client, users } = await setup(t)
  await client.signIn('stranger@example.com')
  const callback = mailbox.length ? await client.callback(linkQuery(mailbox[0].url)) : null
  t.regex(callback?.redirect ?? '', /error=/)
  t.deepEqual(await client.session(), {})
  t.is(users.size, 1)
})

test.serial('a wrong code, a reused code and a code for another email give no session', async (t) => {
  const { mailbox, client } = await setup(t)
  await client.signIn(ANN.email)
  const link = mailbox[0].url
  const wrong = await client.callback(linkQuery(link, { token: mailbox[0].token === '000000' ? '000001' : '000000' }))
  t.regex(wrong.redirect, /error=Verification/)
  const other = await client.callback(linkQuery(link, { email: 'eve@example.com' }))
  t.regex(other.redirect, /error=Verification/)
  t.deepEqual(await client.session(), {})

  await client.callback(linkQuery(link))
  t.like((await client.session()).user, { id: 'usr_1' })
  await client.signOut()
  const reused = await client.callback(linkQuery(link))
  t.regex(reused.redirect, /error=Verification/)
  t.deepEqual(await client.session(), {})
})
