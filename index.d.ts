// Types of @chatbotkit/nextauth. The adapters are NextAuth's own `Adapter` type (a type-only
// import: no runtime dependency on next-auth).
import type { Adapter } from 'next-auth/adapters'

/**
 * The stable `err.code` of every error the package makes (an error the ChatBotKit API answered
 * with carries the API's own code instead, such as `NOT_AUTHENTICATED`).
 */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_ALLOWED'
  | 'NOT_SUPPORTED'
  | 'DUPLICATE'
  | 'NOT_FOUND'
  | 'TIMEOUT'
  | 'NETWORK_ERROR'
  | 'INVALID_RESPONSE'
  | 'STORE_ERROR'
  | 'REDIS_UNAVAILABLE'
  | 'TOO_MANY_REQUESTS'
  | 'INTERNAL'

/** `ErrorCode.STORE_ERROR === 'STORE_ERROR'`, and so on for each code; frozen. */
export declare const ErrorCode: { readonly [Code in ErrorCode]: Code }

/** Options of a store's `set`, as `@vercel/kv` and `@upstash/redis` take them. */
export interface StoreSetOptions {
  /** Time-to-live in milliseconds. */
  px?: number
}

/** The store interface: the same as `@vercel/kv` and `@upstash/redis`, which work as they are. */
export interface StoreLike {
  get(key: string): Promise<unknown>
  set(key: string, value: unknown, options?: StoreSetOptions): Promise<unknown>
  del(key: string): Promise<unknown>
  /** Read and delete in one step; used when present so a code is consumed atomically. */
  getdel?(key: string): Promise<unknown>
}

/** Base class for token stores: extend it and implement `get`, `set` and `del`. */
export declare class Store implements StoreLike {
  get(key: string): Promise<unknown>
  set(key: string, value: unknown, options?: StoreSetOptions): Promise<void>
  del(key: string): Promise<void>
}

/** Options of `new MemoryStore(options)`. */
export interface MemoryStoreOptions {
  /**
   * The process-wide map the store uses. Every MemoryStore of one name in a process shares its
   * entries (so codes survive `next dev` evaluating your auth module again); give a store a name
   * of its own to keep its entries apart. Default `'default'`.
   */
  name?: string
}

/**
 * Keeps values in this process's memory, each for its `px` milliseconds. Not for production: the
 * values are lost on restart and not shared between instances. Every `new MemoryStore()` in one
 * process shares one map (see `MemoryStoreOptions.name`).
 */
export declare class MemoryStore extends Store {
  constructor(options?: MemoryStoreOptions)
  get(key: string): Promise<any>
  set(key: string, value: unknown, options?: StoreSetOptions): Promise<void>
  del(key: string): Promise<void>
  /** Reads and removes the value under `key` in one step. */
  getdel(key: string): Promise<any>
  /** How many entries the store holds (expired ones may count until they are swept). */
  readonly size: number
}

/** Options of `new RedisStore(options)`; any other is refused at construction, naming it. */
export interface RedisStoreOptions {
  /**
   * One server: `redis://[user:password@]host:port[/db]`, or `rediss://…` for TLS.
   * Default `process.env.REDIS_URL`, else `redis://127.0.0.1:6379`.
   */
  url?: string
  /** The seed nodes of a Redis Cluster (instead of `url`): URLs, or `{ host, port }` as ioredis takes them. */
  nodes?: Array<string | { host: string; port?: number }>
  /**
   * Redis Sentinels (instead of `url`): URLs, or `{ host, port }` (port default 26379). The store
   * talks to the master they name `name`, and follows a failover. `username`, `password`, `db` and
   * `tls` apply to the master.
   */
  sentinels?: Array<string | { host: string; port?: number }>
  /** The master's name in the Sentinels' configuration (`mymaster`); required with `sentinels`. */
  name?: string
  /** For Sentinels that require a user of their own. */
  sentinelUsername?: string
  /** For Sentinels that require a password of their own. Never shown in an error. */
  sentinelPassword?: string
  /** `true` (or a TLS options object) to reach the Sentinels over TLS. */
  sentinelTLS?: boolean | object
  /** ioredis's way to name the server instead of `url`. Default `127.0.0.1`. */
  host?: string
  /** Default 6379. */
  port?: number
  username?: string
  /** Never shown in an error. */
  password?: string
  /** Database number. Default 0. */
  db?: number
  /** `true` (or ioredis's TLS options object) for rediss://. */
  tls?: boolean | object
  /** Prepended to every key. Default `chatbotkit:nextauth:`. */
  keyPrefix?: string
  /** Connections kept per server; commands are multiplexed over them. Default 1 (fastest for codes). */
  poolSize?: number
  /** Milliseconds allowed to open or check a connection. Default 5000. */
  connectTimeout?: number
  /** Milliseconds allowed for one store call: waiting for a connection, reconnecting and retrying included. Default 5000. */
  commandTimeout?: number
}

/**
 * A token store in Redis, shared by every instance of your app: a connection pool to one server,
 * a Redis Cluster, or the master of a Redis Sentinel set. Nothing connects until the first command; codes are consumed with one
 * atomic script. `getdel` needs Redis 6.2 or later. Failures reject with `code: 'REDIS_UNAVAILABLE'`.
 */
export declare class RedisStore extends Store {
  /** A URL string, or options; with neither, `REDIS_URL` or the local server. */
  constructor(options?: string | RedisStoreOptions)
  get(key: string): Promise<any>
  set(key: string, value: unknown, options?: StoreSetOptions): Promise<void>
  del(key: string): Promise<void>
  /** Reads and removes the value under `key` in one atomic command. */
  getdel(key: string): Promise<any>
  /** Closes the pool's connections; later calls reject. Not needed for the process to exit. */
  close(): void
}

/** Base class for the Contact adapter's stores; the same contract as `Store`. */
export declare class ContactStore extends Store {}

/** `MemoryStore` for the Contact adapter. Not for production. */
export declare class ContactMemoryStore extends MemoryStore {}

/** Options both adapters take besides their lifecycle flags. */
export interface ChatBotKitAdapterBaseOptions {
  /**
   * ChatBotKit API secret, sent as `Authorization: Bearer …`. Checked when first needed: without
   * it the adapter is still made (so `next build` works with no secret in its environment), and
   * each call that reaches the API rejects with `code: 'INVALID_ARGUMENT'` naming this option.
   */
  secret: string | undefined
  /** Where verification codes live. */
  store: StoreLike
  /** API address. Default `https://api.chatbotkit.com`. */
  baseUrl?: string
  /** Milliseconds allowed for a whole API call (retries and waits included) and for each store call. Default 10000. */
  timeout?: number
  /** Retries after a 429, 500, 502, 503, 504 or connection error, while `timeout` leaves room. Default 3. */
  retries?: number
  /** Wrong codes allowed per email within `attemptWindow`; then its codes are refused. Default 5. */
  maxAttempts?: number
  /** Milliseconds during which wrong codes count, from the first one. Default 900000 (15 minutes). */
  attemptWindow?: number
}

export interface ChatBotKitPartnerAdapterOptions extends ChatBotKitAdapterBaseOptions {
  /** Create the ChatBotKit partner user on first sign-in. Default `false`. */
  autoCreateUser?: boolean
  /** Push user changes to ChatBotKit. Default `true`. */
  autoUpdateUser?: boolean
  /** Delete the partner user when NextAuth deletes the user. Default `false`. */
  autoDeleteUser?: boolean
}

/** NextAuth adapter keeping users as ChatBotKit Partner API users (one sub-account each). */
export declare function ChatBotKitPartnerAdapter(options: ChatBotKitPartnerAdapterOptions): Adapter

export interface ChatBotKitContactAdapterOptions extends ChatBotKitAdapterBaseOptions {
  /** Create the contact on first sign-in. Default `false`. */
  autoCreateContact?: boolean
  /** Push user changes to the contact. Default `true`. */
  autoUpdateContact?: boolean
  /** Delete the contact when NextAuth deletes the user. Default `false`. */
  autoDeleteContact?: boolean
}

/** NextAuth adapter keeping users as Contacts of one ChatBotKit account. */
export declare function ChatBotKitContactAdapter(options: ChatBotKitContactAdapterOptions): Adapter

export interface SendVerificationRequestParams {
  identifier: string
  token: string
  url: string
  expires: Date
  provider: unknown
  theme?: unknown
}

/** At most `max` sends within `windowSeconds` of the first (whole numbers, `max` ≥ 1). */
export interface SendLimit {
  max: number
  windowSeconds: number
}

/** How many sign-in emails may leave: per address, and optionally across all addresses. */
export interface SendThrottle {
  /** Per address (trimmed, lower-cased). Default `{ max: 5, windowSeconds: 900 }`; `false` for none. */
  perEmail?: SendLimit | false
  /** Across every address. Off unless given. */
  overall?: SendLimit | false
}

/** What a refused send rejects with. */
export interface TooManyRequestsError extends Error {
  code: 'TOO_MANY_REQUESTS'
  /** Seconds until a send may go. */
  retryAfter: number
}

export interface ChatBotKitEmailProviderOptions {
  /**
   * Sends the code. The default prints it to the console, and refuses with `NODE_ENV=production`
   * (set your own there).
   */
  sendVerificationRequest?: (params: SendVerificationRequestParams) => Promise<void> | void
  /**
   * The adapter's store: the send throttle counts in it, so every instance of the app shares the
   * counts. Without it the counts are this process's.
   */
  store?: StoreLike
  /**
   * The send throttle, checked before `sendVerificationRequest` runs; a refused send rejects with
   * a `TooManyRequestsError`. Default `{ perEmail: { max: 5, windowSeconds: 900 } }`; `false` for none.
   */
  throttle?: SendThrottle | false
  /** Code lifetime in seconds. Default 900. */
  maxAge?: number
  generateVerificationToken?: () => Promise<string> | string
  [option: string]: unknown
}

/** The email provider object NextAuth expects (`type: 'email'`). */
export interface ChatBotKitEmailProviderConfig {
  id: 'email'
  type: 'email'
  name: 'Email'
  server: { host: string; port: number; auth: { user: string; pass: string } }
  from: string
  maxAge: number
  generateVerificationToken: () => Promise<string> | string
  sendVerificationRequest: (params: SendVerificationRequestParams) => Promise<void> | void
  options: ChatBotKitEmailProviderOptions
}

/** NextAuth email provider that signs users in with 6-character codes. */
export declare function ChatBotKitEmailProvider(options?: ChatBotKitEmailProviderOptions): ChatBotKitEmailProviderConfig

/** The same provider as `ChatBotKitEmailProvider`, under the name the Contact adapter's docs use. */
export declare function ChatBotKitContactEmailProvider(options?: ChatBotKitEmailProviderOptions): ChatBotKitEmailProviderConfig
