// @chatbotkit/nextauth/contact for `import`: the same objects as `require` gives.
import root from '#nextauth'

export const { ChatBotKitContactAdapter, ChatBotKitContactEmailProvider, ContactStore, ContactMemoryStore, RedisStore } = root
