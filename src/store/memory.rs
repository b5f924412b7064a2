//! The in-process store: a map whose entries vanish after their time-to-live, shared safely
//! between threads. Expired entries are never returned, and are swept as the map grows. Values
//! are kept as compact JSON text (a code costs about 200 bytes), parsed when read.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::attempts::{now_ms, Counter};
use super::outcome::{AttemptLimit, Consumed, Stored};

/// Writes between two sweeps of expired entries, at the least (a sweep also waits for the map to
/// have grown by half, so its cost stays constant per write).
const SWEEP_EVERY: usize = 1024;

/// The process's named maps. Every `MemoryStore` of one name shares its map, so codes outlive the
/// JS objects that made them: `next dev` evaluates an app's auth module again when it compiles
/// another route, and the store made then must still hold the codes issued before. A map lives
/// as long as the process (its entries still expire).
static SHARED: LazyLock<Mutex<HashMap<String, Arc<MemoryMap>>>> = LazyLock::new(Mutex::default);

#[derive(Default)]
pub struct MemoryMap {
  state: Mutex<State>,
}

#[derive(Default)]
struct State {
  /// Hashed with foldhash, seeded at random per process (as hashbrown does by default): SipHash
  /// was a twentieth of a token pair's cost. Token keys are SHA-256 hex, which no caller chooses.
  entries: HashMap<Box<str>, Entry, foldhash::fast::RandomState>,
  writes_since_sweep: usize,
}

struct Entry {
  /// The value as JSON text.
  json: Box<str>,
  expires_at: Option<Instant>,
}

impl State {
  /// Inserts an entry, sweeping expired ones as the map grows.
  fn insert(&mut self, key: Box<str>, entry: Entry, now: Instant) {
    self.entries.insert(key, entry);
    self.writes_since_sweep += 1;
    if self.writes_since_sweep >= SWEEP_EVERY.max(self.entries.len() / 2) {
      self.entries.retain(|_, entry| entry.is_live(now));
      self.writes_since_sweep = 0;
    }
  }
}

impl Entry {
  fn is_live(&self, now: Instant) -> bool {
    self.expires_at.is_none_or(|at| at > now)
  }
}

impl MemoryMap {
  /// The process's map called `name`, made on first use.
  pub fn shared(name: &str) -> Arc<MemoryMap> {
    let mut maps = SHARED
      .lock()
      .unwrap_or_else(|poisoned| poisoned.into_inner());
    maps.entry(name.to_owned()).or_default().clone()
  }

  fn state(&self) -> MutexGuard<'_, State> {
    // A panic while holding the lock cannot leave the map half-written (every change is one
    // HashMap call), so a poisoned lock is still good to use.
    self
      .state
      .lock()
      .unwrap_or_else(|poisoned| poisoned.into_inner())
  }

  /// The JSON text under `key`, or `None`.
  pub fn get(&self, key: &str) -> Option<String> {
    let mut state = self.state();
    let now = Instant::now();
    match state.entries.get(key) {
      Some(entry) if entry.is_live(now) => Some(entry.json.to_string()),
      Some(_) => {
        state.entries.remove(key);
        None
      }
      None => None,
    }
  }

  /// Stores a value given as JSON text; with a `ttl` it is gone once that much time has passed.
  pub fn set_text(&self, key: String, json: String, ttl: Option<Duration>) {
    let now = Instant::now();
    let expires_at = ttl.and_then(|ttl| now.checked_add(ttl));
    let json = json.into_boxed_str();
    self
      .state()
      .insert(key.into_boxed_str(), Entry { json, expires_at }, now);
  }

  pub fn del(&self, key: &str) {
    self.state().entries.remove(key);
  }

  /// Removes the entry and returns it if it was live: one step under one lock, so among
  /// concurrent callers exactly one gets the value.
  pub fn take(&self, key: &str) -> Option<String> {
    let entry = self.state().entries.remove(key)?;
    entry
      .is_live(Instant::now())
      .then(|| entry.json.into_string())
  }

  /// `Store::consume`, under one lock.
  pub fn consume(&self, key: &str, attempts: &str, limit: AttemptLimit) -> Consumed {
    let now = Instant::now();
    let mut state = self.state();
    let counter = state
      .entries
      .get(attempts)
      .filter(|entry| entry.is_live(now));
    let count = counter
      .map(|entry| Counter::read_text(&entry.json, now_ms()).count)
      .unwrap_or(0);
    let window_ends = counter.and_then(|entry| entry.expires_at);
    if count >= u64::from(limit.max) {
      return Consumed::Locked;
    }
    match state.entries.remove(key).filter(|entry| entry.is_live(now)) {
      Some(entry) => {
        state.entries.remove(attempts);
        Consumed::Found(Stored::Text(entry.json))
      }
      None => {
        let expires_at = window_ends.or_else(|| now.checked_add(limit.window));
        let json = (count + 1).to_string().into_boxed_str();
        state.insert(attempts.into(), Entry { json, expires_at }, now);
        Consumed::Missing
      }
    }
  }

  /// The send throttle's count under `key`, in one step under the lock: counts a send and answers
  /// 0 while fewer than `max` were counted in the window that began with the first, else answers
  /// the milliseconds left of that window.
  pub fn count_send(&self, key: &str, max: u32, window: Duration) -> f64 {
    let now = Instant::now();
    let mut state = self.state();
    let live = state.entries.get(key).filter(|entry| entry.is_live(now));
    let count = live
      .map(|entry| Counter::read_text(&entry.json, now_ms()).count)
      .unwrap_or(0);
    let window_ends = live.and_then(|entry| entry.expires_at);
    if count >= u64::from(max) {
      let left = window_ends.map_or(window, |at| at.saturating_duration_since(now));
      return (left.as_millis() as f64).max(1.0);
    }
    let expires_at = window_ends.or_else(|| now.checked_add(window));
    let json = (count + 1).to_string().into_boxed_str();
    state.insert(key.into(), Entry { json, expires_at }, now);
    0.0
  }

  pub fn len(&self) -> usize {
    self.state().entries.len()
  }
}
