//! The verification-code rules, written once for every store: a code is bound to the identifier
//! it was issued for, is used at most once (in one step where the store allows it), is refused
//! once expired whatever the store does with its time-to-live, and stops working for an
//! identifier after too many wrong codes.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::store::{AttemptLimit, Consumed, Store};

/// Prefix of the store keys that hold codes.
pub const KEY_PREFIX: &str = "verificationToken:";
/// Prefix of the store keys that count an identifier's wrong codes.
pub const ATTEMPTS_PREFIX: &str = "verificationAttempts:";
/// Wrong codes allowed per identifier within the window (`maxAttempts` option).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;
/// How long wrong codes count (`attemptWindow` option): the email provider's code lifetime,
/// 15 minutes. Once an identifier reaches `maxAttempts`, its codes are refused until the window
/// that began with its first wrong code has passed.
pub const ATTEMPT_WINDOW: Duration = Duration::from_secs(15 * 60);

pub struct Tokens {
  store: Store,
  limit: AttemptLimit,
}

impl Tokens {
  pub fn new(store: Store, limit: AttemptLimit) -> Self {
    Self { store, limit }
  }

  /// Stores the code until `expires` (epoch ms), under a key derived from identifier and code, as
  /// `{ identifier, expires }` (never the code itself). Answers `expires`: the JS glue builds
  /// NextAuth's token object from the arguments it already holds.
  pub async fn create(
    &self,
    identifier: String,
    token: String,
    expires: Option<f64>,
  ) -> Result<f64> {
    let identifier = non_empty(identifier, "identifier")?;
    let token = non_empty(token, "token")?;
    let expires = match expires {
      Some(ms) if ms.is_finite() => ms,
      _ => return Err(Error::invalid_argument("`expires` must be a valid Date")),
    };
    let ttl = expires - now_ms();
    if ttl >= 1.0 {
      let record = json!({ "identifier": identifier, "expires": expires });
      let ttl = Duration::from_millis(ttl as u64);
      self
        .store
        .put(
          code_key(&attempts_key(&identifier), &identifier, &token),
          record,
          ttl,
        )
        .await?;
    }
    Ok(expires)
  }

  /// Consumes the code: its `expires` when it was issued for this identifier, has not expired or
  /// been used, and the identifier has not run out of attempts; else `None`.
  pub async fn consume(&self, identifier: String, token: String) -> Result<Option<f64>> {
    let identifier = non_empty(identifier, "identifier")?;
    let token = non_empty(token, "token")?;
    let attempts = attempts_key(&identifier);
    let code = code_key(&attempts, &identifier, &token);
    let Consumed::Found(record) = self.store.consume(code, attempts, self.limit).await? else {
      return Ok(None);
    };
    let Some(expires) = stored_expiry(&record, &identifier) else {
      return Ok(None);
    };
    if expires <= now_ms() {
      return Ok(None);
    }
    Ok(Some(expires))
  }
}

/// The store key of a code: `verificationToken:{<identifier hash>}:<identifier+code hash>`. The
/// hash binds the code to its identifier, a look at the store (or its logs) never shows a code, and
/// the `{…}` hash tag keeps all of one identifier's keys in one Redis Cluster slot. `attempts` is
/// the identifier's `attempts_key`, whose tag it reuses.
fn code_key(attempts: &str, identifier: &str, token: &str) -> String {
  let mut code = Sha256::new();
  code.update((identifier.len() as u64).to_le_bytes());
  code.update(identifier.as_bytes());
  code.update(token.as_bytes());
  let tag = &attempts[ATTEMPTS_PREFIX.len()..];
  let mut key = String::with_capacity(KEY_PREFIX.len() + tag.len() + 65);
  key.push_str(KEY_PREFIX);
  key.push_str(tag);
  key.push(':');
  push_hex(&mut key, &code.finalize());
  key
}

/// The store key counting an identifier's wrong codes: `verificationAttempts:{<identifier hash>}`.
fn attempts_key(identifier: &str) -> String {
  let mut key = String::with_capacity(ATTEMPTS_PREFIX.len() + 18);
  key.push_str(ATTEMPTS_PREFIX);
  key.push('{');
  push_hex(&mut key, &Sha256::digest(identifier.as_bytes())[..8]);
  key.push('}');
  key
}

fn push_hex(out: &mut String, bytes: &[u8]) {
  let mut hex = [0u8; 64];
  for (pair, byte) in hex.chunks_exact_mut(2).zip(bytes) {
    pair[0] = HEX[usize::from(byte >> 4)];
    pair[1] = HEX[usize::from(byte & 0xf)];
  }
  let len = 2 * bytes.len().min(32);
  // Only ASCII hex digits were written.
  out.push_str(std::str::from_utf8(&hex[..len]).unwrap_or_default());
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The expiry of a stored record, if it is one of ours for this identifier. Stores that serialise
/// values may hand the record back as a JSON string, or the number as a string.
fn stored_expiry(record: &Value, identifier: &str) -> Option<f64> {
  let parsed;
  let record = match record {
    Value::String(text) => {
      parsed = serde_json::from_str::<Value>(text).ok()?;
      &parsed
    }
    other => other,
  };
  if record.get("identifier")?.as_str()? != identifier {
    return None;
  }
  match record.get("expires")? {
    Value::Number(ms) => ms.as_f64(),
    Value::String(ms) => ms.parse().ok(),
    _ => None,
  }
}

/// The wall clock in epoch ms, as NextAuth's `expires` counts time.
pub fn now_ms() -> f64 {
  SystemTime::now()
    .duration_since(UNIX_EPOCH)
    .map(|elapsed| elapsed.as_millis() as f64)
    .unwrap_or(0.0)
}

fn non_empty(value: String, name: &str) -> Result<String> {
  if value.is_empty() {
    return Err(not_a_string(name));
  }
  Ok(value)
}

/// The error for an `identifier` or `token` that is missing, empty or not a string.
pub fn not_a_string(name: &str) -> Error {
  Error::invalid_argument(format!("`{name}` must be a non-empty string"))
}
