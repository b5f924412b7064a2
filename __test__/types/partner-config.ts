// The original package's Partner README config, type-checked against next-auth v4's types.
import type { NextAuthOptions } from 'next-auth'
import type { Adapter } from 'next-auth/adapters'

import { ChatBotKitEmailProvider, ChatBotKitPartnerAdapter, MemoryStore } from '@chatbotkit/nextauth/partner'
import { RedisLikeStore } from './stores.js'

declare function sendEmail(message: { to: string; subject: string; text: string }): Promise<void>

const nextAuthConfig: NextAuthOptions = {
  adapter: ChatBotKitPartnerAdapter({
    // string | undefined under strict: checked by the adapter when first needed
    secret: process.env.CHATBOTKIT_API_SECRET,
    // Use Redis or another persistent store in production
    store: new MemoryStore(),
    // Control user lifecycle
    autoCreateUser: false,
    autoUpdateUser: true,
    autoDeleteUser: false,
  }),
  providers: [
    ChatBotKitEmailProvider({
      async sendVerificationRequest({ identifier, token }) {
        await sendEmail({
          to: identifier,
          subject: 'Sign in to your account',
          text: `Your verification code is: ${token}`,
        })
      },
    }),
  ],
  session: {
    strategy: 'jwt',
  },
  callbacks: {
    async session({ session, token }) {
      session.user = token.user as typeof session.user
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
  },
  debug: !!process.env.DEBUG,
}

export default nextAuthConfig

// Options added by this package, and a store shaped like @vercel/kv.
export const tuned: Adapter = ChatBotKitPartnerAdapter({
  secret: 'sk',
  store: new RedisLikeStore(),
  baseUrl: 'https://api.chatbotkit.com',
  timeout: 5000,
  retries: 1,
  maxAttempts: 3,
  attemptWindow: 600_000,
})

// @ts-expect-error the secret is required (it may be undefined, but it must be passed)
ChatBotKitPartnerAdapter({ store: new MemoryStore() })
// A MemoryStore may have a map of its own.
ChatBotKitPartnerAdapter({ secret: 'sk', store: new MemoryStore({ name: 'tests' }) })
// @ts-expect-error the name is a string
new MemoryStore({ name: 5 })
// @ts-expect-error autoCreateUser is a boolean
ChatBotKitPartnerAdapter({ secret: 'sk', store: new MemoryStore(), autoCreateUser: 'yes' })

// NextAuth's Adapter type is really checked (it would accept anything if it resolved to `any`).
// @ts-expect-error getUser takes a string id
void tuned.getUser?.(42)

// The provider shares the adapter's store for its send throttle.
const shared = new MemoryStore()
ChatBotKitEmailProvider({ store: shared, throttle: { perEmail: { max: 3, windowSeconds: 600 }, overall: { max: 1000, windowSeconds: 3600 } } })
ChatBotKitEmailProvider({ store: shared, throttle: { perEmail: false, overall: { max: 10, windowSeconds: 60 } } })
ChatBotKitEmailProvider({ throttle: false })
// @ts-expect-error a limit needs its window
ChatBotKitEmailProvider({ throttle: { perEmail: { max: 3 } } })
// @ts-expect-error `throttle: true` is not a thing: leave it out for the default
ChatBotKitEmailProvider({ throttle: true })
