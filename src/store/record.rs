//! The record a store holds for a code: who it was issued for and until when — never the code.

use std::borrow::Cow;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// What the store holds for a code: who it was issued for and until when (epoch ms) — never the
/// code itself. Stored as JSON, `{"identifier":"…","expires":…}`.
#[derive(Serialize, Deserialize)]
pub struct Record<'a> {
  #[serde(borrow)]
  pub identifier: Cow<'a, str>,
  #[serde(deserialize_with = "number_or_text", serialize_with = "whole_ms")]
  pub expires: f64,
}

/// `expires` as JS's `JSON.stringify` writes epoch ms: a whole number without a fraction, which is
/// also the quickest to read back.
fn whole_ms<S: serde::Serializer>(ms: &f64, serializer: S) -> std::result::Result<S::Ok, S::Error> {
  if ms.fract() == 0.0 && ms.abs() <= 9_007_199_254_740_991.0 {
    serializer.serialize_i64(*ms as i64)
  } else {
    serializer.serialize_f64(*ms)
  }
}

impl Record<'_> {
  /// As JSON text, how the native stores keep it.
  pub fn json(&self) -> String {
    // Sized for `{"identifier":"…","expires":1764582000000}`, so the text is kept without
    // a shrinking copy: a MemoryStore holds it for the code's life.
    let mut json = Vec::with_capacity(self.identifier.len() + 41);
    // A struct of a string and a finite number always serialises, as UTF-8.
    let _ = serde_json::to_writer(&mut json, self);
    String::from_utf8(json).unwrap_or_default()
  }

  /// As a JSON object, how a JS store gets it.
  pub fn value(&self) -> Value {
    serde_json::to_value(self).unwrap_or(Value::Null)
  }
}

/// `expires` as stored: a number, or (from stores that turn numbers into text) a numeric string.
fn number_or_text<'de, D: Deserializer<'de>>(
  deserializer: D,
) -> std::result::Result<f64, D::Error> {
  struct Ms;
  impl Visitor<'_> for Ms {
    type Value = f64;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
      f.write_str("epoch ms, as a number or a numeric string")
    }
    fn visit_f64<E: de::Error>(self, ms: f64) -> std::result::Result<f64, E> {
      Ok(ms)
    }
    fn visit_u64<E: de::Error>(self, ms: u64) -> std::result::Result<f64, E> {
      Ok(ms as f64)
    }
    fn visit_i64<E: de::Error>(self, ms: i64) -> std::result::Result<f64, E> {
      Ok(ms as f64)
    }
    fn visit_str<E: de::Error>(self, ms: &str) -> std::result::Result<f64, E> {
      ms.parse().map_err(E::custom)
    }
  }
  deserializer.deserialize_any(Ms)
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn records_round_trip_and_read_the_original_packages_text() {
    let record = Record {
      identifier: Cow::Borrowed("ann@example.com"),
      expires: 1_764_582_000_000.0,
    };
    let json = record.json();
    assert_eq!(
      json,
      r#"{"identifier":"ann@example.com","expires":1764582000000}"#
    );
    assert_eq!(json.capacity(), json.len(), "kept as it is written");
    let read: Record = serde_json::from_str(&json).expect("JSON");
    assert_eq!(read.identifier, "ann@example.com");
    assert_eq!(read.expires, record.expires);
    // A store that turns numbers into text hands `expires` back as a numeric string.
    let text: Record = serde_json::from_str(r#"{"identifier":"a","expires":"1764582000000"}"#)
      .expect("a numeric string");
    assert_eq!(text.expires, 1_764_582_000_000.0);
    assert!(serde_json::from_str::<Record>(r#"{"identifier":"a","expires":"soon"}"#).is_err());
  }
}
