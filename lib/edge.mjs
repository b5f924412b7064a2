// @chatbotkit/nextauth on edge runtimes, for `import`: the same objects as `require` gives.
import edge from './edge.js'

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
} = edge
