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
