// @chatbotkit/nextauth/partner: the Partner adapter (ChatBotKit Partner API users), its provider and stores.
'use strict'

const { ChatBotKitPartnerAdapter, ChatBotKitEmailProvider, Store, MemoryStore, RedisStore } = require('#nextauth')

module.exports = { ChatBotKitPartnerAdapter, ChatBotKitEmailProvider, Store, MemoryStore, RedisStore }
