// ESM entry: the same objects as the CommonJS entry, so `import` and `require` share one instance.
import cjs from './index.js'

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
} = cjs
