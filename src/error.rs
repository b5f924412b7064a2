//! One error type for everything the addon can fail with, its stable codes, and its conversion to
//! a JS `Error` (with `code`) in one place.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use napi::bindgen_prelude::{Either, JsObjectValue, JsValue, PromiseRaw, ToNapiValue};
use napi::{sys, Env, JsError, Status};

use crate::store::Work;

/// Stable error codes, as JS sees them in `err.code`. API errors carry the API's own code instead.
pub mod code {
  /// An argument or option is missing or has the wrong type.
  pub const INVALID_ARGUMENT: &str = "INVALID_ARGUMENT";
  /// A lifecycle flag (`autoCreateUser`, …) forbids the operation.
  pub const NOT_ALLOWED: &str = "NOT_ALLOWED";
  /// The user or contact already exists (create).
  pub const DUPLICATE: &str = "DUPLICATE";
  /// The user or contact does not exist (delete, update).
  pub const NOT_FOUND: &str = "NOT_FOUND";
  /// The request did not complete within the `timeout` option.
  pub const TIMEOUT: &str = "TIMEOUT";
  /// The API could not be reached (connection refused, reset, DNS, TLS).
  pub const NETWORK_ERROR: &str = "NETWORK_ERROR";
  /// The API answered with something that is not the JSON we expect.
  pub const INVALID_RESPONSE: &str = "INVALID_RESPONSE";
  /// The verification-token store failed or did not answer in time.
  pub const STORE_ERROR: &str = "STORE_ERROR";
  /// Redis cannot be reached, or did not answer within `commandTimeout`.
  pub const REDIS_UNAVAILABLE: &str = "REDIS_UNAVAILABLE";
  /// A bug in the addon (a panic) stopped the call; the process goes on.
  pub const INTERNAL: &str = "INTERNAL";
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
  pub code: String,
  pub message: String,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
  pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
    Self {
      code: code.into(),
      message: message.into(),
    }
  }

  pub fn invalid_argument(message: impl Into<String>) -> Self {
    Self::new(code::INVALID_ARGUMENT, message)
  }

  /// The JS `Error` (with `code`) for a rejection, built on the JS thread of `env`.
  pub fn into_js_value(self, env: sys::napi_env) -> sys::napi_value {
    let env = Env::from_raw(env);
    let made = env
      .create_error(napi::Error::new(Status::GenericFailure, self.message))
      .and_then(|mut object| {
        object.set_named_property("code", self.code)?;
        Ok(object.raw())
      });
    match made {
      Ok(value) => value,
      // SAFETY: on the JS thread, with its env.
      Err(err) => unsafe { JsError::from(err).into_value(env.raw()) },
    }
  }
}

impl std::fmt::Display for Error {
  fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    write!(f, "{} ({})", self.message, self.code)
  }
}

impl Error {
  /// For synchronous exports: throws the JS `Error` (with `code`) right away and returns the
  /// "exception pending" status, so napi does not throw a second, code-less error.
  pub fn throw(self, env: &Env) -> napi::Error {
    match env.throw_error(&self.message, Some(&self.code)) {
      Ok(()) => napi::Error::from_status(Status::PendingException),
      Err(err) => err,
    }
  }
}

/// What a native method returns: the value itself when the work finished without waiting, else
/// a Promise of it (the JS glue awaits either).
pub type Answer<'env, T> = napi::Result<Either<T, PromiseRaw<'env, T>>>;

/// Answers a JS call with store work. Work that is done already (a MemoryStore's) returns its
/// value at once: no runtime thread is started for it. The rest is polled once here, and if it
/// must wait it goes on on the Tokio runtime and JS gets a Promise. Either way an error carries our
/// stable `code` (thrown at once, or as a rejection).
pub fn answer<T>(env: &Env, work: Work<T>) -> Answer<'_, T>
where
  T: ToNapiValue + Send + 'static,
{
  match work {
    Work::Ready(Ok(value)) => Ok(Either::A(value)),
    Work::Ready(Err(err)) => Err(err.throw(env)),
    Work::Waiting(work) => run_pinned(env, work),
  }
}

fn run_pinned<'env, T, F>(env: &'env Env, mut work: Pin<Box<F>>) -> Answer<'env, T>
where
  T: ToNapiValue + Send + 'static,
  F: Future<Output = Result<T>> + Send + 'static + ?Sized,
{
  let mut context = Context::from_waker(Waker::noop());
  let polled = crate::runtime::enter(|| work.as_mut().poll(&mut context));
  match polled.map_err(|err| err.throw(env))? {
    Poll::Ready(Ok(value)) => Ok(Either::A(value)),
    Poll::Ready(Err(err)) => Err(err.throw(env)),
    Poll::Pending => crate::settle::promise_pinned(env, work).map(Either::B),
  }
}
