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
  Redis, RedisOptions, DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_KEY_PREFIX,
  DEFAULT_POOL_SIZE, DEFAULT_URL,
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

#[derive(Clone)]
pub enum Store {
  /// A native `MemoryStore`: no call into JS.
  Memory(Arc<MemoryMap>),
  /// A native `RedisStore`: no call into JS, consumed with one atomic command.
  Redis(Arc<Redis>),
  /// Any object with async `get` / `set` / `del`.
  Js(Arc<JsStore>),
}

impl Store {
  /// Stores `value` under `key` for `ttl`.
  pub async fn put(&self, key: String, value: Value, ttl: Duration) -> Result<()> {
    match self {
      Store::Memory(map) => {
        map.set(key, value, Some(ttl));
        Ok(())
      }
      Store::Redis(redis) => redis.set(&key, &value, Some(ttl)).await,
      Store::Js(store) => store.set(key, value, ttl).await,
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
      Store::Memory(map) => Ok(map.consume(&key, &attempts, limit)),
      Store::Redis(redis) => redis.consume(&key, &attempts, limit).await,
      Store::Js(store) => store.consume(key, attempts, limit).await,
    }
  }
}
