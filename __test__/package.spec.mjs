// The package as users get it: the root tarball and the linux-x64-gnu platform package, installed
// into a clean project with no Rust toolchain on PATH, sign a user in with the prebuilt binary;
// and without a fitting binary, the error says which platform, which package, and what to do.
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { promisify } from 'node:util'

import test from 'ava'

import { BINARY, PLATFORM, packPackages, root } from './fixtures/pack.mjs'

const run = promisify(execFile)
/** PATH without any Rust toolchain: the install must not build anything. */
const NO_RUST_PATH = process.env.PATH.split(delimiter)
  .filter((dir) => !/cargo|rustup|rust/.test(dir))
  .join(delimiter)
const env = { ...process.env, PATH: NO_RUST_PATH, CARGO_HOME: '/nonexistent', RUSTUP_HOME: '/nonexistent' }

let packed
test.before(async () => {
  packed = await packPackages()
})
test.after.always(() => packed && rmSync(packed.dir, { recursive: true, force: true }))

function project(t, dependencies) {
  const dir = mkdtempSync(join(tmpdir(), 'cbk-user-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'user-app', private: true, dependencies }))
  return dir
}

test('the root tarball holds the JS face, types and loader, and no sources, tests or binaries', (t) => {
  const files = packed.root.files
  for (const file of ['package.json', 'README.md', 'index.js', 'index.mjs', 'index.d.ts', 'binding.js', 'binding.d.ts', 'lib/partner.js', 'lib/contact.mjs', 'lib/partner.d.ts']) {
    t.true(files.includes(file), file)
  }
  t.deepEqual(
    files.filter((f) => /^(src|target|__test__|npm|bench|examples)\/|\.node$|^Cargo\./.test(f)),
    [],
  )
  t.log(`root tarball: ${files.length} files, ${packed.root.size} bytes`)
})

test('the platform package holds only the stripped release binary (at most 8 MB) and binary.mjs naming it', (t) => {
  t.deepEqual(packed.platform.files.sort(), [BINARY, 'README.md', 'binary.mjs', 'package.json'].sort())
  for (const platform of readdirSync(join(root, 'npm'))) {
    const { files } = JSON.parse(readFileSync(join(root, 'npm', platform, 'package.json'), 'utf8'))
    t.deepEqual(files, [`nextauth.${platform}.node`, 'binary.mjs'], `npm/${platform} publishes its binary and binary.mjs`)
    const source = readFileSync(join(root, 'npm', platform, 'binary.mjs'), 'utf8')
    t.true(source.includes(`new URL('./nextauth.${platform}.node', import.meta.url)`), `npm/${platform}/binary.mjs names its own binary`)
  }
  const size = statSync(join(root, BINARY)).size
  t.log(`${BINARY}: ${(size / 1024 / 1024).toFixed(2)} MiB`)
  t.true(size <= 8 * 1024 * 1024, `${size} bytes`)
})

test('installed from the tarballs with no Rust on PATH, the prebuilt binary signs a user in', async (t) => {
  t.timeout(180_000)
  await t.throwsAsync(run('cargo', ['--version'], { env }), undefined, 'no cargo on this PATH')
  const dir = project(t, {
    '@chatbotkit/nextauth': `file:${packed.root.path}`,
    [`@chatbotkit/nextauth-${PLATFORM}`]: `file:${packed.platform.path}`,
  })
  await run('npm', ['install', '--no-audit', '--no-fund'], { cwd: dir, env })
  const script = `
    const { existsSync } = require('node:fs')
    const { ChatBotKitPartnerAdapter, MemoryStore } = require('@chatbotkit/nextauth')
    ;(async () => {
      const { SECRET, startFakeApi } = await import(${JSON.stringify(join(root, '__test__/fixtures/fake-api.mjs'))})
      const api = await startFakeApi({ seed: { 'partner/user': [{ email: 'ann@example.com', name: 'Ann' }] } })
      const adapter = ChatBotKitPartnerAdapter({ secret: SECRET, store: new MemoryStore(), baseUrl: api.url })
      const user = await adapter.getUserByEmail('ann@example.com')
      await adapter.createVerificationToken({ identifier: user.email, token: 'abc123', expires: new Date(Date.now() + 60000) })
      const used = await adapter.useVerificationToken({ identifier: user.email, token: 'abc123' })
      const updated = await adapter.updateUser({ id: user.id, emailVerified: new Date() })
      await api.close()
      console.log(JSON.stringify({
        signedIn: used !== null && updated.name === 'Ann',
        rootHasBinary: existsSync('node_modules/@chatbotkit/nextauth/${BINARY}'),
        platformBinary: require.resolve('@chatbotkit/nextauth-${PLATFORM}'),
      }))
    })()
  `
  const { stdout } = await run(process.execPath, ['-e', script], { cwd: dir, env })
  const result = JSON.parse(stdout)
  t.true(result.signedIn)
  t.false(result.rootHasBinary, 'the root package carries no binary')
  t.true(result.platformBinary.endsWith(join('node_modules', '@chatbotkit', `nextauth-${PLATFORM}`, BINARY)))
})

test('without the platform package, loading fails with the platform, the package and the way out', async (t) => {
  t.timeout(180_000)
  const dir = project(t, { '@chatbotkit/nextauth': `file:${packed.root.path}` })
  await run('npm', ['install', '--no-audit', '--no-fund', '--omit=optional'], { cwd: dir, env })
  const error = await t.throwsAsync(run(process.execPath, ['-e', "require('@chatbotkit/nextauth')"], { cwd: dir, env }))
  t.regex(error.stderr, new RegExp(`cannot load its native addon on ${PLATFORM}`))
  t.regex(error.stderr, new RegExp(`npm install @chatbotkit/nextauth-${PLATFORM}`))
  t.regex(error.stderr, /NAPI_RS_NATIVE_LIBRARY_PATH/)
  t.notRegex(error.stderr, /Cannot find module '\.\/binding\.js'/)

  const unsupported = await t.throwsAsync(
    run(process.execPath, ['-e', "Object.defineProperty(process, 'arch', { value: 'riscv64' }); require('@chatbotkit/nextauth')"], { cwd: dir, env }),
  )
  t.regex(unsupported.stderr, /No prebuilt binary is published for linux-riscv64-gnu/)
})

test('one command bumps one version across the root and npm/*; the platform packages become optional dependencies only at publish', async (t) => {
  t.timeout(120_000)
  const { cpSync, mkdtempSync: temp, readFileSync, readdirSync, symlinkSync } = await import('node:fs')
  const dir = temp(join(tmpdir(), 'cbk-version-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  for (const entry of ['package.json', 'npm', 'scripts']) cpSync(join(root, entry), join(dir, entry), { recursive: true })
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'))
  await run('npm', ['version', '9.8.7', '--no-git-tag-version'], { cwd: dir })
  const read = (file) => JSON.parse(readFileSync(join(dir, file), 'utf8'))
  const pkg = read('package.json')
  t.is(pkg.version, '9.8.7')
  t.is(pkg.optionalDependencies, undefined, '`napi prepublish` adds them, at the published version')
  const platforms = readdirSync(join(dir, 'npm'))
  t.is(platforms.length, 7)
  for (const platform of platforms) t.is(read(`npm/${platform}/package.json`).version, '9.8.7', platform)
})
