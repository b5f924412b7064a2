// @chatbotkit/nextauth on edge runtimes (Next.js middleware, Vercel Edge, Cloudflare Workers),
// which cannot load native addons. The same exports, so an auth config imported by middleware
// builds and JWT sessions are read there; providers work in full, and anything that needs the
// native side (adapter methods, store calls) rejects with an error that names the Node.js runtime.
'use strict'

const { ErrorCode, codedError } = require('./errors.js')
const { packageExports } = require('./exports.js')

function needsNode(what) {
  return codedError(
    `@chatbotkit/nextauth: ${what} needs the Node.js runtime, and this code runs on an edge runtime ` +
      "(Next.js middleware, or a route with `export const runtime = 'edge'`), which cannot load native addons. " +
      'Call it from Node.js code: a route handler, server action or server component on the default runtime. ' +
      'Middleware can still read JWT sessions (`session: { strategy: "jwt" }`): that needs no adapter call.',
    ErrorCode.NOT_SUPPORTED,
  )
}

const rejecting = (what) => async () => {
  throw needsNode(what)
}

/** A native store's shape, every call rejecting. */
function storeStandIn(name) {
  return {
    get: rejecting(`${name}.get`),
    set: rejecting(`${name}.set`),
    del: rejecting(`${name}.del`),
    getdel: rejecting(`${name}.getdel`),
    countSend: rejecting(`${name} (the send throttle)`),
    size: 0,
    close() {},
  }
}

const ADAPTER_METHODS = ['createUser', 'updateUser']
const BOUND_FUNCTIONS = ['getUser', 'getUserByEmail', 'deleteUser', 'createVerificationToken', 'useVerificationToken']

/** A native adapter's shape, every method rejecting. */
function adapterStandIn(kind) {
  const name = kind === 'contact' ? 'ChatBotKitContactAdapter' : 'ChatBotKitPartnerAdapter'
  const rejectingEach = (methods) => Object.fromEntries(methods.map((method) => [method, rejecting(`${name}.${method}`)]))
  return { ...rejectingEach(ADAPTER_METHODS), functions: () => rejectingEach(BOUND_FUNCTIONS), unknownOptions: [] }
}

/** The native binding's shape (binding.d.ts) for runtimes that cannot load it. */
const edgeBinding = {
  NativeStore: {
    memory: () => storeStandIn('MemoryStore'),
    redis: () => storeStandIn('RedisStore'),
  },
  NativeAdapter: {
    withNativeStore: (kind) => adapterStandIn(kind),
    withJsStore: (kind) => adapterStandIn(kind),
  },
}

/** NextAuth v3's `getAdapter`, which the Node.js entry adds (lib/nextauth-v3.js), rejecting too. */
const withGetAdapter = (adapter) => Object.assign(adapter, { getAdapter: rejecting('getAdapter (NextAuth v3)') })

module.exports = packageExports(edgeBinding, withGetAdapter)
