// @chatbotkit/nextauth/partner for `import`: the same objects as `require` gives.
import root from '../index.js'

export const { ChatBotKitPartnerAdapter, ChatBotKitEmailProvider, Store, MemoryStore, RedisStore } = root
