//! The addon's Tokio runtime: napi-rs's default (a multi-thread runtime with every driver), with
//! one worker fewer than the machine has cores, so the JS thread keeps a core of its own.
//!
//! The workers only wait on the network and Redis and do the little work around it; a call's
//! JS side runs on the JS thread. With a worker per core, the workers woke each other for every
//! call: one call at a time, ~4.9 futex calls a call, ~1.7 with one worker fewer (`strace -f -c`,
//! two cores). On two cores one worker used ~17% less CPU per call one call at a time, and with 64
//! calls in flight stayed within noise of two workers (`bench/analysis.md`). If napi-rs ever
//! restarts its runtime (after the last environment exits), it falls back to its own default.
//!
//! A worker about to park (or stop) sends the JS-thread wake-ups it held while busy
//! (`settle::flush_wakes`).

use tokio::runtime::{Builder, Runtime};

pub fn build() -> std::io::Result<Runtime> {
  let cores = std::thread::available_parallelism().map_or(1, usize::from);
  Builder::new_multi_thread()
    .worker_threads(cores.saturating_sub(1).max(1))
    .enable_all()
    .on_thread_park(crate::settle::flush_wakes)
    .on_thread_stop(crate::settle::flush_wakes)
    .build()
}
