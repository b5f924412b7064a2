// @chatbotkit/nextauth/contact for `import`: the same objects as `require` gives.
import root from '../index.js'

export const { ChatBotKitContactAdapter, ChatBotKitContactEmailProvider, ContactStore, ContactMemoryStore, RedisStore } = root
