// The original package's Contact README config, type-checked against next-auth v4's types.
import type { NextAuthOptions } from 'next-auth'

import {
  ChatBotKitContactAdapter,
  ChatBotKitContactEmailProvider,
  ContactMemoryStore,
  ContactStore,
  RedisStore,
} from '@chatbotkit/nextauth/contact'

declare function sendEmail(message: { to: string; subject: string; text: string }): Promise<void>

const nextAuthConfig: NextAuthOptions = {
  adapter: ChatBotKitContactAdapter({
    secret: process.env.CHATBOTKIT_API_SECRET as string,
    // Use Redis or another persistent store in production
    store: new ContactMemoryStore(),
    // Control contact lifecycle
    autoCreateContact: true,
    autoUpdateContact: true,
    autoDeleteContact: false,
  }),
  providers: [
    ChatBotKitContactEmailProvider({
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

// A user's own store, extending the base class.
export class FileStore extends ContactStore {
  override async get(key: string) {
    return key
  }
}

// The shared store for several instances, by URL or by options.
export const redisAdapter = ChatBotKitContactAdapter({
  secret: 'sk',
  store: new RedisStore({ url: 'rediss://user:pw@cache.example:6380/0', keyPrefix: 'app:', commandTimeout: 2000 }),
})
export const clusterStore = new RedisStore({ nodes: ['redis://10.0.0.1:7000', 'redis://10.0.0.2:7000'] })
export const localStore: RedisStore = new RedisStore(process.env.REDIS_URL)
export const sentinelStore = new RedisStore({ sentinels: [{ host: '10.0.0.1', port: 26379 }, 'redis://10.0.0.2:26379'], name: 'mymaster', password: process.env.REDIS_PASSWORD, sentinelPassword: 'sentinel-pw' })
