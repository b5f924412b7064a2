// Auth.js's documented middleware: runs on the edge runtime and reads the JWT session only.
export { auth as middleware } from './auth'

// Every page; not the API routes, Next's static files or the favicon (Next.js's documented matcher).
export const config = { matcher: ['/((?!api|_next/static|_next/image|favicon.ico).*)'] }
