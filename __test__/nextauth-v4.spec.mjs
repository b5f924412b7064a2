// Real NextAuth v4 email sign-ins (next-auth core handler, no Next.js) for both adapters, with
// MemoryStore and RedisStore: csrf → signin/email (the code captured in sendVerificationRequest)
// → callback/email → session, and every way a sign-in must fail.
import test from 'ava'

import { linkQuery, nextAuthClient, readmeConfig } from './fixtures/nextauth-v4.mjs'
import { ANN, KINDS, seededAdapter, storesFor } from './fixtures/sign-in-matrix.mjs'

const STORES = storesFor(test)

async function setup(t, kind, makeStore, { adapterOptions = {}, providerOptions = {} } = {}) {
  const { api, adapter, store, records } = await seededAdapter(t, kind, makeStore, adapterOptions)
  const mailbox = []
  const provider = (options) => kind.provider({ ...options, store, ...providerOptions })
  const client = nextAuthClient(readmeConfig({ adapter, provider, mailbox }))
  return { api, mailbox, client, records }
}

// Serial: NextAuth reads NEXTAUTH_URL from the environment.
for (const [kindName, kind] of Object.entries(KINDS)) {
  for (const [storeName, makeStore] of Object.entries(STORES)) {
    const name = (what) => `${kindName} + ${storeName}: ${what}`

    test.serial(name('an existing user signs in with the emailed code; the session shows the ChatBotKit record'), async (t) => {
      const { api, mailbox, client, records } = await setup(t, kind, makeStore)
      const signIn = await client.signIn(ANN.email)
      t.regex(signIn.redirect, /\/verify/)
      t.is(mailbox.length, 1)
      t.regex(mailbox[0].token, /^[0-9a-f]{6}$/)

      const callback = await client.callback(linkQuery(mailbox[0].url))
      t.notRegex(callback.redirect, /error=/)
      const { user } = await client.session()
      const stored = records.values().next().value
      t.like(user, { id: stored.id, email: ANN.email, name: ANN.name, createdAt: stored.createdAt })
      t.like(stored, kind.seed, 'the sign-in kept every field (name, image, meta.email)')
      t.deepEqual(api.violations, [])

      await client.signOut()
      t.deepEqual(await client.session(), {})
    })

    test.serial(name('signing in twice works (the first sign-in did not break the lookup)'), async (t) => {
      const { mailbox, client } = await setup(t, kind, makeStore)
      for (let round = 0; round < 2; round++) {
        await client.signIn(ANN.email)
        await client.callback(linkQuery(mailbox.at(-1).url))
        t.like((await client.session()).user, { email: ANN.email }, `round ${round + 1}`)
        await client.signOut()
      }
    })

    test.serial(name('a new user is created on first sign-in with auto-create on'), async (t) => {
      const { mailbox, client, records } = await setup(t, kind, makeStore, { adapterOptions: { [kind.autoCreate]: true } })
      await client.signIn('new@example.com')
      await client.callback(linkQuery(mailbox[0].url))
      const { user } = await client.session()
      t.is(records.size, 2)
      const created = [...records.values()].find((r) => r.email === 'new@example.com')
      t.like(user, { id: created.id, email: 'new@example.com' })
    })

    test.serial(name('an unknown email with auto-create off gets no session and an error redirect'), async (t) => {
      const { mailbox, client, records } = await setup(t, kind, makeStore)
      await client.signIn('stranger@example.com')
      t.is(mailbox.length, 1)
      const callback = await client.callback(linkQuery(mailbox[0].url))
      t.regex(callback.redirect, /error=/)
      t.deepEqual(await client.session(), {})
      t.is(records.size, 1)
    })

    test.serial(name('a wrong code, a code for another email and a reused code give no session'), async (t) => {
      const { mailbox, client } = await setup(t, kind, makeStore)
      await client.signIn(ANN.email)
      const { url, token } = mailbox[0]
      const wrong = await client.callback(linkQuery(url, { token: token === '000000' ? '000001' : '000000' }))
      t.regex(wrong.redirect, /error=Verification/)
      const other = await client.callback(linkQuery(url, { email: 'eve@example.com' }))
      t.regex(other.redirect, /error=Verification/)
      t.deepEqual(await client.session(), {})

      await client.callback(linkQuery(url))
      t.like((await client.session()).user, { email: ANN.email })
      await client.signOut()
      const reused = await client.callback(linkQuery(url))
      t.regex(reused.redirect, /error=Verification/)
      t.deepEqual(await client.session(), {})
    })

    test.serial(name('an expired code gives no session'), async (t) => {
      const { mailbox, client } = await setup(t, kind, makeStore, { providerOptions: { maxAge: 1 } })
      await client.signIn(ANN.email)
      await new Promise((resolve) => setTimeout(resolve, 1200))
      const callback = await client.callback(linkQuery(mailbox[0].url))
      t.regex(callback.redirect, /error=Verification/)
      t.deepEqual(await client.session(), {})
    })
  }
}
