// @chatbotkit/nextauth/partner for `import`: the same objects as `require` gives.
import root from '#nextauth'

export const { ChatBotKitPartnerAdapter, ChatBotKitEmailProvider, Store, MemoryStore, RedisStore } = root
