//! Where verification tokens live: the native memory map, Redis, or a store object written in JS.
//! The token rules (`tokens.rs`) see only `put` and `take`.

mod js;
mod memory;
mod redis;

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

pub use js::{JsStore, JsStoreFunctions, SetOptions};
pub use memory::MemoryMap;
pub use redis::{
  MasterAuth, Redis, RedisOptions, Topology, DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_KEY_PREFIX, DEFAULT_POOL_SIZE, DEFAULT_URL,
};

use crate::error::Result;

/// How many wrong codes an identifier may try, and for how long they count.
#[derive(Clone, Copy)]
pub struct AttemptLimit {
  pub max: u32,
  pub window: Duration,
}

/// What consuming a code found.
#[derive(Debug, PartialEq)]
pub enum Consumed {
  /// The value, now deleted.
  Found(Value),
  /// Nothing under the key (unknown, used or expired code); counted as a wrong attempt.
  Missing,
  /// Too many wrong attempts for this identifier lately: refused without looking.
  Locked,
}

/// Where an adapter's tokens live.
#[derive(Clone)]
pub enum Store {
  /// A native `MemoryStore` or `RedisStore`: no call into JS.
  Native(Backend),
  /// Any object with async `get` / `set` / `del`.
  Js(Arc<JsStore>),
}

// The work that waits (Redis, a JS store) is boxed where it starts, so a future over a
// `MemoryStore` stays a few bytes: it is polled once on the JS thread and never moved in full.
impl Store {
  /// Stores `value` under `key` for `ttl`.
  pub async fn put(&self, key: String, value: Value, ttl: Duration) -> Result<()> {
    match self {
      Store::Native(backend) => backend.set(key, value, Some(ttl)).await,
      Store::Js(store) => Box::pin(store.set(key, value, ttl)).await,
    }
  }

  /// Reads and removes the value under `key` — unless the identifier's `attempts` counter has
  /// reached `limit.max`. A miss counts one more attempt (the counter lives for `limit.window`);
  /// a hit clears the counter. One atomic step in memory and in Redis.
  pub async fn consume(
    &self,
    key: String,
    attempts: String,
    limit: AttemptLimit,
  ) -> Result<Consumed> {
    match self {
      Store::Native(Backend::Memory(map)) => Ok(map.consume(&key, &attempts, limit)),
      Store::Native(Backend::Redis(redis)) => Box::pin(redis.consume(&key, &attempts, limit)).await,
      Store::Js(store) => Box::pin(store.consume(key, attempts, limit)).await,
    }
  }
}

/// The native stores behind `MemoryStore` and `RedisStore`, with the store interface JS sees.
#[derive(Clone)]
pub enum Backend {
  Memory(Arc<MemoryMap>),
  Redis(Arc<Redis>),
}

impl Backend {
  pub async fn get(&self, key: &str) -> Result<Option<Value>> {
    match self {
      Backend::Memory(map) => Ok(map.get(key)),
      Backend::Redis(redis) => Box::pin(redis.get(key)).await,
    }
  }

  pub async fn set(&self, key: String, value: Value, ttl: Option<Duration>) -> Result<()> {
    match self {
      Backend::Memory(map) => {
        map.set(key, value, ttl);
        Ok(())
      }
      Backend::Redis(redis) => Box::pin(redis.set(&key, &value, ttl)).await,
    }
  }

  pub async fn del(&self, key: &str) -> Result<()> {
    match self {
      Backend::Memory(map) => {
        map.del(key);
        Ok(())
      }
      Backend::Redis(redis) => Box::pin(redis.del(key)).await,
    }
  }

  /// Reads and removes the value in one step.
  pub async fn take(&self, key: &str) -> Result<Option<Value>> {
    match self {
      Backend::Memory(map) => Ok(map.take(key)),
      Backend::Redis(redis) => Box::pin(redis.take(key)).await,
    }
  }

  /// Entries held in memory; `None` for Redis.
  pub fn len(&self) -> Option<usize> {
    match self {
      Backend::Memory(map) => Some(map.len()),
      Backend::Redis(_) => None,
    }
  }

  /// Drains a Redis pool; nothing to do for memory.
  pub fn close(&self) {
    if let Backend::Redis(redis) = self {
      redis.close();
    }
  }
}
