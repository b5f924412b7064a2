//! The adapter's hot methods as plain JS functions, each a napi-rs closure that holds its adapter:
//! a call reads its arguments and goes straight to the work, without the instance check and the
//! borrow bookkeeping a class method call goes through. `FUNCTIONS` is the one list of them; the
//! TypeScript type of `NativeAdapter.functions()` is checked against it by a test.

use std::sync::Arc;

use napi::bindgen_prelude::{
  Either, FunctionCallContext, JsObjectValue, JsValue, Object, PromiseRaw, ToNapiValue, Utf16String,
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
  read_string(call, index, || {
    Error::invalid_argument(format!("`{name}` must be a string"))
  })
  .map_err(|err| err.throw(env))
}

/// The token functions' first two arguments: the identifier and the code.
fn token_strings(env: &Env, call: &FunctionCallContext) -> napi::Result<(String, String)> {
  let read = |index, name| {
    read_string(call, index, || tokens::not_a_string(name)).map_err(|err| err.throw(env))
  };
  Ok((read(0, "identifier")?, read(1, "token")?))
}

/// Argument `index` as UTF-8, read as UTF-16: its length is known without a scan, and one copy
/// reads it. Not a string is `not_string()`; a lone surrogate is refused, never replaced.
fn read_string(
  call: &FunctionCallContext,
  index: usize,
  not_string: impl FnOnce() -> Error,
) -> Result<String, Error> {
  let text = call.get::<Utf16String>(index).map_err(|_| not_string())?;
  utf8(&text).ok_or_else(|| {
    Error::invalid_argument("the argument must be well-formed Unicode: it has a lone surrogate")
  })
}

/// UTF-16 as UTF-8; `None` if it has a lone surrogate.
fn utf8(units: &[u16]) -> Option<String> {
  if units.iter().all(|&unit| unit < 0x80) {
    // ASCII (an email, a code): each unit is its one UTF-8 byte.
    return String::from_utf8(units.iter().map(|&unit| unit as u8).collect()).ok();
  }
  String::from_utf16(units).ok()
}

#[cfg(test)]
mod tests {
  use super::utf8;

  #[test]
  fn utf16_becomes_the_same_text_and_a_lone_surrogate_is_refused() {
    for text in [
      "ann@example.com",
      "A1B2C3",
      "",
      "zoë@exämple.com",
      "😀@x.io",
      "\u{7f}\u{80}",
    ] {
      let units: Vec<u16> = text.encode_utf16().collect();
      assert_eq!(utf8(&units).as_deref(), Some(text));
    }
    assert_eq!(utf8(&[0x61, 0xD800, 0x62]), None);
    assert_eq!(utf8(&[0xDC00]), None);
  }
}
