// Types of @chatbotkit/nextauth/contact.
export { ChatBotKitContactAdapter, ChatBotKitContactEmailProvider, ContactStore, ContactMemoryStore, RedisStore } from '../index.js'
export type * from '../index.js'
