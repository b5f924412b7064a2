//! What the stores share with the token rules: the attempt limit a consume checks, and what
//! consuming a code found. Kept apart from `mod.rs` so each store can use these without importing
//! the module that imports it.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use super::record::Record;

/// How many wrong codes an identifier may try, and for how long they count.
#[derive(Clone, Copy)]
pub struct AttemptLimit {
  pub max: u32,
  pub window: Duration,
}

/// What consuming a code found.
pub enum Consumed {
  /// The record, now deleted.
  Found(Stored),
  /// Nothing under the key (unknown, used or expired code); counted as a wrong attempt.
  Missing,
  /// Too many wrong attempts for this identifier lately: refused without looking.
  Locked,
}

/// A consumed code's record as its store gave it back: JSON text (memory, Redis), or whatever a
/// JS store's `get` answered (an object, or JSON text from stores that serialise values).
pub enum Stored {
  Text(Box<str>),
  Value(Value),
}

impl Stored {
  /// The record, if it is one of ours.
  pub fn record(&self) -> Option<Record<'_>> {
    match self {
      Stored::Text(text) => serde_json::from_str(text).ok(),
      Stored::Value(Value::String(text)) => serde_json::from_str(text).ok(),
      Stored::Value(value) => Record::deserialize(value).ok(),
    }
  }
}
