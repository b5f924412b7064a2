// The App Router examples as a user gets them: each installed from the packed tarballs into a
// folder of its own, built with `next build` (webpack, then Turbopack) with no ChatBotKit secret in
// the environment, served, and signed into with Chromium — the right code reaches the user's page,
// a wrong code and a reused code are refused. The v4 example also signs in on a cold `next dev`
// and from `output: 'standalone'` builds (webpack, Turbopack, and webpack with the package in
// `serverExternalPackages`) with no other config, each copied to another folder and run with the
// app's own node_modules/@chatbotkit removed; the v5 example's middleware (edge runtime) guards its
// page.
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import test from 'ava'

import { launchChromium } from './fixtures/browser.mjs'
import { SECRET, startFakeApi } from './fixtures/fake-api.mjs'
import { installPacked, packedForTests } from './fixtures/pack.mjs'
import { run, startProcess } from './fixtures/process.mjs'
import { freePort } from './fixtures/redis.mjs'

const examples = fileURLToPath(new URL('../examples/', import.meta.url))

/** Standalone output, and nothing else: the build must carry the binary by itself. */
const STANDALONE = {
  webpack: { bundler: 'webpack', config: `export default { output: 'standalone' }\n` },
  turbopack: { bundler: 'turbopack', config: `export default { output: 'standalone' }\n` },
  external: {
    bundler: 'webpack',
    config: `export default { output: 'standalone', serverExternalPackages: ['@chatbotkit/nextauth'] }\n`,
  },
}

const packed = packedForTests(test)
let api
test.before(async () => {
  api = await startFakeApi({ seed: { 'partner/user': [{ email: 'ann@example.com', name: 'Ann' }] } })
})
test.after.always(() => api?.close())

/**
 * The environment of `next build`: no ChatBotKit secret, as in a CI or `docker build` step; no
 * NODE_ENV (ava sets `test`; Next picks production or development itself).
 */
function buildEnv() {
  const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1' }
  for (const name of ['CHATBOTKIT_API_SECRET', 'CHATBOTKIT_BASE_URL', 'REDIS_URL', 'NODE_OPTIONS', 'NODE_ENV', 'SMTP_URL']) delete env[name]
  return env
}

/** The environment of the running app: the fake ChatBotKit API, NextAuth's and Auth.js's secrets. */
function runEnv(port) {
  return {
    ...buildEnv(),
    PORT: String(port),
    HOSTNAME: '127.0.0.1',
    CHATBOTKIT_API_SECRET: SECRET,
    CHATBOTKIT_BASE_URL: api.url,
    NEXTAUTH_URL: `http://localhost:${port}`,
    NEXTAUTH_SECRET: 'example-nextauth-secret-for-tests-only',
    AUTH_SECRET: 'example-nextauth-secret-for-tests-only',
    AUTH_TRUST_HOST: 'true',
  }
}

async function build(t, dir, bundler) {
  rmSync(join(dir, '.next'), { recursive: true, force: true })
  const args = ['next', 'build', ...(bundler === 'turbopack' ? ['--turbopack'] : [])]
  const started = Date.now()
  const { code, output } = await run('npx', args, { cwd: dir, env: buildEnv(), deadline: 300_000 })
  if (code !== 0) throw new Error(`next build (${bundler}) failed:\n${output}`)
  t.log(`next build (${bundler}) without CHATBOTKIT_API_SECRET: ${((Date.now() - started) / 1000).toFixed(1)} s`)
  return output
}

/** Serves the app (`next start`, `next dev` or a standalone server.js) and waits until it listens. */
async function serve(t, dir, command, env = {}) {
  const port = await freePort()
  const [bin, ...args] =
    command === 'standalone' ? [process.execPath, 'server.js'] : ['npx', 'next', command, '-p', String(port), '-H', '127.0.0.1']
  const server = startProcess(t, bin, args, { cwd: dir, env: { ...runEnv(port), ...env }, deadline: 120_000 })
  await server.waitFor(/Ready in|Listening on|started server on/i)
  server.url = `http://localhost:${port}`
  return server
}

/** The .node files under `dir`, relative to it. */
function nodeFiles(dir) {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { recursive: true }).filter((file) => file.endsWith('.node'))
}

/** Waits until the page's scripts have loaded (hydrated), as a user's first click would on a slow dev server. */
async function settled(page) {
  await page.waitForLoadState('networkidle')
}

/** Asks for a code on /signin and returns it, read from the server's console as the example prints it. */
async function requestCode(page, server, email) {
  const before = server.output.length
  await settled(page)
  await page.fill('#email', email)
  await page.click('button[type=submit]')
  await page.waitForURL(/\/verify\?email=/, { timeout: 60_000 })
  const [, code] = await server.waitFor(new RegExp(`code for ${email.replace(/[.+]/g, '\\$&')}: ([0-9a-f]{6})`), before)
  return code
}

async function enterCode(page, code) {
  await settled(page)
  await page.fill('#token', code)
  await page.click('button[type=submit]')
}

/**
 * The user's way through the app: a code signs them in and their page shows the ChatBotKit user;
 * after signing out, a wrong code and the used code are refused.
 */
async function signInAsAUser(t, server, email) {
  const browser = await launchChromium(t)
  const page = await browser.newPage()
  const seen = []
  page.on('console', (message) => message.type() === 'error' && seen.push(`console: ${message.text()}`))
  page.on('response', (response) => response.status() >= 400 && seen.push(`${response.status()} ${response.url()}`))
  page.on('requestfailed', (request) => seen.push(`failed: ${request.url()} ${request.failure()?.errorText}`))
  try {
    await walkThrough(t, server, page, email)
  } catch (error) {
    error.message += `\n--- what the browser saw:\n${seen.join('\n')}\n--- the server's output:\n${server.output.slice(-6000)}`
    throw error
  } finally {
    await browser.close()
  }
}

async function walkThrough(t, server, page, email) {
  page.setDefaultTimeout(60_000)
  await page.goto(`${server.url}/`)
  await page.waitForURL(/\/signin/)
  const code = await requestCode(page, server, email)
  await enterCode(page, code)
  await page.waitForSelector('#user')
  t.regex(await page.textContent('#user'), new RegExp(email.replace(/[.+]/g, '\\$&')))

  await settled(page)
  await page.click('text=Sign out')
  await page.waitForURL(/\/signin/)
  const second = await requestCode(page, server, email)
  await enterCode(page, second === '000000' ? '000001' : '000000')
  await page.waitForURL(/error=Verification/)
  t.regex(await page.textContent('.error'), /wrong, used or expired/)
  await page.goto(`${server.url}/verify?email=${encodeURIComponent(email)}`)
  await enterCode(page, code)
  await page.waitForURL(/error=Verification/)
  t.regex(await page.textContent('.error'), /wrong, used or expired/, 'a used code is refused')
  await page.goto(`${server.url}/verify?email=${encodeURIComponent(email)}`)
  await enterCode(page, second)
  await page.waitForSelector('#user')
}

test.serial('App Router + NextAuth v4 (partner): next build with webpack and Turbopack, next start, next dev, standalone with no config line', async (t) => {
  t.timeout(25 * 60_000)
  const dir = await installPacked(t, join(examples, 'nextjs-v4-partner'), packed)

  for (const bundler of ['webpack', 'turbopack']) {
    await build(t, dir, bundler)
    const server = await serve(t, dir, 'start')
    await signInAsAUser(t, server, `v4-${bundler}@example.com`)
    process.kill(-server.child.pid, 'SIGKILL')
  }
  t.truthy(api.data['partner/user'].size >= 3, 'the sign-ins created partner users')

  // A cold dev server compiles each route on its first request and evaluates auth.ts again; the
  // codes issued before must still be accepted after.
  rmSync(join(dir, '.next'), { recursive: true, force: true })
  const dev = await serve(t, dir, 'dev')
  await signInAsAUser(t, dev, 'v4-dev@example.com')
  process.kill(-dev.child.pid, 'SIGKILL')

  // output: 'standalone' with no other config: each build copied elsewhere, then run with
  // node server.js once the app's own copy of the package is gone.
  const deployed = {}
  for (const [name, { bundler, config }] of Object.entries(STANDALONE)) {
    writeFileSync(join(dir, 'next.config.mjs'), config)
    const output = await build(t, dir, bundler)
    const ours = output.split('\n').filter((line) => /chatbotkit|nextauth-|binary\.mjs|Module not found|Critical dependency/i.test(line))
    t.deepEqual(ours, [], `${name}: no build warning from this package`)
    t.deepEqual(nodeFiles(join(dir, '.next', 'static')), [], `${name}: no binary under the public .next/static`)
    deployed[name] = mkdtempSync(join(tmpdir(), `cbk-standalone-${name}-`))
    t.teardown(() => rmSync(deployed[name], { recursive: true, force: true }))
    cpSync(join(dir, '.next', 'standalone'), deployed[name], { recursive: true })
    cpSync(join(dir, '.next', 'static'), join(deployed[name], '.next', 'static'), { recursive: true })
    const binaries = nodeFiles(deployed[name]).filter((file) => /(^|\/)nextauth\.[^/]*\.node$/.test(file))
    t.log(`${name}: the standalone output carries ${binaries.join(', ')}`)
    t.is(binaries.length, 1, `${name}: one copy of the binary in the standalone output`)
  }
  rmSync(join(dir, 'node_modules', '@chatbotkit'), { recursive: true, force: true })
  // NAPI_RS_NATIVE_LIBRARY_PATH still wins over the binary the build carried.
  const overridden = await serve(t, deployed.webpack, 'standalone', { NAPI_RS_NATIVE_LIBRARY_PATH: '/nonexistent/nextauth.node' })
  t.is((await fetch(`${overridden.url}/api/auth/providers`)).status, 500)
  await overridden.waitFor(/cannot load its native addon/)
  t.regex(overridden.output, /\/nonexistent\/nextauth\.node/)
  process.kill(-overridden.child.pid, 'SIGKILL')
  for (const name of Object.keys(STANDALONE)) {
    const standalone = await serve(t, deployed[name], 'standalone')
    await signInAsAUser(t, standalone, `v4-standalone-${name}@example.com`)
    process.kill(-standalone.child.pid, 'SIGKILL')
  }
})

test.serial('App Router + Auth.js v5 (contact): next build with webpack and Turbopack, middleware on the edge runtime, next start', async (t) => {
  t.timeout(15 * 60_000)
  const dir = await installPacked(t, join(examples, 'nextjs-v5-contact'), packed)
  for (const bundler of ['webpack', 'turbopack']) {
    const output = await build(t, dir, bundler)
    t.regex(output, /Middleware/, 'the middleware was built')
    const server = await serve(t, dir, 'start')
    // The middleware (not the page) answers a signed-out visit: its redirect carries callbackUrl.
    const response = await fetch(`${server.url}/`, { redirect: 'manual' })
    t.is(response.status, 307)
    t.regex(response.headers.get('location') ?? '', /\/signin\?callbackUrl=/)
    await signInAsAUser(t, server, `v5-${bundler}@example.com`)
    process.kill(-server.child.pid, 'SIGKILL')
  }
  const contacts = [...api.data.contact.values()]
  t.true(contacts.some((contact) => contact.meta?.email === 'v5-webpack@example.com'), 'the sign-in created the contact')
})
