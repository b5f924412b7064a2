// The NextAuth email provider: 6-character codes from a cryptographic RNG (Web Crypto, so the
// same file serves Node.js and edge runtimes), 15 minutes to use them.
'use strict'

const { ErrorCode, codedError } = require('./errors.js')
const { sendThrottle } = require('./throttle.js')

const LOG_PREFIX = '[@chatbotkit/nextauth]'

/** Code lifetime in seconds. */
const MAX_AGE = 15 * 60

/** Six lowercase hex characters: three random bytes. */
function generateVerificationToken() {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(3))
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')
}

/**
 * The default sender: prints the code, outside production only. In production it refuses, so a
 * forgotten `sendVerificationRequest` never puts codes (sign-ins) into the logs.
 */
async function printCode({ identifier, token }) {
  if (typeof process !== 'undefined' && process.env?.NODE_ENV === 'production') {
    throw codedError(
      'ChatBotKitEmailProvider: set the `sendVerificationRequest` option to email the sign-in code; ' +
        'the default only prints codes to the console, and not with NODE_ENV=production',
      ErrorCode.INVALID_ARGUMENT,
    )
  }
  console.log(`${LOG_PREFIX} verification code for ${identifier}: ${token} (the default sendVerificationRequest; set your own to email it)`)
}

function emailProvider(options) {
  const given = options === undefined || options === null ? {} : options
  const { store, throttle, ...rest } = given
  const limiter = sendThrottle({ store, throttle })
  const send = typeof rest.sendVerificationRequest === 'function' ? rest.sendVerificationRequest : printCode
  function sendVerificationRequest(params) {
    const sent = (async () => {
      if (limiter) await limiter.check(params?.identifier)
      return send(params)
    })()
    // Auth.js starts the send and awaits it only after hashing the token: a refusal before then
    // must not count as an unhandled rejection (which ends a plain Node.js process). The caller
    // still sees it.
    sent.catch(() => {})
    return sent
  }
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
    ...rest,
    sendVerificationRequest,
    // NextAuth merges `options` over the provider: the throttled sender goes there too, and the
    // store (merged property by property it would be copied apart) stays out.
    options: { ...rest, sendVerificationRequest },
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
