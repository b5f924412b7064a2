// Loads the native addon, and says why when it cannot. Node.js itself loads it (its `require`, or
// `process.dlopen` for the copy a webpack build carries) even when this package is bundled
// (Next.js server code, webpack or Turbopack): a bundler must not take the .node file for a module,
// or it fails to build ("Module parse failed") or cannot resolve the platform package at run time. A traced deployment (Next.js `output: 'standalone'`, Vercel) must
// still carry the binary without node_modules, and each bundler is shown it its own way:
// - webpack: Next's tracer drops what a shared server chunk requires, but keeps a chunk's assets.
//   The platform package's binary.mjs names the binary with `new URL(…, import.meta.url)`, which
//   webpack copies into the server output (never a public path); the bundle loads that copy.
// - Turbopack: its tracer copies the files that an `fs` call names through `path.join(__dirname,
//   …)`, with node_modules' layout kept, so Node's require finds the binding beside the server.
'use strict'

const PACKAGE = '@chatbotkit/nextauth'

/** The generated napi-rs loader (binding.js), which picks the platform's binary. */
function requireBinding() {
  // webpack knows `typeof __webpack_require__` while it builds, so it drops the other branch
  // unread; `__non_webpack_require__` becomes Node's require of the bundle file, left as it is.
  if (typeof __webpack_require__ === 'function') {
    // The override binding.js honours wins here too, even where node_modules is not deployed.
    const override = process.env.NAPI_RS_NATIVE_LIBRARY_PATH
    if (override) return __non_webpack_require__(override)
    // The name is built at run time so that Next's tracer does not copy node_modules' binary
    // beside the emitted one: a standalone build would carry it twice.
    return emittedBinary() ?? __non_webpack_require__([PACKAGE, 'binding'].join('/'))
  } else {
    traceForTurbopack()
    // Plain Node.js (the package requires itself by name), and Turbopack, which leaves this call
    // to Node.js at run time.
    return require(/* turbopackIgnore: true */ '@chatbotkit/nextauth/binding')
  }
}

/**
 * In a webpack bundle: the addon from the copy of this platform's binary webpack emitted, or
 * undefined when there is none. The path is relative to this folder so webpack reads the folder
 * of platform packages (in npm's and pnpm's layouts alike) and takes only those installed: no
 * warning for the others.
 */
function emittedBinary() {
  let url
  try {
    url = require(/* turbopackIgnore: true */ '../../nextauth-' + platformAbi() + '/binary.mjs').default
  } catch {
    return undefined
  }
  const file = emittedFile(String(url))
  if (!file) return undefined
  const addon = { exports: {} }
  process.dlopen(addon, file)
  return addon.exports
}

/**
 * Where webpack put an asset whose URL is `url`: Next.js gives server assets a public-path URL
 * (/_next/static/media/…) and writes them under its server output folder, which holds this bundle
 * file (or its `chunks` folder does).
 */
function emittedFile(url) {
  if (url.startsWith('file:')) return require('node:url').fileURLToPath(url)
  const { existsSync } = require('node:fs')
  const { dirname, join } = require('node:path')
  const at = url.indexOf('static/media/')
  if (at < 0) return undefined
  const asset = url.slice(at)
  for (let dir = __dirname; ; dir = dirname(dir)) {
    for (const file of [join(dir, asset), join(dir, 'chunks', asset)]) {
      if (existsSync(file)) return file
    }
    if (dirname(dir) === dir) return undefined
  }
}

/**
 * Names, for Turbopack's tracer, the files a bundled server needs at run time: the binding, the
 * package.json files Node resolves it through, and the installed platform package's binary. At
 * run time it is four `existsSync` calls, once (in a Turbopack bundle on made-up /ROOT/… paths).
 */
function traceForTurbopack() {
  const { existsSync } = require('node:fs')
  const { join } = require('node:path')
  const abi = platformAbi()
  const platform = '../../nextauth-' + abi
  existsSync(join(__dirname, '../package.json'))
  existsSync(join(__dirname, '../binding.js'))
  existsSync(join(__dirname, platform + '/package.json'))
  existsSync(join(__dirname, platform + '/nextauth.' + abi + '.node'))
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
      'This package runs from a bundle (Next.js bundles server code with webpack or Turbopack), and the build ' +
      `carried no prebuilt binary (${expected}) for this platform: it takes the binaries installed where it builds. ` +
      `When the server runs on another platform than the build (a Docker image, a serverless host), run ` +
      `npm install ${expected} before building. If it was installed, add ` +
      `\`outputFileTracingIncludes: { '/**/*': ['./node_modules/${PACKAGE}*/**/*'] }\` to next.config, or deploy ` +
      'node_modules with the server.'
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
