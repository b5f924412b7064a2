// `npm run soak`: one Node process under mixed load for 10 minutes (`--duration <seconds>` or
// SOAK_SECONDS for less), 64 operations in flight at all times — MemoryStore and RedisStore code
// pairs (some with a wrong code first), Partner and Contact adapter calls against the fake API — and
// a sample every 10 s of RSS, V8 heap, open handles, file descriptors and OS threads. Writes
// bench/soak.csv and bench/soak.svg, prints a summary, and exits non-zero when memory, handles,
// file descriptors or threads grow after the first minute, or when an operation fails unexpectedly.
import { randomBytes } from 'node:crypto'
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import { ChatBotKitContactAdapter, ChatBotKitPartnerAdapter, MemoryStore, RedisStore } from '@chatbotkit/nextauth'

import { freePort, startRedis } from '../__test__/fixtures/redis.mjs'
import { SECRET } from './fake-api.mjs'
import { gridLine, legend, line, page, scale, ticks } from './svg.mjs'

const here = fileURLToPath(new URL('.', import.meta.url))
const IN_FLIGHT = 64
const SAMPLE_EVERY_S = 10
/** The first minute is warm-up: pools fill, JIT and allocators settle. Targets look after it. */
const WARM_UP_S = 60
const RSS_GROWTH_LIMIT_MIB = 5
/** Handles may differ by a timer or a pending request between two samples. */
const HANDLE_TOLERANCE = 2
/** Tokio's blocking pool and libuv's thread pool start threads on demand (Tokio's idle ones exit after 10 s). */
const THREAD_TOLERANCE = 2
const FD_TOLERANCE = 4
/** Codes, and the wrong-code counters, live a minute here, so the stores reach a steady size in the warm-up. */
const CODE_LIFETIME_MS = 60_000
const WRONG_CODE_EVERY = 8
const ABANDONED_CODE_EVERY = 50
const MiB = 1024 * 1024

// --- Samples

function threads() {
  try {
    return Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))[1])
  } catch {
    return NaN // not Linux
  }
}

function fds() {
  try {
    return readdirSync('/proc/self/fd').length - 1 // less the one readdir opened
  } catch {
    return NaN
  }
}

function handlesByType() {
  const counts = {}
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1
  return counts
}

// --- Figures

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.length ? (sorted[(sorted.length - 1) >> 1] + sorted[sorted.length >> 1]) / 2 : NaN
}
const maxOf = (values) => (values.length ? Math.max(...values) : NaN)
const minOf = (values) => (values.length ? Math.min(...values) : NaN)

/** Least-squares slope of y over x. */
function slope(xs, ys) {
  const n = xs.length
  const mx = xs.reduce((a, b) => a + b, 0) / n
  const my = ys.reduce((a, b) => a + b, 0) / n
  let num = 0
  let den = 0
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my)
    den += (xs[i] - mx) ** 2
  }
  return den ? num / den : NaN
}

const f1 = (n) => (Number.isFinite(n) ? n.toFixed(1) : '—')
const int = (n) => Math.round(n).toLocaleString('en-US')

function parseDuration() {
  const at = process.argv.indexOf('--duration')
  const raw = at >= 0 ? process.argv[at + 1] : (process.env.SOAK_SECONDS ?? '600')
  const seconds = Number(raw)
  if (!Number.isFinite(seconds) || seconds < 2 * SAMPLE_EVERY_S) {
    console.error(`soak: --duration / SOAK_SECONDS must be a number of seconds ≥ ${2 * SAMPLE_EVERY_S} (got ${JSON.stringify(raw)})`)
    process.exit(2)
  }
  return seconds
}

// --- The servers the load runs against

function startChild(args, what) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`${what} exited (${code}) before it was ready`)))
    child.stdout.once('data', () => {
      child.removeAllListeners('exit')
      resolve({
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done()
            child.once('exit', done)
            child.kill('SIGTERM')
          }),
      })
    })
  })
}

async function startFakes() {
  const port = await freePort()
  const fake = await startChild([`${here}fake-api.mjs`, String(port), '1'], 'the fake API')
  const url = `http://127.0.0.1:${port}`
  return { partnerUrl: url, contactUrl: url, stop: () => fake.stop() }
}

// --- The load

const KINDS = ['memory pairs', 'redis pairs', 'partner calls', 'contact calls']

function makeLoad({ partnerUrl, contactUrl, redisUrl }) {
  const common = { secret: SECRET, attemptWindow: CODE_LIFETIME_MS }
  const memoryStore = new MemoryStore({ name: 'soak' })
  const redisStore = new RedisStore({ url: redisUrl })
  const memory = ChatBotKitPartnerAdapter({ ...common, store: memoryStore, baseUrl: partnerUrl })
  const redis = ChatBotKitPartnerAdapter({ ...common, store: redisStore, baseUrl: partnerUrl })
  const partner = ChatBotKitPartnerAdapter({ ...common, store: memoryStore, baseUrl: partnerUrl, autoCreateUser: true })
  const contact = ChatBotKitContactAdapter({ ...common, store: memoryStore, baseUrl: contactUrl, autoCreateContact: true })

  let serial = 0
  const code = () => randomBytes(3).toString('hex')
  const unexpected = (what) => Object.assign(new Error(`unexpected result: ${what}`), { code: 'WRONG_RESULT' })
  const expect = (ok, what) => {
    if (!ok) throw unexpected(what)
  }

  /** One code's life: created, sometimes a wrong code first (refused), then used once; a few never used. */
  function pairs(adapter, prefix) {
    let count = 0 // per kind: one count shared by the kinds, taken in turn, gives each the same remainders
    return async (counters) => {
      const n = ++count
      await pair(adapter, counters, `soak-${prefix}-${n}@example.com`, n)
    }
  }

  async function pair(adapter, counters, identifier, n) {
    const token = code()
    await adapter.createVerificationToken({ identifier, token, expires: new Date(Date.now() + CODE_LIFETIME_MS) })
    if (n % ABANDONED_CODE_EVERY === 0) return // the user never typed it: it expires in the store
    if (n % WRONG_CODE_EVERY === 0) {
      let wrong = code()
      while (wrong === token) wrong = code()
      expect((await adapter.useVerificationToken({ identifier, token: wrong })) === null, 'a wrong code was accepted')
      counters.refused++
    }
    const used = await adapter.useVerificationToken({ identifier, token })
    expect(used?.identifier === identifier, 'a right code was refused')
  }

  /** The calls NextAuth makes of an adapter, in turn: lookups, a sign-up, updates. */
  function apiCalls(adapter, id) {
    let turn = 0
    return async () => {
      const n = ++serial
      switch (turn++ % 6) {
        case 0:
          return expect((await adapter.getUserByEmail('ann@example.com'))?.id === id, 'getUserByEmail missed a known email')
        case 1:
          return expect((await adapter.getUserByEmail(`new-${n}@example.com`)) === null, 'getUserByEmail found an unknown email')
        case 2:
          return expect((await adapter.createUser({ email: `new-${n}@example.com`, name: 'New User' }))?.id === id, 'createUser')
        case 3:
          return expect((await adapter.getUser(id))?.id === id, 'getUser')
        case 4:
          return expect((await adapter.updateUser({ id, emailVerified: new Date() }))?.id === id, 'updateUser (emailVerified)')
        default:
          return expect((await adapter.getUser(`${id}_missing`)) === null, 'getUser of a missing id')
      }
    }
  }

  return {
    memoryStore,
    run: {
      'memory pairs': pairs(memory, 'memory'),
      'redis pairs': pairs(redis, 'redis'),
      'partner calls': apiCalls(partner, 'usr_1'),
      'contact calls': apiCalls(contact, 'cnt_1'),
    },
    close: () => redisStore.close(),
  }
}

// --- The chart

function drawChart(samples, warmUpS) {
  const W = 900
  const panelH = 250
  const left = 70
  const right = W - 70
  const minutes = samples.map((s) => s.t / 60)
  const x = scale([0, Math.max(...minutes)], [left, right])
  const panels = [
    {
      top: 40,
      unit: 'MiB',
      series: [
        { name: 'RSS', key: 'rss', color: '#3b5bdb' },
        { name: 'V8 heap total', key: 'heapTotal', color: '#f08c00' },
        { name: 'V8 heap used', key: 'heapUsed', color: '#f08c00', dash: '4' },
      ],
    },
    {
      top: 40 + panelH + 50,
      unit: 'count',
      series: [
        { name: 'open handles', key: 'handles', color: '#2b8a3e' },
        { name: 'OS threads', key: 'threads', color: '#c92a2a' },
        { name: 'file descriptors', key: 'fds', color: '#862e9c', dash: '4' },
      ],
    },
  ]
  const parts = []
  for (const panel of panels) {
    const values = panel.series.flatMap((s) => samples.map((sample) => sample[s.key])).filter(Number.isFinite)
    const hi = maxOf(values) * 1.1 || 1
    const bottom = panel.top + panelH - 30
    const y = scale([0, hi], [bottom, panel.top + 10])
    for (const v of ticks(0, hi)) parts.push(gridLine({ x1: left, x2: right, y: y(v), label: v }))
    parts.push(`<text x="15" y="${(panel.top + bottom) / 2}" transform="rotate(-90 15 ${(panel.top + bottom) / 2})" text-anchor="middle">${panel.unit}</text>`)
    const warm = x(warmUpS / 60)
    parts.push(`<line x1="${warm}" x2="${warm}" y1="${panel.top + 10}" y2="${bottom}" stroke="#999" stroke-dasharray="4"/>`)
    for (const s of panel.series) {
      const points = samples.filter((sample) => Number.isFinite(sample[s.key])).map((sample) => [x(sample.t / 60), y(sample[s.key])])
      parts.push(line(points, s.color, s.dash))
    }
    for (const v of ticks(0, Math.max(...minutes), 10)) parts.push(`<text x="${x(v)}" y="${bottom + 16}" text-anchor="middle">${v}</text>`)
    parts.push(legend(panel.series, left, bottom + 34))
  }
  parts.push(`<text x="${x(warmUpS / 60) + 4}" y="62" fill="#666">end of warm-up</text>`)
  parts.push(`<text x="${right}" y="${40 + 2 * panelH + 50 - 2}" text-anchor="end" fill="#666">minutes</text>`)
  return page({ width: W, height: 40 + 2 * panelH + 60, title: `Soak: ${IN_FLIGHT} operations in flight, sampled every ${SAMPLE_EVERY_S} s` }, parts.join('\n'))
}

// --- The run

async function soak() {
  const durationS = parseDuration()
  const warmUpS = Math.min(WARM_UP_S, durationS / 2)
  const lastS = Math.min(60, (durationS - warmUpS) / 2)

  let redisServer
  try {
    redisServer = await startRedis()
  } catch (error) {
    console.error(`soak: cannot start redis-server: ${error.message}`)
    process.exit(2)
  }
  let fakes
  try {
    fakes = await startFakes()
  } catch (error) {
    await redisServer.stop()
    throw error
  }
  const load = makeLoad({ partnerUrl: fakes.partnerUrl, contactUrl: fakes.contactUrl, redisUrl: redisServer.url })
  console.log(`soak: ${durationS} s, ${IN_FLIGHT} in flight, redis-server on port ${redisServer.port}, fakes at ${fakes.partnerUrl} and ${fakes.contactUrl}`)

  const totals = Object.fromEntries(KINDS.map((k) => [k, 0]))
  const counters = { refused: 0 }
  const failures = {} // by code, over the run
  let interval = { ops: Object.fromEntries(KINDS.map((k) => [k, 0])), failures: 0 }
  let firstFailure
  const samples = []
  const handleTypes = new Set()
  const started = process.hrtime.bigint()
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9

  function sample() {
    const memory = process.memoryUsage()
    const byType = handlesByType()
    for (const type of Object.keys(byType)) handleTypes.add(type)
    const row = {
      t: elapsed(),
      rss: memory.rss / MiB,
      heapUsed: memory.heapUsed / MiB,
      heapTotal: memory.heapTotal / MiB,
      external: memory.external / MiB,
      handles: process.getActiveResourcesInfo().length,
      byType,
      threads: threads(),
      fds: fds(),
      storeEntries: load.memoryStore.size,
      ops: KINDS.reduce((sum, k) => sum + interval.ops[k], 0),
      opsByKind: interval.ops,
      failures: interval.failures,
    }
    samples.push(row)
    interval = { ops: Object.fromEntries(KINDS.map((k) => [k, 0])), failures: 0 }
    writeCsv(samples, handleTypes)
    console.log(
      `t=${f1(row.t).padStart(6)} s  rss ${f1(row.rss)} MiB  heap ${f1(row.heapUsed)}/${f1(row.heapTotal)} MiB  handles ${row.handles}  threads ${row.threads}  fds ${row.fds}  codes ${row.storeEntries}  ops ${row.ops}  failures ${row.failures}`,
    )
  }

  let stopping = false
  sample() // the baseline, before any load
  const ticker = setInterval(() => {
    sample()
    if (elapsed() >= durationS - 0.5) stopping = true
  }, SAMPLE_EVERY_S * 1000)

  let next = 0
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (!stopping) {
        const kind = KINDS[next++ % KINDS.length]
        try {
          await load.run[kind](counters)
          totals[kind]++
          interval.ops[kind]++
        } catch (error) {
          const key = `${kind}: ${error?.code ?? error?.name ?? 'ERROR'}`
          failures[key] = (failures[key] ?? 0) + 1
          interval.failures++
          firstFailure ??= `${key}: ${error?.message}`
        }
      }
    }),
  )
  const loadS = elapsed()
  clearInterval(ticker)

  load.close()
  await fakes.stop()
  await redisServer.stop()
  writeFileSync(`${here}soak.svg`, drawChart(samples, warmUpS))

  // --- Summary and targets
  const during = (from, to) => samples.filter((s) => s.t >= from - 0.5 && s.t < to - 0.5)
  const early = during(warmUpS, warmUpS + 60) // minute 1–2
  const late = during(durationS - lastS, Infinity) // the last minute
  const after = during(warmUpS, Infinity)
  const atWarmUp = after[0]
  const end = samples.at(-1)
  const rssSlope = slope(after.map((s) => s.t), after.map((s) => s.rss)) // MiB/s
  const rssGrowth = rssSlope * (end.t - atWarmUp.t)
  const rssSpread = maxOf(late.map((s) => s.rss)) - minOf(early.map((s) => s.rss))
  const heapSlope = slope(after.map((s) => s.t), after.map((s) => s.heapUsed))
  const growthOf = (key) => maxOf(late.map((s) => s[key])) - maxOf(early.map((s) => s[key]))

  const targets = []
  const target = (name, ok, detail) => targets.push({ name, ok, detail })
  target(
    `RSS grows ≤ ${RSS_GROWTH_LIMIT_MIB} MiB after the warm-up (least-squares slope over every sample from ${warmUpS} s on, times that span)`,
    rssGrowth <= RSS_GROWTH_LIMIT_MIB,
    `${rssGrowth.toFixed(2)} MiB (${(rssSlope * 60 * 1024).toFixed(0)} KiB/min); max of the last minute − min of minute 1–2: ${rssSpread.toFixed(2)} MiB`,
  )
  for (const [key, name, tolerance] of [
    ['handles', 'open handles', HANDLE_TOLERANCE],
    ['threads', 'OS threads', THREAD_TOLERANCE],
    ['fds', 'file descriptors', FD_TOLERANCE],
  ]) {
    const growth = growthOf(key)
    target(
      `${name} flat: max of the last minute ≤ max of minute 1–2 + ${tolerance}`,
      !(growth > tolerance),
      `${maxOf(early.map((s) => s[key]))} → ${maxOf(late.map((s) => s[key]))} (start ${samples[0][key]}, end ${end[key]})`,
    )
  }
  const failed = Object.values(failures).reduce((a, b) => a + b, 0)
  target('no unexpected failures', failed === 0, failed ? `${failed}: ${JSON.stringify(failures)}; first: ${firstFailure}` : '0')

  const opsTotal = Object.values(totals).reduce((a, b) => a + b, 0)
  const lines = [
    '',
    `Soak: ${f1(loadS)} s of load, ${IN_FLIGHT} in flight, ${samples.length} samples (bench/soak.csv, bench/soak.svg)`,
    `RSS        start ${f1(samples[0].rss)}  at ${warmUpS} s ${f1(atWarmUp.rss)}  end ${f1(end.rss)} MiB  (min ${f1(minOf(after.map((s) => s.rss)))}, max ${f1(maxOf(after.map((s) => s.rss)))} after warm-up)`,
    `heap used  start ${f1(samples[0].heapUsed)}  at ${warmUpS} s ${f1(atWarmUp.heapUsed)}  end ${f1(end.heapUsed)} MiB  (slope ${(heapSlope * 60 * 1024).toFixed(0)} KiB/min after warm-up; lowest in minute 1–2 ${f1(minOf(early.map((s) => s.heapUsed)))}, in the last minute ${f1(minOf(late.map((s) => s.heapUsed)))})`,
    `heap total start ${f1(samples[0].heapTotal)}  at ${warmUpS} s ${f1(atWarmUp.heapTotal)}  end ${f1(end.heapTotal)} MiB`,
    `handles    start ${samples[0].handles}  at ${warmUpS} s ${atWarmUp.handles}  end ${end.handles}  (max after warm-up ${maxOf(after.map((s) => s.handles))}; end: ${JSON.stringify(end.byType)})`,
    `threads    start ${samples[0].threads}  at ${warmUpS} s ${atWarmUp.threads}  end ${end.threads}  (max after warm-up ${maxOf(after.map((s) => s.threads))})`,
    `fds        start ${samples[0].fds}  at ${warmUpS} s ${atWarmUp.fds}  end ${end.fds}  (max after warm-up ${maxOf(after.map((s) => s.fds))})`,
    `codes in MemoryStore: median ${int(median(after.map((s) => s.storeEntries)))} after warm-up, max ${int(maxOf(after.map((s) => s.storeEntries)))}`,
    `ops        ${int(opsTotal)} (${int(opsTotal / loadS)}/s): ${KINDS.map((k) => `${k} ${int(totals[k])} (${int(totals[k] / loadS)}/s)`).join(', ')}`,
    `           wrong codes refused as expected: ${int(counters.refused)}`,
    `failures   ${failed ? JSON.stringify(failures) : 'none'}`,
    '',
    ...targets.map((t) => `${t.ok ? 'met' : 'MISSED'}: ${t.name} — ${t.detail}`),
    '',
  ]
  console.log(lines.join('\n'))
  if (durationS < 600) console.log(`(a ${durationS} s run checks the script; V8 still sizes its heap for the first minutes, so only the 10-minute run says whether memory grows)`)
  const missed = targets.filter((t) => !t.ok)
  if (missed.length) console.log(`soak: ${missed.length} target(s) missed: ${missed.map((t) => t.name.split(':')[0]).join('; ')}`)
  process.exitCode = missed.length ? 1 : 0

  // Everything is stopped: the process should now exit by itself. If something keeps it alive,
  // say what, and fail.
  setTimeout(() => {
    console.error(`soak: the process did not exit within 5 s of the summary; active resources: ${JSON.stringify(handlesByType())}`)
    process.exit(3)
  }, 5000).unref()
}

function writeCsv(samples, handleTypes) {
  const types = [...handleTypes].sort()
  const header = ['t_s', 'rss_mib', 'heap_used_mib', 'heap_total_mib', 'external_mib', 'handles', ...types.map((t) => `handles_${t}`), 'threads', 'fds', 'memory_store_entries', 'ops', ...KINDS.map((k) => `ops_${k.replace(' ', '_')}`), 'failures']
  const rows = samples.map((s) =>
    [s.t.toFixed(1), s.rss.toFixed(2), s.heapUsed.toFixed(2), s.heapTotal.toFixed(2), s.external.toFixed(2), s.handles, ...types.map((t) => s.byType[t] ?? 0), s.threads, s.fds, s.storeEntries, s.ops, ...KINDS.map((k) => s.opsByKind[k]), s.failures].join(','),
  )
  writeFileSync(`${here}soak.csv`, `${[header.join(','), ...rows].join('\n')}\n`)
}

await soak()
