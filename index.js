// The JS face of @chatbotkit/nextauth, kept thin: factories callable without `new`, adapter
// methods that work detached from their object, the `Store` base class, and Dates and Errors made
// in the caller's realm. HTTP, JSON, token rules and stores are Rust (src/), loaded from binding.js.
'use strict'

const binding = loadBinding()

const LOG_PREFIX = '[@chatbotkit/nextauth]'

/** The native addon; when no prebuilt binary fits, an error that says which and what to do. */
function loadBinding() {
  try {
    return require('./binding.js')
  } catch (error) {
    const { platform, arch } = process
    const libc = platform === 'linux' ? (process.report?.getReport?.().header?.glibcVersionRuntime ? '-gnu' : '-musl') : ''
    const abi = platform === 'win32' ? `${platform}-${arch}-msvc` : `${platform}-${arch}${libc}`
    const { optionalDependencies = {} } = require('./package.json')
    const expected = `@chatbotkit/nextauth-${abi}`
    const supported = Object.keys(optionalDependencies).map((name) => name.replace('@chatbotkit/nextauth-', ''))
    const why = supported.includes(abi)
      ? `The package ${expected} (its prebuilt binary) is not installed: npm skips optional dependencies ` +
        'with --no-optional or --omit=optional, with a lock file made on another platform (npm/cli#4828), ' +
        'or when its version differs from @chatbotkit/nextauth. Reinstall without those, or add it: ' +
        `npm install ${expected}.`
      : `No prebuilt binary is published for ${abi} (there are: ${supported.join(', ')}).`
    throw new Error(
      `@chatbotkit/nextauth cannot load its native addon on ${abi}. ${why} ` +
        'To build it from source instead: install Rust (https://rustup.rs) and run `npm install && npm run build` ' +
        `in a clone of this package's repository, then set NAPI_RS_NATIVE_LIBRARY_PATH to the nextauth.${abi}.node it builds.`,
      { cause: error },
    )
  }
}

/** Base class for token stores: extend it and implement `get`, `set` and `del`. */
class Store {
  async get(key) {
    throw new Error('Not implemented')
  }

  async set(key, value, options) {
    throw new Error('Not implemented')
  }

  async del(key) {
    throw new Error('Not implemented')
  }
}

/** A class that also works when called without `new`, as the original's did not need it either. */
function callable(Class) {
  return new Proxy(Class, {
    apply: (Target, _this, args) => new Target(...args),
  })
}

const STORE_METHODS = ['get', 'set', 'del', 'getdel']

/** A Store whose work is native — in memory or in Redis; MemoryStore and RedisStore pick which. */
class NativeBackedStore extends Store {
  #native

  constructor(native) {
    super()
    this.#native = native
  }

  /**
   * The native store behind `store` when the adapter may use it directly, with no call into JS:
   * a MemoryStore or RedisStore whose class overrides none of the store methods.
   */
  static fastPath(store) {
    if (store === null || typeof store !== 'object' || !(#native in store)) return undefined
    const proto = Object.getPrototypeOf(store)
    const own = NativeBackedStore.prototype
    return STORE_METHODS.every((method) => proto[method] === own[method]) ? store.#native : undefined
  }

  static native(store) {
    return store.#native
  }

  get(key) {
    return nativeCall(() => this.#native.get(key))
  }

  set(key, value, options) {
    return nativeCall(() => this.#native.set(key, value, options))
  }

  del(key) {
    return nativeCall(() => this.#native.del(key))
  }

  /** Reads and removes the value under `key` in one atomic step. */
  getdel(key) {
    return nativeCall(() => this.#native.getdel(key))
  }
}

/** Keeps values in this process's memory, each for its `px` milliseconds. Not for production. */
class MemoryStore extends NativeBackedStore {
  constructor() {
    super(binding.NativeStore.memory())
  }

  /** How many entries the store holds (expired ones may count until they are swept). */
  get size() {
    return NativeBackedStore.native(this).size
  }
}

/** A token store in Redis shared by every instance of the app: one server, or a Cluster. */
class RedisStore extends NativeBackedStore {
  constructor(options) {
    let native
    try {
      native = binding.NativeStore.redis(options)
    } catch (error) {
      throw localError(error)
    }
    super(native)
  }

  /** Closes the pool's connections; later calls reject. Not needed for the process to exit. */
  close() {
    NativeBackedStore.native(this).close()
  }
}

/** Base class for the Contact adapter's stores; the same contract as `Store`. */
class ContactStore extends Store {
  // A ContactMemoryStore is a MemoryStore, yet it is a ContactStore too.
  static [Symbol.hasInstance](value) {
    return Function.prototype[Symbol.hasInstance].call(this, value) || (this === ContactStore && value instanceof ContactMemoryStore)
  }
}

/** `MemoryStore` for the Contact adapter. Not for production. */
class ContactMemoryStore extends MemoryStore {}

/** Runs a native store call; its failure becomes an `Error` of this realm. */
async function nativeCall(call) {
  try {
    return await call()
  } catch (error) {
    throw localError(error)
  }
}

/** An `Error` of this realm with the native error's message and `code`. */
function localError(error) {
  if (error === null || typeof error !== 'object') {
    return new Error(String(error))
  }
  const local = new Error(error.message)
  if (error.code !== undefined) {
    local.code = error.code
  }
  return local
}

function rejection(message, code) {
  return async () => {
    const error = new Error(message)
    error.code = code
    throw error
  }
}

/** A shallow copy with `Date` fields as epoch ms (an invalid Date becomes `null`). */
function toWire(value) {
  if (value === null || typeof value !== 'object') {
    return value
  }
  const wire = {}
  for (const [key, field] of Object.entries(value)) {
    if (field instanceof Date || Object.prototype.toString.call(field) === '[object Date]') {
      const ms = field.getTime()
      wire[key] = Number.isNaN(ms) ? null : ms
    } else {
      wire[key] = field
    }
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
    const error = new TypeError(
      `${adapterName}: option \`store\` is required: pass an object with async get, set and del ` +
        '(new MemoryStore(), a class that extends Store, @vercel/kv, @upstash/redis)',
    )
    error.code = 'INVALID_ARGUMENT'
    throw error
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

function nativeAdapter(kind, adapterName, options) {
  if (options === null || typeof options !== 'object') {
    const error = new TypeError(`${adapterName}: pass an options object with \`secret\` and \`store\``)
    error.code = 'INVALID_ARGUMENT'
    throw error
  }
  const { store } = options
  try {
    const native = NativeBackedStore.fastPath(store)
    if (native) {
      return binding.NativeAdapter.withNativeStore(kind, options, native)
    }
    return binding.NativeAdapter.withJsStore(kind, options, storeFunctions(adapterName, store))
  } catch (error) {
    throw error instanceof TypeError ? error : localError(error)
  }
}

/** What the `DEBUG` log shows of a call's argument: never a verification token. */
function loggable(method, arg) {
  if (method.endsWith('VerificationToken') && arg && typeof arg === 'object') {
    return { identifier: arg.identifier, token: '[redacted]' }
  }
  return arg
}

/** NextAuth's adapter object over a native adapter; every method works detached. */
function adapterObject(native, adapterName) {
  const call = async (method, arg, revive) => {
    if (process.env.DEBUG) {
      console.debug(LOG_PREFIX, `${adapterName}.${method}`, loggable(method, arg))
    }
    return revive(await nativeCall(() => native[method](toWire(arg))))
  }
  const user = (value) => withDate(value, 'emailVerified')
  const token = (value) => withDate(value, 'expires')
  const nothing = () => undefined
  const noAccounts = rejection('Account linking not supported', 'NOT_SUPPORTED')
  const noSessions = rejection('Database strategy not supported', 'NOT_SUPPORTED')
  const adapter = {
    createUser: (data) => call('createUser', data, user),
    getUser: (id) => call('getUser', id, user),
    getUserByEmail: (email) => call('getUserByEmail', email, user),
    updateUser: (data) => call('updateUser', data, user),
    deleteUser: (id) => call('deleteUser', id, nothing),
    createVerificationToken: (data) => call('createVerificationToken', data, token),
    useVerificationToken: (params) => call('useVerificationToken', params, token),
    getUserByAccount: noAccounts,
    linkAccount: noAccounts,
    unlinkAccount: noAccounts,
    createSession: noSessions,
    getSessionAndUser: noSessions,
    updateSession: noSessions,
    deleteSession: noSessions,
  }
  adapter.getAdapter = legacyAdapter(adapter, noAccounts, noSessions)
  return adapter
}

/**
 * The NextAuth v3 adapter protocol over the same adapter: `getAdapter(appOptions)` resolves with
 * v3's methods. v3 leaves hashing the code and sending the email to the adapter, and reads a
 * code (getVerificationRequest) before deleting it (deleteVerificationRequest): the read consumes
 * it, so a code still works once, atomically, and the delete has nothing left to do.
 */
function legacyAdapter(adapter, noAccounts, noSessions) {
  const hashed = (token, secret) => require('node:crypto').createHash('sha256').update(`${token}${secret}`).digest('hex')
  return async function getAdapter(appOptions = {}) {
    return {
      createUser: (profile) => adapter.createUser(profile),
      getUser: (id) => adapter.getUser(id),
      getUserByEmail: async (email) => (email ? adapter.getUserByEmail(email) : null),
      getUserByProviderAccountId: noAccounts,
      getUserByCredentials: async () => null,
      updateUser: (user) => adapter.updateUser(user),
      deleteUser: (id) => adapter.deleteUser(id),
      linkAccount: noAccounts,
      unlinkAccount: noAccounts,
      createSession: noSessions,
      getSession: noSessions,
      updateSession: noSessions,
      deleteSession: noSessions,
      async createVerificationRequest(identifier, url, token, secret, provider) {
        const expires = new Date(Date.now() + (provider?.maxAge ?? 24 * 60 * 60) * 1000)
        await adapter.createVerificationToken({ identifier, token: hashed(token, secret), expires })
        await provider.sendVerificationRequest({ identifier, url, token, baseUrl: appOptions.baseUrl, provider })
      },
      async getVerificationRequest(identifier, token, secret) {
        return adapter.useVerificationToken({ identifier, token: hashed(token, secret) })
      },
      async deleteVerificationRequest() {},
    }
  }
}

/** NextAuth adapter keeping users as ChatBotKit Partner API users (one sub-account each). */
function ChatBotKitPartnerAdapter(options) {
  return adapterObject(nativeAdapter('partner', 'ChatBotKitPartnerAdapter', options), 'ChatBotKitPartnerAdapter')
}

/** NextAuth adapter keeping users as Contacts of one ChatBotKit account. */
function ChatBotKitContactAdapter(options) {
  return adapterObject(nativeAdapter('contact', 'ChatBotKitContactAdapter', options), 'ChatBotKitContactAdapter')
}

/** NextAuth email provider that signs users in with 6-character codes. */
function ChatBotKitEmailProvider(options) {
  return emailProvider(options)
}

/** The same provider, under the name the Contact adapter's docs use. */
function ChatBotKitContactEmailProvider(options) {
  return emailProvider(options)
}

function emailProvider(options = {}) {
  return {
    id: 'email',
    type: 'email',
    name: 'Email',
    // NextAuth's email provider type wants these; the adapter never uses them.
    server: { host: 'localhost', port: 25, auth: { user: '', pass: '' } },
    from: 'NextAuth <no-reply@localhost>',
    maxAge: 15 * 60,
    async generateVerificationToken() {
      return require('node:crypto').randomBytes(3).toString('hex')
    },
    async sendVerificationRequest({ identifier, token }) {
      console.log(`${LOG_PREFIX} verification code for ${identifier}: ${token}`)
    },
    ...options,
    options,
  }
}

module.exports = {
  ChatBotKitPartnerAdapter,
  ChatBotKitEmailProvider,
  Store,
  MemoryStore: callable(MemoryStore),
  ChatBotKitContactAdapter,
  ChatBotKitContactEmailProvider,
  ContactStore,
  ContactMemoryStore: callable(ContactMemoryStore),
  RedisStore: callable(RedisStore),
}
