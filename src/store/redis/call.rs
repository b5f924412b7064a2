//! How a store call runs: within `commandTimeout`, on a lane's connection, trying again while a
//! failure allows it, and failing with a message that names the server but never a password.

use std::sync::atomic::Ordering;
use std::sync::OnceLock;

use redis::{Cmd, ErrorKind, FromRedisValue, RedisError, ServerErrorKind};
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::command::{
  connection_lost, not_master, transient, Command, Failure, Replay, FIRST_RETRY_PAUSE,
  MAX_RETRY_PAUSE,
};
use super::pool::{Checkout, Pool};
use super::route::Route;
use super::Redis;
use crate::error::{Error, ErrorCode, Result};

impl Redis {
  /// Runs `command` within `commandTimeout`, trying again (after a short pause, while the time
  /// leaves room) when no connection could be had, when a failover moved the master, or when
  /// `replay` allows it after a broken connection: a command that takes a code is never sent
  /// twice, as its first try may have taken it. A script the server has not cached is sent in
  /// full at once (`NOSCRIPT` means nothing ran).
  pub(super) async fn run<T: FromRedisValue>(&self, command: Command<'_>) -> Result<T> {
    let Command {
      name,
      key,
      cmd: mut current,
      replay,
      unless_cached,
    } = command;
    // The full script, built only if a server answers `NOSCRIPT`.
    let full = OnceLock::new();
    let deadline = Instant::now() + self.command_timeout;
    let late = |server: &str| {
      Error::new(
        ErrorCode::RedisUnavailable,
        format!(
          "{server} did not answer {name} within {} ms",
          self.command_timeout.as_millis()
        ),
      )
    };
    let route = match &self.pool {
      // Boxed: reading a Cluster's layout is a large future, which one server never needs.
      Pool::Cluster(_) => {
        match Box::pin(tokio::time::timeout_at(deadline, self.route(key))).await {
          Ok(route) => route?,
          Err(_) => return Err(late(&self.label)),
        }
      }
      _ => Route::Fixed(&self.lanes),
    };
    let mut pause = FIRST_RETRY_PAUSE;
    loop {
      if self.closed.load(Ordering::Acquire) {
        return Err(Error::new(
          ErrorCode::RedisUnavailable,
          "RedisStore is closed",
        ));
      }
      let lane = route.lanes().pick();
      // A try is boxed on its own: inline, its space would be allocated and copied with every
      // call's work.
      let attempt = Box::pin(tokio::time::timeout_at(
        deadline,
        self.attempt(lane, current),
      ));
      let failure = match attempt.await {
        Ok(Ok(value)) => return Ok(value),
        Ok(Err(Failure::Command(err))) if err.kind() == ServerErrorKind::NoScript.into() => {
          match unless_cached {
            Some(build) if full.get().is_none() => {
              current = full.get_or_init(build);
              continue;
            }
            _ => Failure::Command(err),
          }
        }
        Ok(Err(failure)) => failure,
        Err(_) => {
          // Not waiting for the lane: a stuck checkout may hold it, and this call's time is up.
          if let Ok(mut lane) = lane.try_lock() {
            lane.take();
          }
          return Err(late(&self.server(&route)));
        }
      };
      let again = match &failure {
        Failure::Checkout(deadpool_redis::PoolError::Closed) => false,
        Failure::Checkout(deadpool_redis::PoolError::Backend(err)) => transient(err),
        Failure::Checkout(_) => true,
        Failure::Command(err) => {
          (self.follows_failover && not_master(err))
            || (replay == Replay::Safe && connection_lost(err))
        }
      };
      if !again || Instant::now() + pause >= deadline {
        let server = self.server(&route);
        return Err(match &failure {
          Failure::Checkout(err) => self.pool_error(&server, err),
          Failure::Command(err) if err.is_timeout() => late(&server),
          Failure::Command(err) => self.redis_error(&server, name, err),
        });
      }
      tokio::time::sleep(pause).await;
      pause = (pause * 2).min(MAX_RETRY_PAUSE);
    }
  }

  /// One try of `command` on the connection kept in `lane` (checked out first if the lane is
  /// empty); a connection-level failure empties the lane.
  async fn attempt<T: FromRedisValue>(
    &self,
    lane: &Mutex<Option<Checkout>>,
    command: &Cmd,
  ) -> std::result::Result<T, Failure> {
    let mut shared = {
      // One checkout per lane at a time: never more connections out than the pool holds.
      let mut kept = lane.lock().await;
      match kept.as_ref() {
        Some(checkout) => checkout.share(),
        None => {
          // Boxed: a checkout may open a connection (a Sentinel or Cluster one is a large
          // future) and most calls never make one; inline, it would be allocated and copied
          // with every call's work.
          let checkout = Box::pin(self.pool.checkout());
          let checkout = checkout.await.map_err(Failure::Checkout)?;
          let shared = checkout.share();
          *kept = Some(checkout);
          shared
        }
      }
    };
    match shared.query(command).await {
      Ok(value) => Ok(value),
      Err(err) => {
        if not_master(&err) {
          if let Some(checkout) = lane.lock().await.take() {
            checkout.discard();
          }
        } else if !matches!(err.kind(), ErrorKind::Server(_)) {
          lane.lock().await.take();
        }
        Err(Failure::Command(err))
      }
    }
  }

  pub(super) fn pool_error(&self, server: &str, err: &deadpool_redis::PoolError) -> Error {
    if matches!(err, deadpool_redis::PoolError::Closed) {
      return Error::new(ErrorCode::RedisUnavailable, "RedisStore is closed");
    }
    Error::new(
      ErrorCode::RedisUnavailable,
      self.scrub(format!("{server} is unavailable: {err}")),
    )
  }

  pub(super) fn redis_error(&self, server: &str, name: &str, err: &RedisError) -> Error {
    let code = if connection_lost(err) || not_master(err) {
      ErrorCode::RedisUnavailable
    } else {
      ErrorCode::StoreError
    };
    Error::new(code, self.scrub(format!("{server} failed {name}: {err}")))
  }

  /// Removes any password from a message that quotes a library's error.
  pub(super) fn scrub(&self, mut message: String) -> String {
    for secret in &self.secrets {
      message = message.replace(secret.as_str(), "***");
    }
    message
  }
}
