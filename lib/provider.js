// The NextAuth email provider: 6-character codes from a cryptographic RNG (Web Crypto, so the
// same file serves Node.js and edge runtimes), 15 minutes to use them.
'use strict'

const LOG_PREFIX = '[@chatbotkit/nextauth]'

/** Code lifetime in seconds. */
const MAX_AGE = 15 * 60

/** Six lowercase hex characters: three random bytes. */
function generateVerificationToken() {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(3))
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')
}

function emailProvider(options = {}) {
  return {
    id: 'email',
    type: 'email',
    name: 'Email',
    // NextAuth's email provider type wants these; the adapter never uses them.
    server: { host: 'localhost', port: 25, auth: { user: '', pass: '' } },
    from: 'NextAuth <no-reply@localhost>',
    maxAge: MAX_AGE,
    async generateVerificationToken() {
      return generateVerificationToken()
    },
    async sendVerificationRequest({ identifier, token }) {
      console.log(`${LOG_PREFIX} verification code for ${identifier}: ${token}`)
    },
    ...options,
    options,
  }
}

/** NextAuth email provider that signs users in with 6-character codes. */
function ChatBotKitEmailProvider(options) {
  return emailProvider(options)
}

/** The same provider, under the name the Contact adapter's docs use. */
function ChatBotKitContactEmailProvider(options) {
  return emailProvider(options)
}

module.exports = { ChatBotKitEmailProvider, ChatBotKitContactEmailProvider, LOG_PREFIX }
