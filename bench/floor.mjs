// `node bench/floor.mjs [blocks]`: the floor under getUserByEmail's share of wrk (bench/analysis.md,
// "the floor of the two-thread shape"). Against one fake API (bench/fake-api.mjs, 2 processes), in
// blocks run back to back: a round of `wrk -t1 -c64`, reqwest alone on one thread
// (bench/reqwest-floor `current`), reqwest in the addon's shape with no Node (`handoff`: the request
// handed to a runtime thread, the answer handed back), and three rounds of the addon (64 loops of
// getUserByEmail), the rounds measured as `npm run bench` measures them (bench/measure.mjs). Prints
// each round's requests/s and CPU µs a request. Build the Rust program first:
//   CARGO_TARGET_DIR=/tmp/rf cargo build --release --manifest-path bench/reqwest-floor/Cargo.toml
// (REQWEST_FLOOR names the binary if it is elsewhere). Not part of `npm run bench` or of CI.
import { execFileSync } from 'node:child_process'

import { ChatBotKitPartnerAdapter, MemoryStore } from '@chatbotkit/nextauth'

import { SECRET } from './fake-api.mjs'
import { rate, startFake, wrk } from './measure.mjs'

const BLOCKS = Number(process.argv[2] ?? 3)
const FLOOR = process.env.REQWEST_FLOOR ?? '/tmp/rf/release/reqwest-floor'
const IN_FLIGHT = 64

/** A round as requests/s and the client's and the fake's CPU µs a request. */
const line = ({ value, client, server }) => `${Math.round(value)} requests/s, ${client.toFixed(1)} µs CPU a request (the fake ${server.toFixed(1)})`

const fake = await startFake()
try {
  const adapter = ChatBotKitPartnerAdapter({ secret: SECRET, store: new MemoryStore(), baseUrl: fake.url, retries: 0 })
  const lookup = () => adapter.getUserByEmail('ann@example.com')
  for (let block = 1; block <= BLOCKS; block++) {
    console.log(`block ${block}`)
    console.log(`  wrk: ${line(wrk(`${fake.url}/v1/partner/user/list?email=ann%40example.com`, IN_FLIGHT, fake.cpu))}`)
    for (const mode of ['current', 'handoff']) {
      const out = execFileSync(FLOOR, [fake.url, String(IN_FLIGHT), mode], { encoding: 'utf8' })
      console.log(`  reqwest ${mode}: ${out.trim().split('\n').slice(-3).join('; ')}`)
    }
    const rounds = []
    for (let round = 0; round < 3; round++) rounds.push(line(await rate(lookup, IN_FLIGHT, fake.cpu)))
    console.log(`  addon: ${rounds.join('; ')}`)
  }
} finally {
  fake.stop()
}
