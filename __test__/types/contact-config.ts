// The original package's Contact README config, type-checked against next-auth v4's types.
import type { NextAuthOptions } from 'next-auth'

import {
  ChatBotKitContactAdapter,
  ChatBotKitContactEmailProvider,
  ContactMemoryStore,
  ContactStore,
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
