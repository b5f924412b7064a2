//! What a native method answers JS: the value itself when its work finished without waiting (a
//! MemoryStore's), else a Promise of it. Either way an error carries our stable `code`, thrown at
//! once or as a rejection.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use napi::bindgen_prelude::{Either, PromiseRaw, ToNapiValue};
use napi::Env;

use crate::error::Result;
use crate::settle::promise_pinned;
use crate::store::Work;

/// The value now, or a Promise of it (the JS glue awaits either).
pub type Answer<'env, T> = napi::Result<Either<T, PromiseRaw<'env, T>>>;

/// Answers a JS call with store work. Work that is done already returns its value at once: no
/// runtime thread is started for it. The rest is polled once here, and if it must wait it goes on
/// on the Tokio runtime and JS gets a Promise.
pub fn answer<T>(env: &Env, work: Work<T>) -> Answer<'_, T>
where
  T: ToNapiValue + Send + 'static,
{
  match work {
    Work::Ready(Ok(value)) => Ok(Either::A(value)),
    Work::Ready(Err(err)) => Err(err.throw(env)),
    Work::Waiting(work) => poll_first(env, work),
  }
}

fn poll_first<'env, T, F>(env: &'env Env, mut work: Pin<Box<F>>) -> Answer<'env, T>
where
  T: ToNapiValue + Send + 'static,
  F: Future<Output = Result<T>> + Send + 'static + ?Sized,
{
  let mut context = Context::from_waker(Waker::noop());
  let polled = crate::runtime::enter(|| work.as_mut().poll(&mut context));
  match polled.map_err(|err| err.throw(env))? {
    Poll::Ready(Ok(value)) => Ok(Either::A(value)),
    Poll::Ready(Err(err)) => Err(err.throw(env)),
    Poll::Pending => promise_pinned(env, work).map(Either::B),
  }
}
