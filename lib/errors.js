// Errors as users see them: always an `Error` of the caller's realm with a stable `code`, whether
// it was made here or crossed over from the native side.
'use strict'

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
 * one resolved Promise: no async frame, no extra turn.
 */
function nativeCall(call, revive = (value) => value) {
  let result
  try {
    result = call()
  } catch (error) {
    return Promise.reject(localError(error))
  }
  if (typeof result?.then === 'function') {
    return result.then(revive, rethrowLocal)
  }
  return Promise.resolve(revive(result))
}

/** An async function that always rejects with `codedError(message, code)`. */
function rejection(message, code) {
  return async () => {
    throw codedError(message, code)
  }
}

module.exports = { codedError, localError, nativeCall, rejection }
