// `node bench/floor.mjs [blocks]`: the floor under getUserByEmail's share of wrk (bench/analysis.md,
// "the floor of the two-thread shape"). Against one fake API (bench/fake-api.mjs, 2 processes), in
// blocks run back to back: `wrk -t1 -c64`, reqwest alone on one thread (bench/reqwest-floor
// `current`), reqwest in the addon's shape with no Node (`handoff`: the request handed to a runtime
// thread, the answer handed back), and the addon itself (64 loops of getUserByEmail). Prints each
// round's requests/s and the client's CPU µs a request. Build the Rust program first:
//   CARGO_TARGET_DIR=/tmp/rf cargo build --release --manifest-path bench/reqwest-floor/Cargo.toml
// (REQWEST_FLOOR names the binary if it is elsewhere). Not part of `npm run bench` or of CI.
import { execFileSync, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'

import { ChatBotKitPartnerAdapter, MemoryStore } from '@chatbotkit/nextauth'

import { freePort } from '../__test__/fixtures/redis.mjs'
import { SECRET } from './fake-api.mjs'

const BLOCKS = Number(process.argv[2] ?? 3)
const FLOOR = process.env.REQWEST_FLOOR ?? '/tmp/rf/release/reqwest-floor'
const IN_FLIGHT = 64

/** CPU µs used so far by this process's waited-for children (wrk). */
function childrenCpu() {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')
  return (Number(fields[13]) + Number(fields[14])) * 10_000
}

const line = (rate, cpu) => `${Math.round(rate)} requests/s, ${cpu.toFixed(1)} µs CPU a request`

function wrk(url) {
  const before = childrenCpu()
  const out = execFileSync('wrk', ['-t1', `-c${IN_FLIGHT}`, '-d4s', '-H', `Authorization: Bearer ${SECRET}`, url], { encoding: 'utf8' })
  const requests = Number(/(\d+) requests in/.exec(out)[1])
  return line(Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]), (childrenCpu() - before) / requests)
}

/** Three rounds of 2 s of the addon, as `npm run bench` measures it. */
async function addon(adapter) {
  const rounds = []
  for (let round = 0; round < 3; round++) {
    let done = 0
    const until = Date.now() + 2000
    const [started, cpu] = [process.hrtime.bigint(), process.cpuUsage()]
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (Date.now() < until) {
          await adapter.getUserByEmail('ann@example.com')
          done++
        }
      }),
    )
    const used = process.cpuUsage(cpu)
    rounds.push(line(done / (Number(process.hrtime.bigint() - started) / 1e9), (used.user + used.system) / done))
  }
  return rounds.join('; ')
}

const port = await freePort()
const fake = spawn(process.execPath, [new URL('fake-api.mjs', import.meta.url).pathname, String(port), '2'], { stdio: ['ignore', 'pipe', 'inherit'] })
try {
  await new Promise((resolve) => fake.stdout.once('data', resolve))
  const base = `http://127.0.0.1:${port}`
  const adapter = ChatBotKitPartnerAdapter({ secret: SECRET, store: new MemoryStore(), baseUrl: base, retries: 0 })
  for (let i = 0; i < 500; i++) await adapter.getUserByEmail('ann@example.com')
  for (let block = 1; block <= BLOCKS; block++) {
    console.log(`block ${block}`)
    console.log(`  wrk: ${wrk(`${base}/v1/partner/user/list?email=ann%40example.com`)}`)
    for (const mode of ['current', 'handoff']) {
      const out = execFileSync(FLOOR, [base, String(IN_FLIGHT), mode], { encoding: 'utf8' })
      console.log(`  reqwest ${mode}: ${out.trim().split('\n').slice(-3).join('; ')}`)
    }
    console.log(`  addon: ${await addon(adapter)}`)
  }
} finally {
  fake.kill('SIGTERM')
}
