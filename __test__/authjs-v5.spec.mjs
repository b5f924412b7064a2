// Real Auth.js v5 email sign-ins (@auth/core's `Auth(new Request(…), config)`, no Next.js) for
// both adapters with MemoryStore and RedisStore, and every way a sign-in must fail.
import test from 'ava'

import { authClient, v5Config } from './fixtures/authjs-v5.mjs'
import { ANN, KINDS, seededAdapter, storesFor } from './fixtures/sign-in-matrix.mjs'

const STORES = storesFor(test)

async function setup(t, kind, makeStore, { adapterOptions = {}, providerOptions = {} } = {}) {
  const { api, adapter, store, records } = await seededAdapter(t, kind, makeStore, adapterOptions)
  const mailbox = []
  const provider = (options) => kind.provider({ ...options, store, ...providerOptions })
  return { api, mailbox, client: authClient(v5Config({ adapter, provider, mailbox })), records }
}

const location = (response) => response.headers.get('location') ?? ''

for (const [kindName, kind] of Object.entries(KINDS)) {
  for (const [storeName, makeStore] of Object.entries(STORES)) {
    const name = (what) => `${kindName} + ${storeName}: ${what}`

    test(name('an existing user signs in with the emailed code; the session shows the ChatBotKit record'), async (t) => {
      const { api, mailbox, client, records } = await setup(t, kind, makeStore)
      const signIn = await client.signIn(ANN.email)
      t.regex(location(signIn), /verify-request/)
      t.is(mailbox.length, 1)
      t.regex(mailbox[0].token, /^[0-9a-f]{6}$/)
      const callback = await client.callback(mailbox[0].url)
      t.notRegex(location(callback), /error=/)
      const { user } = await client.session()
      const stored = records.values().next().value
      t.like(user, { id: stored.id, email: ANN.email, name: ANN.name })
      t.like(stored, kind.seed, 'the sign-in kept every field')
      t.deepEqual(api.violations, [])
      await client.signOut()
      t.deepEqual(await client.session(), {})
    })

    test(name('a new user is created with auto-create on, and refused with it off'), async (t) => {
      const on = await setup(t, kind, makeStore, { adapterOptions: { [kind.autoCreate]: true } })
      await on.client.signIn('new@example.com')
      await on.client.callback(on.mailbox[0].url)
      t.like((await on.client.session()).user, { email: 'new@example.com' })
      t.is(on.records.size, 2)

      const off = await setup(t, kind, makeStore)
      await off.client.signIn('stranger@example.com')
      const refused = await off.client.callback(off.mailbox[0].url)
      t.regex(location(refused), /error=/)
      t.deepEqual(await off.client.session(), {})
      t.is(off.records.size, 1)
    })

    test(name('a wrong code, a code for another email, a reused code and an expired code give no session'), async (t) => {
      const { mailbox, client } = await setup(t, kind, makeStore)
      await client.signIn(ANN.email)
      const { url, token } = mailbox[0]
      const wrong = await client.callback(url.replace(`token=${token}`, `token=${token === '000000' ? '000001' : '000000'}`))
      t.regex(location(wrong), /error=Verification/)
      const other = await client.callback(url.replace(encodeURIComponent(ANN.email), encodeURIComponent('eve@example.com')))
      t.regex(location(other), /error=Verification/)
      t.deepEqual(await client.session(), {})
      await client.callback(url)
      t.like((await client.session()).user, { email: ANN.email })
      await client.signOut()
      const reused = await client.callback(url)
      t.regex(location(reused), /error=Verification/)

      const short = await setup(t, kind, makeStore, { providerOptions: { maxAge: 1 } })
      await short.client.signIn(ANN.email)
      await new Promise((resolve) => setTimeout(resolve, 1200))
      const expired = await short.client.callback(short.mailbox[0].url)
      t.regex(location(expired), /error=Verification/)
      t.deepEqual(await short.client.session(), {})
    })
  }
}
