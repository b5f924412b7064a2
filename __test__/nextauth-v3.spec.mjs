// The NextAuth v3 adapter protocol (`getAdapter(appOptions)`), proven with a real next-auth@3.29
// email sign-in (its API handler behind node:http, `session.jwt: true`): the same lifecycle flags
// and the same code guarantees as v4.
import test from 'ava'

import { ChatBotKitEmailProvider } from '@chatbotkit/nextauth'

import { startNextAuthV3, v3Client, v3Config } from './fixtures/nextauth-v3.mjs'
import { ANN, KINDS, seededAdapter, storesFor } from './fixtures/sign-in-matrix.mjs'

const STORES = storesFor(test)

async function setup(t, kind, makeStore, adapterOptions = {}, providerOptions = {}) {
  const { api, adapter, store, records } = await seededAdapter(t, kind, makeStore, adapterOptions)
  const mailbox = []
  const provider = (options) => ChatBotKitEmailProvider({ store, ...providerOptions, ...options })
  const nextAuth = await startNextAuthV3(v3Config({ adapter, provider, mailbox }))
  t.teardown(() => nextAuth.close())
  return { api, mailbox, client: v3Client(nextAuth.base), records }
}

// Serial: NextAuth reads NEXTAUTH_URL from the environment.
for (const [kindName, kind] of Object.entries(KINDS)) {
  for (const [storeName, makeStore] of Object.entries(STORES)) {
    const name = (what) => `${kindName} + ${storeName}: ${what}`

    test.serial(name('an existing user signs in with the emailed code and gets a session'), async (t) => {
      const { api, mailbox, client, records } = await setup(t, kind, makeStore)
      const signIn = await client.signIn(ANN.email)
      t.is(signIn.status, 302)
      t.is(mailbox.length, 1)
      t.regex(mailbox[0].token, /^[0-9a-f]{6}$/)
      const callback = await client.callback(mailbox[0].url)
      t.notRegex(callback.headers.get('location') ?? '', /error=/)
      const { user } = await client.session()
      const stored = records.values().next().value
      t.like(user, { id: stored.id, email: ANN.email, name: ANN.name })
      t.like(stored, kind.seed, 'the sign-in kept every field')
      t.deepEqual(api.violations, [])
      await client.signOut()
      t.deepEqual(await client.session(), {})
    })

    test.serial(name('a new user is created with auto-create on, and refused with it off'), async (t) => {
      const on = await setup(t, kind, makeStore, { [kind.autoCreate]: true })
      await on.client.signIn('new@example.com')
      await on.client.callback(on.mailbox[0].url)
      t.like((await on.client.session()).user, { email: 'new@example.com' })
      t.is(on.records.size, 2)

      const off = await setup(t, kind, makeStore)
      await off.client.signIn('stranger@example.com')
      const refused = await off.client.callback(off.mailbox[0].url)
      t.regex(refused.headers.get('location'), /error=/)
      t.deepEqual(await off.client.session(), {})
      t.is(off.records.size, 1)
    })

    test.serial(name('a wrong code, a code for another email, a reused code and an expired code give no session'), async (t) => {
      const { mailbox, client } = await setup(t, kind, makeStore)
      await client.signIn(ANN.email)
      const { url, token } = mailbox[0]
      const wrong = await client.callback(url.replace(`token=${token}`, `token=${token === '000000' ? '000001' : '000000'}`))
      t.regex(wrong.headers.get('location'), /error=Verification/)
      const other = await client.callback(url.replace(encodeURIComponent(ANN.email), encodeURIComponent('eve@example.com')))
      t.regex(other.headers.get('location'), /error=Verification/)
      t.deepEqual(await client.session(), {})
      await client.callback(url)
      t.like((await client.session()).user, { email: ANN.email })
      await client.signOut()
      const reused = await client.callback(url)
      t.regex(reused.headers.get('location'), /error=Verification/)

      const short = await setup(t, kind, makeStore, {}, { maxAge: 1 })
      await short.client.signIn(ANN.email)
      await new Promise((resolve) => setTimeout(resolve, 1200))
      const expired = await short.client.callback(short.mailbox[0].url)
      t.regex(expired.headers.get('location'), /error=Verification/)
      t.deepEqual(await short.client.session(), {})
    })
  }
}

test.serial('a signed-in user signs in again, with the same email and with another (v3 reads the session first)', async (t) => {
  const [storeName, makeStore] = Object.entries(STORES)[0]
  const { mailbox, client } = await setup(t, KINDS.partner, makeStore, { autoCreateUser: true })
  await client.signIn(ANN.email)
  await client.callback(mailbox[0].url)
  t.like((await client.session()).user, { email: ANN.email }, storeName)

  await client.signIn(ANN.email)
  const again = await client.callback(mailbox[1].url)
  t.notRegex(again.headers.get('location') ?? '', /error=/)
  t.like((await client.session()).user, { email: ANN.email })

  await client.signIn('other@example.com')
  const other = await client.callback(mailbox[2].url)
  t.notRegex(other.headers.get('location') ?? '', /error=/)
  t.like((await client.session()).user, { email: 'other@example.com' })
})
