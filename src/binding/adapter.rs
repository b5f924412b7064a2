//! `NativeAdapter`: what the JS adapter object (lib/adapter.js) wraps. Every method NextAuth calls
//! that needs native work is one method here; the glue adds Dates and the token object.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::{Object, PromiseRaw, ToNapiValue};
use napi::Env;
use napi_derive::napi;
use serde_json::Value;

use super::store::NativeStore;
use crate::adapter::Adapter;
use crate::api::{Client, Resource, CONTACTS, PARTNER_USERS};
use crate::error::Error;
use crate::options::AdapterOptions;
use crate::settle::promise;
use crate::store::{JsStore, JsStoreFunctions, Store};
use crate::tokens::Tokens;

/// What the API-calling methods return: always a Promise. Their first step already waits on the
/// network, so polling it on the JS thread first would only take that thread's time.
type Spawned<'env, T> = napi::Result<PromiseRaw<'env, T>>;

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

  /// The hot methods as plain functions bound to this adapter (see functions.rs): `getUser(id)`
  /// and `getUserByEmail(email)` answer a Promise of the user as JSON text (or `null`),
  /// `deleteUser(id)` a Promise; `createVerificationToken(identifier, token, expires ms)` answers
  /// `expires` once stored, and `useVerificationToken(identifier, token)` the code's `expires`
  /// when accepted (else `null`), at once when the work finished without waiting, else as a
  /// Promise.
  #[napi(
    catch_unwind,
    ts_return_type = "{ getUser(id: string): Promise<string | null>; getUserByEmail(email: string): Promise<string | null>; deleteUser(id: string): Promise<void>; createVerificationToken(identifier: string, token: string, expires: number | null): number | Promise<number>; useVerificationToken(identifier: string, token: string): number | null | Promise<number | null> }"
  )]
  pub fn functions<'env>(&self, env: &'env Env) -> napi::Result<Object<'env>> {
    super::functions::functions(env, &self.inner)
  }
}

/// Spawns an API-calling method's work, made and boxed on a runtime thread when first polled: the
/// JS thread allocates and copies only the closure, not the work (`Client` boxes the request in
/// flight, so the work stays small).
pub(super) fn spawn_call<T, Work>(
  env: &Env,
  work: impl FnOnce() -> Work + Send + 'static,
) -> Spawned<'_, T>
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
