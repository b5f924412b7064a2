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

use crate::error::{code, Error, Result};

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

/// Weak: a store held by an adapter never keeps Node's event loop alive.
type GetFn = ThreadsafeFunction<String, Promise<Option<Value>>, String, Status, false, true>;
type SetArgs = FnArgs<(String, Value, SetOptions)>;
type SetFn = ThreadsafeFunction<SetArgs, Promise<()>, SetArgs, Status, false, true>;
type DelFn = ThreadsafeFunction<String, Promise<()>, String, Status, false, true>;

/// A JS store's methods, normalised by the JS glue to always return Promises and to need no `this`.
#[napi(object, object_to_js = false)]
pub struct JsStoreFunctions {
  pub get: GetFn,
  pub set: SetFn,
  pub del: DelFn,
  /// Read-and-delete in one step, when the store has it (`@vercel/kv`, `@upstash/redis`).
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

  /// Reads and removes the value: in one step with `getdel`, else a `get` followed by a `del`
  /// (two steps: a plain get/set/del store cannot do better).
  pub async fn take(&self, key: String) -> Result<Option<Value>> {
    if let Some(getdel) = &self.functions.getdel {
      let call = getdel.call_async_catch(key);
      return self.bounded("getdel", async { call.await?.await }).await;
    }
    let get = self.functions.get.call_async_catch(key.clone());
    let value = self.bounded("get", async { get.await?.await }).await?;
    if value.is_some() {
      let del = self.functions.del.call_async_catch(key);
      self.bounded("del", async { del.await?.await }).await?;
    }
    Ok(value)
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
        code::STORE_ERROR,
        format!("store.{method}() returned a promise that can never settle"),
      )),
      Ok(Err(err)) => Err(Error::new(
        code::STORE_ERROR,
        format!("store.{method}() failed: {}", err.reason),
      )),
      Err(_) => Err(Error::new(
        code::STORE_ERROR,
        format!(
          "store.{method}() did not settle within {} ms",
          self.timeout.as_millis()
        ),
      )),
    }
  }
}
