// Errors as users see them: always an `Error` of the caller's realm with a stable `code`, whether
// it was made here or crossed over from the native side.
'use strict'

/**
 * Every stable `err.code` of the package (errors the ChatBotKit API answered with carry the API's
 * own code instead). The list is the native `ErrorCode` enum's; a test keeps the two equal, and
 * this copy serves the edge entry too, which cannot load the addon.
 */
const ErrorCode = Object.freeze(
  Object.fromEntries(
    [
      'INVALID_ARGUMENT',
      'NOT_ALLOWED',
      'NOT_SUPPORTED',
      'DUPLICATE',
      'NOT_FOUND',
      'TIMEOUT',
      'NETWORK_ERROR',
      'INVALID_RESPONSE',
      'STORE_ERROR',
      'REDIS_UNAVAILABLE',
      'TOO_MANY_REQUESTS',
      'INTERNAL',
    ].map((code) => [code, code]),
  ),
)

/** An `Error` (or `TypeError`, …) with `code`. */
function codedError(message, code, Type = Error) {
  const error = new Type(message)
  error.code = code
  return error
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

const rethrowLocal = (error) => {
  throw localError(error)
}

/**
 * Runs a native call (it may answer at once or with a Promise) and answers a Promise of
 * `revive(value)`; a failure becomes `localError`. A value answered at once (a MemoryStore's) is
 * one resolved Promise: no async frame, no extra turn. Node-API's own refusal of an argument it
 * cannot convert (a function, a symbol, a BigInt…) becomes INVALID_ARGUMENT, without quoting it.
 */
function nativeCall(call, revive = (value) => value) {
  let result
  try {
    result = call()
  } catch (error) {
    if (!isStableCode(error?.code)) {
      return Promise.reject(codedError('the argument must be JSON: objects, arrays, strings, finite numbers, booleans or null', ErrorCode.INVALID_ARGUMENT, TypeError))
    }
    return Promise.reject(localError(error))
  }
  if (typeof result?.then === 'function') {
    return result.then(revive, rethrowLocal)
  }
  return Promise.resolve(revive(result))
}

const STABLE_CODES = new Set(Object.values(ErrorCode))

/** Whether `code` is one of the package's own. */
const isStableCode = (code) => STABLE_CODES.has(code)

/**
 * Whether `value` is a string that would not reach the native side as it is: a lone surrogate
 * becomes U+FFFD there, so two different strings would meet as one (one email's code working for
 * another).
 */
const illFormed = (value) => typeof value === 'string' && !value.isWellFormed()

/** The rejection for an ill-formed string argument `name`. */
const notWellFormed = (name) =>
  Promise.reject(codedError(`\`${name}\` must be well-formed Unicode: it has a lone surrogate`, ErrorCode.INVALID_ARGUMENT, TypeError))

/** An async function that always rejects with `codedError(message, code)`. */
function rejection(message, code) {
  return async () => {
    throw codedError(message, code)
  }
}

module.exports = { ErrorCode, codedError, illFormed, localError, nativeCall, notWellFormed, rejection, rethrowLocal }
