// Types of @chatbotkit/nextauth/partner.
export { ChatBotKitPartnerAdapter, ChatBotKitEmailProvider, Store, MemoryStore, RedisStore } from '../index.js'
export type * from '../index.js'
