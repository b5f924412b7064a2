// `npm version <v>` runs this: one version everywhere — the root and the platform packages in
// npm/ (napi version) — staged for npm's commit. The root's optionalDependencies on the platform
// packages are not committed: `napi prepublish` writes them, at this version, when publishing.
import { execFileSync } from 'node:child_process'

execFileSync('npx', ['napi', 'version'], { stdio: 'inherit' })
try {
  execFileSync('git', ['add', 'npm', 'package.json'], { stdio: 'ignore' })
} catch {
  // Not in a git work tree (a packed copy): nothing to stage.
}
