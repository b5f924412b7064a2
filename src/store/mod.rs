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

  /// Reads and removes the value under `key`.
  pub async fn take(&self, key: String) -> Result<Option<Value>> {
    match self {
      Store::Memory(map) => Ok(map.take(&key)),
      Store::Redis(redis) => redis.take(&key).await,
      Store::Js(store) => store.take(key).await,
    }
  }
}
