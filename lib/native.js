// Loads the native addon, and says why when it cannot. It is loaded through Node's own `require`
// even when this package is bundled (Next.js server code, webpack or Turbopack): a bundler must
// not see the .node file, or it fails to build ("Module parse failed") or cannot resolve the
// platform package at run time. Next's output file tracing does not follow that require out of a
// shared server chunk, so `output: 'standalone'` needs the one `outputFileTracingIncludes` line
// the error below names (and the README shows).
'use strict'

const PACKAGE = '@chatbotkit/nextauth'

/** The generated napi-rs loader (binding.js), which picks the platform's binary. */
function requireBinding() {
  // webpack knows `typeof __webpack_require__` while it builds, so it drops the other branch
  // unread; `__non_webpack_require__` becomes Node's require of the bundle file, left as it is.
  if (typeof __webpack_require__ === 'function') {
    return __non_webpack_require__('@chatbotkit/nextauth/binding')
  } else {
    // Plain Node.js (the package requires itself by name), and Turbopack, which leaves this call
    // to Node.js at run time.
    return require(/* turbopackIgnore: true */ '@chatbotkit/nextauth/binding')
  }
}

/** Whether this module runs from a bundle rather than from its file in node_modules. */
function isBundled() {
  if (typeof __webpack_require__ === 'function') return true
  // Turbopack (and other bundlers) give a bundled module a made-up `__filename` (/ROOT/…).
  return typeof __filename === 'string' && !require('node:fs').existsSync(__filename)
}

/** The platform name of the binary this process needs, as in `@chatbotkit/nextauth-<abi>`. */
function platformAbi() {
  const { platform, arch } = process
  if (platform === 'win32') return `${platform}-${arch}-msvc`
  if (platform !== 'linux') return `${platform}-${arch}`
  const glibc = process.report?.getReport?.().header?.glibcVersionRuntime
  return `${platform}-${arch}${glibc ? '-gnu' : '-musl'}`
}

/**
 * The platforms a binary is published for, from the targets in package.json's `napi` field (the
 * list the release builds; the platform packages become optional dependencies only at publish).
 */
function publishedAbis() {
  const ARCH = { x86_64: 'x64', aarch64: 'arm64' }
  const OS = { linux: 'linux', darwin: 'darwin', windows: 'win32' }
  return require('../package.json').napi.targets.map((triple) => {
    const [arch, , os, abi] = triple.split('-')
    return [OS[os], ARCH[arch], abi].filter(Boolean).join('-')
  })
}

function loadError(cause) {
  const abi = platformAbi()
  const expected = `${PACKAGE}-${abi}`
  let why
  if (isBundled()) {
    why =
      'This package runs from a bundle (Next.js bundles server code with webpack or Turbopack) and loads its ' +
      `native part at run time from node_modules beside the bundle, where Node.js found no ${PACKAGE}/binding or ` +
      `no prebuilt binary (${expected}). With \`output: 'standalone'\` (or another traced deployment), add ` +
      `\`outputFileTracingIncludes: { '/**/*': ['./node_modules/${PACKAGE}*/**/*'] }\` to next.config so ` +
      'the build copies them; otherwise deploy node_modules with the server.'
  } else {
    const supported = publishedAbis()
    why = supported.includes(abi)
      ? `The package ${expected} (its prebuilt binary) is not installed: npm skips optional dependencies ` +
        'with --no-optional or --omit=optional, with a lock file made on another platform (npm/cli#4828), ' +
        `or when its version differs from ${PACKAGE}. Reinstall without those, or add it: npm install ${expected}.`
      : `No prebuilt binary is published for ${abi} (there are: ${supported.join(', ')}).`
  }
  return new Error(
    `${PACKAGE} cannot load its native addon on ${abi}. ${why} ` +
      'To build it from source instead: install Rust (https://rustup.rs) and run `npm install && npm run build` ' +
      `in a clone of this package's repository, then set NAPI_RS_NATIVE_LIBRARY_PATH to the nextauth.${abi}.node it builds.`,
    { cause },
  )
}

/** The native addon; when it cannot load, an error that says why and what to do. */
function loadNative() {
  try {
    return requireBinding()
  } catch (error) {
    throw loadError(error)
  }
}

module.exports = { loadNative, platformAbi }
