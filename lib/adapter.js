// The adapter object NextAuth calls: every method works detached from the object, arguments go
// to the native adapter with Dates as epoch ms, and answers come back with Dates of this realm.
// Built over a binding, so the edge entry builds the same adapters over its stand-in.
'use strict'

const { ErrorCode, codedError, illFormed, localError, nativeCall, notWellFormed, rejection, rethrowLocal } = require('./errors.js')
const { LOG_PREFIX } = require('./provider.js')

const isDate = (value) => value instanceof Date || Object.prototype.toString.call(value) === '[object Date]'

/** A `Date` (of any realm) as epoch ms (a number is taken as ms); anything else as `null`. */
function epochMs(value) {
  if (typeof value === 'number') return value
  if (!isDate(value)) return null
  const ms = value.getTime()
  return Number.isNaN(ms) ? null : ms
}

/** A shallow copy with `Date` fields as epoch ms (an invalid Date becomes `null`). */
function toWire(value) {
  if (value === null || typeof value !== 'object') {
    return value
  }
  const wire = {}
  for (const [key, field] of Object.entries(value)) {
    wire[key] = isDate(field) ? epochMs(field) : field
  }
  return wire
}

function withDate(value, key) {
  if (value !== null && value !== undefined && typeof value[key] === 'number') {
    value[key] = new Date(value[key])
  }
  return value ?? null
}

/** A user's store as functions that always return Promises and need no `this`. */
function storeFunctions(adapterName, store) {
  const ok = store !== null && typeof store === 'object' && ['get', 'set', 'del'].every((m) => typeof store[m] === 'function')
  if (!ok) {
    throw codedError(
      `${adapterName}: option \`store\` is required: pass an object with async get, set and del ` +
        '(new MemoryStore(), a class that extends Store, @vercel/kv, @upstash/redis)',
      ErrorCode.INVALID_ARGUMENT,
      TypeError,
    )
  }
  return {
    get: async (key) => (await store.get(key)) ?? null,
    set: async (key, value, options) => {
      await store.set(key, value, options)
    },
    del: async (key) => {
      await store.del(key)
    },
    getdel: typeof store.getdel === 'function' ? async (key) => (await store.getdel(key)) ?? null : undefined,
  }
}

/** What the `DEBUG` log shows of a call's argument: never a verification token. */
function loggable(method, arg) {
  if (method.endsWith('VerificationToken') && arg && typeof arg === 'object') {
    return { identifier: arg.identifier, token: '[redacted]' }
  }
  return arg
}

const debugging = () => typeof process !== 'undefined' && Boolean(process.env?.DEBUG)

/** NextAuth's adapter object over a native adapter; every method works detached. */
function adapterObject(native, adapterName) {
  // Read once: the environment is read through a slow getter, and DEBUG is set at start.
  const debug = debugging()
  const call = (method, arg, revive, invoke = () => native[method](toWire(arg))) => {
    if (debug) {
      console.debug(LOG_PREFIX, `${adapterName}.${method}`, loggable(method, arg))
    }
    return nativeCall(invoke, revive)
  }
  // The hot methods are plain native functions bound to this adapter (the cheapest crossing). The
  // token methods take the fields as plain arguments (only what the native side reads crosses)
  // and answer only the `expires` ms of an accepted code: the token object NextAuth expects is
  // built here, from the arguments.
  const bound = native.functions()
  const tokenAnswer = (identifier, token) => (ms) => (ms === null || ms === undefined ? null : { identifier, token, expires: new Date(ms) })
  // A token call whose answer came at once (a MemoryStore's) takes no closure and no extra call.
  const tokenCall = (identifier, token, answered) => {
    if (typeof answered?.then === 'function') {
      return answered.then(tokenAnswer(identifier, token), rethrowLocal)
    }
    return Promise.resolve(answered === null || answered === undefined ? null : { identifier, token, expires: new Date(answered) })
  }
  // A token method: its identifier and code checked here, then `invoke(identifier, token, arg)`.
  const tokenMethod = (method, invoke) => (arg) => {
    const identifier = arg?.identifier
    const token = arg?.token
    if (illFormed(identifier)) return notWellFormed('identifier')
    if (illFormed(token)) return notWellFormed('token')
    if (debug) console.debug(LOG_PREFIX, `${adapterName}.${method}`, loggable(method, arg))
    let answered
    try {
      answered = invoke(identifier, token, arg)
    } catch (error) {
      return Promise.reject(localError(error))
    }
    return tokenCall(identifier, token, answered)
  }
  // A user crosses as JSON text: JSON.parse builds it faster than Node-API can, property by property.
  const user = (text) => withDate(text === null ? null : JSON.parse(text), 'emailVerified')
  const nothing = () => undefined
  const noAccounts = rejection('Account linking not supported', ErrorCode.NOT_SUPPORTED)
  const noSessions = rejection('Database strategy not supported', ErrorCode.NOT_SUPPORTED)
  return {
    createUser: (data) => call('createUser', data, user),
    getUser: (id) => (illFormed(id) ? notWellFormed('id') : call('getUser', id, user, () => bound.getUser(id))),
    getUserByEmail: (email) => (illFormed(email) ? notWellFormed('email') : call('getUserByEmail', email, user, () => bound.getUserByEmail(email))),
    updateUser: (data) => call('updateUser', data, user),
    deleteUser: (id) => (illFormed(id) ? notWellFormed('id') : call('deleteUser', id, nothing, () => bound.deleteUser(id))),
    createVerificationToken: tokenMethod('createVerificationToken', (identifier, token, data) =>
      bound.createVerificationToken(identifier, token, epochMs(data?.expires)),
    ),
    useVerificationToken: tokenMethod('useVerificationToken', (identifier, token) => bound.useVerificationToken(identifier, token)),
    getUserByAccount: noAccounts,
    linkAccount: noAccounts,
    unlinkAccount: noAccounts,
    createSession: noSessions,
    getSessionAndUser: noSessions,
    updateSession: noSessions,
    deleteSession: noSessions,
  }
}

/** The unknown options already warned about in this process, as `AdapterName option`. */
const warned = new Set()

/**
 * Warns once per process about each adapter option the adapter does not know: the original ignored
 * them, so they are not refused, but a typo (`autoCreateUsers`) should not go unnoticed.
 */
function warnUnknownOptions(adapterName, names) {
  for (const name of names ?? []) {
    const key = `${adapterName} ${name}`
    if (warned.has(key) || typeof process === 'undefined' || typeof process.emitWarning !== 'function') continue
    warned.add(key)
    process.emitWarning(`${adapterName}: option \`${name}\` is unknown and ignored; check its spelling against the README's options table`, {
      code: 'CHATBOTKIT_NEXTAUTH_UNKNOWN_OPTION',
    })
  }
}

/**
 * `ChatBotKitPartnerAdapter` and `ChatBotKitContactAdapter` over `binding.NativeAdapter`;
 * `extend(adapter)` may add methods (the Node entry adds NextAuth v3's `getAdapter`).
 */
function adapterFactories(binding, NativeBackedStore, extend = (adapter) => adapter) {
  function create(kind, adapterName, options) {
    if (options === null || typeof options !== 'object') {
      throw codedError(`${adapterName}: pass an options object with \`secret\` and \`store\``, ErrorCode.INVALID_ARGUMENT, TypeError)
    }
    const { store } = options
    let native
    try {
      const nativeStore = NativeBackedStore.fastPath(store)
      native = nativeStore
        ? binding.NativeAdapter.withNativeStore(kind, options, nativeStore)
        : binding.NativeAdapter.withJsStore(kind, options, storeFunctions(adapterName, store))
    } catch (error) {
      throw error instanceof TypeError ? error : localError(error)
    }
    warnUnknownOptions(adapterName, native.unknownOptions)
    return extend(adapterObject(native, adapterName))
  }

  /** NextAuth adapter keeping users as ChatBotKit Partner API users (one sub-account each). */
  function ChatBotKitPartnerAdapter(options) {
    return create('partner', 'ChatBotKitPartnerAdapter', options)
  }

  /** NextAuth adapter keeping users as Contacts of one ChatBotKit account. */
  function ChatBotKitContactAdapter(options) {
    return create('contact', 'ChatBotKitContactAdapter', options)
  }

  return { ChatBotKitPartnerAdapter, ChatBotKitContactAdapter }
}

module.exports = { adapterFactories }
