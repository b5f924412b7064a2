//! How a native Promise is settled. Work runs on the addon's Tokio runtime; its result comes back
//! to the JS thread that made the Promise (the main thread, or a worker's) through that thread's
//! completion channel: a queue and one napi-rs threadsafe function that settles every completion
//! ready when it runs. No threadsafe function is made per call, and answers that land together
//! cost one wake-up (see `wake`).
//!
//! A channel lives through a busy period: the first call makes it, calls that follow one another
//! keep it (a call made in the same turn as the last one settled does), and it closes one
//! event-loop turn after the last one settles. So a process with calls in flight waits for them,
//! and an idle addon holds no handle at all (nothing keeps Node running, and Jest's
//! `--detectOpenHandles` finds nothing open).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::ptr;
use std::rc::Rc;
use std::sync::{Arc, Mutex, MutexGuard};

use futures_util::FutureExt;
use napi::bindgen_prelude::{PromiseRaw, ToNapiValue};
use napi::threadsafe_function::{ThreadsafeCallContext, ThreadsafeFunction};
use napi::{sys, Env, JsError, Status};

use crate::error::{Error, ErrorCode, Result};
use crate::wake::{self, Wake};

/// Builds the settled value (or the rejection) on the JS thread, from a finished task's result.
type Settle =
  Box<dyn FnOnce(sys::napi_env) -> std::result::Result<sys::napi_value, sys::napi_value> + Send>;

/// A promise's `napi_deferred`: it travels with its task to the runtime and back, and is settled
/// on the JS thread that made it.
struct Deferred(sys::napi_deferred);

// SAFETY: N-API reads the pointer only on its own JS thread, in `settle_one`.
unsafe impl Send for Deferred {}

struct Completion {
  deferred: Deferred,
  settle: Settle,
}

/// Why the channel's function runs on the JS thread.
enum Signal {
  /// Completions are queued.
  Ready,
  /// The last pending promise settled a turn ago: close the channel if still idle.
  IdleCheck,
}

type Function = ThreadsafeFunction<Signal, (), (), Status, false>;

/// One JS thread's channel. Tokio threads push completions; the JS thread drains them.
struct Channel {
  state: Mutex<State>,
}

#[derive(Default)]
struct State {
  queue: Vec<Completion>,
  /// A wake-up of the JS thread is on its way, or held by the runtime thread: later completions
  /// ride along with it.
  scheduled: bool,
  /// `None` once the channel closed: nothing may wake it again.
  function: Option<Arc<Function>>,
}

impl Channel {
  fn state(&self) -> MutexGuard<'_, State> {
    // A panic while holding the lock cannot leave the queue half-written: take it anyway.
    self
      .state
      .lock()
      .unwrap_or_else(|poisoned| poisoned.into_inner())
  }

  /// From a Tokio task: queues the completion, and has the JS thread woken unless a wake-up is
  /// already on its way.
  fn push(self: &Arc<Self>, completion: Completion) {
    let first = {
      let mut state = self.state();
      if state.function.is_none() {
        // The channel closed, its environment with it: so is the promise.
        return;
      }
      state.queue.push(completion);
      !std::mem::replace(&mut state.scheduled, true)
    };
    let target: Arc<dyn Wake> = self.clone();
    wake::answer_ready(&target, first);
  }
}

impl Wake for Channel {
  fn wake(&self) {
    // Called outside the lock: a JS thread woken by the call must not then wait on the lock while
    // this thread is still in the kernel. The clone keeps the function alive through the call.
    let function = self.state().function.clone();
    if let Some(function) = function {
      function.call(
        Signal::Ready,
        napi::threadsafe_function::ThreadsafeFunctionCallMode::NonBlocking,
      );
    }
  }
}

/// A promise its task still owes a settlement. Settled with the task's outcome, or — if the task
/// is dropped before it finishes (the runtime could not take it) — rejected, so no promise is left
/// pending and no process waits on it forever.
struct Owed {
  deferred: Option<Deferred>,
  channel: Arc<Channel>,
}

impl Owed {
  fn settle(&mut self, settle: Settle) {
    if let Some(deferred) = self.deferred.take() {
      self.channel.push(Completion { deferred, settle });
    }
  }
}

impl Drop for Owed {
  fn drop(&mut self) {
    self.settle(Box::new(|env| Err(internal_error().into_js_value(env))));
  }
}

/// The JS-thread side of a channel: how many of its promises are pending.
struct Local {
  channel: Arc<Channel>,
  pending: Cell<usize>,
}

thread_local! {
  static LOCAL: RefCell<Option<Rc<Local>>> = const { RefCell::new(None) };
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
  let local = local(env)?;
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
  local.pending.set(local.pending.get() + 1);
  let mut owed = Owed {
    deferred: Some(Deferred(deferred)),
    channel: local.channel.clone(),
  };
  let work = AssertUnwindSafe(work).catch_unwind();
  runtime.spawn(Box::pin(async move {
    let outcome = work.await.unwrap_or_else(|_| Err(internal_error()));
    owed.settle(Box::new(move |env| match outcome {
      // SAFETY: `env` is the JS thread's own, inside the drain.
      Ok(value) => unsafe { T::to_napi_value(env, value) }
        // SAFETY: as above.
        .map_err(|err| unsafe { JsError::from(err).into_value(env) }),
      Err(err) => Err(err.into_js_value(env)),
    }));
  }));
  Ok(PromiseRaw::new(env.raw(), promise))
}

/// This JS thread's channel, made by the first call of a busy period.
fn local(env: &Env) -> napi::Result<Rc<Local>> {
  if let Some(local) = LOCAL.with(|slot| slot.borrow().clone()) {
    return Ok(local);
  }
  let channel = Arc::new(Channel {
    state: Mutex::new(State::default()),
  });
  // The threadsafe function runs `on_signal` and then this (empty) function, on this thread.
  let drained =
    env.create_function_from_closure::<(), (), _>("@chatbotkit/nextauth", |_| Ok(()))?;
  let target = channel.clone();
  let function: Function = drained
    .build_threadsafe_function::<Signal>()
    .callee_handled::<false>()
    .build_callback(move |context: ThreadsafeCallContext<Signal>| {
      on_signal(&context.env, &target, context.value);
      Ok(())
    })?;
  channel.state().function = Some(Arc::new(function));
  let local = Rc::new(Local {
    channel,
    pending: Cell::new(0),
  });
  LOCAL.with(|slot| *slot.borrow_mut() = Some(local.clone()));
  Ok(local)
}

/// On the JS thread: settles every completion that is ready. When none is pending any more it
/// looks again one turn later, and closes the channel if still idle then.
fn on_signal(env: &Env, channel: &Arc<Channel>, signal: Signal) {
  let ready = {
    let mut state = channel.state();
    if state.function.is_none() {
      // A late look at a channel already closed.
      return;
    }
    state.scheduled = false;
    std::mem::take(&mut state.queue)
  };
  let settled = ready.len();
  for completion in ready {
    settle_one(env, completion);
  }
  // Runs inside N-API's callback, where a panic would abort: nothing here may panic.
  let _ = LOCAL.try_with(|slot| {
    let Ok(mut slot) = slot.try_borrow_mut() else {
      return;
    };
    let Some(local) = slot
      .as_ref()
      .filter(|local| Arc::ptr_eq(&local.channel, channel))
    else {
      return;
    };
    let pending = local.pending.get().saturating_sub(settled);
    local.pending.set(pending);
    if pending > 0 {
      return;
    }
    let mut state = channel.state();
    match signal {
      // Look again next turn: a caller awaiting in a loop makes its next call before then.
      Signal::Ready => {
        if let Some(function) = &state.function {
          function.call(
            Signal::IdleCheck,
            napi::threadsafe_function::ThreadsafeFunctionCallMode::NonBlocking,
          );
        }
      }
      // Still idle a turn later: no task holds a completion for it (each pushed its one before
      // it was drained), so it closes; the function is released with its last clone, and the next
      // call makes a new channel.
      Signal::IdleCheck => {
        state.function = None;
        *slot = None;
      }
    }
  });
}

/// Settles one promise. A panic must not unwind into N-API (that aborts Node), nor leave the other
/// promises of the batch pending: this one rejects, and the drain goes on.
fn settle_one(env: &Env, Completion { deferred, settle }: Completion) {
  let env = env.raw();
  let mut scope = ptr::null_mut();
  // SAFETY: on the JS thread inside N-API's callback; each deferred is settled once, in its own scope.
  unsafe {
    sys::napi_open_handle_scope(env, &mut scope);
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| settle(env)))
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
