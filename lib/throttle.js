// The send throttle: how many sign-in emails may leave per address, and overall, within a window.
// The provider asks it before the user's `sendVerificationRequest` runs. Counts live in the
// store the adapter uses (so every instance of the app shares them), else in this process.
'use strict'

const { ErrorCode, codedError } = require('./errors.js')

/** Stores that count natively (MemoryStore, RedisStore) answer this in one atomic step. */
const COUNT_SEND = Symbol.for('@chatbotkit/nextauth.countSend')

const DEFAULT_THROTTLE = Object.freeze({ perEmail: Object.freeze({ max: 5, windowSeconds: 900 }) })
const MAX_WINDOW_SECONDS = 7 * 24 * 60 * 60

function invalid(message) {
  return codedError(`ChatBotKitEmailProvider: ${message}`, ErrorCode.INVALID_ARGUMENT, TypeError)
}

function limit(throttle, name) {
  const value = throttle[name]
  if (value === undefined || value === false) return null
  const ok = value !== null && typeof value === 'object'
  const max = ok ? value.max : undefined
  const windowSeconds = ok ? value.windowSeconds : undefined
  if (!Number.isInteger(max) || max < 1 || max > 1_000_000) {
    throw invalid(`\`throttle.${name}.max\` must be a whole number of sends from 1 to 1000000`)
  }
  if (!Number.isInteger(windowSeconds) || windowSeconds < 1 || windowSeconds > MAX_WINDOW_SECONDS) {
    throw invalid(`\`throttle.${name}.windowSeconds\` must be a whole number of seconds from 1 to ${MAX_WINDOW_SECONDS}`)
  }
  return { max, windowMs: windowSeconds * 1000 }
}

/** The limits `throttle` asks for: `undefined` is the default, `false` none. */
function throttleLimits(throttle) {
  if (throttle === false) return []
  const options = throttle === undefined ? DEFAULT_THROTTLE : throttle
  if (options === null || typeof options !== 'object') {
    throw invalid('`throttle` must be `false` or `{ perEmail?: { max, windowSeconds }, overall?: { max, windowSeconds } }`')
  }
  for (const key of Object.keys(options)) {
    if (key !== 'perEmail' && key !== 'overall') throw invalid(`\`throttle.${key}\` is unknown; the limits are \`perEmail\` and \`overall\``)
  }
  const limits = []
  const perEmail = limit(options, 'perEmail')
  if (perEmail) limits.push({ ...perEmail, perEmail: true })
  const overall = limit(options, 'overall')
  if (overall) limits.push({ ...overall, perEmail: false })
  return limits
}

/** The counts of one process, for a provider given no store. Entries expire with their window. */
const processCounts = new Map()

function countInProcess(key, max, windowMs) {
  const now = Date.now()
  if (processCounts.size > 10_000) {
    for (const [k, entry] of processCounts) if (entry.until <= now) processCounts.delete(k)
  }
  let entry = processCounts.get(key)
  if (!entry || entry.until <= now) {
    entry = { count: 0, until: now + windowMs }
    processCounts.set(key, entry)
  }
  if (entry.count >= max) return entry.until - now
  entry.count++
  return 0
}

/**
 * Counts a send in a store written in JS (a `Store` subclass, `@vercel/kv`): a get, then a set of
 * `{ count, until }` (so the window holds even where `px` is ignored). Not one atomic step: two
 * sends at the same instant may count once.
 */
async function countInStore(store, key, max, windowMs) {
  const now = Date.now()
  let value = await store.get(key)
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value)
    } catch {
      value = null
    }
  }
  const live = value !== null && typeof value === 'object' && Number.isFinite(value.until) && value.until > now
  const count = live && Number.isInteger(value.count) ? value.count : 0
  const until = live ? value.until : now + windowMs
  if (count >= max) return until - now
  await store.set(key, { count: count + 1, until }, { px: Math.max(1, until - now) })
  return 0
}

/** The store key of an address's count: a SHA-256 of the address, never the address. */
async function emailKey(identifier) {
  const normalized = String(identifier).trim().toLowerCase()
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(normalized))
  const hex = Array.from(new Uint8Array(digest).subarray(0, 16), (byte) => byte.toString(16).padStart(2, '0')).join('')
  // The braces make the key a Redis Cluster hash tag of its own.
  return `sendThrottle:{${hex}}`
}

/**
 * The throttle for a provider's options: `check(identifier)` resolves when a send may go, else
 * rejects with `TOO_MANY_REQUESTS` and `retryAfter` (seconds). `null` when switched off.
 */
function sendThrottle({ store, throttle } = {}) {
  const limits = throttleLimits(throttle)
  if (limits.length === 0) return null
  if (store !== undefined && (store === null || typeof store !== 'object' || typeof store.get !== 'function' || typeof store.set !== 'function')) {
    throw invalid('`store` must be the store the adapter uses (an object with async get and set)')
  }
  const count =
    store === undefined
      ? async (key, max, windowMs) => countInProcess(key, max, windowMs)
      : typeof store[COUNT_SEND] === 'function'
        ? (key, max, windowMs) => store[COUNT_SEND](key, max, windowMs)
        : (key, max, windowMs) => countInStore(store, key, max, windowMs)
  return {
    async check(identifier) {
      for (const { max, windowMs, perEmail } of limits) {
        const key = perEmail ? await emailKey(identifier) : 'sendThrottle:overall'
        const waitMs = await count(key, max, windowMs)
        if (waitMs > 0) {
          const retryAfter = Math.max(1, Math.ceil(waitMs / 1000))
          const error = codedError(
            `Too many sign-in emails requested ${perEmail ? 'for this address' : 'in all'}; a new one can be sent in ${retryAfter} s`,
            ErrorCode.TOO_MANY_REQUESTS,
          )
          error.retryAfter = retryAfter
          throw error
        }
      }
    },
  }
}

module.exports = { COUNT_SEND, sendThrottle }
