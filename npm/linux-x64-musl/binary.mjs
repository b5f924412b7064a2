// Where this package's binary is, in the form bundlers follow: webpack copies the file that
// `new URL(…, import.meta.url)` names into the build's server output, so a traced deployment
// (Next.js `output: 'standalone'`, Vercel) carries it without node_modules (see lib/native.js).
export default new URL('./nextauth.linux-x64-musl.node', import.meta.url)
