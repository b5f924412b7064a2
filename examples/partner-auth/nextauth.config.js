// NextAuth configuration: users are ChatBotKit partner users (one sub-account each); they sign in
// with 6-character codes sent by email.
import { ChatBotKitEmailProvider, ChatBotKitPartnerAdapter, MemoryStore, RedisStore } from '@chatbotkit/nextauth/partner'

import { sendCode } from './lib/mail.js'

const nextAuthConfig = {
  adapter: ChatBotKitPartnerAdapter({
    secret: process.env.CHATBOTKIT_API_SECRET,
    baseUrl: process.env.CHATBOTKIT_BASE_URL || undefined,
    // MemoryStore keeps codes in this process only; Redis shares them between instances
    store: process.env.REDIS_URL ? new RedisStore(process.env.REDIS_URL) : new MemoryStore(),
    // Self-service sign-up: the first sign-in creates the partner user
    autoCreateUser: true,
    // Keep the partner user in sync with NextAuth
    autoUpdateUser: true,
    // Never delete ChatBotKit data from the app
    autoDeleteUser: false,
  }),
  providers: [
    ChatBotKitEmailProvider({
      async sendVerificationRequest({ identifier, token }) {
        await sendCode({ to: identifier, code: token })
      },
    }),
  ],
  session: {
    strategy: 'jwt',
  },
  callbacks: {
    async session({ session, token }) {
      session.user = token.user
      return session
    },
    async jwt({ token, user }) {
      if (user) {
        token.user = user
      }
      return token
    },
  },
  pages: {
    signIn: '/signin',
    signOut: '/signin',
    verifyRequest: '/verify',
    error: '/signin',
  },
  debug: !!process.env.DEBUG,
}

export default nextAuthConfig
