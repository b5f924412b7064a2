//! The verification-code rules, written once for every store: a code is bound to the identifier
//! it was issued for, is used at most once (in one step where the store allows it), is refused
//! once expired whatever the store does with its time-to-live, and stops working for an
//! identifier after too many wrong codes.

use std::borrow::Cow;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::error::{Error, ErrorCode, Result};
use crate::store::{now_ms, AttemptLimit, Consumed, Record, Store, Work};

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
  /// a `Record`. Answers `expires`: the JS glue builds NextAuth's token object from the arguments
  /// it already holds. A MemoryStore's work is done when this returns.
  pub fn create(&self, identifier: &str, token: &str, expires: Option<f64>) -> Work<f64> {
    let (identifier, token) = match non_empty(identifier, token) {
      Ok(args) => args,
      Err(err) => return Work::Ready(Err(err)),
    };
    let expires = match expires {
      Some(ms) if ms.is_finite() => ms,
      _ => {
        return Work::Ready(Err(Error::invalid_argument(
          "`expires` must be a valid Date",
        )))
      }
    };
    let ttl = expires - now_ms();
    if ttl < 1.0 {
      // Already expired: nothing to keep.
      return Work::Ready(Ok(expires));
    }
    let key = code_key(&attempts_key(identifier), identifier, token);
    let record = Record {
      identifier: Cow::Borrowed(identifier),
      expires,
    };
    let ttl = Duration::from_millis(ttl as u64);
    self.store.put(key, &record, ttl).map(move |()| expires)
  }

  /// Consumes the code: its `expires` when it was issued for this identifier, has not expired or
  /// been used, and the identifier has not run out of attempts; else `None`.
  pub fn consume(&self, identifier: &str, token: &str) -> Work<Option<f64>> {
    let (identifier, token) = match non_empty(identifier, token) {
      Ok(args) => args,
      Err(err) => return Work::Ready(Err(err)),
    };
    let attempts = attempts_key(identifier);
    let code = code_key(&attempts, identifier, token);
    match self.store.consume(code, attempts, self.limit) {
      Work::Ready(consumed) => {
        Work::Ready(consumed.and_then(|consumed| accepted(&consumed, identifier)))
      }
      waiting => {
        let identifier = identifier.to_owned();
        match waiting.map(move |consumed| accepted(&consumed, &identifier)) {
          Work::Ready(result) => Work::Ready(result.and_then(|accepted| accepted)),
          Work::Waiting(work) => Work::Waiting(Box::pin(async move { work.await? })),
        }
      }
    }
  }
}

/// The code's `expires` if what the store gave back is a live record of ours for `identifier`. A
/// value under a code's key that is not such a record is the store's fault: it fails the call, and
/// the code is never accepted.
fn accepted(consumed: &Consumed, identifier: &str) -> Result<Option<f64>> {
  let Consumed::Found(stored) = consumed else {
    return Ok(None);
  };
  let Some(record) = stored.record() else {
    return Err(Error::new(
      ErrorCode::StoreError,
      "the store answered a value that is not a verification code's record",
    ));
  };
  Ok((record.identifier == identifier && record.expires > now_ms()).then_some(record.expires))
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

/// Both arguments, or the error naming the first that is empty.
fn non_empty<'a>(identifier: &'a str, token: &'a str) -> Result<(&'a str, &'a str)> {
  if identifier.is_empty() {
    return Err(not_a_string("identifier"));
  }
  if token.is_empty() {
    return Err(not_a_string("token"));
  }
  Ok((identifier, token))
}

/// The error for an `identifier` or `token` that is missing, empty or not a string.
pub fn not_a_string(name: &str) -> Error {
  Error::invalid_argument(format!("`{name}` must be a non-empty string"))
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn code_keys_bind_the_code_to_its_identifier_and_never_show_it() {
    let attempts = attempts_key("ann@example.com");
    let key = code_key(&attempts, "ann@example.com", "a1b2c3");
    assert!(key.starts_with(KEY_PREFIX));
    assert!(!key.contains("a1b2c3") && !key.contains("ann@example.com"));
    assert_ne!(key, code_key(&attempts, "ann@example.com", "a1b2c4"));
    let other = attempts_key("bob@example.com");
    assert_ne!(key, code_key(&other, "bob@example.com", "a1b2c3"));
    // Length-prefixed: moving characters between identifier and code makes another key.
    let shifted = attempts_key("ann@example.coma");
    assert_ne!(key, code_key(&shifted, "ann@example.coma", "1b2c3"));
  }

  #[test]
  fn an_identifiers_keys_share_one_hash_tag() {
    let attempts = attempts_key("ann@example.com");
    let tag = &attempts[ATTEMPTS_PREFIX.len()..];
    assert!(
      tag.starts_with('{') && tag.ends_with('}') && tag.len() == 18,
      "{tag}"
    );
    assert!(code_key(&attempts, "ann@example.com", "a1b2c3").contains(tag));
  }
}
