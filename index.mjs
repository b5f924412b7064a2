// ESM entry: the same objects as the CommonJS entry, so `import` and `require` share one instance
// (on edge runtimes, '#nextauth' resolves to the edge entry instead).
import cjs from '#nextauth'

export const {
  ChatBotKitPartnerAdapter,
  ChatBotKitEmailProvider,
  Store,
  MemoryStore,
  ChatBotKitContactAdapter,
  ChatBotKitContactEmailProvider,
  ContactStore,
  ContactMemoryStore,
  RedisStore,
  ErrorCode,
} = cjs
