#![deny(clippy::all)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The napi exports, and nothing else: each one delegates to the module that holds the work.

mod adapter;
mod api;
mod bound;
mod error;
mod options;
mod runtime;
mod settle;
mod store;
mod tokens;
mod user;

/// The addon's Rust allocations go to mimalloc; Node's own stay with its allocator. A Redis
/// command allocates a block inside redis-rs larger than glibc's per-thread cache keeps, and glibc
/// served each such block by consolidating its free lists.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::{Object, PromiseRaw, ToNapiValue, Unknown};
use napi::Env;
use napi_derive::napi;
use serde_json::Value;

use crate::adapter::Adapter;
use crate::api::{Client, Resource, CONTACTS, PARTNER_USERS};
use crate::error::{answer, Answer, Error};
use crate::options::redis::redis_options;
use crate::options::AdapterOptions;
use crate::settle::promise;
use crate::store::{Backend, JsStore, JsStoreFunctions, MemoryMap, Redis, SetOptions, Store};
use crate::tokens::Tokens;

/// What the API-calling methods return: always a Promise. Their first step already waits on the
/// network, so polling it on the JS thread first would only take that thread's time.
type Spawned<'env, T> = napi::Result<PromiseRaw<'env, T>>;

#[napi_derive::module_init]
fn init() {
  #[cfg(windows)]
  pin_module();
  // A panic becomes a rejected Promise; its message may quote data, so stderr gets only where.
  std::panic::set_hook(Box::new(|info| {
    let place = info
      .location()
      .map(|l| format!("{}:{}", l.file(), l.line()))
      .unwrap_or_default();
    eprintln!("@chatbotkit/nextauth: internal error at {place}; the call was rejected");
  }));
}

/// Keeps this DLL loaded until the process ends. Node.js unloads an addon when the last worker
/// thread that loaded it ends, but the runtime thread it started outlives that worker and would
/// go on running code that is no longer mapped. With glibc the library is linked `-z nodelete`
/// (napi-build), musl never unloads, nor does macOS a library with thread-local storage; Windows
/// needs this.
#[cfg(windows)]
fn pin_module() {
  #[link(name = "kernel32")]
  extern "system" {
    fn GetModuleHandleExW(flags: u32, name: *const u16, module: *mut *mut std::ffi::c_void) -> i32;
  }
  const GET_MODULE_HANDLE_EX_FLAG_PIN: u32 = 0x1;
  const GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS: u32 = 0x4;
  let mut module = std::ptr::null_mut();
  // SAFETY: FROM_ADDRESS reads `name` only as an address in this module; `module` is writable.
  unsafe {
    GetModuleHandleExW(
      GET_MODULE_HANDLE_EX_FLAG_PIN | GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS,
      pin_module as *const u16,
      &mut module,
    )
  };
}

/// The native half of `MemoryStore` and `RedisStore` (JS classes in index.js wrap it): values in
/// this process's memory, or in Redis through a connection pool.
#[napi]
pub struct NativeStore {
  backend: Backend,
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

  /// The value under `key`, or `null` when there is none or it has expired.
  #[napi(catch_unwind, ts_return_type = "any | Promise<any>")]
  pub fn get<'env>(&self, env: &'env Env, key: String) -> Answer<'env, Option<Value>> {
    answer(env, self.backend.get(key))
  }

  /// Stores `value` under `key`; with `{ px }` it expires after that many milliseconds.
  #[napi(
    catch_unwind,
    ts_args_type = "key: string, value: any, options?: { px?: number }",
    ts_return_type = "void | Promise<void>"
  )]
  pub fn set<'env>(
    &self,
    env: &'env Env,
    key: String,
    value: Value,
    options: Option<SetOptions>,
  ) -> Answer<'env, ()> {
    let ttl = SetOptions::ttl(options).map_err(|err| err.throw(env))?;
    answer(env, self.backend.set(key, value, ttl))
  }

  /// Removes the value under `key`.
  #[napi(catch_unwind, ts_return_type = "void | Promise<void>")]
  pub fn del<'env>(&self, env: &'env Env, key: String) -> Answer<'env, ()> {
    answer(env, self.backend.del(key))
  }

  /// Reads and removes the value under `key` in one atomic step.
  #[napi(catch_unwind, ts_return_type = "any | Promise<any>")]
  pub fn getdel<'env>(&self, env: &'env Env, key: String) -> Answer<'env, Option<Value>> {
    answer(env, self.backend.take(key))
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

/// The native half of `ChatBotKitPartnerAdapter` / `ChatBotKitContactAdapter`; the JS glue wraps
/// it into NextAuth's adapter object. Inputs arrive with `Date`s already turned into epoch ms;
/// users come back as JSON text, which the glue parses (see `Adapter::user`).
#[napi]
pub struct NativeAdapter {
  inner: Arc<Adapter>,
  unknown_options: Vec<String>,
}

#[napi]
impl NativeAdapter {
  /// An adapter whose tokens stay in a native store (`MemoryStore`, `RedisStore`): no call into JS.
  #[napi(factory, catch_unwind)]
  pub fn with_native_store(
    env: &Env,
    kind: String,
    options: Object,
    store: &NativeStore,
  ) -> napi::Result<Self> {
    let backend = store.backend.clone();
    Self::build(env, &kind, &options, |_| Store::Native(backend))
  }

  /// An adapter whose tokens live in a JS store (functions normalised by the glue).
  #[napi(factory, catch_unwind)]
  pub fn with_js_store(
    env: &Env,
    kind: String,
    options: Object,
    store: JsStoreFunctions,
  ) -> napi::Result<Self> {
    Self::build(env, &kind, &options, |options| {
      let timeout = Duration::from_millis(u64::from(options.client.timeout_ms));
      Store::Js(Arc::new(JsStore::new(store, timeout)))
    })
  }

  fn build(
    env: &Env,
    kind: &str,
    options: &Object,
    store: impl FnOnce(&AdapterOptions) -> Store,
  ) -> napi::Result<Self> {
    let built = resource(kind).and_then(|resource| {
      let options = AdapterOptions::read(resource, options)?;
      let tokens = Tokens::new(store(&options), options.attempts);
      let client = Client::new(options.client)?;
      let adapter = Adapter::new(resource, client, options.flags, tokens);
      Ok((adapter, options.unknown))
    });
    match built {
      Ok((adapter, unknown_options)) => Ok(Self {
        inner: Arc::new(adapter),
        unknown_options,
      }),
      Err(err) => Err(err.throw(env)),
    }
  }

  /// The options given that this adapter does not know (the glue warns about each, once).
  #[napi(getter)]
  pub fn unknown_options(&self) -> Vec<String> {
    self.unknown_options.clone()
  }

  #[napi(
    catch_unwind,
    ts_args_type = "user: Record<string, any>",
    ts_return_type = "Promise<string>"
  )]
  pub fn create_user<'env>(&self, env: &'env Env, user: Value) -> Spawned<'env, String> {
    let adapter = self.inner.clone();
    spawn_call(env, move || async move { adapter.create_user(user).await })
  }

  #[napi(
    catch_unwind,
    ts_args_type = "user: Record<string, any>",
    ts_return_type = "Promise<string>"
  )]
  pub fn update_user<'env>(&self, env: &'env Env, user: Value) -> Spawned<'env, String> {
    let adapter = self.inner.clone();
    spawn_call(env, move || async move { adapter.update_user(user).await })
  }

  /// The hot methods as plain functions bound to this adapter (see bound.rs):
  /// `getUser(id)` and `getUserByEmail(email)` answering a Promise of the user as JSON text (or
  /// `null`), `deleteUser(id)`, `createVerificationToken(identifier, token, expires ms)` answering
  /// `expires` once stored, and `useVerificationToken(identifier, token)` answering the code's
  /// `expires` when accepted (else `null`). The token functions answer at once when the work
  /// finished without waiting, else with a Promise.
  #[napi(
    catch_unwind,
    ts_return_type = "{ getUser(id: string): Promise<string | null>; getUserByEmail(email: string): Promise<string | null>; deleteUser(id: string): Promise<void>; createVerificationToken(identifier: string, token: string, expires: number | null): number | Promise<number>; useVerificationToken(identifier: string, token: string): number | null | Promise<number | null> }"
  )]
  pub fn functions(&self, env: &Env) -> napi::Result<Object<'static>> {
    bound::functions(env, &self.inner)
  }
}

/// Spawns an API-calling method's work, made and boxed on a runtime thread when first polled: the
/// JS thread allocates and copies only the closure, not the work (`Client` boxes the request in
/// flight, so the work stays small).
fn spawn_call<T, Work>(env: &Env, work: impl FnOnce() -> Work + Send + 'static) -> Spawned<'_, T>
where
  T: ToNapiValue + Send + 'static,
  Work: Future<Output = Result<T, Error>> + Send + 'static,
{
  promise(env, async move { Box::pin(work()).await })
}

fn resource(kind: &str) -> Result<&'static Resource, Error> {
  match kind {
    "partner" => Ok(&PARTNER_USERS),
    "contact" => Ok(&CONTACTS),
    _ => Err(Error::invalid_argument(format!(
      "unknown adapter kind `{kind}`"
    ))),
  }
}
