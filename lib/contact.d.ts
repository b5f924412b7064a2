// Types of @chatbotkit/nextauth/contact.
export { ChatBotKitContactAdapter, ChatBotKitContactEmailProvider, ContactStore, ContactMemoryStore } from '../index.js'
export type * from '../index.js'
