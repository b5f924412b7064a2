//! One error type for everything the addon can fail with, its stable codes, and its conversion to
//! a JS `Error` (with `code`) in one place.

use std::future::Future;
use std::task::{Context, Poll, Waker};

use napi::bindgen_prelude::{
  within_runtime_if_available, Either, JsObjectValue, JsValue, PromiseRaw, ToNapiValue,
};
use napi::{Env, Status};

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

  /// Builds the JS `Error` object on the JS thread and hands it to napi as the rejection value.
  fn into_js(self, env: &Env) -> napi::Error {
    match env.create_error(napi::Error::new(Status::GenericFailure, self.message)) {
      Ok(mut object) => match object.set_named_property("code", self.code) {
        Ok(()) => napi::Error::from(object.to_unknown()),
        Err(err) => err,
      },
      Err(err) => err,
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

/// Runs `work` on the addon's Tokio runtime and returns a Promise that resolves with its value or
/// rejects with an `Error` carrying our stable `code`. A panic inside `work` rejects the Promise
/// (napi turns the task's panic into a rejection); it never aborts Node.
pub fn promise<'env, T, F>(env: &'env Env, work: F) -> napi::Result<PromiseRaw<'env, T>>
where
  T: ToNapiValue + Send + 'static,
  F: Future<Output = Result<T>> + Send + 'static,
{
  // Boxed once here: the adapter futures are several KB (they hold every store's state), and
  // moving them by value through napi's spawn path showed up as memmove in profiles.
  let work = Box::pin(work);
  env.spawn_future_with_callback(async move { Ok(work.await) }, |env, outcome| {
    outcome.map_err(|err| err.into_js(env))
  })
}

/// Runs `work` for a JS call. Work that finishes without waiting (a MemoryStore's) returns its
/// value at once, with no hop to another thread; the rest goes on on the Tokio runtime and JS gets
/// a Promise. Either way an error carries our stable `code` (thrown at once, or as a rejection).
pub fn run<'env, T, F>(env: &'env Env, work: F) -> napi::Result<Either<T, PromiseRaw<'env, T>>>
where
  T: ToNapiValue + Send + 'static,
  F: Future<Output = Result<T>> + Send + 'static,
{
  let mut work = Box::pin(work);
  let mut context = Context::from_waker(Waker::noop());
  match within_runtime_if_available(|| work.as_mut().poll(&mut context)) {
    Poll::Ready(Ok(value)) => Ok(Either::A(value)),
    Poll::Ready(Err(err)) => Err(err.throw(env)),
    Poll::Pending => promise(env, work).map(Either::B),
  }
}
