// The JavaScript path the original package takes, for comparison: its adapter logic on the
// official @chatbotkit/sdk, with a Map store (its MemoryStore) or a Redis store on ioredis.
// Keys `verificationToken:<token>`, consume = get then del — as the original does.
import { PartnerUserClient } from '@chatbotkit/sdk/partner/user/index.js'

export class MapStore {
  map = new Map()
  async get(key) {
    return this.map.get(key) ?? null
  }
  async set(key, value) {
    this.map.set(key, value)
  }
  async del(key) {
    this.map.delete(key)
  }
}

export class IoRedisStore {
  constructor(redis) {
    this.redis = redis
  }
  async get(key) {
    const raw = await this.redis.get(key)
    return raw === null ? null : JSON.parse(raw)
  }
  async set(key, value, { px } = {}) {
    await (px ? this.redis.set(key, JSON.stringify(value), 'PX', px) : this.redis.set(key, JSON.stringify(value)))
  }
  async del(key) {
    await this.redis.del(key)
  }
}

export function JsPartnerAdapter({ secret, store, baseUrl }) {
  const url = new URL(baseUrl)
  const client = new PartnerUserClient({ secret, host: url.host, protocol: url.protocol })
  const serialize = ({ email, ...rest }) => ({ ...rest, email, emailVerified: new Date(rest.createdAt) })
  return {
    async getUser(id) {
      return serialize(await client.fetch(id))
    },
    async getUserByEmail(email) {
      const {
        items: [user],
      } = await client.list({ email })
      return user ? serialize(user) : null
    },
    async createUser(user) {
      const { id } = await client.create({ name: user.name ?? undefined, image: user.image ?? undefined, email: user.email })
      return serialize(await client.fetch(id))
    },
    async updateUser(user) {
      const { id } = await client.update(user.id, { name: user.name ?? '', image: user.image ?? '', email: user.email ?? undefined })
      return serialize(await client.fetch(id))
    },
    async createVerificationToken(token) {
      await store.set(`verificationToken:${token.token}`, token, { px: Math.abs(token.expires.getTime() - Date.now()) })
      return { ...token }
    },
    async useVerificationToken(token) {
      const value = await store.get(`verificationToken:${token.token}`)
      if (!value) return null
      await store.del(`verificationToken:${token.token}`)
      return { ...token, expires: new Date(value.expires) }
    },
  }
}
