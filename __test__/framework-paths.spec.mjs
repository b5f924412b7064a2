// Every path a real NextAuth generation takes through the adapter with JWT sessions, and what each
// adapter method it calls must answer there: next-auth 3.29 (behind node:http), next-auth 4.24
// (its core handler) and @auth/core 0.41 (`Auth(request)`), with every call recorded.
//
// Paths the generation specs already prove end to end, for both adapters and both stores, and not
// repeated here:
// - new user (auto-create on and off), returning user, sign-out: nextauth-v3.spec.mjs,
//   nextauth-v4.spec.mjs and authjs-v5.spec.mjs ("an existing user signs in…", "a new user…");
// - wrong, reused, expired and other-email codes: the same three files ("a wrong code…", and v4's
//   "an expired code gives no session");
// - next-auth 3.29, partner: signing in again while signed in, same email and another
//   (nextauth-v3.spec.mjs, "a signed-in user signs in again…").
// This file adds the calls behind those paths (which methods, in which order, and that each answers
// rather than rejects), the signed-in sign-in for the rest of the matrix, and the session reads.
import test from 'ava'

import { authClient, v5Config } from './fixtures/authjs-v5.mjs'
import { startNextAuthV3, v3Client, v3Config } from './fixtures/nextauth-v3.mjs'
import { linkQuery, nextAuthClient, readmeConfig } from './fixtures/nextauth-v4.mjs'
import { ANN, KINDS, recordCalls, seededAdapter } from './fixtures/sign-in-matrix.mjs'

const OTHER = 'other@example.com'

/** A logger keeping only what each generation names its errors (never their details). */
const errorLogger = (logged) => ({
  error: (what) => logged.push(typeof what === 'string' ? what : (what?.type ?? what?.name ?? String(what))),
  warn() {},
  debug() {},
})

const location = (response) => response.headers.get('location') ?? ''

/**
 * Each generation's client over one config, as the same five steps, and the adapter calls each
 * step makes with `session: { strategy: 'jwt' }` (v3: `session.jwt`) — read from its sources.
 * `signedIn`: a session cookie is present; `newUser`: the email has no user yet.
 */
const FRAMEWORKS = {
  'next-auth 3.29': {
    // Its handler reads NEXTAUTH_URL from the environment, as v4's does: these run one at a time.
    serial: true,
    updates: false, // v3 has no session update
    async start(t, { adapter, provider, mailbox, logged }) {
      const server = await startNextAuthV3({ ...v3Config({ adapter, provider, mailbox }), logger: errorLogger(logged) })
      t.teardown(() => server.close())
      const client = v3Client(server.base)
      return {
        signIn: async (email) => location(await client.signIn(email)),
        callback: async (url) => location(await client.callback(url)),
        session: client.session,
        signOut: client.signOut,
      }
    },
    calls: {
      // dist/server/routes/signin.js:58, then lib/signin/email.js:30
      signIn: ['getUserByEmail', 'createVerificationRequest'],
      callback: ({ signedIn, newUser }) => [
        'getVerificationRequest', // routes/callback.js:172
        'deleteVerificationRequest', // routes/callback.js:178
        'getUserByEmail', // routes/callback.js:179
        // lib/callback-handler.js:65 (the JWT's `sub`, in a try) and :71 (outside it, JWT or not)
        ...(signedIn ? ['getUser', 'getSession'] : []),
        'getUserByEmail', // lib/callback-handler.js:80
        newUser ? 'createUser' : 'updateUser', // lib/callback-handler.js:96 / :90
      ],
      // routes/session.js:39-74 and routes/signout.js:32-38 only decode the JWT.
      sessionReads: [],
    },
  },
  'next-auth 4.24': {
    serial: true,
    updates: true,
    async start(t, { adapter, provider, mailbox, logged }) {
      const client = nextAuthClient({ ...readmeConfig({ adapter, provider, mailbox }), logger: errorLogger(logged) })
      return {
        signIn: async (email) => (await client.signIn(email)).redirect,
        callback: async (url) => (await client.callback(linkQuery(url))).redirect,
        session: client.session,
        update: client.update,
        signOut: client.signOut,
      }
    },
    calls: {
      // core/lib/email/getUserFromEmail.js:14 (from core/routes/signin.js:82), core/lib/email/signin.js:34
      signIn: ['getUserByEmail', 'createVerificationToken'],
      callback: ({ signedIn, newUser }) => [
        'useVerificationToken', // core/routes/callback.js:208
        'getUserByEmail', // core/lib/email/getUserFromEmail.js:14, from core/routes/callback.js:219
        ...(signedIn ? ['getUser'] : []), // core/lib/callback-handler.js:57 (in a try)
        'getUserByEmail', // core/lib/callback-handler.js:69
        newUser ? 'createUser' : 'updateUser', // core/lib/callback-handler.js:91 / :75
      ],
      // core/routes/session.js:45-90 (GET and the POST of `update`), core/routes/signout.js:26-38
      sessionReads: [],
    },
  },
  '@auth/core 0.41': {
    serial: false,
    updates: true,
    async start(t, { adapter, provider, mailbox, logged }) {
      const client = authClient({ ...v5Config({ adapter, provider, mailbox }), logger: errorLogger(logged) })
      return {
        signIn: async (email) => location(await client.signIn(email)),
        callback: async (url) => location(await client.callback(url)),
        session: client.session,
        update: client.update,
        signOut: client.signOut,
      }
    },
    calls: {
      // lib/actions/signin/send-token.js:14 and :61
      signIn: ['getUserByEmail', 'createVerificationToken'],
      callback: ({ signedIn, newUser }) => [
        'useVerificationToken', // lib/actions/callback/index.js:141
        'getUserByEmail', // lib/actions/callback/index.js:156
        ...(signedIn ? ['getUser'] : []), // lib/actions/callback/handle-login.js:40 (in a try)
        'getUserByEmail', // lib/actions/callback/handle-login.js:57
        newUser ? 'createUser' : 'updateUser', // handle-login.js:76 / :68
      ],
      // lib/actions/session.js:21-63 (GET and POST), lib/actions/signout.js:15-19
      sessionReads: [],
    },
  },
}

/** A seeded fake API, the kind's adapter over it (calls recorded) and the generation's client. */
async function setup(t, framework, kind, adapterOptions = {}) {
  const { api, adapter, store, records } = await seededAdapter(t, kind, (k) => k.memory(), adapterOptions)
  const recorder = recordCalls(adapter)
  const mailbox = []
  const logged = []
  const provider = (options) => kind.provider({ ...options, store })
  const client = await framework.start(t, { adapter: recorder.adapter, provider, mailbox, logged })
  return { api, records, mailbox, logged, client, calls: recorder.calls }
}

/** Runs `step` and resolves with the adapter calls it caused. */
async function callsOf(calls, step) {
  calls.length = 0
  const result = await step()
  return { result, made: [...calls] }
}

const methods = (calls) => calls.map((call) => call.method)

/** Each call answered (a method that rejects shows as `method: message`). */
function assertAnswered(t, calls) {
  t.deepEqual(
    calls.filter((call) => call.outcome !== 'answered').map((call) => `${call.method}: ${call.value?.message ?? call.outcome}`),
    [],
  )
}

const answerOf = (calls, method) => calls.find((call) => call.method === method)?.value

/** Signs in with the emailed code; resolves with the session's user. */
async function signInFully(t, client, mailbox, email) {
  await client.signIn(email)
  t.notRegex(await client.callback(mailbox.at(-1).url), /error=/)
  return (await client.session()).user
}

for (const [frameworkName, framework] of Object.entries(FRAMEWORKS)) {
  const run = framework.serial ? test.serial : test

  for (const [kindName, kind] of Object.entries(KINDS)) {
    const name = (what) => `${frameworkName}, ${kindName}: ${what}`

    run(name('a returning and a new user sign in with user and code methods only, never account linking, each answering'), async (t) => {
      const { api, mailbox, client, calls, logged } = await setup(t, framework, kind, { [kind.autoCreate]: true })

      // Returning user.
      const signIn = await callsOf(calls, () => client.signIn(ANN.email))
      t.notRegex(signIn.result, /error=/)
      t.deepEqual(methods(signIn.made), framework.calls.signIn)
      t.like(answerOf(signIn.made, 'getUserByEmail'), { email: ANN.email, name: ANN.name })
      const callback = await callsOf(calls, () => client.callback(mailbox[0].url))
      t.notRegex(callback.result, /error=/)
      t.deepEqual(methods(callback.made), framework.calls.callback({ signedIn: false, newUser: false }))
      const invite = callback.made[0].value
      t.is(invite?.identifier, ANN.email)
      t.true(invite?.expires instanceof Date && invite.expires > new Date(), 'the code answers with its future expiry as a Date')
      const updated = answerOf(callback.made, 'updateUser')
      t.like(updated, { email: ANN.email, name: ANN.name })
      t.true(updated.emailVerified instanceof Date)
      assertAnswered(t, [...signIn.made, ...callback.made])
      t.like((await client.session()).user, { id: updated.id, email: ANN.email })
      await client.signOut()

      // New user: every lookup answers null (not a rejection), then the user is created.
      const newSignIn = await callsOf(calls, () => client.signIn('new@example.com'))
      t.deepEqual(methods(newSignIn.made), framework.calls.signIn)
      t.is(answerOf(newSignIn.made, 'getUserByEmail'), null)
      const newCallback = await callsOf(calls, () => client.callback(mailbox[1].url))
      t.notRegex(newCallback.result, /error=/)
      t.deepEqual(methods(newCallback.made), framework.calls.callback({ signedIn: false, newUser: true }))
      t.deepEqual(
        newCallback.made.filter((call) => call.method === 'getUserByEmail').map((call) => call.value),
        [null, null],
      )
      const created = answerOf(newCallback.made, 'createUser')
      t.like(created, { email: 'new@example.com' })
      assertAnswered(t, [...newSignIn.made, ...newCallback.made])
      t.like((await client.session()).user, { id: created.id, email: 'new@example.com' })
      t.deepEqual(logged, [])
      t.deepEqual(api.violations, [])
    })

    // nextauth-v3.spec.mjs proves this path for next-auth 3.29 with the partner adapter.
    if (!(frameworkName === 'next-auth 3.29' && kindName === 'partner')) {
      run(name('a signed-in user signs in again with the same email, then another: the signed-in user is read, the session switches'), async (t) => {
        const { mailbox, client, calls, logged, records } = await setup(t, framework, kind, { [kind.autoCreate]: true })
        const ann = await signInFully(t, client, mailbox, ANN.email)
        t.like(ann, { email: ANN.email })

        const again = await callsOf(calls, () => signInFully(t, client, mailbox, ANN.email))
        t.deepEqual(methods(again.made), [...framework.calls.signIn, ...framework.calls.callback({ signedIn: true, newUser: false })])
        t.is(answerOf(again.made, 'getUser')?.id, ann.id, 'getUser answers the signed-in user')
        if (again.made.some((call) => call.method === 'getSession')) {
          t.is(answerOf(again.made, 'getSession'), null, "v3's getSession answers null: there are no database sessions")
        }
        assertAnswered(t, again.made)
        t.like(again.result, { id: ann.id, email: ANN.email })

        const other = await callsOf(calls, () => signInFully(t, client, mailbox, OTHER))
        t.deepEqual(methods(other.made), [...framework.calls.signIn, ...framework.calls.callback({ signedIn: true, newUser: true })])
        t.is(answerOf(other.made, 'getUser')?.id, ann.id)
        assertAnswered(t, other.made)
        t.like(other.result, { email: OTHER })
        t.not(other.result.id, ann.id)
        t.is(records.size, 2)
        t.deepEqual(logged, [])
      })
    }
  }

  const reads = framework.updates ? 'session reads, an update()' : 'session reads'
  run(`${frameworkName}: with a session cookie, ${reads} and sign-out call no adapter method`, async (t) => {
    const { mailbox, client, calls, logged } = await setup(t, framework, KINDS.partner)
    const ann = await signInFully(t, client, mailbox, ANN.email)

    calls.length = 0
    t.like((await client.session()).user, { id: ann.id, email: ANN.email })
    t.like((await client.session()).user, { id: ann.id }, 'a second read, with the refreshed cookie')
    if (framework.updates) {
      t.like((await client.update({ name: 'Renamed' })).user, { id: ann.id }, 'update() re-signs the JWT')
    }
    await client.signOut()
    t.deepEqual(await client.session(), {})
    t.deepEqual(methods(calls), framework.calls.sessionReads)
    t.deepEqual(logged, [])
  })
}
