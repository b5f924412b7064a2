// What the bench scripts measure with: the fake API's processes and their CPU, rounds of calls at a
// number in flight, and rounds of wrk at the same fake. Used by run.mjs (`npm run bench`).
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

import { freePort } from '../__test__/fixtures/redis.mjs'
import { SECRET } from './fake-api.mjs'

/** Seconds a round lasts (`BENCH_SECONDS`, 2 unless set). */
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 2)
/** Processes the fake API serves with (`BENCH_FAKE_WORKERS`, 2 unless set). */
export const FAKE_WORKERS = Number(process.env.BENCH_FAKE_WORKERS ?? 2)

const TICK_US = 1e6 / 100 // /proc times are in clock ticks (USER_HZ, 100 on Linux)

/** CPU µs used so far by the processes `pids` (from /proc/<pid>/stat: utime + stime). */
function cpuOf(pids) {
  let ticks = 0
  for (const pid of pids) {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    ticks += Number(fields[11]) + Number(fields[12])
  }
  return ticks * TICK_US
}

/** CPU µs used so far by this process's waited-for children (wrk, redis-benchmark). */
const childrenCpu = () => {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')
  return (Number(fields[13]) + Number(fields[14])) * TICK_US
}

const ownCpu = () => {
  const { user, system } = process.cpuUsage()
  return user + system
}

/**
 * One round of `call` with `inFlight` concurrent loops for SECONDS: calls/s, and with `cpu` (a
 * function answering CPU µs used so far by the server) the CPU µs per call of this process (the
 * client: JS thread and the addon's threads) and of the server.
 */
export async function rate(call, inFlight, cpu) {
  for (let i = 0; i < 200; i++) await call() // warm-up: connections, JIT
  let done = 0
  const until = Date.now() + SECONDS * 1000
  const started = process.hrtime.bigint()
  const [ownBefore, serverBefore] = [ownCpu(), cpu?.()]
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (Date.now() < until) {
        await call()
        done++
      }
    }),
  )
  const value = done / (Number(process.hrtime.bigint() - started) / 1e9)
  return cpu ? { value, client: (ownCpu() - ownBefore) / done, server: (cpu() - serverBefore) / done } : { value }
}

/** The fake API (bench/fake-api.mjs) on a free loopback port, with `workers` processes. */
export async function startFake(workers = FAKE_WORKERS) {
  const port = await freePort()
  const child = spawn(process.execPath, [new URL('fake-api.mjs', import.meta.url).pathname, String(port), String(workers)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  await new Promise((resolve) => child.stdout.once('data', resolve))
  // The fake's processes: its cluster primary and the workers it forked (none with one worker:
  // pgrep then finds nothing and exits 1).
  const forked = spawnSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' }).stdout
  const processes = [child.pid, ...forked.trim().split('\n').filter(Boolean).map(Number)]
  return { url: `http://127.0.0.1:${port}`, port, cpu: () => cpuOf(processes), stop: () => child.kill('SIGTERM') }
}

/** One round of wrk at `url`: requests/s; with `cpu` (the server's CPU µs so far), CPU µs per request of wrk and of the server. */
export function wrk(url, connections, cpu) {
  const [wrkBefore, serverBefore] = [childrenCpu(), cpu?.()]
  const out = execFileSync('wrk', ['-t1', `-c${connections}`, `-d${SECONDS}s`, '-H', `Authorization: Bearer ${SECRET}`, url], { encoding: 'utf8' })
  const value = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1])
  const requests = Number(/(\d+) requests in/.exec(out)[1])
  return cpu ? { value, client: (childrenCpu() - wrkBefore) / requests, server: (cpu() - serverBefore) / requests } : { value }
}
