//! `NativeStore`: what the JS `MemoryStore` and `RedisStore` classes wrap.

use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::Unknown;
use napi::Env;
use napi_derive::napi;

use crate::answer::{answer, Answer};
use crate::error::Error;
use crate::options::redis::redis_options;
use crate::store::{Backend, MemoryMap, Redis, SetOptions};

/// The native half of `MemoryStore` and `RedisStore` (JS classes in index.js wrap it): values in
/// this process's memory, or in Redis through a connection pool.
#[napi]
pub struct NativeStore {
  pub(crate) backend: Backend,
}

#[napi]
impl NativeStore {
  /// In this process's memory, each value for its `px` milliseconds: the map called `name`, which
  /// every store of that name in the process shares.
  #[napi(factory, catch_unwind)]
  pub fn memory(name: String) -> Self {
    Self {
      backend: Backend::Memory(MemoryMap::shared(&name)),
    }
  }

  /// In Redis: a URL string or options (see `RedisStoreOptions`). Nothing connects until the first
  /// command.
  #[napi(factory, catch_unwind, ts_args_type = "options?: string | object")]
  pub fn redis(env: &Env, options: Option<Unknown>) -> napi::Result<Self> {
    match redis_options(options).and_then(Redis::new) {
      Ok(redis) => Ok(Self {
        backend: Backend::Redis(Arc::new(redis)),
      }),
      Err(err) => Err(err.throw(env)),
    }
  }

  /// The value under `key` as JSON text (the glue parses it: `JSON.parse` keeps a `__proto__` key
  /// an own property), or `null` when there is none or it has expired.
  #[napi(
    catch_unwind,
    ts_return_type = "string | null | Promise<string | null>"
  )]
  pub fn get<'env>(&self, env: &'env Env, key: String) -> Answer<'env, Option<String>> {
    answer(env, self.backend.get(key))
  }

  /// Stores a value, given as JSON text (the glue's `JSON.stringify`, which keeps every string as
  /// it is, lone surrogates included), under `key`; with `{ px }` it expires after that many
  /// milliseconds.
  #[napi(
    catch_unwind,
    ts_args_type = "key: string, json: string, options?: { px?: number }",
    ts_return_type = "void | Promise<void>"
  )]
  pub fn set<'env>(
    &self,
    env: &'env Env,
    key: String,
    json: String,
    options: Option<SetOptions>,
  ) -> Answer<'env, ()> {
    let ttl = SetOptions::ttl(options).map_err(|err| err.throw(env))?;
    answer(env, self.backend.set(key, json, ttl))
  }

  /// Removes the value under `key`.
  #[napi(catch_unwind, ts_return_type = "void | Promise<void>")]
  pub fn del<'env>(&self, env: &'env Env, key: String) -> Answer<'env, ()> {
    answer(env, self.backend.del(key))
  }

  /// Reads and removes the value under `key` in one atomic step; JSON text, as `get`.
  #[napi(
    catch_unwind,
    ts_return_type = "string | null | Promise<string | null>"
  )]
  pub fn getdel<'env>(&self, env: &'env Env, key: String) -> Answer<'env, Option<String>> {
    answer(env, self.backend.take(key))
  }

  /// The send throttle's count under `key` in one atomic step: answers 0 when the send is counted
  /// (fewer than `max` in the window that began with the first), else the milliseconds until that
  /// window ends.
  #[napi(catch_unwind, ts_return_type = "number | Promise<number>")]
  pub fn count_send<'env>(
    &self,
    env: &'env Env,
    key: String,
    max: u32,
    window_ms: f64,
  ) -> Answer<'env, f64> {
    if max == 0 || !window_ms.is_finite() || window_ms < 1.0 {
      return Err(
        Error::invalid_argument("the send throttle needs max ≥ 1 and a window ≥ 1 ms").throw(env),
      );
    }
    let window = Duration::from_millis(window_ms as u64);
    answer(env, self.backend.count_send(key, max, window))
  }

  /// Entries held in memory (expired ones may count until they are swept); `null` for Redis.
  #[napi(getter, catch_unwind)]
  pub fn size(&self) -> Option<u32> {
    self
      .backend
      .len()
      .map(|len| u32::try_from(len).unwrap_or(u32::MAX))
  }

  /// Closes a Redis pool's connections; later calls reject. Not required before exit.
  #[napi(catch_unwind)]
  pub fn close(&self) {
    self.backend.close();
  }
}
