// A Jest user's CommonJS suite: a sign-in against the fake API, with the package's Dates and
// Errors passing `instanceof` in Jest's own realm.
const { ChatBotKitPartnerAdapter, MemoryStore } = require('@chatbotkit/nextauth')

const adapter = () => ChatBotKitPartnerAdapter({ secret: process.env.CBK_SECRET, store: new MemoryStore(), baseUrl: process.env.CBK_BASE_URL })

test('signs a user in with an emailed code', async () => {
  const signIn = adapter()
  const user = await signIn.getUserByEmail('ann@example.com')
  expect(user.emailVerified instanceof Date).toBe(true)
  const expires = new Date(Date.now() + 60_000)
  await signIn.createVerificationToken({ identifier: user.email, token: 'c0de01', expires })
  const used = await signIn.useVerificationToken({ identifier: user.email, token: 'c0de01' })
  expect(used.expires instanceof Date).toBe(true)
  expect(used.expires.getTime()).toBe(expires.getTime())
  const updated = await signIn.updateUser({ id: user.id, emailVerified: new Date() })
  expect(updated.name).toBe('Ann')
})

test('a refusal is an Error of this realm', async () => {
  const error = await adapter().createUser({ email: 'new@example.com' }).catch((e) => e)
  expect(error instanceof Error).toBe(true)
  expect(error.message).toBe('Cannot create new user')
})
