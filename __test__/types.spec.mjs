// The type declarations: the original README's two configs (and a store shaped like @vercel/kv)
// type-check against next-auth v4's types with `tsc --noEmit`.
import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

import test from 'ava'

const require = createRequire(import.meta.url)

test('the README configs type-check against next-auth v4', async (t) => {
  const tsc = require.resolve('typescript/bin/tsc')
  const project = fileURLToPath(new URL('./types/tsconfig.json', import.meta.url))
  const result = await new Promise((resolve) => {
    execFile(process.execPath, [tsc, '-p', project], (error, stdout, stderr) => resolve({ error, output: stdout + stderr }))
  })
  t.is(result.error, null, result.output)
})

test('the generated binding.d.ts names only types it declares', async (t) => {
  // tsc's skipLibCheck (on in the project above) would hide a Rust type alias napi wrote into it.
  const tsc = require.resolve('typescript/bin/tsc')
  const binding = fileURLToPath(new URL('../binding.d.ts', import.meta.url))
  const result = await new Promise((resolve) => {
    execFile(process.execPath, [tsc, '--noEmit', '--strict', '--skipLibCheck', 'false', '--types', 'node', binding], (error, stdout, stderr) =>
      resolve({ error, output: stdout + stderr }),
    )
  })
  t.is(result.error, null, result.output)
})

test('RedisStoreOptions in index.d.ts names exactly the options RedisStore accepts', async (t) => {
  const ts = require('typescript')
  const { RedisStore } = require('@chatbotkit/nextauth')
  const file = fileURLToPath(new URL('../index.d.ts', import.meta.url))
  const source = ts.createSourceFile(file, require('node:fs').readFileSync(file, 'utf8'), ts.ScriptTarget.Latest)
  const declared = source.statements
    .find((node) => ts.isInterfaceDeclaration(node) && node.name.text === 'RedisStoreOptions')
    ?.members.map((member) => member.name.getText(source))
  // The store's own list, as its error for an unknown option gives it.
  const error = t.throws(() => new RedisStore({ notAnOption: true }))
  const accepted = /the options are ([^)]*)\)/.exec(error.message)?.[1].split(', ')
  t.truthy(declared?.length && accepted?.length, error.message)
  t.deepEqual([...declared].sort(), [...accepted].sort())
})

test('ErrorCode: the native enum, the exported frozen object (Node.js and edge entries) and the TypeScript union list the same codes', async (t) => {
  const ts = require('typescript')
  const native = require('../binding.js').errorCodes()
  const { ErrorCode } = require('@chatbotkit/nextauth')
  const edge = require('../lib/edge.js').ErrorCode
  const file = fileURLToPath(new URL('../index.d.ts', import.meta.url))
  const source = ts.createSourceFile(file, require('node:fs').readFileSync(file, 'utf8'), ts.ScriptTarget.Latest)
  const union = source.statements.find((node) => ts.isTypeAliasDeclaration(node) && node.name.text === 'ErrorCode')
  const declared = union?.type.types.map((member) => member.literal.text)
  t.true(native.includes('STORE_ERROR') && native.length > 5, JSON.stringify(native))
  t.deepEqual(Object.keys(ErrorCode), native)
  t.deepEqual(Object.values(ErrorCode), native)
  t.true(Object.isFrozen(ErrorCode))
  t.is(edge, ErrorCode, 'the edge entry exports the same object')
  t.deepEqual(declared, native)
})

test("NativeAdapter.functions(): its type in binding.d.ts names exactly the functions the native side binds (FUNCTIONS in src/binding/functions.rs)", async (t) => {
  const ts = require('typescript')
  const binding = require('../binding.js')
  const file = fileURLToPath(new URL('../binding.d.ts', import.meta.url))
  const source = ts.createSourceFile(file, require('node:fs').readFileSync(file, 'utf8'), ts.ScriptTarget.Latest)
  const adapterClass = source.statements.find((node) => ts.isClassDeclaration(node) && node.name?.text === 'NativeAdapter')
  const method = adapterClass?.members.find((member) => member.name?.getText(source) === 'functions')
  const declared = method?.type.members.map((member) => member.name.getText(source))
  const store = binding.NativeStore.memory('types-spec')
  const bound = binding.NativeAdapter.withNativeStore('partner', { secret: 'sk' }, store).functions()
  t.true(declared?.length === 5, JSON.stringify(declared))
  t.deepEqual([...declared].sort(), Object.keys(bound).sort())
  for (const name of declared) t.is(typeof bound[name], 'function', name)
})
