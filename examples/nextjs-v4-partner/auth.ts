// NextAuth v4 options: users are ChatBotKit partner users (one sub-account each), and they sign in
// with 6-character codes sent by email. The route handler and the pages share these options.
import { ChatBotKitEmailProvider, ChatBotKitPartnerAdapter, MemoryStore, RedisStore } from '@chatbotkit/nextauth'
import type { NextAuthOptions } from 'next-auth'

import { sendCode } from './lib/mail'

// MemoryStore: codes live in this server process. With several instances or serverless, share
// them through Redis by setting REDIS_URL
const store = process.env.REDIS_URL ? new RedisStore(process.env.REDIS_URL) : new MemoryStore()

export const authOptions: NextAuthOptions = {
  adapter: ChatBotKitPartnerAdapter({
    // Read when the first sign-in needs it, so `next build` works without it
    secret: process.env.CHATBOTKIT_API_SECRET,
    baseUrl: process.env.CHATBOTKIT_BASE_URL,
    store,
    // Self-service sign-up: the first sign-in creates the partner user
    autoCreateUser: true,
  }),
  providers: [
    ChatBotKitEmailProvider({
      // The same store counts the codes sent per address (five per 15 minutes), across instances
      store,
      async sendVerificationRequest({ identifier, token }) {
        await sendCode({ to: identifier, code: token })
      },
    }),
  ],
  session: { strategy: 'jwt' },
  callbacks: {
    async jwt({ token, user }) {
      if (user) token.id = user.id
      return token
    },
    async session({ session, token }) {
      if (session.user) Object.assign(session.user, { id: token.id })
      return session
    },
  },
  pages: { signIn: '/signin', verifyRequest: '/verify', error: '/signin' },
}
