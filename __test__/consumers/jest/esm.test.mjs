// A Jest user's ESM suite: the same sign-in through `import`, with Dates and Errors of Jest's realm.
import { ChatBotKitPartnerAdapter, MemoryStore } from '@chatbotkit/nextauth'

const adapter = () => ChatBotKitPartnerAdapter({ secret: process.env.CBK_SECRET, store: new MemoryStore(), baseUrl: process.env.CBK_BASE_URL })

test('signs a user in with an emailed code (ESM)', async () => {
  const signIn = adapter()
  const user = await signIn.getUserByEmail('ann@example.com')
  expect(user.emailVerified instanceof Date).toBe(true)
  await signIn.createVerificationToken({ identifier: user.email, token: 'c0de02', expires: new Date(Date.now() + 60_000) })
  const used = await signIn.useVerificationToken({ identifier: user.email, token: 'c0de02' })
  expect(used.expires instanceof Date).toBe(true)
  expect(await signIn.useVerificationToken({ identifier: user.email, token: 'c0de02' })).toBeNull()
})

test('a refusal is an Error of this realm (ESM)', async () => {
  const error = await adapter().deleteUser('usr_1').catch((e) => e)
  expect(error instanceof Error).toBe(true)
  expect(error.message).toBe('Cannot delete existing user')
})
