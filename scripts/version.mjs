// `npm version <v>` runs this: one version everywhere — the platform packages in npm/ (napi
// version) and the root's optionalDependencies that point at them — staged for npm's commit.
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'

execFileSync('npx', ['napi', 'version'], { stdio: 'inherit' })
const pkg = JSON.parse(readFileSync('package.json', 'utf8'))
for (const name of Object.keys(pkg.optionalDependencies ?? {})) pkg.optionalDependencies[name] = pkg.version
writeFileSync('package.json', `${JSON.stringify(pkg, null, 2)}\n`)
try {
  execFileSync('git', ['add', 'npm', 'package.json'], { stdio: 'ignore' })
} catch {
  // Not in a git work tree (a packed copy): nothing to stage.
}
