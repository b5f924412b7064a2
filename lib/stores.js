// The store classes users construct: the `Store` base class, and `MemoryStore` / `RedisStore`,
// whose work is done by a native store (`binding.NativeStore`). Built over a binding, so the edge
// entry builds the same classes over its stand-in.
'use strict'

const { ErrorCode, codedError, illFormed, localError, nativeCall, notWellFormed } = require('./errors.js')
const { COUNT_SEND } = require('./throttle.js')

/** The name of the memory map every `new MemoryStore()` in a process shares. */
const DEFAULT_MEMORY_NAME = 'default'

const STORE_METHODS = ['get', 'set', 'del', 'getdel']

/** A class that also works when called without `new`, as the original's did not need it either. */
function callable(Class) {
  return new Proxy(Class, {
    apply: (Target, _this, args) => new Target(...args),
  })
}

function memoryName(options) {
  if (options === undefined || options === null) return DEFAULT_MEMORY_NAME
  const name = typeof options === 'object' ? options.name : undefined
  if (name === undefined) return DEFAULT_MEMORY_NAME
  if (typeof name !== 'string' || name === '') {
    throw codedError('MemoryStore: option `name` must be a non-empty string', ErrorCode.INVALID_ARGUMENT, TypeError)
  }
  return name
}

/** The rejection for a key that is not a string the native side keeps as it is, else `undefined`. */
function badKey(key) {
  if (typeof key !== 'string') return Promise.reject(codedError('`key` must be a string', ErrorCode.INVALID_ARGUMENT, TypeError))
  return illFormed(key) ? notWellFormed('key') : undefined
}

/**
 * A stored value from its JSON text: `JSON.parse` keeps a `__proto__` key an own property, where
 * setting it property by property would change the object's prototype. Text another Redis client
 * wrote that is not JSON comes back as it is.
 */
function fromText(text) {
  if (text === null || text === undefined) return null
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

function storeClasses(binding) {
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
      return badKey(key) ?? nativeCall(() => this.#native.get(key), fromText)
    }

    set(key, value, options) {
      if (options !== undefined && options !== null && typeof options !== 'object') {
        return Promise.reject(codedError('`options` must be an object such as `{ px: 60000 }`', ErrorCode.INVALID_ARGUMENT, TypeError))
      }
      let json
      try {
        json = JSON.stringify(value)
      } catch {}
      if (json === undefined) {
        return Promise.reject(codedError('`value` must be JSON: objects, arrays, strings, finite numbers, booleans or null', ErrorCode.INVALID_ARGUMENT, TypeError))
      }
      return badKey(key) ?? nativeCall(() => this.#native.set(key, json, options))
    }

    del(key) {
      return badKey(key) ?? nativeCall(() => this.#native.del(key))
    }

    /** Reads and removes the value under `key` in one atomic step. */
    getdel(key) {
      return badKey(key) ?? nativeCall(() => this.#native.getdel(key), fromText)
    }

    /**
     * The send throttle's count (see throttle.js), in one atomic step: resolves with 0 when the send
     * is counted, else with the milliseconds until one may go.
     */
    [COUNT_SEND](key, max, windowMs) {
      return nativeCall(() => this.#native.countSend(key, max, windowMs))
    }
  }

  /**
   * Keeps values in this process's memory, each for its `px` milliseconds. Every MemoryStore of one
   * `name` (default: 'default') in a process shares its entries, so a store made again when a dev
   * server re-evaluates the auth module still holds the codes issued before. Not for production.
   */
  class MemoryStore extends NativeBackedStore {
    constructor(options) {
      super(binding.NativeStore.memory(memoryName(options)))
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

  return {
    Store,
    NativeBackedStore,
    MemoryStore: callable(MemoryStore),
    RedisStore: callable(RedisStore),
    ContactStore,
    ContactMemoryStore: callable(ContactMemoryStore),
  }
}

module.exports = { storeClasses }
