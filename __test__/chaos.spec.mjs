// Chaos under load: 64 concurrent sign-in code loops through a real adapter while a redis-server is
// killed or frozen (one server, a Cluster master, a Sentinel master), or the API misbehaves; then
// the fault ends and the load goes on.
// What must hold: no code accepted twice or for another email, no crash, every failure an Error
// with a stable `code` within its time bound, and success back to ≥ 99% soon after the fault ends.
// In a Cluster, calls whose keys live on the masters that did not fail must not notice: every
// 250 ms of the fault they keep completing, none fails, and their p99 latency stays small.
//
// A scenario is one entry of SCENARIOS: a name, the codes its failures may carry, how soon it must
// recover, and `setup(t)`, which starts what it needs and returns `{ adapter, fault }` — `fault()`
// makes the fault happen and resolves when it has ended (see "Adding a scenario" at the bottom).
//
// The load runs in this ava worker: a crash of the addon (abort, segfault) ends the worker and fails
// the file, and a call that never settles is counted when the load stops, and fails its scenario.
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'

import test from 'ava'

import { ChatBotKitPartnerAdapter, RedisStore } from '@chatbotkit/nextauth'

import { SECRET, startFakeApi } from './fixtures/fake-api.mjs'
import { emailSlot, requireRedis, startRedis, startRedisCluster, startRedisSentinel } from './fixtures/redis.mjs'

/** Concurrent sign-in code loops. */
const LOOPS = 64
/** Concurrent API loops (getUserByEmail / createUser) in the API scenario. */
const API_LOOPS = 16
/** Every loop: one code per iteration, with a third, concurrent use under another email this often. */
const OTHER_EMAIL_EVERY = 8
/** A loop's pause after a failed call, as a user would try again a moment later. */
const BACKOFF_MS = 20
/** RedisStore `commandTimeout`: bounds each store call, reconnecting and retrying included. */
const COMMAND_TIMEOUT = 750
/** Adapter `timeout`: bounds one adapter method, every API call, retry and wait included. */
const API_TIMEOUT = 1500
/**
 * What a call may take beyond its bound on a busy 2-core machine (other work, 64 loops, the fake
 * API and the redis-servers sharing it): scheduling, event-loop and timer delays.
 */
const SLACK = 1000
/** How long each call may take before it settles: its own bound plus SLACK. */
const BOUND_MS = {
  createVerificationToken: COMMAND_TIMEOUT + SLACK, // one SET
  useVerificationToken: COMMAND_TIMEOUT + SLACK, // one script call
  getUserByEmail: API_TIMEOUT + SLACK, // one API call (list)
  createUser: API_TIMEOUT + SLACK, // three API calls in turn (list, create, fetch), within one `timeout`
}
/** Load before the fault, and after recovery (at least; until 2 × WINDOW operations have followed it). */
const STEADY_MS = 1500
/** The longest the load goes on after recovery, when operations are slow to come. */
const TAIL_MS = 10_000
/** Recovered: the first WINDOW operations (by start, from the fault's end) with ≥ RECOVERED success. */
const WINDOW = 200
const RECOVERED = 0.99
/** How many times a code accepted under load is tried again at the end: must never work again. */
const REUSE_CONCURRENCY = 64
/** The timeline's step: completions, failures and the slowest call, per group of keys. */
const TICK_MS = 250
/**
 * Calls whose keys live on the servers that did not fail, during the fault: every TICK_MS at least
 * this share of the completions a tick saw before the fault (the median), and a p99 latency within
 * HEALTHY_P99_MS (a few ms on an idle machine; the rest is this 2-core machine under the load).
 */
const HEALTHY_SHARE = 0.2
const HEALTHY_P99_MS = 100
/** How long a frozen (SIGSTOPped) server stays frozen: longer than COMMAND_TIMEOUT, shorter than
 * the time its Cluster or Sentinels take to call it failed (then it would be the SIGKILL case). */
const FREEZE_MS = 3000

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const now = () => performance.now()

/** redis-cli without blocking the event loop the load runs on. */
function cli(port, ...args) {
  return new Promise((resolve) => {
    execFile('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 2000 }, (error, stdout) => resolve(error ? '' : stdout))
  })
}

async function until(check, what, deadlineMs) {
  const deadline = now() + deadlineMs
  while (now() < deadline) {
    if (await check()) return
    await sleep(50)
  }
  throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`)
}

const adapterWith = (store, options = {}) =>
  ChatBotKitPartnerAdapter({ secret: SECRET, store, baseUrl: 'http://127.0.0.1:9', ...options })

// ---------------------------------------------------------------------------------------------
// The load

/**
 * Starts LOOPS sign-in code loops (and `apiLoops` API loops) on `adapter`. Each operation is kept
 * as `{ kind, method, start, end, code }` (`code` only for a failure); each invariant broken is
 * counted under what was seen, never a code or an email.
 */
function startLoad({ adapter, apiLoops = 0, seededEmail, groupOf }) {
  const run = randomBytes(4).toString('hex')
  const ops = []
  const violations = new Map()
  const accepted = []
  /** Codes created, then refused by both uses with no failure: lost. `start` of each iteration. */
  const lost = []
  let running = true
  let serial = 0
  let inFlight = 0

  const violation = (what) => violations.set(what, (violations.get(what) ?? 0) + 1)

  /** `group`: where the call's keys live ('healthy' or 'failed' in a Cluster, else 'all'). */
  async function call(kind, method, argument, group = 'all') {
    const start = now()
    inFlight++
    try {
      const value = await adapter[method](argument)
      ops.push({ kind, method, start, end: now(), group })
      return { ok: true, value }
    } catch (error) {
      const end = now()
      const code = error instanceof Error && typeof error.code === 'string' ? error.code : `not an Error with a code: ${typeof error}`
      ops.push({ kind, method, start, end, code, group })
      return { ok: false }
    } finally {
      inFlight--
    }
  }

  /**
   * An email for loop `loop`. With `groupOf`, a third of the loops use only emails whose keys live
   * on the master that will fail, the others only the rest: as with a site's visitors, a sign-in
   * waiting on the failed master holds up no one else's.
   */
  function email(prefix, loop, n) {
    const group = groupOf && (loop % 3 === 0 ? 'failed' : 'healthy')
    for (let i = 0; ; i++) {
      const candidate = `${prefix}-${run}-${loop}-${n}-${i}@example.test`
      if (!group || groupOf(candidate) === group) return { identifier: candidate, group }
    }
  }

  async function codeLoop(loop) {
    while (running) {
      const n = serial++
      const started = now()
      const { identifier, group } = email('chaos', loop, n)
      const token = randomBytes(3).toString('hex')
      const expires = new Date(Date.now() + 10 * 60_000)
      const created = await call('tokens', 'createVerificationToken', { identifier, token, expires }, group)
      if (!created.ok) {
        await sleep(BACKOFF_MS)
        continue
      }
      const uses = [
        call('tokens', 'useVerificationToken', { identifier, token }, group),
        call('tokens', 'useVerificationToken', { identifier, token }, group),
      ]
      if (n % OTHER_EMAIL_EVERY === 0) {
        const other = email('other', loop, n)
        uses.push(call('tokens', 'useVerificationToken', { identifier: other.identifier, token }, other.group))
      }
      const [first, second, other] = await Promise.all(uses)
      const wins = [first, second].filter((use) => use.ok && use.value)
      if (wins.length > 1) violation('both of two concurrent uses accepted the code')
      for (const { value } of wins) {
        if (value.identifier !== identifier || value.token !== token) violation('a use answered another email or code')
      }
      if (other?.ok && other.value) violation('a code was accepted for another email')
      if (wins.length === 1) accepted.push({ identifier, token })
      else if (first.ok && second.ok && wins.length === 0) lost.push(started)
      if (!first.ok || !second.ok || other?.ok === false) await sleep(BACKOFF_MS)
    }
  }

  async function apiLoop(loop) {
    while (running) {
      const n = serial++
      let outcome
      if (n % 2 === 0) {
        outcome = await call('api', 'getUserByEmail', seededEmail)
        if (outcome.ok && outcome.value?.email !== seededEmail) violation('getUserByEmail answered without the user')
      } else {
        const email = `new-${run}-${loop}-${n}@example.test`
        outcome = await call('api', 'createUser', { email, name: 'New User' })
        if (outcome.ok && outcome.value?.email !== email) violation('createUser answered another user')
      }
      if (!outcome.ok) await sleep(BACKOFF_MS)
    }
  }

  const loops = [
    ...Array.from({ length: LOOPS }, (_, i) => codeLoop(i)),
    ...Array.from({ length: apiLoops }, (_, i) => apiLoop(i)),
  ]
  return {
    ops,
    violations,
    accepted,
    lost,
    /**
     * Lets every loop finish the iteration it is in, waiting at most as long as the slowest call
     * may take; resolves with the number of calls still unsettled then.
     */
    async stop() {
      running = false
      let timer
      const waited = new Promise((resolve) => (timer = setTimeout(resolve, 2 * Math.max(...Object.values(BOUND_MS)))))
      await Promise.race([Promise.all(loops), waited])
      clearTimeout(timer)
      return inFlight
    },
  }
}

/**
 * Recovery after `faultEnd`: the first WINDOW operations of `kind`, ordered by start, that succeed
 * ≥ RECOVERED. Returns `{ ms, index, sorted }` (ms from the fault's end to that window's first
 * start), or null when no such window has been seen.
 */
function recovery(ops, kind, faultEnd) {
  const sorted = ops.filter((op) => op.kind === kind && op.start >= faultEnd).sort((a, b) => a.start - b.start)
  let failed = 0
  for (let i = 0; i < sorted.length; i++) {
    if (sorted[i].code) failed++
    if (i >= WINDOW && sorted[i - WINDOW].code) failed--
    if (i >= WINDOW - 1 && failed <= WINDOW * (1 - RECOVERED)) {
      const index = i - WINDOW + 1
      return { ms: sorted[index].start - faultEnd, index, sorted }
    }
  }
  return null
}

/**
 * The load tick by tick (TICK_MS, by when calls settled) from `from` to `to`: for each group of
 * keys, the calls that succeeded, that failed, and the slowest.
 */
function timeline(ops, from, to) {
  const ticks = []
  for (let at = from; at + TICK_MS <= to; at += TICK_MS) ticks.push({ at, groups: {} })
  for (const op of ops) {
    const tick = ticks[Math.floor((op.end - from) / TICK_MS)]
    if (!tick) continue
    const group = (tick.groups[op.group] ??= { ok: 0, failed: 0, slowest: 0 })
    if (op.code) group.failed++
    else group.ok++
    group.slowest = Math.max(group.slowest, op.end - op.start)
  }
  return ticks
}

function percentile(values, share) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))] : 0
}

/** Tries every accepted code again, as an attacker replaying it would. */
async function reuseAll(adapter, accepted) {
  let acceptedAgain = 0
  let unchecked = 0
  let next = 0
  async function worker() {
    while (next < accepted.length) {
      const { identifier, token } = accepted[next++]
      let checked = false
      for (let attempt = 0; attempt < 3 && !checked; attempt++) {
        try {
          if (await adapter.useVerificationToken({ identifier, token })) acceptedAgain++
          checked = true
        } catch {
          await sleep(100)
        }
      }
      if (!checked) unchecked++
    }
  }
  await Promise.all(Array.from({ length: REUSE_CONCURRENCY }, worker))
  return { acceptedAgain, unchecked }
}

/** How many of `items` fall under each `key(item)`. */
function count(items, key) {
  const counts = {}
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1
  return counts
}

async function runScenario(t, scenario) {
  t.timeout(150_000)
  requireRedis()
  const { adapter, fault, seededEmail, check, groupOf } = await scenario.setup(t)
  const eventLoop = monitorEventLoopDelay({ resolution: 10 })
  eventLoop.enable()
  const load = startLoad({ adapter, apiLoops: scenario.apiLoops, seededEmail, groupOf })
  const target = scenario.apiLoops ? 'api' : 'tokens'

  await sleep(STEADY_MS)
  const faultStart = now()
  let faultEnd
  try {
    await fault()
  } finally {
    faultEnd = now()
  }
  const giveUp = faultEnd + scenario.recoverWithin + TAIL_MS
  while (now() < giveUp) {
    await sleep(250)
    const seen = recovery(load.ops, target, faultEnd)
    if (seen && now() > faultEnd + seen.ms + STEADY_MS && seen.sorted.length - seen.index >= 2 * WINDOW) break
  }
  const unsettled = await load.stop()
  const reuse = await reuseAll(adapter, load.accepted)
  eventLoop.disable()
  const longestStall = eventLoop.max / 1e6

  // Figures.
  const { ops } = load
  const failures = ops.filter((op) => op.code)
  const slowest = (list) => list.reduce((max, op) => Math.max(max, op.end - op.start), 0)
  const late = ops.filter((op) => op.end - op.start > BOUND_MS[op.method])
  const recovered = recovery(ops, target, faultEnd)
  const after = recovered ? recovered.sorted.slice(recovered.index) : []
  const afterFailures = after.filter((op) => op.code).length
  const lostAfter = recovered ? load.lost.filter((start) => start >= faultEnd + recovered.ms).length : 0
  t.log(`operations: ${ops.length} (${JSON.stringify(count(ops, (op) => op.method))}), codes accepted once: ${load.accepted.length}`)
  t.log(`fault: ${Math.round(faultEnd - faultStart)} ms; failures by code: ${JSON.stringify(count(failures, (op) => op.code))}`)
  const slowestBy = {}
  for (const [method, bound] of Object.entries(BOUND_MS)) {
    const calls = ops.filter((op) => op.method === method)
    if (calls.length) slowestBy[method] = `${Math.round(slowest(calls))}/${bound}`
  }
  t.log(`slowest rejection: ${Math.round(slowest(failures))} ms; slowest call by method, ms/bound: ${JSON.stringify(slowestBy)}`)
  t.log(
    recovered
      ? `recovery: ${Math.round(recovered.ms)} ms after the fault ended (bound ${scenario.recoverWithin} ms); then ${after.length} ${target} operations, ${afterFailures} failed`
      : `recovery: none within ${scenario.recoverWithin} ms of the fault's end`,
  )
  t.log(`codes lost (created, then refused by both uses): ${load.lost.length}, after recovery: ${lostAfter}; accepted again when replayed: ${reuse.acceptedAgain}`)
  t.log(`event loop: longest delay ${Math.round(longestStall)} ms`)
  const shownUntil = faultEnd + (recovered?.ms ?? 0) + 2 * TICK_MS
  t.log(`timeline (s from the fault; per group of keys: succeeded/failed, slowest ms):`)
  for (const { at, groups } of timeline(ops, faultStart - 2 * TICK_MS, shownUntil)) {
    const cells = Object.entries(groups)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([group, g]) => `${group} ${g.ok}/${g.failed} ≤${Math.round(g.slowest)}`)
    const mark = at <= faultEnd && faultEnd < at + TICK_MS ? '  ← fault ended' : ''
    t.log(`  ${((at - faultStart) / 1000).toFixed(2).padStart(6)}  ${cells.join('  |  ')}${mark}`)
  }

  // What must hold.
  t.is(unsettled, 0, 'every call settled')
  t.deepEqual(Object.fromEntries(load.violations), {}, 'no code accepted twice or for another email; every answer for the right user')
  t.is(reuse.acceptedAgain, 0, 'a code accepted under load is never accepted again')
  t.is(reuse.unchecked, 0, 'every accepted code could be replayed once the fault was over')
  const unexpected = failures.filter((op) => !scenario.codes.includes(op.code))
  t.deepEqual(count(unexpected, (op) => `${op.method}: ${op.code}`), {}, `every failure carries one of ${scenario.codes.join(', ')}`)
  t.deepEqual(
    count(late, (op) => `${op.method} ${op.code ? 'rejected' : 'resolved'}`),
    {},
    `every call settles within its bound (slowest ${Math.round(slowest(late))} ms)`,
  )
  t.true(longestStall < SLACK, `the event loop never stalled for SLACK or more (longest ${Math.round(longestStall)} ms): the bounds above hold with it`)
  t.truthy(recovered, `success back to ≥ ${RECOVERED * 100}% over ${WINDOW} operations`)
  if (recovered) {
    t.true(recovered.ms <= scenario.recoverWithin, `recovered ${Math.round(recovered.ms)} ms after the fault, bound ${scenario.recoverWithin} ms`)
    t.true(after.length >= WINDOW && afterFailures <= after.length * (1 - RECOVERED), `${afterFailures} of ${after.length} failed after recovery`)
    t.is(lostAfter, 0, 'no code created after recovery is lost')
  }
  if (groupOf) {
    const healthy = ops.filter((op) => op.group === 'healthy')
    const before = timeline(healthy, faultStart - 4 * TICK_MS, faultStart).map(({ groups }) => groups.healthy?.ok ?? 0)
    const usual = percentile(before, 0.5)
    const during = timeline(healthy, faultStart, faultEnd)
    const thin = during.filter(({ groups }) => (groups.healthy?.ok ?? 0) < HEALTHY_SHARE * usual)
    const latencies = healthy.filter((op) => op.start >= faultStart && op.start < faultEnd).map((op) => op.end - op.start)
    const p99 = percentile(latencies, 0.99)
    t.log(`healthy masters: ${usual} calls a tick before the fault; during it, the fewest ${Math.min(...during.map(({ groups }) => groups.healthy?.ok ?? 0))}, p99 latency ${p99.toFixed(1)} ms over ${latencies.length} calls`)
    t.true(during.length > 0 && usual > 0, 'the load reached the healthy masters before and during the fault')
    t.deepEqual(
      thin.map(({ at }) => `${((at - faultStart) / 1000).toFixed(2)} s`),
      [],
      `every ${TICK_MS} ms of the fault, calls on healthy masters completed at ≥ ${HEALTHY_SHARE * 100}% of their usual pace`,
    )
    t.deepEqual(count(healthy.filter((op) => op.code && op.end >= faultStart), (op) => op.code), {}, 'no call on a healthy master failed')
    t.true(p99 <= HEALTHY_P99_MS, `p99 latency on healthy masters during the fault ${p99.toFixed(1)} ms, bound ${HEALTHY_P99_MS} ms`)
  }
  check?.(t)
}

/**
 * A Cluster of 3 masters and 3 replicas that keeps serving the healthy masters' slots while one
 * fails (cluster-require-full-coverage no), a store on it, and the master to fail: `groupOf` tells
 * an email whose keys live on it ('failed') from the others ('healthy').
 */
async function clusterUnderTest(t, { nodeTimeout }) {
  const cluster = await startRedisCluster({ replicas: 1, nodeTimeout, fullCoverage: false })
  t.teardown(() => cluster.stop())
  const roles = await Promise.all(cluster.nodes.map((node) => cli(node.port, 'ROLE')))
  const replicaIndex = roles.findIndex((role) => role.startsWith('slave'))
  if (replicaIndex < 0) throw new Error('the cluster has no replica')
  const replica = cluster.nodes[replicaIndex]
  const masterPort = Number(roles[replicaIndex].split('\n')[2])
  const master = cluster.nodes.find((node) => node.port === masterPort)
  const store = new RedisStore({ nodes: cluster.urls, commandTimeout: COMMAND_TIMEOUT })
  t.teardown(() => store.close())
  const adapter = adapterWith(store)

  const slots = cluster.slotsOf(master)
  // This test's slot arithmetic is the server's: a key the store wrote is in the slot it computes.
  const probe = 'slot-probe@example.test'
  await adapter.createVerificationToken({ identifier: probe, token: 'probe1', expires: new Date(Date.now() + 60_000) })
  const keys = (await Promise.all(cluster.nodes.map((node) => cli(node.port, 'KEYS', '*verificationToken*')))).join('\n').trim().split('\n')
  const serverSlot = Number((await cli(master.port, 'CLUSTER', 'KEYSLOT', keys[0])).trim())
  t.is(serverSlot, emailSlot(probe), 'the test computes hash slots as Redis does')
  return { master, replica, survivors: cluster.nodes.filter((node) => node !== master), adapter, groupOf: (email) => (slots.has(emailSlot(email)) ? 'failed' : 'healthy') }
}

// ---------------------------------------------------------------------------------------------
// The scenarios

/** API faults, one burst each, in turn. Each hits this share of requests while it lasts. */
const BURST_MS = 1000
const BURST_SHARE = 0.75
const BURSTS = {
  '503': (_, i) =>
    i % 2 ? { status: 503, body: { message: 'busy', code: 'SERVICE_UNAVAILABLE' } } : { status: 503, body: '<html>503 Service Unavailable</html>' },
  '429 with Retry-After': () => ({ status: 429, body: { message: 'slow down', code: 'TOO_MANY_REQUESTS' }, headers: { 'retry-after': '1' } }),
  'connection reset': () => 'reset',
  hang: () => 'hang',
  'non-JSON 200': () => ({ status: 200, body: '<html>maintenance</html>' }),
  'JSON of the wrong shape': (_, i) => ({ status: 200, body: [{ unexpected: true }, [], null, { items: 'none' }][i % 4] }),
}

const SCENARIOS = [
  {
    name: 'a redis-server SIGKILLed and restarted on the same port',
    codes: ['REDIS_UNAVAILABLE'],
    recoverWithin: 1000,
    async setup(t) {
      const server = await startRedis()
      t.teardown(() => server.stop())
      const store = new RedisStore({ url: server.url, commandTimeout: COMMAND_TIMEOUT })
      t.teardown(() => store.close())
      return {
        adapter: adapterWith(store),
        async fault() {
          await server.kill()
          await sleep(2000)
          await server.start()
        },
      }
    },
  },
  {
    name: 'a redis-server frozen (SIGSTOP), then resumed',
    codes: ['REDIS_UNAVAILABLE'],
    recoverWithin: 1000,
    async setup(t) {
      const server = await startRedis()
      t.teardown(() => server.stop())
      t.teardown(() => server.resume())
      const store = new RedisStore({ url: server.url, commandTimeout: COMMAND_TIMEOUT })
      t.teardown(() => store.close())
      return {
        adapter: adapterWith(store),
        async fault() {
          server.pause()
          await sleep(FREEZE_MS)
          server.resume()
        },
      }
    },
  },
  {
    name: 'a Redis Cluster master SIGKILLed, its replica promoted by the cluster',
    codes: ['REDIS_UNAVAILABLE'],
    recoverWithin: 1000,
    async setup(t) {
      const NODE_TIMEOUT = 1000
      const { master, replica, survivors, adapter, groupOf } = await clusterUnderTest(t, { nodeTimeout: NODE_TIMEOUT })
      return {
        adapter,
        groupOf,
        async fault() {
          await master.kill()
          await until(
            async () =>
              (await cli(replica.port, 'ROLE')).startsWith('master') &&
              (await Promise.all(survivors.map((node) => cli(node.port, 'CLUSTER', 'INFO')))).every((info) => info.includes('cluster_state:ok')),
            'the replica promoted and the cluster ok',
            20 * NODE_TIMEOUT,
          )
        },
      }
    },
  },
  {
    name: 'a Redis Cluster master frozen (SIGSTOP), then resumed',
    codes: ['REDIS_UNAVAILABLE'],
    recoverWithin: 1000,
    async setup(t) {
      const { master, adapter, groupOf } = await clusterUnderTest(t, { nodeTimeout: 2 * FREEZE_MS })
      t.teardown(() => master.resume())
      return {
        adapter,
        groupOf,
        async fault() {
          master.pause()
          await sleep(FREEZE_MS)
          master.resume()
        },
      }
    },
  },
  {
    name: 'a Sentinel master SIGKILLed, its replica promoted by the Sentinels',
    codes: ['REDIS_UNAVAILABLE'],
    recoverWithin: 1000,
    async setup(t) {
      const group = await startRedisSentinel()
      t.teardown(() => group.stop())
      const store = new RedisStore({ sentinels: group.sentinels.map((s) => s.url), name: group.name, commandTimeout: COMMAND_TIMEOUT })
      t.teardown(() => store.close())
      return {
        adapter: adapterWith(store),
        async fault() {
          await group.master.kill()
          const promoted = async () =>
            (await cli(group.sentinels[0].port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', group.name)).includes(String(group.replica.port))
          await until(promoted, 'the Sentinels to promote the replica', 30_000)
        },
      }
    },
  },
  {
    name: 'a Sentinel master frozen (SIGSTOP), then resumed',
    codes: ['REDIS_UNAVAILABLE'],
    recoverWithin: 1000,
    async setup(t) {
      const group = await startRedisSentinel({ downAfter: 2 * FREEZE_MS })
      t.teardown(() => group.stop())
      t.teardown(() => group.master.resume())
      const store = new RedisStore({ sentinels: group.sentinels.map((s) => s.url), name: group.name, commandTimeout: COMMAND_TIMEOUT })
      t.teardown(() => store.close())
      return {
        adapter: adapterWith(store),
        async fault() {
          group.master.pause()
          await sleep(FREEZE_MS)
          group.master.resume()
        },
      }
    },
  },
  {
    name: 'the API answering bursts of 503, 429, resets, hangs and malformed bodies',
    codes: ['SERVICE_UNAVAILABLE', 'HTTP_503', 'TOO_MANY_REQUESTS', 'NETWORK_ERROR', 'TIMEOUT', 'INVALID_RESPONSE'],
    recoverWithin: 3000,
    apiLoops: API_LOOPS,
    async setup(t) {
      const server = await startRedis()
      t.teardown(() => server.stop())
      let burst = null
      let served = 0
      const injected = {}
      const api = await startFakeApi({
        seed: { 'partner/user': [{ email: 'ann@example.com', name: 'Ann' }] },
        fault(exchange) {
          if (!burst || Math.random() >= BURST_SHARE) return undefined
          injected[burst] = (injected[burst] ?? 0) + 1
          return BURSTS[burst](exchange, served++)
        },
      })
      t.teardown(() => api.close())
      const store = new RedisStore({ url: server.url, commandTimeout: COMMAND_TIMEOUT })
      t.teardown(() => store.close())
      const adapter = ChatBotKitPartnerAdapter({ secret: SECRET, store, baseUrl: api.url, timeout: API_TIMEOUT, autoCreateUser: true })
      return {
        adapter,
        seededEmail: 'ann@example.com',
        check(t) {
          t.log(`API answers injected: ${JSON.stringify(injected)}`)
          t.deepEqual(Object.keys(injected).sort(), Object.keys(BURSTS).sort(), 'every kind of fault reached the adapter')
          t.deepEqual(api.violations, [], 'every request the adapter sent fits the API')
        },
        async fault() {
          for (const kind of Object.keys(BURSTS)) {
            burst = kind
            await sleep(BURST_MS)
          }
          burst = null
        },
      }
    },
  },
]

for (const scenario of SCENARIOS) {
  test.serial(`chaos: ${scenario.name}`, (t) => runScenario(t, scenario))
}

// Adding a scenario is one more entry in SCENARIOS: `setup(t)` starts what it needs (stopped in
// t.teardown) and answers `{ adapter, fault }`. `fault()` must not block the event loop the load
// runs on (use `cli` and `until` here, not the fixtures' synchronous `.cli`), and resolves when the
// fault has ended: recovery counts from then. Optional: `apiLoops` in the entry (API calls
// alongside the code loops; recovery is then measured on them), `check(t)` beside `fault` (more
// assertions once the load has stopped), and `groupOf(email)` beside `fault` ('failed' for an
// email whose keys live on the server that fails, else 'healthy': the loops then keep to one
// group each, and the healthy group must not notice the fault).
