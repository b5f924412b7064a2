// A lean fake ChatBotKit API for benchmarking: the partner-user and contact routes the adapters
// call, canned JSON, bearer auth, keep-alive; no per-request validation (the test fake checks the OpenAPI
// shapes). `node bench/fake-api.mjs <port> <workers>` serves with node:cluster.
import cluster from 'node:cluster'
import { createServer } from 'node:http'

export const SECRET = 'sk-bench'
const now = Date.UTC(2026, 0, 1)
const user = (id, email) => ({ id, email, name: 'Bench User', image: 'https://img.example/u.png', meta: {}, createdAt: now, updatedAt: now })
const USERS = new Map([['usr_1', user('usr_1', 'ann@example.com')]])
const BY_EMAIL = new Map([['ann@example.com', USERS.get('usr_1')]])
const CONTACT = { id: 'cnt_1', name: 'Bench Contact', email: 'ann@example.com', fingerprint: 'fp_cnt_1', meta: { email: 'ann@example.com' }, verifiedAt: now, createdAt: now, updatedAt: now }

function handle(req, res) {
  const send = (status, body) => {
    const text = JSON.stringify(body)
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
    res.end(text)
  }
  if (req.headers.authorization !== `Bearer ${SECRET}`) return send(401, { message: 'Not authenticated', code: 'NOT_AUTHENTICATED' })
  // The official SDK keeps the /api prefix for hosts other than api.chatbotkit.com.
  const url = new URL(req.url.replace(/^\/api\/v1\//, '/v1/'), 'http://fake')
  const parts = url.pathname.split('/') // ['', 'v1', 'partner', 'user', id|action, action?]
  const drain = (then) => {
    req.resume()
    req.on('end', then)
  }
  if (parts[2] === 'contact') {
    // ['', 'v1', 'contact', id|action, action?]
    const [, , , id, action] = parts
    if (id === 'list') return send(200, { items: url.searchParams.get('meta.email') === CONTACT.email ? [CONTACT] : [], cursor: '' })
    if (id === 'create') return drain(() => send(200, { id: CONTACT.id }))
    if (decodeURIComponent(id ?? '') !== CONTACT.id) return send(404, { message: 'Resource not found', code: 'NOT_FOUND' })
    return action === 'fetch' ? send(200, CONTACT) : drain(() => send(200, { id: CONTACT.id }))
  }
  if (url.pathname === '/v1/partner/user/list') {
    const found = BY_EMAIL.get(url.searchParams.get('email'))
    return send(200, { items: found ? [found] : [], cursor: '' })
  }
  if (url.pathname === '/v1/partner/user/create') return drain(() => send(200, { id: 'usr_1' }))
  const record = USERS.get(decodeURIComponent(parts[4] ?? ''))
  if (!record) return send(404, { message: 'Resource not found', code: 'NOT_FOUND' })
  if (parts[5] === 'fetch') return send(200, record)
  return drain(() => send(200, { id: record.id }))
}

export function serve(port = 0) {
  return new Promise((resolve) => {
    const server = createServer(handle)
    server.keepAliveTimeout = 30_000
    server.listen(port, '127.0.0.1', () => resolve(server))
  })
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  const [port, workers = '1'] = process.argv.slice(2)
  if (cluster.isPrimary && Number(workers) > 1) {
    for (let i = 0; i < Number(workers); i++) cluster.fork()
    let ready = 0
    cluster.on('message', () => ++ready === Number(workers) && console.log('ready'))
    process.on('SIGTERM', () => {
      for (const worker of Object.values(cluster.workers)) worker.kill()
      process.exit(0)
    })
  } else {
    await serve(Number(port))
    if (cluster.isWorker) process.send('ready')
    else console.log('ready')
  }
}
