// Auth.js v5: users are Contacts of one ChatBotKit account, and they sign in with 6-character
// codes sent by email. The route handler, the pages and the middleware all import this file; in
// the middleware (edge runtime) only JWT sessions are read, which needs no adapter call.
import {
  ChatBotKitContactAdapter,
  ChatBotKitContactEmailProvider,
  ContactMemoryStore,
  RedisStore,
} from '@chatbotkit/nextauth/contact'
import NextAuth from 'next-auth'

import { sendCode } from './lib/mail'

/** Pages only a signed-in user may see. */
const PRIVATE_PAGES = ['/']

// ContactMemoryStore: codes live in this server process. With several instances or serverless,
// share them through Redis by setting REDIS_URL
const store = process.env.REDIS_URL ? new RedisStore(process.env.REDIS_URL) : new ContactMemoryStore()

export const { handlers, auth, signIn, signOut } = NextAuth({
  adapter: ChatBotKitContactAdapter({
    // Read when the first sign-in needs it, so `next build` works without it
    secret: process.env.CHATBOTKIT_API_SECRET,
    baseUrl: process.env.CHATBOTKIT_BASE_URL,
    store,
    // Self-service sign-up: the first sign-in creates the contact
    autoCreateContact: true,
  }),
  providers: [
    ChatBotKitContactEmailProvider({
      // The same store counts the codes sent per address (five per 15 minutes), across instances
      store,
      async sendVerificationRequest({ identifier, token }) {
        await sendCode({ to: identifier, code: token })
      },
    }),
  ],
  session: { strategy: 'jwt' },
  callbacks: {
    // The middleware sends signed-out visitors of the private pages to pages.signIn
    authorized: ({ auth, request }) => !PRIVATE_PAGES.includes(request.nextUrl.pathname) || Boolean(auth?.user),
    async jwt({ token, user }) {
      if (user) token.id = user.id
      return token
    },
    async session({ session, token }) {
      if (typeof token.id === 'string') session.user.id = token.id
      return session
    },
  },
  pages: { signIn: '/signin', verifyRequest: '/verify', error: '/signin' },
})
