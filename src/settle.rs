//! How a native Promise is settled: one completion channel per JS thread (the main thread, or a
//! worker's) while it has calls in flight. A Tokio task pushes its result onto the channel's
//! queue and wakes the JS thread through the channel's threadsafe function, which settles every
//! completion that is ready in one callback. No threadsafe function is made per call, and
//! completions that land together cost one wake-up: the runtime thread holds the wake-up until it
//! has nothing left to run (or, while it stays busy, for at most `MAX_HELD` answers or
//! `MAX_HOLD`), so the answers it reads meanwhile ride along. The channel lives
//! through a busy period: it is
//! made by the first call, kept while calls follow one another (a call made in the same turn as
//! the last one settled keeps it), and closed one event-loop turn after the last one settles. So a
//! process with calls in flight waits for them, and an idle addon holds no handle at all (nothing
//! keeps Node running, and Jest's `--detectOpenHandles` finds nothing open).

use std::cell::{Cell, RefCell};
use std::ffi::c_void;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::ptr;
use std::rc::Rc;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use napi::bindgen_prelude::{PromiseRaw, ToNapiValue};
use napi::{sys, Env, JsError, Status};

use crate::error::{code, Error, Result};

/// Builds the settled value (or the rejection) on the JS thread, from a finished task's result.
type Settle =
  Box<dyn FnOnce(sys::napi_env) -> std::result::Result<sys::napi_value, sys::napi_value> + Send>;

struct Completion {
  deferred: Deferred,
  settle: Settle,
}

/// A promise's `napi_deferred`. It travels with its task to a Tokio thread and back, and is only
/// ever used on the JS thread that made it.
struct Deferred(sys::napi_deferred);

// SAFETY: the pointer is only dereferenced by N-API on its own JS thread (in `drain`).
unsafe impl Send for Deferred {}

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

/// One JS thread's channel: its threadsafe function and the queue it drains.
struct Channel {
  /// Set once, right after the function is made and before anything can call it.
  tsfn: AtomicPtr<sys::napi_threadsafe_function__>,
  state: Mutex<State>,
  /// Tokio threads inside `napi_call_threadsafe_function` right now: `finalize` waits for them,
  /// so the function is never freed under a call (the lock is not held across the call).
  waking: AtomicUsize,
}

#[derive(Default)]
struct State {
  queue: Vec<Completion>,
  /// A wake-up of the JS thread is on its way, or held by the runtime thread until it parks: later
  /// completions ride along with it.
  scheduled: bool,
  /// The channel was released (idle), or its environment is being torn down: its threadsafe
  /// function must not be called again.
  closed: bool,
}

impl Channel {
  fn tsfn(&self) -> sys::napi_threadsafe_function {
    self.tsfn.load(Ordering::Acquire)
  }

  fn state(&self) -> MutexGuard<'_, State> {
    // A panic while holding the lock cannot leave the queue half-written: take it anyway.
    self
      .state
      .lock()
      .unwrap_or_else(|poisoned| poisoned.into_inner())
  }

  /// From a Tokio task: queues the completion and asks for a wake-up of the JS thread unless one
  /// is already asked for. On the addon's runtime thread the wake-up waits until that thread has
  /// nothing left to run (`flush_wakes`, before it parks), so answers that arrive together reach
  /// the JS thread in one wake-up; elsewhere it is sent at once.
  fn push(self: &Arc<Self>, completion: Completion) {
    let first = {
      let mut state = self.state();
      if state.closed {
        // The environment is gone; so is the promise.
        return;
      }
      state.queue.push(completion);
      !std::mem::replace(&mut state.scheduled, true)
    };
    // `Some(true)`: this thread holds the wake-up (or another thread does); `Some(false)`: this
    // thread has held wake-ups long enough; `None`: not the runtime thread.
    let held = HELD
      .try_with(|slot| {
        let mut slot = slot.try_borrow_mut().ok()?;
        let held = slot.as_mut()?;
        if first {
          held.channels.push(self.clone());
        }
        if held.channels.is_empty() {
          return Some(true);
        }
        // A runtime thread that stays busy still wakes the JS thread now and then.
        held.completions += 1;
        if held.completions == 1 {
          held.since = Instant::now();
        }
        Some(held.completions < MAX_HELD && held.since.elapsed() < MAX_HOLD)
      })
      .ok()
      .flatten();
    match held {
      Some(true) => {}
      Some(false) => flush_wakes(),
      None if first => self.wake(),
      None => {}
    }
  }

  /// Wakes the JS thread, unless the channel closed meanwhile.
  fn wake(&self) {
    {
      let state = self.state();
      if state.closed {
        return;
      }
      // Counted under the lock, so `finalize` (which closes the channel under it) sees this call.
      self.waking.fetch_add(1, Ordering::Relaxed);
    }
    // Outside the lock: the call writes to the JS thread's event loop, and a JS thread woken by it
    // must not then block on the lock (in `call_js`) while this thread is still in the kernel.
    // SAFETY: `tsfn` is alive: `finalize` waits for `waking` to drop before N-API frees it.
    unsafe {
      sys::napi_call_threadsafe_function(
        self.tsfn(),
        ptr::null_mut(),
        sys::ThreadsafeFunctionCallMode::nonblocking,
      );
    }
    self.waking.fetch_sub(1, Ordering::Release);
  }

  /// Waits until no Tokio thread is inside a wake-up (the nonblocking
  /// `napi_call_threadsafe_function`, which returns promptly), so the function can be freed.
  /// Called once the channel is closed (no new wake-up starts).
  fn wait_for_wakes(&self) {
    while self.waking.load(Ordering::Acquire) != 0 {
      std::thread::yield_now();
    }
  }
}

/// The runtime thread holds wake-ups until it parks, or until this many answers...
const MAX_HELD: usize = 64;
/// ...or an answer this long after the first it held (checked as answers come: with nothing to
/// do it parks, and parking sends them).
const MAX_HOLD: Duration = Duration::from_micros(500);

struct HeldWakes {
  /// Channels this thread owes a wake-up.
  channels: Vec<Arc<Channel>>,
  /// Answers queued since this thread began holding.
  completions: usize,
  since: Instant,
}

thread_local! {
  /// On the addon's runtime thread (after its first park): the channels whose JS thread it will
  /// wake before it parks again. `None` on every other thread.
  static HELD: RefCell<Option<HeldWakes>> = const { RefCell::new(None) };
}

/// On the runtime thread about to park (the runtime's `on_thread_park`), and when it has held
/// wake-ups long enough: wakes every JS thread it owes a wake-up. The first park also makes the
/// thread one that holds them (only the runtime thread parks through this hook; the blocking
/// pool's threads never do).
pub fn flush_wakes() {
  let channels = HELD.try_with(|slot| {
    let Ok(mut slot) = slot.try_borrow_mut() else {
      return Vec::new();
    };
    let held = slot.get_or_insert_with(|| HeldWakes {
      channels: Vec::new(),
      completions: 0,
      since: Instant::now(),
    });
    held.completions = 0;
    std::mem::take(&mut held.channels)
  });
  for channel in channels.unwrap_or_default() {
    channel.wake();
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
  // Pinned where it will stay; callers keep large work out of `work` until its first poll (see
  // `spawn_call` in lib.rs), so this box is small.
  promise_pinned(env, Box::pin(work))
}

/// `promise` for work already boxed (`run` boxes it to poll it once on the JS thread first).
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
  // SAFETY: on the JS thread, with its env.
  check(unsafe { sys::napi_create_promise(env.raw(), &mut deferred, &mut promise) })?;
  local.pending.set(local.pending.get() + 1);
  let mut owed = Owed {
    deferred: Some(Deferred(deferred)),
    channel: local.channel.clone(),
  };
  let work = AssertUnwindSafe(work).catch_unwind();
  runtime.spawn(Box::pin(async move {
    let outcome = work.await.unwrap_or_else(|_| Err(internal_error()));
    owed.settle(Box::new(move |env| match outcome {
      // SAFETY: `env` is the JS thread's own, inside the drain callback.
      Ok(value) => unsafe { T::to_napi_value(env, value) }
        // SAFETY: as above.
        .map_err(|err| unsafe { JsError::from(err).into_value(env) }),
      Err(err) => Err(err.into_js_value(env)),
    }));
  }));
  Ok(PromiseRaw::new(env.raw(), promise))
}

/// The `data` of the call `call_js` posts to itself when the last pending promise has settled:
/// one event-loop turn later, the channel is closed unless a call came meanwhile.
/// (A non-null marker, never dereferenced; a wake for completions passes null.)
fn idle_check() -> *mut c_void {
  ptr::dangling_mut()
}

/// This JS thread's channel, made by the first call of a busy period.
fn local(env: &Env) -> napi::Result<Rc<Local>> {
  if let Some(local) = LOCAL.with(|slot| slot.borrow().clone()) {
    return Ok(local);
  }
  let channel = Arc::new(Channel {
    tsfn: AtomicPtr::new(ptr::null_mut()),
    state: Mutex::new(State::default()),
    waking: AtomicUsize::new(0),
  });
  let name = "@chatbotkit/nextauth";
  let mut resource_name = ptr::null_mut();
  // SAFETY: on the JS thread, with its env; `name` outlives the call.
  check(unsafe {
    sys::napi_create_string_utf8(
      env.raw(),
      name.as_ptr().cast(),
      name.len() as isize,
      &mut resource_name,
    )
  })?;
  // The threadsafe function holds one reference to the channel, given back in `finalize`.
  let context = Arc::into_raw(channel.clone()) as *mut c_void;
  let mut tsfn = ptr::null_mut();
  // SAFETY: no JS function (`call_js` does the work); one owning thread (this one), which
  // releases it when the channel goes idle (`call_js`), or N-API finalizes it at teardown. It is
  // referenced (holds the event loop) for its whole life: calls are pending.
  let created = check(unsafe {
    sys::napi_create_threadsafe_function(
      env.raw(),
      ptr::null_mut(),
      ptr::null_mut(),
      resource_name,
      0,
      1,
      context,
      Some(finalize),
      context,
      Some(call_js),
      &mut tsfn,
    )
  });
  if let Err(err) = created {
    // SAFETY: the reference made above was not handed to N-API.
    drop(unsafe { Arc::from_raw(context as *const Channel) });
    return Err(err);
  }
  channel.tsfn.store(tsfn, Ordering::Release);
  let local = Rc::new(Local {
    channel,
    pending: Cell::new(0),
  });
  LOCAL.with(|slot| *slot.borrow_mut() = Some(local.clone()));
  Ok(local)
}

/// On the JS thread, woken by `push`: settles every completion that is ready. When none is
/// pending any more it looks again one turn later (`idle_check`), and closes the channel if still
/// idle then.
unsafe extern "C" fn call_js(
  env: sys::napi_env,
  _js_callback: sys::napi_value,
  context: *mut c_void,
  data: *mut c_void,
) {
  if env.is_null() || context.is_null() {
    // The environment is being torn down.
    return;
  }
  // SAFETY: `context` is the channel the threadsafe function holds a reference to.
  let channel = unsafe { &*(context as *const Channel) };
  // SAFETY: on the channel's JS thread, inside N-API's callback.
  if let Some(settled) = unsafe { drain(env, channel) } {
    settled_count(channel, settled, data == idle_check());
  }
}

/// On the JS thread: settles every completion that is ready and says how many, or `None` when the
/// channel is closed (a late idle check of a channel already released).
///
/// # Safety
/// On the channel's JS thread with its `env`, inside a callback N-API or a callback scope runs.
unsafe fn drain(env: sys::napi_env, channel: &Channel) -> Option<usize> {
  let ready = {
    let mut state = channel.state();
    if state.closed {
      return None;
    }
    state.scheduled = false;
    std::mem::take(&mut state.queue)
  };
  let settled = ready.len();
  for Completion { deferred, settle } in ready {
    let mut scope = ptr::null_mut();
    // SAFETY: on the JS thread, with its env; every deferred is settled exactly once.
    unsafe {
      sys::napi_open_handle_scope(env, &mut scope);
      // A panic must not unwind into N-API (that aborts Node), nor leave the other promises of
      // this batch unsettled: this one rejects, and the drain goes on.
      let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| settle(env)))
        .unwrap_or_else(|_| Err(internal_error().into_js_value(env)));
      match outcome {
        Ok(value) => sys::napi_resolve_deferred(env, deferred.0, value),
        Err(error) => sys::napi_reject_deferred(env, deferred.0, error),
      };
      sys::napi_close_handle_scope(env, scope);
    }
  }
  Some(settled)
}

/// On the JS thread, after a drain: counts the promises settled, and when none is pending any
/// more, looks again one turn later (`looking_again` is that look) and closes the channel if still
/// idle then.
fn settled_count(channel: &Channel, settled: usize, looking_again: bool) {
  let _ = LOCAL.try_with(|slot| {
    let mut slot = slot.borrow_mut();
    let Some(local) = slot.as_ref() else {
      return;
    };
    if !ptr::eq(Arc::as_ptr(&local.channel), channel) {
      return;
    }
    let pending = local.pending.get().saturating_sub(settled);
    local.pending.set(pending);
    if pending > 0 {
      return;
    }
    let tsfn = channel.tsfn();
    if !looking_again {
      // Look again next turn: a caller awaiting in a loop makes its next call before then.
      // SAFETY: the function is alive (the channel is not closed); called from its own thread.
      unsafe {
        sys::napi_call_threadsafe_function(
          tsfn,
          idle_check(),
          sys::ThreadsafeFunctionCallMode::nonblocking,
        )
      };
      return;
    }
    // Still idle a turn later: no task holds the channel (each pushed its one completion before
    // it was drained), so it closes, and the next call makes a new one.
    channel.state().closed = true;
    *slot = None;
    // SAFETY: the owning thread gives up the function; N-API finalizes it once its queue is empty.
    unsafe {
      sys::napi_release_threadsafe_function(tsfn, sys::ThreadsafeFunctionReleaseMode::release)
    };
  });
}

/// N-API finalizes the function (released when idle, or at teardown): the channel is closed and
/// its reference given back.
unsafe extern "C" fn finalize(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
  if data.is_null() {
    return;
  }
  // SAFETY: `data` is the reference `local` handed to N-API.
  let channel = unsafe { Arc::from_raw(data as *const Channel) };
  let mut state = channel.state();
  state.closed = true;
  state.queue.clear();
  drop(state);
  // N-API frees the function after this callback.
  channel.wait_for_wakes();
  // Forget this thread's channel only if it is this one (an idle channel is finalized after a new
  // one may have been made).
  let _ = LOCAL.try_with(|slot| {
    let mut slot = slot.borrow_mut();
    if slot
      .as_ref()
      .is_some_and(|local| Arc::ptr_eq(&local.channel, &channel))
    {
      *slot = None;
    }
  });
}

/// What a panic inside the addon becomes: a rejection with `code: 'INTERNAL'`.
fn internal_error() -> Error {
  Error::new(
    code::INTERNAL,
    "@chatbotkit/nextauth: internal error; the call was rejected",
  )
}

fn check(status: sys::napi_status) -> napi::Result<()> {
  match status {
    sys::Status::napi_ok => Ok(()),
    other => Err(napi::Error::new(
      Status::from(other),
      "@chatbotkit/nextauth: cannot set up the completion channel",
    )),
  }
}
