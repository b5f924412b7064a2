// Every import of the original package works unchanged, through `import` and `require`, and both
// give the very same objects (one instance of the addon, whichever way it was loaded).
import { createRequire } from 'node:module'

import test from 'ava'

const require = createRequire(import.meta.url)

const PARTNER = ['ChatBotKitPartnerAdapter', 'ChatBotKitEmailProvider', 'Store', 'MemoryStore', 'RedisStore']
const CONTACT = ['ChatBotKitContactAdapter', 'ChatBotKitContactEmailProvider', 'ContactStore', 'ContactMemoryStore', 'RedisStore']

const ENTRIES = {
  '@chatbotkit/nextauth': [...new Set([...PARTNER, ...CONTACT])],
  '@chatbotkit/nextauth/index': [...new Set([...PARTNER, ...CONTACT])],
  '@chatbotkit/nextauth/partner': PARTNER,
  '@chatbotkit/nextauth/partner/adapter': ['ChatBotKitPartnerAdapter', 'Store', 'MemoryStore'],
  '@chatbotkit/nextauth/partner/provider': ['ChatBotKitEmailProvider'],
  '@chatbotkit/nextauth/contact': CONTACT,
  '@chatbotkit/nextauth/contact/adapter': ['ChatBotKitContactAdapter', 'ContactStore', 'ContactMemoryStore'],
  '@chatbotkit/nextauth/contact/provider': ['ChatBotKitContactEmailProvider'],
}

const root = require('@chatbotkit/nextauth')

for (const [entry, names] of Object.entries(ENTRIES)) {
  for (const specifier of [entry, `${entry}.js`]) {
    if (specifier === '@chatbotkit/nextauth.js') continue
    test(`import and require of ${specifier} give the original's exports`, async (t) => {
      const esm = await import(specifier)
      const cjs = require(specifier)
      for (const name of names) {
        t.is(typeof esm[name], 'function', `import { ${name} }`)
        t.is(esm[name], cjs[name], `${name} is one object`)
        t.is(esm[name], root[name], `${name} is the root's`)
      }
    })
  }
}

test('the providers are NextAuth email providers with 6-hex-character codes', async (t) => {
  const { ChatBotKitEmailProvider, ChatBotKitContactEmailProvider } = root
  for (const factory of [ChatBotKitEmailProvider, ChatBotKitContactEmailProvider]) {
    const sent = []
    const send = async (params) => void sent.push(params)
    const provider = factory({ sendVerificationRequest: send })
    t.like(provider, { id: 'email', type: 'email', name: 'Email', maxAge: 900 })
    // The sender NextAuth calls is the throttled one, in the provider and in the options it merges.
    t.is(provider.options.sendVerificationRequest, provider.sendVerificationRequest)
    await provider.sendVerificationRequest({ identifier: `${factory.name}@example.com`, token: 'abc123', url: 'u' })
    t.deepEqual(sent, [{ identifier: `${factory.name}@example.com`, token: 'abc123', url: 'u' }])
    t.truthy(provider.server)
    t.truthy(provider.from)
    const codes = new Set()
    for (let i = 0; i < 200; i++) {
      const code = await provider.generateVerificationToken()
      t.regex(code, /^[0-9a-f]{6}$/)
      codes.add(code)
    }
    t.true(codes.size > 190, 'codes are random')
    t.deepEqual(Object.keys(factory().options), ['sendVerificationRequest'], 'what was passed, with the throttled sender')
  }
})

test('the default sendVerificationRequest logs the code to the console', async (t) => {
  const logged = []
  const original = console.log
  console.log = (...args) => logged.push(args.join(' '))
  try {
    await root.ChatBotKitEmailProvider().sendVerificationRequest({ identifier: 'ann@example.com', token: 'abc123' })
  } finally {
    console.log = original
  }
  t.true(logged.some((line) => line.includes('abc123') && line.includes('ann@example.com')))
})
