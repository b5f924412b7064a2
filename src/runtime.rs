//! The addon's Tokio runtime: a current-thread runtime driven by one thread of its own
//! (`chatbotkit-rt`), started by the first call that needs it and shared by every JS thread of
//! the process (main and workers). It lives as long as the process; it never keeps Node alive
//! (a pending call does, through `settle`), and an idle addon starts no thread at all.
//!
//! The runtime only waits on the network and Redis and does the little work around it; a call's
//! JS side runs on the JS thread. One thread with no work-stealing scheduler is the cheapest way
//! to do that, and it answers tens of thousands of API calls a second, far more than one Node
//! process asks of it (DNS lookups go to Tokio's blocking pool, as before).
//!
//! Calls reach it through one channel, so the calls a JS thread makes in one turn wake the
//! runtime thread once: a task spawned from another thread wakes a current-thread runtime every
//! time (an `eventfd` write each), and the channel's receiver is woken only if it sleeps. The
//! runtime thread spawns each job as its own task.
//!
//! The thread, about to park, sends the JS-thread wake-ups it held while busy
//! (`wake::flush`).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, OnceLock};

use tokio::runtime::{Builder, Handle};
use tokio::sync::mpsc;

use crate::error::{Error, ErrorCode, Result};

pub type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

pub struct Runtime {
  handle: Handle,
  jobs: mpsc::UnboundedSender<Job>,
}

impl Runtime {
  /// Runs `job` on the runtime thread.
  pub fn spawn(&self, job: Job) {
    // Fails only if the runtime thread's loop has ended, which it does not: the sender lives in
    // a static, so the receiver never sees the channel close. (A job dropped here would release
    // what it owns; `settle` rejects the call's promise then.)
    let _ = self.jobs.send(job);
  }
}

static RUNTIME: OnceLock<Runtime> = OnceLock::new();
/// Held while the runtime starts, so two JS threads never start two.
static STARTING: Mutex<()> = Mutex::new(());

/// The runtime, started on first use. If it cannot start (no thread could be made), the call
/// fails with the reason and the next call tries again.
pub fn runtime() -> Result<&'static Runtime> {
  if let Some(runtime) = RUNTIME.get() {
    return Ok(runtime);
  }
  let _starting = STARTING
    .lock()
    .unwrap_or_else(|poisoned| poisoned.into_inner());
  if let Some(runtime) = RUNTIME.get() {
    return Ok(runtime);
  }
  let runtime = start().map_err(|reason| unavailable(&reason))?;
  Ok(RUNTIME.get_or_init(|| runtime))
}

fn unavailable(reason: &str) -> Error {
  Error::new(
    ErrorCode::Internal,
    format!("cannot start the addon's async runtime: {reason}"),
  )
}

fn start() -> std::result::Result<Runtime, String> {
  let runtime = Builder::new_current_thread()
    .enable_all()
    .on_thread_park(crate::wake::flush)
    .build()
    .map_err(|err| err.to_string())?;
  let handle = runtime.handle().clone();
  let (jobs, mut inbox) = mpsc::unbounded_channel::<Job>();
  std::thread::Builder::new()
    .name("chatbotkit-rt".to_owned())
    .spawn(move || {
      runtime.block_on(async move {
        while let Some(job) = inbox.recv().await {
          tokio::spawn(job);
        }
      })
    })
    .map_err(|err| err.to_string())?;
  Ok(Runtime { handle, jobs })
}

/// Runs `f` on this thread inside the runtime's context, so what it starts (timers, sockets,
/// tasks) belongs to the runtime and goes on there.
pub fn enter<T>(f: impl FnOnce() -> T) -> Result<T> {
  let _context = runtime()?.handle.enter();
  Ok(f())
}
