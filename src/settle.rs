//! How a native Promise is settled. Work runs on the addon's Tokio runtime; its outcome comes back
//! to the JS thread that made the Promise (the main thread, or a worker's) through that thread's
//! completion channel (`channel`), and is turned into a JS value and settled there.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::ptr;
use std::sync::Arc;

use futures_util::FutureExt;
use napi::bindgen_prelude::{PromiseRaw, ToNapiValue};
use napi::{sys, Env, JsError, Status};

use crate::channel::{self, Channel};
use crate::error::{Error, ErrorCode, Result};

/// A promise's `napi_deferred`: it travels with its task to the runtime and back, and is settled
/// on the JS thread that made it.
struct Deferred(sys::napi_deferred);

// SAFETY: N-API reads the pointer only on its own JS thread, in `settle_now`.
unsafe impl Send for Deferred {}

/// A promise its task still owes a settlement. Settled with the task's outcome, or — if the task
/// is dropped before it finishes (the runtime could not take it) — rejected, so no promise is left
/// pending and no process waits on it forever.
struct Owed {
  deferred: Option<Deferred>,
  channel: Arc<Channel>,
}

/// What a settlement builds on the JS thread: the value to resolve with, or the error to reject with.
type Outcome = std::result::Result<sys::napi_value, sys::napi_value>;

impl Owed {
  fn settle(&mut self, outcome: impl FnOnce(sys::napi_env) -> Outcome + Send + 'static) {
    if let Some(deferred) = self.deferred.take() {
      self.channel.push(Box::new(move |env: &Env| {
        settle_now(env, deferred, outcome)
      }));
    }
  }
}

impl Drop for Owed {
  fn drop(&mut self) {
    self.settle(|env| Err(internal_error().into_js_value(env)));
  }
}

/// Runs `work` on the addon's Tokio runtime and returns a Promise that resolves with its value or
/// rejects with an `Error` carrying our stable `code`. A panic inside `work` rejects the Promise
/// (`INTERNAL`); it never aborts Node.
pub fn promise<'env, T, F>(env: &'env Env, work: F) -> napi::Result<PromiseRaw<'env, T>>
where
  T: ToNapiValue + Send + 'static,
  F: Future<Output = Result<T>> + Send + 'static,
{
  promise_pinned(env, Box::pin(work))
}

/// `promise` for work already boxed (`answer` polls it once on the JS thread first).
pub fn promise_pinned<'env, T, F>(
  env: &'env Env,
  work: Pin<Box<F>>,
) -> napi::Result<PromiseRaw<'env, T>>
where
  T: ToNapiValue + Send + 'static,
  F: Future<Output = Result<T>> + Send + 'static + ?Sized,
{
  let runtime = crate::runtime::runtime().map_err(|err| err.throw(env))?;
  let mut deferred = ptr::null_mut();
  let mut promise = ptr::null_mut();
  // SAFETY: on the JS thread, with its env; both out-pointers are writable.
  let status = unsafe { sys::napi_create_promise(env.raw(), &mut deferred, &mut promise) };
  if status != sys::Status::napi_ok {
    return Err(napi::Error::new(
      Status::from(status),
      "@chatbotkit/nextauth: cannot create a Promise",
    ));
  }
  let mut owed = Owed {
    deferred: Some(Deferred(deferred)),
    channel: channel::open(env)?,
  };
  let work = AssertUnwindSafe(work).catch_unwind();
  runtime.spawn(Box::pin(async move {
    let outcome = work.await.unwrap_or_else(|_| Err(internal_error()));
    owed.settle(move |env| match outcome {
      // SAFETY: `env` is the JS thread's own, inside the drain.
      Ok(value) => unsafe { T::to_napi_value(env, value) }
        // SAFETY: as above.
        .map_err(|err| unsafe { JsError::from(err).into_value(env) }),
      Err(err) => Err(err.into_js_value(env)),
    });
  }));
  Ok(PromiseRaw::new(env.raw(), promise))
}

/// Settles one promise. A panic must not unwind into N-API (that aborts Node), nor leave the other
/// promises of the batch pending: this one rejects, and the drain goes on.
fn settle_now(env: &Env, deferred: Deferred, outcome: impl FnOnce(sys::napi_env) -> Outcome) {
  let env = env.raw();
  let mut scope = ptr::null_mut();
  // SAFETY: on the JS thread inside N-API's callback; each deferred is settled once, in its own scope.
  unsafe {
    sys::napi_open_handle_scope(env, &mut scope);
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| outcome(env)))
      .unwrap_or_else(|_| Err(internal_error().into_js_value(env)));
    match outcome {
      Ok(value) => sys::napi_resolve_deferred(env, deferred.0, value),
      Err(error) => sys::napi_reject_deferred(env, deferred.0, error),
    };
    sys::napi_close_handle_scope(env, scope);
  }
}

/// What a panic inside the addon becomes: a rejection with `code: 'INTERNAL'`.
fn internal_error() -> Error {
  Error::new(
    ErrorCode::Internal,
    "@chatbotkit/nextauth: internal error; the call was rejected",
  )
}
