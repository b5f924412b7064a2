//! The Lua scripts the store runs, each one atomic step on one hash slot. `EVALSHA` names a script
//! by its SHA-1, so its text crosses the network only when a server answers `NOSCRIPT` (its cache
//! is empty after a restart or a failover).

use std::sync::OnceLock;

pub struct Script {
  pub text: &'static str,
  sha: OnceLock<String>,
}

impl Script {
  const fn new(text: &'static str) -> Self {
    Self {
      text,
      sha: OnceLock::new(),
    }
  }

  /// The SHA-1 `EVALSHA` names the script by.
  pub fn sha(&self) -> &str {
    self
      .sha
      .get_or_init(|| redis::Script::new(self.text).get_hash().to_owned())
  }
}

/// `Store::consume`: KEYS[1] the code, KEYS[2] the identifier's attempt counter (same hash slot);
/// ARGV[1] the attempt limit, ARGV[2] the counter's window in ms. Returns the value, 0 for a miss,
/// 1 when locked. The counter is a bare count, or the `{ count, until }` a subclass on the
/// JS-store path wrote (see `store/attempts.rs`), which it counts on in place.
pub static CONSUME: Script = Script::new(
  r"
local raw = redis.call('GET', KEYS[2])
local attempts = tonumber(raw or '0')
local shaped = false
if not attempts then
  local ok, counter = pcall(cjson.decode, raw)
  attempts = (ok and type(counter) == 'table' and tonumber(counter.count)) or 0
  shaped = true
end
if attempts >= tonumber(ARGV[1]) then return 1 end
local value = redis.call('GET', KEYS[1])
if value then
  redis.call('DEL', KEYS[1], KEYS[2])
  return value
end
if shaped then
  redis.call('SET', KEYS[2], attempts + 1, 'KEEPTTL')
  if redis.call('PTTL', KEYS[2]) < 0 then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
elseif redis.call('INCR', KEYS[2]) == 1 then
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
return 0
",
);

/// The send throttle's count: KEYS[1] the count; ARGV[1] the most sends per window, ARGV[2] the
/// window in ms (from the first send). Returns 0 when the send is counted, else the window's
/// milliseconds left.
pub static COUNT_SEND: Script = Script::new(
  r"
local count = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if count >= tonumber(ARGV[1]) then
  local left = redis.call('PTTL', KEYS[1])
  if left > 0 then return left end
  return tonumber(ARGV[2])
end
if redis.call('INCR', KEYS[1]) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
",
);
