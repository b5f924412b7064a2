//! Wake-ups the runtime thread holds while it is busy. An answer that reaches a JS thread costs
//! that thread a wake-up; answers the runtime thread reads in one busy stretch share one: it holds
//! each JS thread's wake-up until it has nothing left to run (`flush`, before it parks), or, while
//! it stays busy, for at most `MAX_HELD` answers or `MAX_HOLD`. Every other thread wakes at once.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Something a held wake-up is for: a JS thread's completion channel.
pub trait Wake: Send + Sync {
  fn wake(&self);
}

/// The runtime thread holds wake-ups until it parks, or until this many answers...
const MAX_HELD: usize = 64;
/// ...or an answer this long after the first it held (checked as answers come: with nothing to
/// do it parks, and parking sends them).
const MAX_HOLD: Duration = Duration::from_micros(500);

struct Held {
  /// The wake-ups this thread owes.
  owed: Vec<Arc<dyn Wake>>,
  /// Answers since this thread began holding.
  answers: usize,
  since: Instant,
}

thread_local! {
  /// On the runtime thread (after its first park): the wake-ups it will send before it parks
  /// again. `None` on every other thread.
  static HELD: RefCell<Option<Held>> = const { RefCell::new(None) };
}

/// One answer is ready for `target`; `first` says whether it is the first since `target` last
/// woke (later ones ride along with that wake-up). Wakes `target` now, or holds the wake-up when
/// called on the runtime thread.
pub fn answer_ready(target: &Arc<dyn Wake>, first: bool) {
  // `Some(true)`: held; `Some(false)`: held long enough, send them all; `None`: not the runtime
  // thread.
  let held = HELD
    .try_with(|slot| {
      let mut slot = slot.try_borrow_mut().ok()?;
      let held = slot.as_mut()?;
      if first {
        held.owed.push(target.clone());
      }
      if held.owed.is_empty() {
        return Some(true);
      }
      held.answers += 1;
      if held.answers == 1 {
        held.since = Instant::now();
      }
      Some(held.answers < MAX_HELD && held.since.elapsed() < MAX_HOLD)
    })
    .ok()
    .flatten();
  match held {
    Some(true) => {}
    Some(false) => flush(),
    None if first => target.wake(),
    None => {}
  }
}

/// Sends every wake-up this thread holds. Run by the runtime thread about to park (the runtime's
/// `on_thread_park`); its first park makes it the thread that holds them (only the runtime thread
/// parks through this hook; the blocking pool's threads never do).
pub fn flush() {
  let owed = HELD.try_with(|slot| {
    let Ok(mut slot) = slot.try_borrow_mut() else {
      return Vec::new();
    };
    let held = slot.get_or_insert_with(|| Held {
      owed: Vec::new(),
      answers: 0,
      since: Instant::now(),
    });
    held.answers = 0;
    std::mem::take(&mut held.owed)
  });
  for target in owed.unwrap_or_default() {
    target.wake();
  }
}
