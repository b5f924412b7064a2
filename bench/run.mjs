// `npm run bench`: the native package against the JavaScript path the original takes (the
// official @chatbotkit/sdk, a Map store, an ioredis store) and against the machine's limits (wrk
// at the same fake API, redis-benchmark for the same Redis commands), in one run, on loopback.
// Prints a table of ratios and writes bench/results.md and bench/chart.svg.
import { execFileSync, spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'

import Redis from 'ioredis'

import { ChatBotKitEmailProvider, ChatBotKitPartnerAdapter, MemoryStore, RedisStore } from '@chatbotkit/nextauth'

import { linkQuery, nextAuthClient, readmeConfig } from '../__test__/fixtures/nextauth-v4.mjs'
import { startRedis } from '../__test__/fixtures/redis.mjs'
import { SECRET } from './fake-api.mjs'
import { FAKE_WORKERS, SECONDS, rate, startFake, wrk } from './measure.mjs'
import { gridLine, page } from './svg.mjs'
import { IoRedisStore, JsPartnerAdapter, MapStore } from './js-adapter.mjs'

// The tools the limits are measured with, before anything starts.
const missing = ['wrk', 'redis-benchmark', 'redis-cli', 'redis-server'].filter((tool) => spawnSync(tool, ['--version']).error)
if (missing.length > 0) {
  console.error(`npm run bench needs ${missing.join(', ')} on the PATH: apt-get install wrk redis-tools redis-server (see CONTRIBUTING.md)`)
  process.exit(1)
}

const here = fileURLToPath(new URL('.', import.meta.url))
const root = fileURLToPath(new URL('..', import.meta.url))
const RUNS = Number(process.env.BENCH_RUNS ?? 5)

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const stats = (values) => ({ median: median(values), min: Math.min(...values), max: Math.max(...values), runs: values })
const fmt = (n) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2))
const range = (s) => `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`

/** `stats` of a side's rounds, with the medians of their CPU figures when they have them. */
function summary(rounds) {
  const result = stats(rounds.map((r) => r.value))
  if (rounds[0].client !== undefined) result.cpu = { client: median(rounds.map((r) => r.client)), server: median(rounds.map((r) => r.server)) }
  return result
}

/**
 * The sides of one figure (native, js and, when there is one, limit: each a function running one
 * round), RUNS rounds interleaved: every round runs each side once, back to back, the order turning
 * by one each round, so a slow phase of the machine falls on all sides alike. Each side's figure is
 * the median of its rounds; `ratio` and `share` are the medians of the per-round native ÷ JS and
 * native ÷ limit.
 */
async function interleaved(sides) {
  const names = Object.keys(sides)
  const rounds = Object.fromEntries(names.map((name) => [name, []]))
  for (let run = 0; run < RUNS; run++) {
    const order = [...names.slice(run % names.length), ...names.slice(0, run % names.length)]
    for (const name of order) rounds[name].push(await sides[name]())
  }
  const result = Object.fromEntries(names.map((name) => [name, summary(rounds[name])]))
  const paired = (other) => median(rounds.native.map((r, i) => r.value / rounds[other][i].value))
  result.ratio = paired('js')
  if (sides.limit) result.share = paired('limit')
  return result
}

/**
 * The floor of a hand-off between two threads here: the round trip of a wake-up to a thread that
 * sleeps (Atomics.wait / notify, a futex, as the addon's and libuv's wake-ups are), in µs.
 */
async function wakeRoundTrip() {
  const { Worker } = await import('node:worker_threads')
  const shared = new Int32Array(new SharedArrayBuffer(8))
  const rounds = 20000
  const worker = new Worker(
    `const { workerData: s, parentPort } = require('node:worker_threads')
     for (let i = 1; i <= ${rounds}; i++) { Atomics.wait(s, 0, i - 1); Atomics.store(s, 1, i); Atomics.notify(s, 1) }
     parentPort.postMessage('done')`,
    { eval: true, workerData: shared },
  )
  await new Promise((resolve) => worker.once('online', resolve))
  const started = process.hrtime.bigint()
  for (let i = 1; i <= rounds; i++) {
    Atomics.store(shared, 0, i)
    Atomics.notify(shared, 0)
    Atomics.wait(shared, 1, i - 1)
  }
  const us = Number(process.hrtime.bigint() - started) / 1e3 / rounds
  await worker.terminate()
  return us
}

/** One round of redis-benchmark (64 clients, 60,000 requests) of the command `args`: requests/s. */
function redisBenchmark(port, args) {
  const out = execFileSync('redis-benchmark', ['-p', String(port), '-c', '64', '-n', '60000', '-q', ...args], { encoding: 'utf8' })
  return Number(/([\d.]+) requests per second/.exec(out)[1])
}

const results = {}
const targets = []
const target = (name, ok, detail) => targets.push({ name, ok, detail })

const fake = await startFake()
const redis = await startRedis()
try {
  const nativeMemory = ChatBotKitPartnerAdapter({ secret: SECRET, store: new MemoryStore(), baseUrl: fake.url, retries: 0 })
  const jsMemory = JsPartnerAdapter({ secret: SECRET, store: new MapStore(), baseUrl: fake.url })

  // P1: getUserByEmail calls/s
  for (const inFlight of [1, 64]) {
    results[`P1 getUserByEmail, ${inFlight} in flight`] = {
      ...(await interleaved({
        native: () => rate(() => nativeMemory.getUserByEmail('ann@example.com'), inFlight, fake.cpu),
        js: () => rate(() => jsMemory.getUserByEmail('ann@example.com'), inFlight, fake.cpu),
        limit: () => wrk(`${fake.url}/v1/partner/user/list?email=ann%40example.com`, inFlight, fake.cpu),
      })),
      limitName: `wrk -c${inFlight}`,
      unit: 'calls/s',
    }
  }

  // P2: create+use pairs/s, 64 in flight
  let n = 0
  const pair = (adapter) => async () => {
    const token = `t${n++}`
    await adapter.createVerificationToken({ identifier: 'ann@example.com', token, expires: new Date(Date.now() + 60_000) })
    await adapter.useVerificationToken({ identifier: 'ann@example.com', token })
  }
  results['P2 token create+use pairs, MemoryStore vs Map store, 64 in flight'] = {
    ...(await interleaved({ native: () => rate(pair(nativeMemory), 64), js: () => rate(pair(jsMemory), 64) })),
    unit: 'pairs/s',
  }
  const redisStore = new RedisStore({ url: redis.url })
  const ioredis = new Redis(redis.port, '127.0.0.1', { lazyConnect: false })
  const nativeRedis = ChatBotKitPartnerAdapter({ secret: SECRET, store: redisStore, baseUrl: fake.url })
  const jsRedis = JsPartnerAdapter({ secret: SECRET, store: new IoRedisStore(ioredis), baseUrl: fake.url })
  const script = "local a = tonumber(redis.call('GET', KEYS[2]) or '0') if a >= 5 then return 1 end local v = redis.call('GET', KEYS[1]) if v then redis.call('DEL', KEYS[1], KEYS[2]) return v end if redis.call('INCR', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], 900000) end return 0"
  // RedisStore sends the script by hash (EVALSHA); load it once for redis-benchmark to do the same.
  const sha = execFileSync('redis-cli', ['-p', String(redis.port), 'SCRIPT', 'LOAD', script], { encoding: 'utf8' }).trim()
  // One pair is one SET and one EVAL: the pairs/s Redis allows is 1 / (1/set + 1/eval).
  const redisLimit = () => {
    const set = redisBenchmark(redis.port, ['SET', 'k{t}:__rand_int__', '{"identifier":"ann@example.com","expires":1}', 'PX', '60000'])
    const evalsha = redisBenchmark(redis.port, ['EVALSHA', sha, '2', 'k{t}:__rand_int__', 'a{t}', '5', '900000'])
    return { value: 1 / (1 / set + 1 / evalsha) }
  }
  results['P2 token create+use pairs, RedisStore vs ioredis store, 64 in flight'] = {
    ...(await interleaved({ native: () => rate(pair(nativeRedis), 64), js: () => rate(pair(jsRedis), 64), limit: redisLimit })),
    limitName: 'redis-benchmark SET PX + EVALSHA',
    unit: 'pairs/s',
  }
  // The floor of a crossing: one empty native call (MemoryStore's `size`, a getter answering a number).
  const floorStore = new MemoryStore({ name: 'bench-floor' })
  const floor = []
  for (let run = 0; run < RUNS; run++) {
    let sink = 0
    const started = process.hrtime.bigint()
    for (let i = 0; i < 1e6; i++) sink += floorStore.size
    floor.push(Number(process.hrtime.bigint() - started) / 1e6 + sink * 0)
  }
  results.floor = stats(floor) // ns per call (1e6 calls, in ms = ns)
  const wakes = []
  for (let run = 0; run < RUNS; run++) wakes.push(await wakeRoundTrip())
  results.wake = stats(wakes)

  // RSS when the same mixed load runs twice in one process
  const mixed = async () => {
    for (let run = 0; run < 3; run++) {
      await rate(pair(nativeMemory), 64)
      await rate(pair(nativeRedis), 64)
      await rate(() => nativeMemory.getUserByEmail('ann@example.com'), 64)
    }
    global.gc?.()
    return process.memoryUsage().rss / 1024 / 1024
  }
  results.rssTwice = { first: await mixed(), second: await mixed() }

  ioredis.disconnect()
  redisStore.close()

  // P3: a full NextAuth v4 email sign-in, p50/p99
  const signIns = async (adapter) => {
    const mailbox = []
    // One address signs in 230 times: the send throttle (five per 15 minutes) is off for both paths.
    const provider = (options) => ChatBotKitEmailProvider({ ...options, throttle: false })
    const client = nextAuthClient(readmeConfig({ adapter, provider, mailbox }))
    const times = []
    for (let i = 0; i < 30 + 200; i++) {
      const started = process.hrtime.bigint()
      await client.signIn('ann@example.com')
      await client.callback(linkQuery(mailbox.at(-1).url))
      const session = await client.session()
      if (session.user?.id !== 'usr_1') throw new Error('sign-in failed in the benchmark')
      await client.signOut()
      if (i >= 30) times.push(Number(process.hrtime.bigint() - started) / 1e6)
    }
    times.sort((a, b) => a - b)
    return { p50: times[Math.floor(times.length * 0.5)], p99: times[Math.floor(times.length * 0.99)] }
  }
  results.P3 = {
    native: await signIns(ChatBotKitPartnerAdapter({ secret: SECRET, store: new MemoryStore(), baseUrl: fake.url })),
    js: await signIns(JsPartnerAdapter({ secret: SECRET, store: new MapStore(), baseUrl: fake.url })),
  }
} finally {
  fake.stop()
  await redis.stop()
}

// P4: RSS of 100,000 live codes
const rss = (kind) => {
  const source = `
    const { ChatBotKitPartnerAdapter, MemoryStore } = require(${JSON.stringify(root)})
    ;(async () => {
      const { JsPartnerAdapter, MapStore } = await import(${JSON.stringify(`${here}js-adapter.mjs`)})
      gc(); const before = process.memoryUsage().rss
      const adapter = ${JSON.stringify(kind)} === 'native'
        ? ChatBotKitPartnerAdapter({ secret: 'x', store: new MemoryStore(), baseUrl: 'http://127.0.0.1:9' })
        : JsPartnerAdapter({ secret: 'x', store: new MapStore(), baseUrl: 'http://127.0.0.1:9' })
      const expires = new Date(Date.now() + 3600000)
      for (let i = 0; i < 100000; i++) await adapter.createVerificationToken({ identifier: 'user' + i + '@example.com', token: (i * 7919).toString(16).padStart(6, '0'), expires })
      gc(); await new Promise((r) => setTimeout(r, 100)); gc()
      console.log(process.memoryUsage().rss - before)
      globalThis.keep = adapter
    })()`
  const values = []
  for (let run = 0; run < RUNS; run++) values.push(Number(execFileSync(process.execPath, ['--expose-gc', '-e', source], { encoding: 'utf8' })) / 1024 / 1024)
  return stats(values)
}
results.P4 = { native: rss('native'), js: rss('js') }

// P5: time to require the package in a cold process: paired with an empty process, run by run
const spawnMs = (source) => {
  const started = process.hrtime.bigint()
  spawnSync(process.execPath, ['-e', source], { cwd: root })
  return Number(process.hrtime.bigint() - started) / 1e6
}
const requireTimes = Array.from({ length: RUNS }, () =>
  median(Array.from({ length: 15 }, () => spawnMs("require('@chatbotkit/nextauth')") - spawnMs(''))),
)
results.P5 = stats(requireTimes)

// Report
const lines = []
const row = (...cells) => lines.push(`| ${cells.join(' | ')} |`)
const ratio = (r) => `${r.ratio.toFixed(2)}×`
const share = (r) => `${(r.share * 100).toFixed(0)}%`
lines.push('| figure | native | JS path | limit | native ÷ JS | native ÷ limit |', '| --- | --- | --- | --- | --- | --- |')
for (const [name, r] of Object.entries(results)) {
  if (!r.unit) continue
  row(`${name} (${r.unit})`, range(r.native), range(r.js), r.limit ? `${range(r.limit)} — ${r.limitName}` : '—', ratio(r), r.limit ? share(r) : '—')
}
row('P3 NextAuth v4 sign-in p50 / p99 (ms)', `${fmt(results.P3.native.p50)} / ${fmt(results.P3.native.p99)}`, `${fmt(results.P3.js.p50)} / ${fmt(results.P3.js.p99)}`, '—', `${(results.P3.js.p50 / results.P3.native.p50).toFixed(2)}× faster`, '—')
row('P4 RSS for 100,000 live codes (MiB)', range(results.P4.native), range(results.P4.js), '—', `${(results.P4.native.median / results.P4.js.median).toFixed(2)}×`, '—')
row('P5 require() in a cold process (ms)', range(results.P5), '—', '—', '—', '—')

const p1 = results['P1 getUserByEmail, 64 in flight']
const p1one = results['P1 getUserByEmail, 1 in flight']
const p2m = results['P2 token create+use pairs, MemoryStore vs Map store, 64 in flight']
const p2r = results['P2 token create+use pairs, RedisStore vs ioredis store, 64 in flight']
const pairNs = 1e9 / p2m.native.median
row('empty native call (MemoryStore `size`), ns', fmt(results.floor.median), '—', '—', '—', '—')
row('wake-up round trip between two threads (Atomics.wait/notify), µs', fmt(results.wake.median), '—', '—', '—', '—')
const cpuCell = (r) => `${fmt(r.cpu.client)} / ${fmt(r.cpu.server)}`
row('P1 64 in flight: CPU µs per call, client / fake API', cpuCell(p1.native), cpuCell(p1.js), `${cpuCell(p1.limit)} — wrk`, '—', '—')
row('RSS after the mixed load once / twice (MiB)', `${fmt(results.rssTwice.first)} / ${fmt(results.rssTwice.second)}`, '—', '—', '—', '—')
const latency = (r) => 1e6 / r.median
target(
  'getUserByEmail ≥ 2× the JS path at 1 in flight',
  p1one.ratio >= 2,
  `${ratio(p1one)}; a call takes ${fmt(latency(p1one.native))} µs, the JS path's ${fmt(latency(p1one.js))} µs, wrk's request ${fmt(latency(p1one.limit))} µs ` +
    `(the native call adds two thread hand-offs to wrk's two, JS thread → the addon's runtime thread → JS thread; a wake-up round trip costs ${fmt(results.wake.median)} µs here)`,
)
target('getUserByEmail ≥ 2× the JS path at 64 in flight', p1.ratio >= 2, ratio(p1))
// On a machine whose cores the client and the fake API share, the most calls/s a client can reach
// is cores / (its CPU per call + the fake's CPU per call).
const ceiling = (r) => (cpus().length * 1e6) / (r.cpu.client + r.cpu.server)
target(
  'getUserByEmail ≥ 70% of wrk at 64',
  p1.share >= 0.7,
  `${share(p1)}; CPU per call: the native client ${fmt(p1.native.cpu.client)} µs + the fake ${fmt(p1.native.cpu.server)} µs, wrk ${fmt(p1.limit.cpu.client)} µs + the fake ` +
    `${fmt(p1.limit.cpu.server)} µs: ${cpus().length} cores allow at most ${fmt(ceiling(p1.native))} calls/s for the native client (${((ceiling(p1.native) / p1.limit.median) * 100).toFixed(0)}% of wrk)`,
)
target('RedisStore pairs ≥ 1.5× the ioredis path', p2r.ratio >= 1.5, ratio(p2r))
target("RedisStore pairs ≥ 70% of redis-benchmark's rate for the same commands", p2r.share >= 0.7, share(p2r))
target('MemoryStore pairs ≥ 1.2× the JS Map path', p2m.ratio >= 1.2, `${ratio(p2m)}; a pair (two calls) costs ${fmt(pairNs)} ns, ${(pairNs / (2 * results.floor.median)).toFixed(1)}× the floor of two empty calls (${fmt(results.floor.median)} ns each)`)
target('P3 no slower than the JS path (p50)', results.P3.native.p50 <= results.P3.js.p50, `${fmt(results.P3.native.p50)} ms vs ${fmt(results.P3.js.p50)} ms`)
target('P4 ≤ the JS store', results.P4.native.median <= results.P4.js.median, `${fmt(results.P4.native.median)} MiB vs ${fmt(results.P4.js.median)} MiB`)
target('P5 ≤ 30 ms', results.P5.median <= 30, `${fmt(results.P5.median)} ms`)
const growth = results.rssTwice.second - results.rssTwice.first
target('RSS flat when the mixed load runs twice (≤ 5 MiB more)', growth <= 5, `${growth >= 0 ? '+' : ''}${fmt(growth)} MiB`)
// A check of the benchmark itself: the JS path's figures must be the client's, not the fake's.
target('the fake API serves ≥ 1.5× the JS path', p1.limit.median >= 1.5 * p1.js.median, `${fmt(p1.limit.median)} vs ${fmt(p1.js.median)} calls/s`)

const table = lines.join('\n')
const targetLines = targets.map((t) => `- ${t.ok ? 'met' : '**missed**'}: ${t.name} — ${t.detail}`).join('\n')
console.log(`\n${table}\n\n${targetLines}\n`)

// Chart: native ÷ JS per figure (bars), 1× line.
const bars = [
  ['P1 ×1', results['P1 getUserByEmail, 1 in flight']],
  ['P1 ×64', p1],
  ['P2 mem', results['P2 token create+use pairs, MemoryStore vs Map store, 64 in flight']],
  ['P2 redis', p2r],
].map(([label, r]) => [label, r.ratio])
bars.push(['P3 p50', results.P3.js.p50 / results.P3.native.p50], ['P4 mem', results.P4.js.median / results.P4.native.median])
const max = Math.max(2.5, ...bars.map(([, v]) => v)) * 1.1
const W = 640
const H = 300
const bw = (W - 80) / bars.length
const y = (v) => H - 40 - (v / max) * (H - 80)
const svg = page(
  { width: W, height: H, title: 'native ÷ JS path (higher is better; P3 and P4 as JS ÷ native)' },
  `${gridLine({ x1: 50, x2: W - 20, y: y(1), label: '1×', stroke: '#999', dash: 4 })}
${gridLine({ x1: 50, x2: W - 20, y: y(2), label: '2×' })}
${bars
  .map(([label, v], i) => {
    const x = 60 + i * bw
    return `<rect x="${x}" y="${y(v)}" width="${bw - 20}" height="${H - 40 - y(v)}" fill="#3b5bdb"/><text x="${x + (bw - 20) / 2}" y="${y(v) - 5}" text-anchor="middle">${v.toFixed(2)}×</text><text x="${x + (bw - 20) / 2}" y="${H - 22}" text-anchor="middle">${label}</text>`
  })
  .join('\n')}`,
)
writeFileSync(`${here}chart.svg`, svg)

const machine = `${cpus().length} cores (${cpus()[0].model}), ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}`
writeFileSync(
  `${here}results.md`,
  `# Benchmark results

Produced by \`npm run bench\` (\`node bench/run.mjs\` after a release build) on ${new Date().toISOString().slice(0, 10)}:
${machine}. Median of ${RUNS} runs of ${SECONDS} s each (min–max in brackets), everything on loopback.
The rounds of a figure are interleaved (native, JS path, limit back to back, the order turning each
round), and its ratios are the medians of the per-round ratios.
The fake API is \`bench/fake-api.mjs\` (${FAKE_WORKERS} process${FAKE_WORKERS > 1 ? 'es' : ''}); the JS path is
\`bench/js-adapter.mjs\`: the original package's logic on \`@chatbotkit/sdk\` with a Map store or an ioredis store.
The limits are \`wrk -t1 -cN -d${SECONDS}s\` at the same list URL, and \`redis-benchmark -c 64 -n 60000\` running
the same Redis commands our RedisStore sends per code (\`SET … PX\`, then one \`EVALSHA\` of the consume script).

![native ÷ JS](chart.svg)

${table}

## Targets

${targetLines}

What each figure measures, and why the native path is faster: [analysis.md](analysis.md).
`,
)
console.log('wrote bench/results.md and bench/chart.svg')
