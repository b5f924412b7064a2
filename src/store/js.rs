//! The bridge to a store written in JS (`class MyStore extends Store`, `@vercel/kv`,
//! `@upstash/redis`): its async `get` / `set` / `del` — and `getdel` when it has one — called from
//! Rust on the JS thread, each call bounded in time.

use std::future::Future;
use std::time::Duration;

use napi::bindgen_prelude::{FnArgs, Promise};
use napi::threadsafe_function::ThreadsafeFunction;
use napi::Status;
use napi_derive::napi;
use serde_json::Value;

use super::attempts::{now_ms, Counter};
use super::outcome::{AttemptLimit, Consumed, Stored};
use crate::error::{Error, ErrorCode, Result};

/// Options of a store's `set`, as `@vercel/kv` and `@upstash/redis` take them.
#[napi(object)]
pub struct SetOptions {
  /// Time-to-live in milliseconds.
  pub px: Option<f64>,
}

impl SetOptions {
  /// The time-to-live `px` asks for; `None` for none.
  pub fn ttl(options: Option<SetOptions>) -> Result<Option<Duration>> {
    match options.and_then(|o| o.px) {
      None => Ok(None),
      Some(px) if px.is_finite() && px >= 0.0 => Ok(Some(Duration::from_millis(px as u64))),
      Some(_) => Err(Error::invalid_argument(
        "`px` must be a number of milliseconds",
      )),
    }
  }
}

/// The counter after one more wrong code, as the JS-store path writes it (`{ count, until }`), and
/// how long the store should keep it. A counter read without `until` (a native store wrote it)
/// starts its window now.
fn missed(counter: Counter, window: Duration) -> (Value, Duration) {
  let now = now_ms();
  let until = match counter.until {
    Some(until) if counter.count > 0 => until,
    _ => now + window.as_millis() as f64,
  };
  let ttl = Duration::from_millis((until - now).max(1.0) as u64);
  (
    serde_json::json!({ "count": counter.count + 1, "until": until }),
    ttl,
  )
}

/// Weak: a store held by an adapter never keeps Node's event loop alive.
type GetFn = ThreadsafeFunction<String, Promise<Option<Value>>, String, Status, false, true>;
type SetArgs = FnArgs<(String, Value, SetOptions)>;
type SetFn = ThreadsafeFunction<SetArgs, Promise<()>, SetArgs, Status, false, true>;
type DelFn = ThreadsafeFunction<String, Promise<()>, String, Status, false, true>;

/// A JS store's methods, normalised by the JS glue to always return Promises and to need no `this`.
#[napi(object, object_to_js = false)]
pub struct JsStoreFunctions {
  #[napi(ts_type = "(key: string) => Promise<unknown>")]
  pub get: GetFn,
  #[napi(ts_type = "(key: string, value: unknown, options: SetOptions) => Promise<void>")]
  pub set: SetFn,
  #[napi(ts_type = "(key: string) => Promise<void>")]
  pub del: DelFn,
  /// Read-and-delete in one step, when the store has it (`@vercel/kv`, `@upstash/redis`).
  #[napi(ts_type = "(key: string) => Promise<unknown>")]
  pub getdel: Option<GetFn>,
}

pub struct JsStore {
  functions: JsStoreFunctions,
  timeout: Duration,
}

impl JsStore {
  pub fn new(functions: JsStoreFunctions, timeout: Duration) -> Self {
    Self { functions, timeout }
  }

  pub async fn set(&self, key: String, value: Value, ttl: Duration) -> Result<()> {
    let options = SetOptions {
      px: Some(ttl.as_millis() as f64),
    };
    let call = self
      .functions
      .set
      .call_async_catch((key, value, options).into());
    self.bounded("set", async { call.await?.await }).await
  }

  /// `Store::consume` as well as get/set/del allow: the counter is read, then written, so two
  /// wrong attempts at the same instant may count once. The code itself is read and deleted in one
  /// step with `getdel`, else with a `get` followed by a `del`.
  pub async fn consume(
    &self,
    key: String,
    attempts: String,
    limit: AttemptLimit,
  ) -> Result<Consumed> {
    let counter = match self.get(attempts.clone()).await? {
      Some(value) => Counter::read(&value, now_ms()),
      None => Counter::NONE,
    };
    if counter.count >= u64::from(limit.max) {
      return Ok(Consumed::Locked);
    }
    let value = match &self.functions.getdel {
      Some(getdel) => {
        let call = getdel.call_async_catch(key);
        self.bounded("getdel", async { call.await?.await }).await?
      }
      None => {
        let value = self.get(key.clone()).await?;
        if value.is_some() {
          self.del(key).await?;
        }
        value
      }
    };
    match value {
      Some(value) => {
        if counter.count > 0 {
          self.del(attempts).await?;
        }
        Ok(Consumed::Found(Stored::Value(value)))
      }
      None => {
        let (next, ttl) = missed(counter, limit.window);
        self.set(attempts, next, ttl).await?;
        Ok(Consumed::Missing)
      }
    }
  }

  async fn get(&self, key: String) -> Result<Option<Value>> {
    let call = self.functions.get.call_async_catch(key);
    self.bounded("get", async { call.await?.await }).await
  }

  async fn del(&self, key: String) -> Result<()> {
    let call = self.functions.del.call_async_catch(key);
    self.bounded("del", async { call.await?.await }).await
  }

  async fn bounded<T>(
    &self,
    method: &str,
    call: impl Future<Output = napi::Result<T>>,
  ) -> Result<T> {
    match tokio::time::timeout(self.timeout, call).await {
      Ok(Ok(value)) => Ok(value),
      // napi reports a promise that was garbage-collected without settling as a cancelled channel.
      Ok(Err(err)) if err.reason.contains("canceled") => Err(Error::new(
        ErrorCode::StoreError,
        format!("store.{method}() returned a promise that can never settle"),
      )),
      Ok(Err(err)) => Err(Error::new(
        ErrorCode::StoreError,
        format!("store.{method}() failed: {}", err.reason),
      )),
      Err(_) => Err(Error::new(
        ErrorCode::StoreError,
        format!(
          "store.{method}() did not settle within {} ms",
          self.timeout.as_millis()
        ),
      )),
    }
  }
}
