// Every binary the package ships, and how each is built: one table, read by the build script, the
// platform checks and the release workflow's matrix test. The `napi.targets` list in package.json
// is the published set; this table must name each of them (a test checks it).

/** The glibc version the gnu binaries may need at most (RHEL 7, Amazon Linux 2, Debian 8 and up). */
export const GLIBC_FLOOR = '2.17'

export const TARGETS = [
  { abi: 'linux-x64-gnu', triple: 'x86_64-unknown-linux-gnu', via: 'zig', zigTarget: `x86_64-unknown-linux-gnu.${GLIBC_FLOOR}` },
  { abi: 'linux-arm64-gnu', triple: 'aarch64-unknown-linux-gnu', via: 'zig', zigTarget: `aarch64-unknown-linux-gnu.${GLIBC_FLOOR}` },
  { abi: 'linux-x64-musl', triple: 'x86_64-unknown-linux-musl', via: 'zig' },
  { abi: 'linux-arm64-musl', triple: 'aarch64-unknown-linux-musl', via: 'zig' },
  // Built on a Windows runner by the release workflow; here only its stand-in below can be built.
  { abi: 'win32-x64-msvc', triple: 'x86_64-pc-windows-msvc', via: 'msvc' },
  // Published from a macOS runner (Apple's SDK and linker); on Linux they link with zig, which
  // carries libSystem's stubs, as a check that nothing needs more of the SDK. `macos`: the oldest
  // version Node.js 20 runs on, which the binary must not exceed.
  { abi: 'darwin-x64', triple: 'x86_64-apple-darwin', via: 'macos', macos: '10.15' },
  { abi: 'darwin-arm64', triple: 'aarch64-apple-darwin', via: 'macos', macos: '11.0' },
  // Not published: the same code for Windows, linked with MinGW-w64 on Linux so that Node.js for
  // Windows can load it under wine here (MSVC's linker and libraries exist only on Windows).
  { abi: 'win32-x64-gnu', triple: 'x86_64-pc-windows-gnu', via: 'mingw', standsInFor: 'win32-x64-msvc' },
]

/** The entry for an ABI name (`linux-arm64-musl`) or a Rust target triple. */
export function target(name) {
  const found = TARGETS.find((t) => t.abi === name || t.triple === name)
  if (!found) throw new Error(`unknown target ${name}: one of ${TARGETS.map((t) => t.abi).join(', ')}`)
  return found
}
