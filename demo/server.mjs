// `npm run demo`: the real next-auth (v4) with the Partner adapter, a MemoryStore (RedisStore with
// REDIS_URL) and ChatBotKitEmailProvider, against a fake ChatBotKit API seeded with a demo user
// (the real API with CHATBOTKIT_API_SECRET). Codes are printed here, in the terminal.
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'

import { ChatBotKitEmailProvider, ChatBotKitPartnerAdapter, MemoryStore, RedisStore } from '@chatbotkit/nextauth'

import { SECRET as FAKE_SECRET, startFakeApi } from '../__test__/fixtures/fake-api.mjs'
import { callNextAuth, sendNextAuth } from './nextauth-http.mjs'
import { codePage, signInPage, userPage } from './pages.mjs'

const PORT = Number(process.env.PORT ?? 3000)
const DEMO_USER = { email: 'demo@example.com', name: 'Demo User' }
const realApi = Boolean(process.env.CHATBOTKIT_API_SECRET)

const fake = realApi ? null : await startFakeApi({ seed: { 'partner/user': [DEMO_USER] } })
const store = process.env.REDIS_URL ? new RedisStore(process.env.REDIS_URL) : new MemoryStore()
process.env.NEXTAUTH_URL ??= `http://localhost:${PORT}/api/auth`

const options = {
  adapter: ChatBotKitPartnerAdapter({
    secret: realApi ? process.env.CHATBOTKIT_API_SECRET : FAKE_SECRET,
    store,
    baseUrl: realApi ? process.env.CHATBOTKIT_BASE_URL : fake.url,
    // With the fake any email gets a user; against a real account nothing is created.
    autoCreateUser: !realApi,
  }),
  providers: [
    ChatBotKitEmailProvider({
      // The adapter's store also counts the codes sent per address (five per 15 minutes).
      store,
      async sendVerificationRequest({ identifier, token }) {
        console.log(`\n  Verification code for ${identifier}: ${token}\n`)
      },
    }),
  ],
  secret: process.env.NEXTAUTH_SECRET ?? randomBytes(32).toString('hex'),
  session: { strategy: 'jwt' },
  callbacks: {
    async jwt({ token, user }) {
      if (user) token.user = user
      return token
    },
    async session({ session, token }) {
      session.user = token.user
      return session
    },
  },
  pages: { signIn: '/', verifyRequest: '/verify', error: '/' },
  logger: { error: (code) => console.error(`  next-auth: ${code}`), warn() {}, debug() {} },
}

async function readForm(req) {
  let raw = ''
  for await (const chunk of req) raw += chunk
  return Object.fromEntries(new URLSearchParams(raw))
}

function html(res, body, cookies = [], status = 200) {
  sendNextAuth(res, { status, body, headers: [{ key: 'Content-Type', value: 'text/html; charset=utf-8' }] }, cookies)
}

async function handle(req, res) {
  const url = new URL(req.url, `http://localhost:${PORT}`)
  const query = Object.fromEntries(url.searchParams)
  if (url.pathname.startsWith('/api/auth/')) {
    const [action, providerId] = url.pathname.slice('/api/auth/'.length).split('/')
    const body = req.method === 'POST' ? await readForm(req) : {}
    return sendNextAuth(res, await callNextAuth(options, req, { action, providerId, query, body }))
  }
  if (url.pathname === '/' && req.method === 'GET') {
    const csrf = await callNextAuth(options, req, { action: 'csrf' })
    const session = await callNextAuth(options, req, { action: 'session' })
    const { csrfToken } = csrf.body
    const user = session.body?.user
    return html(res, user ? userPage({ user, csrfToken }) : signInPage({ csrfToken, error: query.error, email: query.email }), csrf.cookies)
  }
  if (url.pathname === '/signin' && req.method === 'POST') {
    const { email = '', csrfToken } = await readForm(req)
    const answer = await callNextAuth(options, req, { action: 'signin', providerId: 'email', body: { email, csrfToken, callbackUrl: '/' } })
    const failed = !answer.redirect || /[?&]error=/.test(answer.redirect)
    const error = failed ? (new URL(answer.redirect ?? '/?error=default', 'http://x').searchParams.get('error') ?? 'default') : null
    const next = failed ? `/?error=${encodeURIComponent(error)}&email=${encodeURIComponent(email)}` : `/verify?email=${encodeURIComponent(email)}`
    return sendNextAuth(res, { ...answer, redirect: next })
  }
  if (url.pathname === '/verify' && req.method === 'GET') {
    return html(res, codePage({ email: query.email ?? '' }))
  }
  html(res, '<h1>Not found</h1>', [], 404)
}

const server = createServer((req, res) => {
  handle(req, res).catch((error) => {
    console.error(`  demo: ${error.message}`)
    if (!res.headersSent) html(res, '<h1>Something went wrong</h1>', [], 500)
  })
})
server.listen(PORT, () => {
  console.log(`\n  ChatBotKit NextAuth demo: http://localhost:${PORT}`)
  console.log(realApi ? '  API: the real ChatBotKit API (existing partner users only)' : `  API: a fake ChatBotKit API; try ${DEMO_USER.email} (any email works)`)
  console.log(`  Codes are stored in ${process.env.REDIS_URL ? 'Redis (REDIS_URL)' : 'memory'}; they are printed below.`)
  console.log('  Ctrl-C stops everything.\n')
})

function stop() {
  server.close()
  server.closeAllConnections()
  if (store instanceof RedisStore) store.close()
  Promise.resolve(fake?.close()).finally(() => process.exit(0))
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
