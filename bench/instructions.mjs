// N getUserByEmail calls (env N, default 2000) at 64 in flight against the bench's fake API, for
// counting instructions, which are steadier than rounds of calls/s on a shared 2-core machine:
//
//   N=2000 valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.a node bench/instructions.mjs
//   N=6000 valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.b node bench/instructions.mjs
//
// (the fake runs outside valgrind); the difference of the two "Collected" totals ÷ 4,000 is one
// call's user-space instructions, JS thread and the addon's runtime thread together.
// NAPI_RS_NATIVE_LIBRARY_PATH=<file> compares another build of the addon.
import { ChatBotKitPartnerAdapter, MemoryStore } from '@chatbotkit/nextauth'

import { SECRET } from './fake-api.mjs'
import { startFake } from './measure.mjs'

const N = Number(process.env.N ?? 2000)
const fake = await startFake(1)
try {
  const adapter = ChatBotKitPartnerAdapter({ secret: SECRET, store: new MemoryStore(), baseUrl: fake.url, retries: 0 })
  let left = N
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (left-- > 0) {
        if ((await adapter.getUserByEmail('ann@example.com'))?.id !== 'usr_1') throw new Error('getUserByEmail missed the bench user')
      }
    }),
  )
} finally {
  fake.stop()
}
