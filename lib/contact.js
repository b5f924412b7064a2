// @chatbotkit/nextauth/contact: the Contact adapter (Contacts of one ChatBotKit account), its provider and stores.
'use strict'

const { ChatBotKitContactAdapter, ChatBotKitContactEmailProvider, ContactStore, ContactMemoryStore, RedisStore } = require('#nextauth')

module.exports = { ChatBotKitContactAdapter, ChatBotKitContactEmailProvider, ContactStore, ContactMemoryStore, RedisStore }
