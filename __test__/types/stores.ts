// A store shaped like @vercel/kv / @upstash/redis: JSON values, set with { px }, get resolving null.
import type { StoreLike, StoreSetOptions } from '@chatbotkit/nextauth'

export class RedisLikeStore implements StoreLike {
  private data = new Map<string, string>()
  async get<T>(key: string): Promise<T | null> {
    const raw = this.data.get(key)
    return raw === undefined ? null : (JSON.parse(raw) as T)
  }
  async set(key: string, value: unknown, options?: StoreSetOptions): Promise<'OK'> {
    void options
    this.data.set(key, JSON.stringify(value))
    return 'OK'
  }
  async del(key: string): Promise<number> {
    return this.data.delete(key) ? 1 : 0
  }
  async getdel<T>(key: string): Promise<T | null> {
    const value = await this.get<T>(key)
    this.data.delete(key)
    return value
  }
}

// Error codes: a frozen object and a union of the same name.
import { ErrorCode } from '@chatbotkit/nextauth'
import type { TooManyRequestsError } from '@chatbotkit/nextauth'
export const refused: ErrorCode = ErrorCode.TOO_MANY_REQUESTS
// @ts-expect-error not one of the codes
export const unknownCode: ErrorCode = 'TOO_MANY'
export const waitSeconds = (error: TooManyRequestsError): number => error.retryAfter
