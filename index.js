// @chatbotkit/nextauth for Node.js: the package's exports over the native addon, with NextAuth
// v3's protocol on every adapter. Each concern has its own file in lib/: loading the addon
// (native.js), the store classes (stores.js), the adapter object (adapter.js), the v3 protocol
// (nextauth-v3.js), the email provider (provider.js); edge runtimes get lib/edge.js instead.
'use strict'

const { packageExports } = require('./lib/exports.js')
const { loadNative } = require('./lib/native.js')
const { withNextAuthV3 } = require('./lib/nextauth-v3.js')

module.exports = packageExports(loadNative(), withNextAuthV3)
