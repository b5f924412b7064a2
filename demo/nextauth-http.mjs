// Serves NextAuth v4 from a plain node:http server, the way its Next.js API route does: the
// request becomes next-auth's internal request, its answer becomes status, cookies and body.
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)
// next-auth/core is what its Next.js handlers call; it is not in the package's "exports" map.
const { AuthHandler } = require(join(dirname(require.resolve('next-auth')), 'core', 'index.js'))

export function parseCookies(header = '') {
  const cookies = {}
  for (const part of header.split(/;\s*/)) {
    const at = part.indexOf('=')
    if (at > 0) cookies[part.slice(0, at)] = decodeURIComponent(part.slice(at + 1))
  }
  return cookies
}

function serializeCookie({ name, value, options = {} }) {
  const parts = [`${name}=${encodeURIComponent(value)}`, `Path=${options.path ?? '/'}`]
  if (options.httpOnly) parts.push('HttpOnly')
  if (options.sameSite) parts.push(`SameSite=${options.sameSite[0].toUpperCase()}${options.sameSite.slice(1)}`)
  if (options.secure) parts.push('Secure')
  if (options.maxAge !== undefined) parts.push(`Max-Age=${options.maxAge}`)
  if (options.expires) parts.push(`Expires=${new Date(options.expires).toUTCString()}`)
  return parts.join('; ')
}

/** Calls NextAuth with what the browser sent; `action` and `providerId` come from the path. */
export function callNextAuth(options, req, { action, providerId, query = {}, body = {} }) {
  return AuthHandler({
    req: {
      method: req.method,
      action,
      providerId,
      query,
      body,
      error: query.error,
      cookies: parseCookies(req.headers.cookie),
      headers: req.headers,
    },
    options,
  })
}

/** Writes NextAuth's answer (plus any cookies gathered earlier) to the node:http response. */
export function sendNextAuth(res, answer, extraCookies = []) {
  const cookies = [...extraCookies, ...(answer.cookies ?? [])].map(serializeCookie)
  if (cookies.length) res.setHeader('Set-Cookie', cookies)
  for (const { key, value } of answer.headers ?? []) res.setHeader(key, value)
  if (answer.redirect) {
    res.writeHead(302, { Location: answer.redirect })
    return res.end()
  }
  res.statusCode = answer.status ?? 200
  res.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {}))
}
