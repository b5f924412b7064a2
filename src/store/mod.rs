//! Where verification tokens live: the native memory map, or a store object written in JS.
//! The token rules (`tokens.rs`) see only `put` and `take`.

mod js;
mod memory;

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

pub use js::{JsStore, JsStoreFunctions, SetOptions};
pub use memory::MemoryMap;

use crate::error::Result;

#[derive(Clone)]
pub enum Store {
  /// A native `MemoryStore`: no call into JS.
  Memory(Arc<MemoryMap>),
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
      Store::Js(store) => store.set(key, value, ttl).await,
    }
  }

  /// Reads and removes the value under `key`.
  pub async fn take(&self, key: String) -> Result<Option<Value>> {
    match self {
      Store::Memory(map) => Ok(map.take(&key)),
      Store::Js(store) => store.take(key).await,
    }
  }
}
