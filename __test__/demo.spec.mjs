// The demo in a real browser: headless Chromium (Debian's, driven by playwright-core) signs in
// through `npm run demo`'s pages — email, the code printed in the terminal, the user page — and
// sees a wrong code refused. Screenshots of each page go to build/screenshots/.
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import test from 'ava'
import { chromium } from 'playwright-core'

import { freePort } from './fixtures/redis.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const SHOTS = fileURLToPath(new URL('../build/screenshots/', import.meta.url))

function startDemo(port) {
  const env = { ...process.env, PORT: String(port) }
  delete env.CHATBOTKIT_API_SECRET
  delete env.REDIS_URL
  const child = spawn(process.execPath, ['demo/server.mjs'], { cwd: root, env })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  const waitFor = async (pattern, after = 0) => {
    for (let i = 0; i < 400; i++) {
      const match = pattern.exec(output.slice(after))
      if (match) return match
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
    throw new Error(`the demo never printed ${pattern}:\n${output}`)
  }
  return { child, waitFor, get length() { return output.length } }
}

test('the demo signs a user in through its pages, and refuses a wrong code', async (t) => {
  t.timeout(90_000)
  const found = spawnSync(CHROMIUM, ['--version'])
  if (found.error) throw new Error(`Chromium is not installed at ${CHROMIUM}: run \`apt-get install chromium\` (or set CHROMIUM_PATH)`)
  mkdirSync(SHOTS, { recursive: true })
  const port = await freePort()
  const demo = startDemo(port)
  t.teardown(() => demo.child.kill('SIGINT'))
  await demo.waitFor(new RegExp(`http://localhost:${port}`))

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  t.teardown(() => browser.close())
  const page = await browser.newPage({ viewport: { width: 720, height: 640 } })

  const requestCode = async (email) => {
    const before = demo.length
    await page.fill('#email', email)
    await page.click('button[type=submit]')
    await page.waitForURL(/\/verify\?email=/)
    const [, code] = await demo.waitFor(/Verification code for \S+: ([0-9a-f]{6})/, before)
    return code
  }

  await page.goto(`http://localhost:${port}/`)
  t.is(await page.textContent('h1'), 'Sign in')
  await page.screenshot({ path: `${SHOTS}1-sign-in.png` })

  const code = await requestCode('demo@example.com')
  t.is(await page.textContent('h1'), 'Check your email')
  await page.screenshot({ path: `${SHOTS}2-code.png` })

  await page.fill('#token', code)
  await page.click('button[type=submit]')
  await page.waitForSelector('#user')
  t.is(await page.textContent('h1'), 'Signed in')
  const shown = await page.textContent('#user')
  t.regex(shown, /usr_1/)
  t.regex(shown, /demo@example\.com/)
  t.regex(shown, /Demo User/)
  await page.screenshot({ path: `${SHOTS}3-signed-in.png` })

  await page.click('text=Sign out')
  await page.waitForSelector('#email')
  const secondCode = await requestCode('demo@example.com')
  await page.fill('#token', secondCode === '000000' ? '000001' : '000000')
  await page.click('button[type=submit]')
  await page.waitForSelector('.error')
  t.regex(await page.textContent('.error'), /wrong, used or expired/)
  await page.screenshot({ path: `${SHOTS}4-wrong-code.png` })
})
