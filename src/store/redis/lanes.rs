//! Connections kept checked out of the pool and used in turn ("lanes"): one set for a single
//! server or a Sentinel master, one set per master in a Cluster (see `layout.rs`).

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Mutex;

use super::pool::Checkout;

/// Connections kept checked out of the pool, used in turn. A lane is emptied (its connection goes
/// back to the pool, which checks it before anyone gets it again) after a connection-level failure.
pub struct Lanes {
  pub lanes: Box<[Mutex<Option<Checkout>>]>,
  next: AtomicUsize,
}

impl Lanes {
  pub fn new(count: usize) -> Self {
    Self {
      lanes: (0..count.max(1)).map(|_| Mutex::new(None)).collect(),
      next: AtomicUsize::new(0),
    }
  }

  pub fn pick(&self) -> &Mutex<Option<Checkout>> {
    // `new` makes at least one lane.
    &self.lanes[self.next.fetch_add(1, Ordering::Relaxed) % self.lanes.len()]
  }

  pub fn clear(&self) {
    for lane in &self.lanes {
      if let Ok(mut lane) = lane.try_lock() {
        lane.take();
      }
    }
  }
}
