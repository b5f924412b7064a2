// NextAuth configuration: users are Contacts of one ChatBotKit account; they sign in
// with 6-character codes sent by email.
import { ChatBotKitContactAdapter, ChatBotKitContactEmailProvider, ContactMemoryStore, RedisStore } from '@chatbotkit/nextauth/contact'

import { sendCode } from './lib/mail.js'

const nextAuthConfig = {
  adapter: ChatBotKitContactAdapter({
    secret: process.env.CHATBOTKIT_API_SECRET,
    baseUrl: process.env.CHATBOTKIT_BASE_URL || undefined,
    // MemoryStore keeps codes in this process only; Redis shares them between instances
    store: process.env.REDIS_URL ? new RedisStore(process.env.REDIS_URL) : new ContactMemoryStore(),
    // Self-service sign-up: the first sign-in creates the contact
    autoCreateContact: true,
    // Keep the contact in sync with NextAuth
    autoUpdateContact: true,
    // Never delete ChatBotKit data from the app
    autoDeleteContact: false,
  }),
  providers: [
    ChatBotKitContactEmailProvider({
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
