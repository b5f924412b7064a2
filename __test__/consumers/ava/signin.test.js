// A user's ava suite, run in ava's default worker threads: a sign-in against the fake API.
import test from 'ava'

import { ChatBotKitPartnerAdapter, MemoryStore } from '@chatbotkit/nextauth'

const adapter = () => ChatBotKitPartnerAdapter({ secret: process.env.CBK_SECRET, store: new MemoryStore(), baseUrl: process.env.CBK_BASE_URL })

test('signs a user in with an emailed code', async (t) => {
  const signIn = adapter()
  const user = await signIn.getUserByEmail('ann@example.com')
  t.true(user.emailVerified instanceof Date)
  await signIn.createVerificationToken({ identifier: user.email, token: 'c0de03', expires: new Date(Date.now() + 60_000) })
  t.like(await signIn.useVerificationToken({ identifier: user.email, token: 'c0de03' }), { token: 'c0de03' })
  t.is((await signIn.updateUser({ id: user.id, emailVerified: new Date() })).name, 'Ann')
})

test('a refusal is an Error', async (t) => {
  await t.throwsAsync(adapter().createUser({ email: 'new@example.com' }), { instanceOf: Error, message: 'Cannot create new user' })
})
