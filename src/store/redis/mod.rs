//! Redis as the token store: a deadpool connection pool (one server, a Redis Cluster, or the master
//! a set of Redis Sentinels names), every store call bounded by `commandTimeout` (reconnects and
//! retries included), a code consumed with one atomic script, and errors that name the server's
//! address but never its password.
//!
//! This file holds the `Redis` store and its public calls. Its options, as redis-rs connection
//! info, are in `options.rs`, `given.rs` and `info.rs`; the pools in `pool.rs`; how a call runs
//! and retries in `call.rs` and `command.rs`; a Cluster's routing in `route.rs`, `layout.rs`,
//! `lanes.rs` and `slot.rs`.

mod call;
mod command;
mod given;
mod info;
mod lanes;
mod layout;
mod options;
mod pool;
mod route;
mod scripts;
mod slot;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;

use crate::error::Result;
use crate::store::outcome::{AttemptLimit, Consumed, Stored};
use command::{Command, Replay};
use lanes::Lanes;
use layout::Layout;
use pool::Pool;

pub use given::{Given, Node};
pub use info::{parse_url, ServerParts};
pub use options::{RedisOptions, Topology, DEFAULT_URL};

pub struct Redis {
  pool: Pool,
  /// The lanes of one server or of the Sentinel master: `poolSize` of them.
  lanes: Lanes,
  /// A Cluster's layout, read at the first call and again every `LAYOUT_TTL`; `poolSize` lanes
  /// per master.
  layout: std::sync::RwLock<Option<Arc<Layout>>>,
  /// Held while the layout is read: by one call at a time.
  reading_layout: Mutex<()>,
  lanes_per_group: usize,
  closed: AtomicBool,
  /// Whether the pool asks Sentinels where the master is: then a `READONLY` answer means a
  /// failover happened, and the call tries again on a new connection.
  follows_failover: bool,
  key_prefix: String,
  command_timeout: Duration,
  /// "Redis at host:port" (or the Sentinel master's name and the Sentinels' addresses), for
  /// messages: never the credentials.
  label: String,
  /// The passwords it signs in with, scrubbed from any message that might quote them.
  secrets: Vec<String>,
}

impl Redis {
  /// Builds the pool; no connection is opened until the first command.
  pub fn new(options: RedisOptions) -> Result<Self> {
    let label = options.topology.label();
    let secrets = options.topology.secrets();
    let RedisOptions {
      topology,
      key_prefix,
      pool_size,
      connect_timeout,
      command_timeout,
    } = options;
    let pool = Pool::new(topology, pool_size, connect_timeout, command_timeout)?;
    Ok(Self {
      follows_failover: matches!(pool, Pool::Sentinel(_)),
      pool,
      lanes: Lanes::new(pool_size as usize),
      layout: std::sync::RwLock::new(None),
      reading_layout: Mutex::new(()),
      lanes_per_group: pool_size.max(1) as usize,
      closed: AtomicBool::new(false),
      key_prefix,
      command_timeout,
      label,
      secrets,
    })
  }

  fn key(&self, key: &str) -> String {
    format!("{}{key}", self.key_prefix)
  }

  /// The text under `key` (JSON, unless another client wrote something else), or `None`.
  pub async fn get(&self, key: &str) -> Result<Option<String>> {
    let key = self.key(key);
    let raw: Option<String> = self
      .run(Command::new(
        "GET",
        &key,
        redis::cmd("GET").arg(&key),
        Replay::Safe,
      ))
      .await?;
    Ok(raw)
  }

  /// Stores a value given as JSON text, for `ttl` when given.
  pub async fn set_text(&self, key: &str, json: String, ttl: Option<Duration>) -> Result<()> {
    let key = self.key(key);
    let mut command = redis::cmd("SET");
    command.arg(&key).arg(json);
    if let Some(ttl) = ttl {
      command.arg("PX").arg(ttl.as_millis().max(1) as u64);
    }
    self
      .run::<()>(Command::new("SET", &key, &command, Replay::Safe))
      .await
  }

  pub async fn del(&self, key: &str) -> Result<()> {
    let key = self.key(key);
    self
      .run::<i64>(Command::new(
        "DEL",
        &key,
        redis::cmd("DEL").arg(&key),
        Replay::Safe,
      ))
      .await?;
    Ok(())
  }

  /// Reads and deletes in one atomic command (`GETDEL`, Redis ≥ 6.2): among any number of
  /// concurrent callers, on any number of app instances, exactly one gets the value.
  pub async fn take(&self, key: &str) -> Result<Option<String>> {
    let key = self.key(key);
    let raw: Option<String> = self
      .run(Command::new(
        "GETDEL",
        &key,
        redis::cmd("GETDEL").arg(&key),
        Replay::Unsafe,
      ))
      .await?;
    Ok(raw)
  }

  /// `Store::consume` in one script call (`EVALSHA`, or `EVAL` when the server does not have the
  /// script yet): atomic on the server, whatever the number of app instances.
  pub async fn consume(&self, key: &str, attempts: &str, limit: AttemptLimit) -> Result<Consumed> {
    let window = limit.window.as_millis().max(1) as u64;
    let keys = [self.key(key), self.key(attempts)];
    match self
      .eval(&scripts::CONSUME, &keys, [u64::from(limit.max), window])
      .await?
    {
      redis::Value::BulkString(bytes) => {
        let text = String::from_utf8(bytes)
          .unwrap_or_else(|err| String::from_utf8_lossy(err.as_bytes()).into_owned());
        Ok(Consumed::Found(Stored::Text(text.into_boxed_str())))
      }
      redis::Value::Int(1) => Ok(Consumed::Locked),
      _ => Ok(Consumed::Missing),
    }
  }

  /// `Backend::count_send`: one script, on the key's own master in a Cluster.
  pub async fn count_send(&self, key: &str, max: u32, window: Duration) -> Result<f64> {
    let window = window.as_millis().max(1) as u64;
    let keys = [self.key(key)];
    let left: i64 = self
      .eval(&scripts::COUNT_SEND, &keys, [u64::from(max), window])
      .await?;
    Ok(left.max(0) as f64)
  }

  /// Runs `script` by its SHA-1 (in full if the server does not have it) on `keys` (one hash
  /// slot) with `args`. Never sent twice: each script may take a code or count a send.
  async fn eval<T: redis::FromRedisValue>(
    &self,
    script: &'static scripts::Script,
    keys: &[String],
    args: [u64; 2],
  ) -> Result<T> {
    let build = |call: &str, script: &str| {
      let mut command = redis::cmd(call);
      command.arg(script).arg(keys.len()).arg(keys).arg(&args[..]);
      command
    };
    let by_hash = build("EVALSHA", script.sha());
    let in_full = || build("EVAL", script.text);
    let first_key = keys.first().map(String::as_str).unwrap_or_default();
    let command = Command {
      name: "EVALSHA",
      key: first_key,
      cmd: &by_hash,
      replay: Replay::Unsafe,
      unless_cached: Some(&in_full),
    };
    self.run(command).await
  }

  /// Drains the pool: idle connections close, and later calls fail.
  pub fn close(&self) {
    self.closed.store(true, Ordering::Release);
    self.pool.close();
    self.lanes.clear();
    if let Some(layout) = self.layout.read().ok().and_then(|layout| layout.clone()) {
      layout.groups.iter().for_each(|group| group.lanes.clear());
    }
  }
}
