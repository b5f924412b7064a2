//! One store command as the retry loop sends it, and the rules that decide whether a failure
//! allows another try: what a failure means (connection lost, not the master, a passing refusal)
//! and whether the command may be sent twice.

use std::time::Duration;

use redis::{Cmd, ErrorKind, RedisError, ServerErrorKind};

/// The first pause before a store call tries again after a failure that allows it; it doubles up
/// to `MAX_RETRY_PAUSE`, while `commandTimeout` leaves room.
pub const FIRST_RETRY_PAUSE: Duration = Duration::from_millis(20);
pub const MAX_RETRY_PAUSE: Duration = Duration::from_millis(200);
/// How many times a Redis Cluster connection sends a command again (after a redirect, or a
/// refusal while the Cluster fails over): enough pauses to outlast the default `commandTimeout`,
/// which ends them first; redis-rs computes a pause from 2 to the power of this, so it stays small.
pub const CLUSTER_RETRIES: u32 = 48;

/// Why one try of a store call failed.
pub enum Failure {
  /// No connection could be had: nothing was sent.
  Checkout(deadpool_redis::PoolError),
  /// The command was sent, or its connection broke.
  Command(RedisError),
}

/// One store command, as `run` sends it.
pub struct Command<'a> {
  /// For messages: `GET`, `EVALSHA`, ….
  pub name: &'static str,
  /// The (first) key it names: in a Cluster, its hash slot chooses the lanes.
  pub key: &'a str,
  pub cmd: &'a Cmd,
  pub replay: Replay,
  /// For `EVALSHA`: builds the same call as `EVAL`, sent when the server answers `NOSCRIPT`.
  pub unless_cached: Option<&'a (dyn Fn() -> Cmd + Sync)>,
}

impl<'a> Command<'a> {
  pub fn new(name: &'static str, key: &'a str, cmd: &'a Cmd, replay: Replay) -> Self {
    Self {
      name,
      key,
      cmd,
      replay,
      unless_cached: None,
    }
  }
}

/// Whether a command may be sent again after its connection broke with no answer.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Replay {
  /// Sending it twice does what sending it once does (`GET`, `SET`, `DEL`).
  Safe,
  /// The first send may have taken a code (`GETDEL`, the consume script): never twice.
  Unsafe,
}

/// The connection broke, or could not be made: the command may not have been run.
pub fn connection_lost(err: &RedisError) -> bool {
  err.is_io_error()
    || err.is_connection_dropped()
    || err.is_connection_refusal()
    || err.is_timeout()
}

/// The server answered that it is not (or no longer) the master: the command was not run.
pub fn not_master(err: &RedisError) -> bool {
  matches!(
    err.kind(),
    ErrorKind::Server(ServerErrorKind::ReadOnly | ServerErrorKind::MasterDown)
  )
}

/// A failure to connect that may pass: the server restarting or loading, or Sentinels in the
/// middle of a failover. A wrong password or URL is not.
pub fn transient(err: &RedisError) -> bool {
  connection_lost(err)
    || not_master(err)
    || matches!(
      err.kind(),
      ErrorKind::MasterNameNotFoundBySentinel
        | ErrorKind::Server(
          ServerErrorKind::BusyLoading | ServerErrorKind::TryAgain | ServerErrorKind::ClusterDown
        )
    )
}
