//! Redis as the token store: a deadpool connection pool (one server, or a Redis Cluster), every
//! command bounded by `commandTimeout`, a code consumed with one atomic script, and errors that
//! name the server's address but never its password.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use deadpool_redis::{cluster, PoolConfig, Runtime, Timeouts};
use redis::{Cmd, FromRedisValue};
use serde_json::Value;
use tokio::sync::{Mutex, MutexGuard};

use super::{AttemptLimit, Consumed};
use crate::error::{code, Error, Result};

/// `Store::consume` as one atomic script: KEYS[1] the code, KEYS[2] the identifier's attempt
/// counter (same hash slot); ARGV[1] the attempt limit, ARGV[2] the counter's window in ms.
/// Returns the value, 0 for a miss, 1 when locked.
const CONSUME_SCRIPT: &str = r"
local attempts = tonumber(redis.call('GET', KEYS[2]) or '0')
if attempts >= tonumber(ARGV[1]) then return 1 end
local value = redis.call('GET', KEYS[1])
if value then
  redis.call('DEL', KEYS[1], KEYS[2])
  return value
end
if redis.call('INCR', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
return 0
";

/// Where Redis is when neither the `url` option nor `REDIS_URL` says.
pub const DEFAULT_URL: &str = "redis://127.0.0.1:6379";
/// Prepended to every key, so the store can share a Redis with other data.
pub const DEFAULT_KEY_PREFIX: &str = "chatbotkit:nextauth:";
/// Connections kept per server.
pub const DEFAULT_POOL_SIZE: u32 = 16;
/// Time allowed to open (or check) a connection.
pub const DEFAULT_CONNECT_TIMEOUT_MS: u32 = 5_000;
/// Time allowed for one command, waiting for a connection included.
pub const DEFAULT_COMMAND_TIMEOUT_MS: u32 = 5_000;

pub struct RedisOptions {
  /// One server (`redis://` or `rediss://`), or the seed nodes of a cluster.
  pub urls: Vec<String>,
  pub cluster: bool,
  pub key_prefix: String,
  pub pool_size: u32,
  pub connect_timeout: Duration,
  pub command_timeout: Duration,
}

enum Pool {
  Single(deadpool_redis::Pool),
  Cluster(cluster::Pool),
}

/// A connection checked out of the pool and kept: redis-rs connections are multiplexed, so every
/// command clones it and pipelines over it, and no command pays the pool's per-checkout PING.
enum Checkout {
  Single(deadpool_redis::Connection),
  Cluster(cluster::Connection),
}

/// A clone of a checked-out connection, used for one command.
enum Shared {
  Single(redis::aio::MultiplexedConnection),
  Cluster(redis::cluster_async::ClusterConnection),
}

impl Checkout {
  fn share(&self) -> Shared {
    match self {
      Checkout::Single(connection) => Shared::Single((**connection).clone()),
      Checkout::Cluster(connection) => Shared::Cluster((**connection).clone()),
    }
  }
}

impl Shared {
  async fn query<T: FromRedisValue>(&mut self, command: &Cmd) -> redis::RedisResult<T> {
    match self {
      Shared::Single(connection) => command.query_async(connection).await,
      Shared::Cluster(connection) => command.query_async(connection).await,
    }
  }
}

pub struct Redis {
  pool: Pool,
  /// Up to `poolSize` kept connections, used in turn; a slot is emptied (its connection goes back
  /// to the pool, which checks it before anyone gets it again) after a connection-level failure.
  slots: Vec<Mutex<Option<Checkout>>>,
  next_slot: AtomicUsize,
  closed: AtomicBool,
  key_prefix: String,
  command_timeout: Duration,
  /// `host:port` of each server, for messages: never the credentials.
  address: String,
  /// The passwords in the URLs, scrubbed from any message that might quote them.
  secrets: Vec<String>,
}

impl Redis {
  /// Builds the pool; no connection is opened until the first command.
  pub fn new(options: RedisOptions) -> Result<Self> {
    let mut addresses = Vec::new();
    let mut secrets = Vec::new();
    for url in &options.urls {
      let parsed = reqwest::Url::parse(url)
        .ok()
        .filter(|u| matches!(u.scheme(), "redis" | "rediss"));
      let Some(parsed) = parsed else {
        return Err(Error::invalid_argument(
          "RedisStore: `url` must look like redis://[user:password@]host:port[/db] (or rediss:// for TLS)",
        ));
      };
      addresses.push(format!(
        "{}:{}",
        parsed.host_str().unwrap_or("?"),
        parsed.port().unwrap_or(6379)
      ));
      if let Some(password) = parsed.password().filter(|p| !p.is_empty()) {
        secrets.push(password.to_owned());
        if let Ok(decoded) = percent_encoding::percent_decode_str(password).decode_utf8() {
          secrets.push(decoded.into_owned());
        }
      }
    }
    let pool_config = PoolConfig {
      max_size: options.pool_size as usize,
      timeouts: Timeouts {
        wait: Some(options.command_timeout),
        create: Some(options.connect_timeout),
        recycle: Some(options.connect_timeout),
      },
      ..PoolConfig::default()
    };
    let invalid = |err: &dyn std::fmt::Display| {
      Error::invalid_argument(format!("RedisStore: cannot use this Redis URL: {err}"))
    };
    let pool = if options.cluster {
      let mut config = cluster::Config::from_urls(options.urls.clone());
      config.pool = Some(pool_config);
      Pool::Cluster(
        config
          .create_pool(Some(Runtime::Tokio1))
          .map_err(|e| invalid(&e))?,
      )
    } else {
      let url = options
        .urls
        .first()
        .cloned()
        .unwrap_or_else(|| DEFAULT_URL.to_owned());
      let mut config = deadpool_redis::Config::from_url(url);
      config.pool = Some(pool_config);
      Pool::Single(
        config
          .create_pool(Some(Runtime::Tokio1))
          .map_err(|e| invalid(&e))?,
      )
    };
    let mut store = Self {
      pool,
      slots: (0..options.pool_size.max(1))
        .map(|_| Mutex::new(None))
        .collect(),
      next_slot: AtomicUsize::new(0),
      closed: AtomicBool::new(false),
      key_prefix: options.key_prefix,
      command_timeout: options.command_timeout,
      address: addresses.join(", "),
      secrets,
    };
    store.secrets.retain(|s| !s.is_empty());
    Ok(store)
  }

  fn key(&self, key: &str) -> String {
    format!("{}{key}", self.key_prefix)
  }

  /// The JSON value under `key`, or `None`. A value that is not JSON comes back as a string.
  pub async fn get(&self, key: &str) -> Result<Option<Value>> {
    let raw: Option<String> = self
      .run("GET", redis::cmd("GET").arg(self.key(key)))
      .await?;
    Ok(raw.map(parse))
  }

  /// Stores `value` as JSON, for `ttl` when given.
  pub async fn set(&self, key: &str, value: &Value, ttl: Option<Duration>) -> Result<()> {
    let mut command = redis::cmd("SET");
    command.arg(self.key(key)).arg(value.to_string());
    if let Some(ttl) = ttl {
      command.arg("PX").arg(ttl.as_millis().max(1) as u64);
    }
    self.run::<()>("SET", &command).await
  }

  pub async fn del(&self, key: &str) -> Result<()> {
    self
      .run::<i64>("DEL", redis::cmd("DEL").arg(self.key(key)))
      .await?;
    Ok(())
  }

  /// Reads and deletes in one atomic command (`GETDEL`, Redis ≥ 6.2): among any number of
  /// concurrent callers, on any number of app instances, exactly one gets the value.
  pub async fn take(&self, key: &str) -> Result<Option<Value>> {
    let raw: Option<String> = self
      .run("GETDEL", redis::cmd("GETDEL").arg(self.key(key)))
      .await?;
    Ok(raw.map(parse))
  }

  /// `Store::consume` in one `EVAL`: atomic on the server, whatever the number of app instances.
  pub async fn consume(&self, key: &str, attempts: &str, limit: AttemptLimit) -> Result<Consumed> {
    let mut command = redis::cmd("EVAL");
    command
      .arg(CONSUME_SCRIPT)
      .arg(2)
      .arg(self.key(key))
      .arg(self.key(attempts))
      .arg(limit.max)
      .arg(limit.window.as_millis().max(1) as u64);
    match self.run::<redis::Value>("EVAL", &command).await? {
      redis::Value::BulkString(bytes) => Ok(Consumed::Found(parse(
        String::from_utf8_lossy(&bytes).into_owned(),
      ))),
      redis::Value::Int(1) => Ok(Consumed::Locked),
      _ => Ok(Consumed::Missing),
    }
  }

  /// Drains the pool: idle connections close, and later calls fail.
  pub fn close(&self) {
    self.closed.store(true, Ordering::Release);
    match &self.pool {
      Pool::Single(pool) => pool.close(),
      Pool::Cluster(pool) => pool.close(),
    }
    for slot in &self.slots {
      if let Ok(mut slot) = slot.try_lock() {
        slot.take();
      }
    }
  }

  async fn run<T: FromRedisValue>(&self, name: &str, command: &Cmd) -> Result<T> {
    if self.closed.load(Ordering::Acquire) {
      return Err(Error::new(code::REDIS_UNAVAILABLE, "RedisStore is closed"));
    }
    let index = self.next_slot.fetch_add(1, Ordering::Relaxed) % self.slots.len();
    let work = async {
      let mut shared = {
        // One checkout per slot at a time: never more connections out than the pool holds.
        let mut slot = self.slot(index).await;
        match slot.as_ref() {
          Some(checkout) => checkout.share(),
          None => {
            let checkout = self.checkout().await?;
            let shared = checkout.share();
            *slot = Some(checkout);
            shared
          }
        }
      };
      match shared.query(command).await {
        Ok(value) => Ok(value),
        Err(err) => {
          if !matches!(err.kind(), redis::ErrorKind::Server(_)) {
            self.slot(index).await.take();
          }
          Err(self.redis_error(name, &err))
        }
      }
    };
    match tokio::time::timeout(self.command_timeout, work).await {
      Ok(outcome) => outcome,
      Err(_) => {
        // Not waiting for the slot: a stuck checkout may hold it, and this call's time is up.
        if let Ok(mut slot) = self.slots[index % self.slots.len()].try_lock() {
          slot.take();
        }
        Err(Error::new(
          code::REDIS_UNAVAILABLE,
          format!(
            "Redis at {} did not answer {name} within {} ms",
            self.address,
            self.command_timeout.as_millis()
          ),
        ))
      }
    }
  }

  async fn slot(&self, index: usize) -> MutexGuard<'_, Option<Checkout>> {
    // `index` is taken modulo the slot count, which `new` makes at least one.
    self.slots[index % self.slots.len()].lock().await
  }

  async fn checkout(&self) -> Result<Checkout> {
    match &self.pool {
      Pool::Single(pool) => pool
        .get()
        .await
        .map(Checkout::Single)
        .map_err(|e| self.pool_error(&e)),
      Pool::Cluster(pool) => pool
        .get()
        .await
        .map(Checkout::Cluster)
        .map_err(|e| self.pool_error(&e)),
    }
  }

  fn pool_error(&self, err: &deadpool_redis::PoolError) -> Error {
    if matches!(err, deadpool_redis::PoolError::Closed) {
      return Error::new(code::REDIS_UNAVAILABLE, "RedisStore is closed");
    }
    Error::new(
      code::REDIS_UNAVAILABLE,
      self.scrub(format!("Redis at {} is unavailable: {err}", self.address)),
    )
  }

  fn redis_error(&self, name: &str, err: &redis::RedisError) -> Error {
    let unavailable = err.is_io_error()
      || err.is_connection_dropped()
      || err.is_connection_refusal()
      || err.is_timeout();
    let code = if unavailable {
      code::REDIS_UNAVAILABLE
    } else {
      code::STORE_ERROR
    };
    Error::new(
      code,
      self.scrub(format!("Redis at {} failed {name}: {err}", self.address)),
    )
  }

  /// Removes any password from a message that quotes a library's error.
  fn scrub(&self, mut message: String) -> String {
    for secret in &self.secrets {
      message = message.replace(secret.as_str(), "***");
    }
    message
  }
}

fn parse(raw: String) -> Value {
  serde_json::from_str(&raw).unwrap_or(Value::String(raw))
}
