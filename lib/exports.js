// What the package exports, built over a binding: the native addon (index.js, Node.js) or the
// edge stand-in (edge.js). Both entries export exactly these names.
'use strict'

const { adapterFactories } = require('./adapter.js')
const { ErrorCode } = require('./errors.js')
const { ChatBotKitEmailProvider, ChatBotKitContactEmailProvider } = require('./provider.js')
const { storeClasses } = require('./stores.js')

function packageExports(binding, extendAdapter) {
  const { Store, NativeBackedStore, MemoryStore, RedisStore, ContactStore, ContactMemoryStore } = storeClasses(binding)
  const { ChatBotKitPartnerAdapter, ChatBotKitContactAdapter } = adapterFactories(binding, NativeBackedStore, extendAdapter)
  return {
    ChatBotKitPartnerAdapter,
    ChatBotKitEmailProvider,
    Store,
    MemoryStore,
    ChatBotKitContactAdapter,
    ChatBotKitContactEmailProvider,
    ContactStore,
    ContactMemoryStore,
    RedisStore,
    ErrorCode,
  }
}

module.exports = { packageExports }
