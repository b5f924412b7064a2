// The demo in a real browser: headless Chromium (Debian's, driven by playwright-core) signs in
// through `npm run demo`'s pages — email, the code printed in the terminal, the user page — and
// sees a wrong code refused. Screenshots of each page go to build/screenshots/.
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import test from 'ava'

import { launchChromium } from './fixtures/browser.mjs'
import { startProcess } from './fixtures/process.mjs'
import { freePort } from './fixtures/redis.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const SHOTS = fileURLToPath(new URL('../build/screenshots/', import.meta.url))

function startDemo(t, port) {
  const env = { ...process.env, PORT: String(port) }
  delete env.CHATBOTKIT_API_SECRET
  delete env.REDIS_URL
  return startProcess(t, process.execPath, ['demo/server.mjs'], { cwd: root, env, deadline: 10_000 })
}

test('the demo signs a user in through its pages, and refuses a wrong code', async (t) => {
  t.timeout(90_000)
  mkdirSync(SHOTS, { recursive: true })
  const port = await freePort()
  const demo = startDemo(t, port)
  await demo.waitFor(new RegExp(`http://localhost:${port}`))

  const browser = await launchChromium(t)
  const page = await browser.newPage({ viewport: { width: 720, height: 640 } })

  const requestCode = async (email) => {
    const before = demo.output.length
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
