//! `NativeAdapter`: what the JS adapter object (lib/adapter.js) wraps. Every method NextAuth calls
//! that needs native work is one method here; the glue adds Dates and the token object.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::{Either, Object, PromiseRaw, ToNapiValue, Unknown};
use napi::Env;
use napi_derive::napi;
use serde_json::Value;

use super::store::NativeStore;
use crate::adapter::Adapter;
use crate::answer::{answer, Answer};
use crate::api::{Client, Resource, CONTACTS, PARTNER_USERS};
use crate::error::Error;
use crate::options::AdapterOptions;
use crate::settle::promise;
use crate::store::{JsStore, JsStoreFunctions, Store};
use crate::tokens::{self, Tokens};

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

  /// The user with this id, as JSON text (the glue parses it), or `null`.
  #[napi(
    catch_unwind,
    ts_args_type = "id: string",
    ts_return_type = "Promise<string | null>"
  )]
  pub fn get_user<'env>(&self, env: &'env Env, id: Argument) -> Spawned<'env, Option<String>> {
    let id = string(env, id, "id")?;
    let adapter = self.inner.clone();
    spawn_call(env, move || async move { adapter.get_user(id).await })
  }

  /// The user with this email, as JSON text, or `null`.
  #[napi(
    catch_unwind,
    ts_args_type = "email: string",
    ts_return_type = "Promise<string | null>"
  )]
  pub fn get_user_by_email<'env>(
    &self,
    env: &'env Env,
    email: Argument,
  ) -> Spawned<'env, Option<String>> {
    let email = string(env, email, "email")?;
    let adapter = self.inner.clone();
    spawn_call(env, move || async move {
      adapter.get_user_by_email(email).await
    })
  }

  #[napi(
    catch_unwind,
    ts_args_type = "id: string",
    ts_return_type = "Promise<void>"
  )]
  pub fn delete_user<'env>(&self, env: &'env Env, id: Argument) -> Spawned<'env, ()> {
    let id = string(env, id, "id")?;
    let adapter = self.inner.clone();
    spawn_call(env, move || async move { adapter.delete_user(id).await })
  }

  /// Stores a code for `identifier` until `expires` (epoch ms) and answers `expires`; the glue
  /// builds NextAuth's token object from the arguments.
  #[napi(
    catch_unwind,
    ts_args_type = "identifier: string, token: string, expires: number | null",
    ts_return_type = "number | Promise<number>"
  )]
  pub fn create_verification_token<'env>(
    &self,
    env: &'env Env,
    identifier: Argument,
    token: Argument,
    expires: Either<f64, Unknown>,
  ) -> Answer<'env, f64> {
    let (identifier, token) = token_strings(env, identifier, token)?;
    let expires = match expires {
      Either::A(ms) => Some(ms),
      Either::B(_) => None,
    };
    answer(env, self.inner.tokens.create(&identifier, &token, expires))
  }

  /// Consumes the code: answers its `expires` (epoch ms) when accepted, else `null`.
  #[napi(
    catch_unwind,
    ts_args_type = "identifier: string, token: string",
    ts_return_type = "number | null | Promise<number | null>"
  )]
  pub fn use_verification_token<'env>(
    &self,
    env: &'env Env,
    identifier: Argument,
    token: Argument,
  ) -> Answer<'env, Option<f64>> {
    let (identifier, token) = token_strings(env, identifier, token)?;
    answer(env, self.inner.tokens.consume(&identifier, &token))
  }
}

/// A string argument, or whatever else JS passed (refused with the argument's name).
type Argument<'a> = Either<String, Unknown<'a>>;

fn string(env: &Env, value: Argument, name: &str) -> napi::Result<String> {
  match value {
    Either::A(text) => Ok(text),
    Either::B(_) => Err(Error::invalid_argument(format!("`{name}` must be a string")).throw(env)),
  }
}

fn token_strings(
  env: &Env,
  identifier: Argument,
  token: Argument,
) -> napi::Result<(String, String)> {
  match (identifier, token) {
    (Either::A(identifier), Either::A(token)) => Ok((identifier, token)),
    (Either::B(_), _) => Err(tokens::not_a_string("identifier").throw(env)),
    (_, Either::B(_)) => Err(tokens::not_a_string("token").throw(env)),
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
