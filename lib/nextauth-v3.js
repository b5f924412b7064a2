// NextAuth v3's adapter protocol over the same adapter: `adapter.getAdapter(appOptions)` resolves
// with v3's methods. Node.js only (v3 hashes codes with node:crypto, as its adapters did).
'use strict'

const { ErrorCode, rejection } = require('./errors.js')

/** v3 stores a code hashed with the NextAuth secret; so does this protocol. */
function hashed(token, secret) {
  return require('node:crypto').createHash('sha256').update(`${token}${secret}`).digest('hex')
}

/**
 * Adds `getAdapter` to `adapter`. v3 leaves hashing the code and sending the email to the
 * adapter, and reads a code (getVerificationRequest) before deleting it
 * (deleteVerificationRequest): the read consumes it, so a code still works once, atomically, and
 * the delete has nothing left to do.
 */
function withNextAuthV3(adapter) {
  const noAccounts = rejection('Account linking not supported', ErrorCode.NOT_SUPPORTED)
  const noSessions = rejection('Database strategy not supported', ErrorCode.NOT_SUPPORTED)
  adapter.getAdapter = async function getAdapter(appOptions = {}) {
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
      // v3's email callback reads the session of a signed-in user's cookie even with JWT sessions;
      // there are no database sessions, so there is none to find (rejecting ended on error=Callback).
      getSession: async () => null,
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
  return adapter
}

module.exports = { withNextAuthV3 }
