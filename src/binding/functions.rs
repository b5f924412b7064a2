//! The adapter's hot methods as plain JS functions, each a napi-rs closure that holds its adapter:
//! a call reads its arguments and goes straight to the work, without the instance check and the
//! borrow bookkeeping a class method call goes through. `FUNCTIONS` is the one list of them; the
//! TypeScript type of `NativeAdapter.functions()` is checked against it by a test.

use std::sync::Arc;

use napi::bindgen_prelude::{
  Either, FunctionCallContext, JsObjectValue, JsValue, Object, PromiseRaw, ToNapiValue,
};
use napi::Env;

use super::adapter::spawn_call;
use crate::adapter::Adapter;
use crate::answer::answer;
use crate::error::Error;
use crate::tokens;

type Bind = fn(&Env, &mut Object, &Arc<Adapter>) -> napi::Result<()>;

/// Every hot function: its JS name, and how it is bound.
pub const FUNCTIONS: [(&str, Bind); 5] = [
  ("getUser", |env, object, adapter| {
    bind(env, object, "getUser", adapter, |env, adapter, call| {
      let id = string(env, call, 0, "id")?;
      let adapter = adapter.clone();
      spawn_call(env, move || async move { adapter.get_user(id).await }).map(Either::B)
    })
  }),
  ("getUserByEmail", |env, object, adapter| {
    bind(
      env,
      object,
      "getUserByEmail",
      adapter,
      |env, adapter, call| {
        let email = string(env, call, 0, "email")?;
        let adapter = adapter.clone();
        spawn_call(env, move || async move {
          adapter.get_user_by_email(email).await
        })
        .map(Either::B)
      },
    )
  }),
  ("deleteUser", |env, object, adapter| {
    bind(env, object, "deleteUser", adapter, |env, adapter, call| {
      let id = string(env, call, 0, "id")?;
      let adapter = adapter.clone();
      spawn_call(env, move || async move { adapter.delete_user(id).await }).map(Either::B)
    })
  }),
  ("createVerificationToken", |env, object, adapter| {
    bind(
      env,
      object,
      "createVerificationToken",
      adapter,
      |env, adapter, call| {
        let (identifier, token) = token_strings(env, call)?;
        let expires = call.get::<f64>(2).ok();
        answer(env, adapter.tokens.create(&identifier, &token, expires))
      },
    )
  }),
  ("useVerificationToken", |env, object, adapter| {
    bind(
      env,
      object,
      "useVerificationToken",
      adapter,
      |env, adapter, call| {
        let (identifier, token) = token_strings(env, call)?;
        answer(env, adapter.tokens.consume(&identifier, &token))
      },
    )
  }),
];

/// `{ getUser, getUserByEmail, deleteUser, createVerificationToken, useVerificationToken }` for
/// `adapter`. Each function holds the adapter until it is garbage-collected.
pub fn functions<'env>(env: &'env Env, adapter: &Arc<Adapter>) -> napi::Result<Object<'env>> {
  let mut object = Object::new(env)?;
  for (_, bind) in FUNCTIONS {
    bind(env, &mut object, adapter)?;
  }
  Ok(object)
}

/// What a hot function answers: a value, or a Promise of it.
type Answered<'env, T> = Either<T, PromiseRaw<'env, T>>;

fn bind<T, F>(
  env: &Env,
  object: &mut Object,
  name: &str,
  adapter: &Arc<Adapter>,
  body: F,
) -> napi::Result<()>
where
  T: ToNapiValue + 'static,
  F: for<'a> Fn(&'a Env, &Arc<Adapter>, &'a FunctionCallContext) -> napi::Result<Answered<'a, T>>
    + 'static,
{
  let adapter = adapter.clone();
  let function =
    env.create_function_from_closure::<(), Answered<'static, T>, _>(name, move |call| {
      let env = Env::from_raw(call.env.raw());
      Ok(match body(&env, &adapter, &call)? {
        Either::A(value) => Either::A(value),
        // The Promise goes straight back to JS as this call's answer.
        Either::B(promise) => Either::B(PromiseRaw::new(env.raw(), promise.raw())),
      })
    })?;
  object.set_named_property(name, function)
}

/// Argument `index` as a string; anything else throws "`name` must be a string".
fn string(env: &Env, call: &FunctionCallContext, index: usize, name: &str) -> napi::Result<String> {
  call
    .get::<String>(index)
    .map_err(|_| Error::invalid_argument(format!("`{name}` must be a string")).throw(env))
}

/// The token functions' first two arguments: the identifier and the code.
fn token_strings(env: &Env, call: &FunctionCallContext) -> napi::Result<(String, String)> {
  let identifier = call
    .get::<String>(0)
    .map_err(|_| tokens::not_a_string("identifier").throw(env))?;
  let token = call
    .get::<String>(1)
    .map_err(|_| tokens::not_a_string("token").throw(env))?;
  Ok((identifier, token))
}
