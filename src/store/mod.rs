//! Where verification tokens live: the native memory map, Redis, or a store object written in JS.
//! The token rules (`tokens.rs`) see only `put` and `consume`.

mod attempts;
mod js;
mod memory;
mod outcome;
mod record;
pub mod redis;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

pub use attempts::now_ms;
pub use js::{JsStore, JsStoreFunctions, SetOptions};
pub use memory::MemoryMap;
pub use outcome::{AttemptLimit, Consumed};
pub use record::Record;
pub use redis::Redis;

use crate::error::Result;

/// Store work that finished when it was asked for (a MemoryStore's), or that goes on on the
/// runtime (Redis, a JS store): boxed where it starts, so the memory path allocates none of it.
pub enum Work<T> {
  Ready(Result<T>),
  Waiting(Pin<Box<dyn Future<Output = Result<T>> + Send>>),
}

impl<T: Send + 'static> Work<T> {
  fn later(work: impl Future<Output = Result<T>> + Send + 'static) -> Self {
    Work::Waiting(Box::pin(work))
  }

  /// The same work, its value passed through `then`.
  pub fn map<U>(self, then: impl FnOnce(T) -> U + Send + 'static) -> Work<U> {
    match self {
      Work::Ready(result) => Work::Ready(result.map(then)),
      Work::Waiting(work) => Work::Waiting(Box::pin(async move { work.await.map(then) })),
    }
  }
}

/// Where an adapter's tokens live.
#[derive(Clone)]
pub enum Store {
  /// A native `MemoryStore` or `RedisStore`: no call into JS.
  Native(Backend),
  /// Any object with async `get` / `set` / `del`.
  Js(Arc<JsStore>),
}

impl Store {
  /// Stores `record` under `key` for `ttl`: as JSON text natively, as an object in a JS store.
  pub fn put(&self, key: String, record: &Record<'_>, ttl: Duration) -> Work<()> {
    match self {
      Store::Native(Backend::Memory(map)) => {
        map.set_text(key, record.json(), Some(ttl));
        Work::Ready(Ok(()))
      }
      Store::Native(Backend::Redis(redis)) => {
        let (redis, json) = (redis.clone(), record.json());
        Work::later(async move { redis.set_text(&key, json, Some(ttl)).await })
      }
      Store::Js(store) => {
        let (store, value) = (store.clone(), record.value());
        Work::later(async move { store.set(key, value, ttl).await })
      }
    }
  }

  /// Reads and removes the record under `key` — unless the identifier's `attempts` counter has
  /// reached `limit.max`. A miss counts one more attempt (the counter lives for `limit.window`);
  /// a hit clears the counter. One atomic step in memory and in Redis.
  pub fn consume(&self, key: String, attempts: String, limit: AttemptLimit) -> Work<Consumed> {
    match self {
      Store::Native(Backend::Memory(map)) => Work::Ready(Ok(map.consume(&key, &attempts, limit))),
      Store::Native(Backend::Redis(redis)) => {
        let redis = redis.clone();
        Work::later(async move { redis.consume(&key, &attempts, limit).await })
      }
      Store::Js(store) => {
        let store = store.clone();
        Work::later(async move { store.consume(key, attempts, limit).await })
      }
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
  // Memory work is done at once (no runtime thread is started for it); Redis work goes on later.

  pub fn get(&self, key: String) -> Work<Option<String>> {
    match self {
      Backend::Memory(map) => Work::Ready(Ok(map.get(&key))),
      Backend::Redis(redis) => {
        let redis = redis.clone();
        Work::later(async move { Box::pin(redis.get(&key)).await })
      }
    }
  }

  /// Stores JSON text under `key`, for `ttl` when given.
  pub fn set(&self, key: String, json: String, ttl: Option<Duration>) -> Work<()> {
    match self {
      Backend::Memory(map) => {
        map.set_text(key, json, ttl);
        Work::Ready(Ok(()))
      }
      Backend::Redis(redis) => {
        let redis = redis.clone();
        Work::later(async move { Box::pin(redis.set_text(&key, json, ttl)).await })
      }
    }
  }

  pub fn del(&self, key: String) -> Work<()> {
    match self {
      Backend::Memory(map) => {
        map.del(&key);
        Work::Ready(Ok(()))
      }
      Backend::Redis(redis) => {
        let redis = redis.clone();
        Work::later(async move { Box::pin(redis.del(&key)).await })
      }
    }
  }

  /// Reads and removes the value in one step.
  pub fn take(&self, key: String) -> Work<Option<String>> {
    match self {
      Backend::Memory(map) => Work::Ready(Ok(map.take(&key))),
      Backend::Redis(redis) => {
        let redis = redis.clone();
        Work::later(async move { Box::pin(redis.take(&key)).await })
      }
    }
  }

  /// The send throttle's count under `key` (one atomic step): 0 when the send is counted, else
  /// the milliseconds until the window that refused it ends.
  pub fn count_send(&self, key: String, max: u32, window: Duration) -> Work<f64> {
    match self {
      Backend::Memory(map) => Work::Ready(Ok(map.count_send(&key, max, window))),
      Backend::Redis(redis) => {
        let redis = redis.clone();
        Work::later(async move { Box::pin(redis.count_send(&key, max, window)).await })
      }
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
