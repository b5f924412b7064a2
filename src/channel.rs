//! A JS thread's completion channel: a queue that Tokio threads push finished calls onto, and one
//! napi-rs threadsafe function that runs every completion ready when it is called. No threadsafe
//! function is made per call, and answers that land together cost one wake-up (see `wake`).
//!
//! A channel lives through a busy period: the first call makes it, calls that follow one another
//! keep it (a call made in the same turn as the last one settled does), and it closes one
//! event-loop turn after the last one settles. So a process with calls in flight waits for them,
//! and an idle addon holds no handle at all (nothing keeps Node running, and Jest's
//! `--detectOpenHandles` finds nothing open).

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::{Arc, Mutex, MutexGuard};

use napi::threadsafe_function::{
  ThreadsafeCallContext, ThreadsafeFunction, ThreadsafeFunctionCallMode,
};
use napi::{Env, Status};

use crate::wake::{self, Wake};

/// A finished call, run on its JS thread: it settles the call's promise.
pub type Completion = Box<dyn FnOnce(&Env) + Send>;

/// Why the channel's function runs on the JS thread.
enum Signal {
  /// Completions are queued.
  Ready,
  /// The last pending promise settled a turn ago: close the channel if still idle.
  IdleCheck,
}

type Function = ThreadsafeFunction<Signal, (), (), Status, false>;

/// One JS thread's channel. Tokio threads push completions; the JS thread drains them.
pub struct Channel {
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

  /// From any thread: queues the completion, and has the JS thread woken unless a wake-up is
  /// already on its way. A completion for a closed channel is dropped: its environment, and so
  /// its promise, are gone.
  pub fn push(self: &Arc<Self>, completion: Completion) {
    let first = {
      let mut state = self.state();
      if state.function.is_none() {
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
      function.call(Signal::Ready, ThreadsafeFunctionCallMode::NonBlocking);
    }
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

/// On the JS thread, for a promise just made: this thread's channel (made by the first call of a
/// busy period), which now waits for one more completion.
pub fn open(env: &Env) -> napi::Result<Arc<Channel>> {
  let local = match LOCAL.with(|slot| slot.borrow().clone()) {
    Some(local) => local,
    None => make(env)?,
  };
  local.pending.set(local.pending.get() + 1);
  Ok(local.channel.clone())
}

fn make(env: &Env) -> napi::Result<Rc<Local>> {
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

/// On the JS thread: runs every completion that is ready. When none is pending any more it looks
/// again one turn later, and closes the channel if still idle then.
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
    completion(env);
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
          function.call(Signal::IdleCheck, ThreadsafeFunctionCallMode::NonBlocking);
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
