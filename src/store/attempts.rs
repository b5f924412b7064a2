//! An identifier's wrong-attempt counter, in the two shapes the paths write it: a bare count (the
//! native stores, which expire it themselves) and `{ count, until }` (the JS-store path; `until`,
//! the window's end in epoch ms, holds even in a store that ignores `px`). Every path reads both,
//! so adapters sharing a map or a Redis — one over a plain `MemoryStore`, one over a subclass that
//! overrides a method and so takes the JS-store path — share one count per identifier.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// The wall clock in epoch ms, as NextAuth's `expires` and a counter's `until` count time.
pub fn now_ms() -> f64 {
  SystemTime::now()
    .duration_since(UNIX_EPOCH)
    .map(|elapsed| elapsed.as_millis() as u64 as f64)
    .unwrap_or(0.0)
}

/// A counter as read: how many wrong codes, and when the window ends (epoch ms) if the counter
/// says so.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Counter {
  pub count: u64,
  pub until: Option<f64>,
}

impl Counter {
  pub const NONE: Counter = Counter {
    count: 0,
    until: None,
  };

  /// The counter in `value`, whichever shape wrote it; a window that ended, or anything else,
  /// reads as no wrong attempts.
  pub fn read(value: &Value, now_ms: f64) -> Counter {
    let counter = match value {
      Value::Number(count) => Counter {
        count: count.as_u64().unwrap_or(0),
        until: None,
      },
      Value::String(text) => return Counter::read_text(text, now_ms),
      Value::Object(object) => Counter {
        count: object.get("count").and_then(Value::as_u64).unwrap_or(0),
        until: Some(object.get("until").and_then(Value::as_f64).unwrap_or(0.0)),
      },
      _ => Counter::NONE,
    };
    match counter.until {
      Some(until) if until <= now_ms => Counter::NONE,
      _ => counter,
    }
  }

  /// The counter in stored JSON text (a memory entry, a Redis value).
  pub fn read_text(text: &str, now_ms: f64) -> Counter {
    if let Ok(count) = text.parse::<u64>() {
      return Counter { count, until: None };
    }
    match serde_json::from_str::<Value>(text) {
      Ok(Value::String(_)) | Err(_) => Counter::NONE,
      Ok(value) => Counter::read(&value, now_ms),
    }
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  const NOW: f64 = 1_764_582_000_000.0;

  #[test]
  fn a_bare_count_is_the_native_shape() {
    assert_eq!(
      Counter::read_text("3", NOW),
      Counter {
        count: 3,
        until: None
      }
    );
    assert_eq!(Counter::read(&serde_json::json!(3), NOW).count, 3);
    assert_eq!(Counter::read(&serde_json::json!("4"), NOW).count, 4);
  }

  #[test]
  fn count_and_until_is_the_js_store_shape() {
    let live = format!(r#"{{"count":2,"until":{}}}"#, NOW + 1000.0);
    assert_eq!(
      Counter::read_text(&live, NOW),
      Counter {
        count: 2,
        until: Some(NOW + 1000.0)
      }
    );
    let ended = format!(r#"{{"count":2,"until":{}}}"#, NOW - 1.0);
    assert_eq!(Counter::read_text(&ended, NOW), Counter::NONE);
    assert_eq!(
      Counter::read(&serde_json::json!({ "count": 2 }), NOW),
      Counter::NONE
    );
  }

  #[test]
  fn anything_else_is_no_attempts() {
    for text in ["", "-1", "1.5", "null", "[3]", r#""3""#, "{", "true"] {
      assert_eq!(Counter::read_text(text, NOW).count, 0, "{text}");
    }
  }
}
