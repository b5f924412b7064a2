//! Redis as the token store: a deadpool connection pool (one server, a Redis Cluster, or the master
//! a set of Redis Sentinels names), every store call bounded by `commandTimeout` (reconnects and
//! retries included), a code consumed with one atomic script, and errors that name the server's
//! address but never its password.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{LazyLock, OnceLock};
use std::time::Duration;

use deadpool_redis::{cluster, sentinel, PoolConfig, Runtime, Timeouts};
use redis::{Cmd, ErrorKind, FromRedisValue, RedisError, ServerErrorKind};
use serde_json::Value;
use tokio::sync::{Mutex, MutexGuard};
use tokio::time::Instant;

use super::{AttemptLimit, Consumed, Stored};
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

/// The script's SHA-1, as `EVALSHA` names it: the script's text crosses the network only when a
/// server answers `NOSCRIPT` (its cache is empty after a restart or a failover).
static CONSUME_SCRIPT_SHA: LazyLock<String> =
  LazyLock::new(|| redis::Script::new(CONSUME_SCRIPT).get_hash().to_owned());

/// Where Redis is when neither the `url` option nor `REDIS_URL` says.
pub const DEFAULT_URL: &str = "redis://127.0.0.1:6379";
/// Prepended to every key, so the store can share a Redis with other data.
pub const DEFAULT_KEY_PREFIX: &str = "chatbotkit:nextauth:";
/// Connections kept per server. One is fastest for small commands: they are multiplexed, so the
/// commands issued together are written together, as ioredis does (measured: 64 code pairs in
/// flight ran ~40k/s on one connection, ~34k/s on 4, ~28k/s on 16).
pub const DEFAULT_POOL_SIZE: u32 = 1;
/// Time allowed to open (or check) a connection.
pub const DEFAULT_CONNECT_TIMEOUT_MS: u32 = 5_000;
/// Time allowed for one store call: waiting for a connection, reconnecting and retrying included.
pub const DEFAULT_COMMAND_TIMEOUT_MS: u32 = 5_000;
/// The first pause before a store call tries again after a failure that allows it; it doubles up
/// to `MAX_RETRY_PAUSE`, while `commandTimeout` leaves room.
const FIRST_RETRY_PAUSE: Duration = Duration::from_millis(20);
const MAX_RETRY_PAUSE: Duration = Duration::from_millis(200);

/// Which Redis the store talks to; every URL is `redis://` or `rediss://` (TLS).
pub enum Topology {
  /// One server.
  Single(String),
  /// The seed nodes of a Redis Cluster.
  Cluster(Vec<String>),
  /// The master that Redis Sentinels name: each connection asks them where it is now, so a
  /// failover is followed.
  Sentinel {
    /// The Sentinels' own URLs (their credentials, if any, are the Sentinels').
    sentinels: Vec<String>,
    /// The master's name in the Sentinels' configuration (`mymaster`).
    name: String,
    /// How to sign in to the master.
    master: MasterAuth,
  },
}

/// The credentials, database and TLS of a master found through Sentinel.
#[derive(Default)]
pub struct MasterAuth {
  pub username: Option<String>,
  pub password: Option<String>,
  pub db: u32,
  pub tls: bool,
}

pub struct RedisOptions {
  pub topology: Topology,
  pub key_prefix: String,
  pub pool_size: u32,
  pub connect_timeout: Duration,
  pub command_timeout: Duration,
}

enum Pool {
  Single(deadpool_redis::Pool),
  Cluster(cluster::Pool),
  Sentinel(sentinel::Pool),
}

/// A connection checked out of the pool and kept: redis-rs connections are multiplexed, so every
/// command clones it and pipelines over it, and no command pays the pool's per-checkout PING.
enum Checkout {
  Single(deadpool_redis::Connection),
  Cluster(cluster::Connection),
  Sentinel(sentinel::Connection),
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
      Checkout::Sentinel(connection) => Shared::Single((**connection).clone()),
    }
  }

  /// Takes the connection out of the pool for good: it reaches a server that is no longer the
  /// master, and the pool's PING check would pass it on to the next caller.
  fn discard(self) {
    match self {
      Checkout::Single(connection) => drop(deadpool_redis::Connection::take(connection)),
      Checkout::Cluster(connection) => drop(cluster::Connection::take(connection)),
      Checkout::Sentinel(connection) => drop(sentinel::Connection::take(connection)),
    }
  }
}

/// Why one try of a store call failed.
enum Failure {
  /// No connection could be had: nothing was sent.
  Checkout(deadpool_redis::PoolError),
  /// The command was sent, or its connection broke.
  Command(RedisError),
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
  /// Whether the pool asks Sentinels where the master is: then a `READONLY` answer means a
  /// failover happened, and the call tries again on a new connection.
  follows_failover: bool,
  key_prefix: String,
  command_timeout: Duration,
  /// "Redis at host:port" (or the Sentinel master's name and the Sentinels' addresses), for
  /// messages: never the credentials.
  label: String,
  /// The passwords in the URLs, scrubbed from any message that might quote them.
  secrets: Vec<String>,
}

impl Redis {
  /// Builds the pool; no connection is opened until the first command.
  pub fn new(options: RedisOptions) -> Result<Self> {
    let urls = match &options.topology {
      Topology::Single(url) => std::slice::from_ref(url),
      Topology::Cluster(urls) => urls.as_slice(),
      Topology::Sentinel { sentinels, .. } => sentinels.as_slice(),
    };
    let mut addresses = Vec::new();
    let mut secrets = Vec::new();
    for url in urls {
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
    let addresses = addresses.join(", ");
    let (pool, label) = match options.topology {
      Topology::Single(url) => {
        let mut config = deadpool_redis::Config::from_url(url);
        config.pool = Some(pool_config);
        let pool = config
          .create_pool(Some(Runtime::Tokio1))
          .map_err(|e| invalid(&e))?;
        (Pool::Single(pool), format!("Redis at {addresses}"))
      }
      Topology::Cluster(urls) => {
        let mut config = cluster::Config::from_urls(urls);
        config.pool = Some(pool_config);
        let pool = config
          .create_pool(Some(Runtime::Tokio1))
          .map_err(|e| invalid(&e))?;
        (Pool::Cluster(pool), format!("Redis at {addresses}"))
      }
      Topology::Sentinel {
        sentinels,
        name,
        master,
      } => {
        let label = format!("Redis master `{name}` (Sentinel at {addresses})");
        secrets.extend(master.password.clone());
        let mut config =
          sentinel::Config::from_urls(sentinels, name, sentinel::SentinelServerType::Master)
            .with_node_connection_info(Some(sentinel::SentinelNodeConnectionInfo {
              tls_mode: master.tls.then_some(sentinel::TlsMode::Secure),
              redis_connection_info: Some(deadpool_redis::RedisConnectionInfo {
                db: i64::from(master.db),
                username: master.username,
                password: master.password,
                protocol: deadpool_redis::ProtocolVersion::default(),
              }),
            }));
        config.pool = Some(pool_config);
        let pool = config
          .create_pool(Some(Runtime::Tokio1))
          .map_err(|e| invalid(&e))?;
        (Pool::Sentinel(pool), label)
      }
    };
    secrets.retain(|s| !s.is_empty());
    Ok(Self {
      follows_failover: matches!(pool, Pool::Sentinel(_)),
      pool,
      slots: (0..options.pool_size.max(1))
        .map(|_| Mutex::new(None))
        .collect(),
      next_slot: AtomicUsize::new(0),
      closed: AtomicBool::new(false),
      key_prefix: options.key_prefix,
      command_timeout: options.command_timeout,
      label,
      secrets,
    })
  }

  fn key(&self, key: &str) -> String {
    format!("{}{key}", self.key_prefix)
  }

  /// The JSON value under `key`, or `None`. A value that is not JSON comes back as a string.
  pub async fn get(&self, key: &str) -> Result<Option<Value>> {
    let raw: Option<String> = self
      .run(Command::new(
        "GET",
        redis::cmd("GET").arg(self.key(key)),
        Replay::Safe,
      ))
      .await?;
    Ok(raw.map(parse))
  }

  /// Stores a value given as JSON text, for `ttl` when given.
  pub async fn set_text(&self, key: &str, json: String, ttl: Option<Duration>) -> Result<()> {
    let mut command = redis::cmd("SET");
    command.arg(self.key(key)).arg(json);
    if let Some(ttl) = ttl {
      command.arg("PX").arg(ttl.as_millis().max(1) as u64);
    }
    self
      .run::<()>(Command::new("SET", &command, Replay::Safe))
      .await
  }

  pub async fn del(&self, key: &str) -> Result<()> {
    self
      .run::<i64>(Command::new(
        "DEL",
        redis::cmd("DEL").arg(self.key(key)),
        Replay::Safe,
      ))
      .await?;
    Ok(())
  }

  /// Reads and deletes in one atomic command (`GETDEL`, Redis ≥ 6.2): among any number of
  /// concurrent callers, on any number of app instances, exactly one gets the value.
  pub async fn take(&self, key: &str) -> Result<Option<Value>> {
    let raw: Option<String> = self
      .run(Command::new(
        "GETDEL",
        redis::cmd("GETDEL").arg(self.key(key)),
        Replay::Unsafe,
      ))
      .await?;
    Ok(raw.map(parse))
  }

  /// `Store::consume` in one script call (`EVALSHA`, or `EVAL` when the server does not have the
  /// script yet): atomic on the server, whatever the number of app instances.
  pub async fn consume(&self, key: &str, attempts: &str, limit: AttemptLimit) -> Result<Consumed> {
    let script = |call: &str, script: &str| {
      let mut command = redis::cmd(call);
      command
        .arg(script)
        .arg(2)
        .arg(self.key(key))
        .arg(self.key(attempts))
        .arg(limit.max)
        .arg(limit.window.as_millis().max(1) as u64);
      command
    };
    let by_hash = script("EVALSHA", &CONSUME_SCRIPT_SHA);
    let in_full = || script("EVAL", CONSUME_SCRIPT);
    let command = Command {
      name: "EVALSHA",
      cmd: &by_hash,
      replay: Replay::Unsafe,
      unless_cached: Some(&in_full),
    };
    match self.run::<redis::Value>(command).await? {
      redis::Value::BulkString(bytes) => {
        let text = String::from_utf8(bytes)
          .unwrap_or_else(|err| String::from_utf8_lossy(err.as_bytes()).into_owned());
        Ok(Consumed::Found(Stored::Text(text.into_boxed_str())))
      }
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
      Pool::Sentinel(pool) => pool.close(),
    }
    for slot in &self.slots {
      if let Ok(mut slot) = slot.try_lock() {
        slot.take();
      }
    }
  }

  /// Runs `command` within `commandTimeout`, trying again (after a short pause, while the time
  /// leaves room) when no connection could be had, when a failover moved the master, or when
  /// `replay` allows it after a broken connection: a command that takes a code is never sent
  /// twice, as its first try may have taken it. A script the server has not cached is sent in
  /// full at once (`NOSCRIPT` means nothing ran).
  async fn run<T: FromRedisValue>(&self, command: Command<'_>) -> Result<T> {
    let Command {
      name,
      cmd: mut current,
      replay,
      unless_cached,
    } = command;
    // The full script, built only if a server answers `NOSCRIPT`.
    let full = OnceLock::new();
    let deadline = Instant::now() + self.command_timeout;
    let mut pause = FIRST_RETRY_PAUSE;
    loop {
      if self.closed.load(Ordering::Acquire) {
        return Err(Error::new(code::REDIS_UNAVAILABLE, "RedisStore is closed"));
      }
      let index = self.next_slot.fetch_add(1, Ordering::Relaxed) % self.slots.len();
      // A try is boxed on its own (~470 bytes): inline, its slot would be allocated and copied
      // with every call's work, and keep that work over 1 KB (bench/analysis.md).
      let attempt = Box::pin(tokio::time::timeout_at(
        deadline,
        self.attempt(index, current),
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
          // Not waiting for the slot: a stuck checkout may hold it, and this call's time is up.
          if let Ok(mut slot) = self.slots[index].try_lock() {
            slot.take();
          }
          return Err(Error::new(
            code::REDIS_UNAVAILABLE,
            format!(
              "{} did not answer {name} within {} ms",
              self.label,
              self.command_timeout.as_millis()
            ),
          ));
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
      let error = match &failure {
        Failure::Checkout(err) => self.pool_error(err),
        Failure::Command(err) => self.redis_error(name, err),
      };
      if !again || Instant::now() + pause >= deadline {
        return Err(error);
      }
      tokio::time::sleep(pause).await;
      pause = (pause * 2).min(MAX_RETRY_PAUSE);
    }
  }

  /// One try of `command` on the connection kept in slot `index` (checked out first if the slot
  /// is empty); a connection-level failure empties the slot.
  async fn attempt<T: FromRedisValue>(
    &self,
    index: usize,
    command: &Cmd,
  ) -> std::result::Result<T, Failure> {
    let mut shared = {
      // One checkout per slot at a time: never more connections out than the pool holds.
      let mut slot = self.slot(index).await;
      match slot.as_ref() {
        Some(checkout) => checkout.share(),
        None => {
          // Boxed: a checkout may open a connection (a Sentinel or Cluster one is a large
          // future) and most calls never make one; inline, it would be allocated and copied
          // with every call's work (11.5 KB a call, before).
          let checkout = Box::pin(self.checkout());
          let checkout = checkout.await.map_err(Failure::Checkout)?;
          let shared = checkout.share();
          *slot = Some(checkout);
          shared
        }
      }
    };
    match shared.query(command).await {
      Ok(value) => Ok(value),
      Err(err) => {
        if not_master(&err) {
          if let Some(checkout) = self.slot(index).await.take() {
            checkout.discard();
          }
        } else if !matches!(err.kind(), ErrorKind::Server(_)) {
          self.slot(index).await.take();
        }
        Err(Failure::Command(err))
      }
    }
  }

  async fn slot(&self, index: usize) -> MutexGuard<'_, Option<Checkout>> {
    // `index` is taken modulo the slot count, which `new` makes at least one.
    self.slots[index % self.slots.len()].lock().await
  }

  async fn checkout(&self) -> std::result::Result<Checkout, deadpool_redis::PoolError> {
    match &self.pool {
      Pool::Single(pool) => pool.get().await.map(Checkout::Single),
      Pool::Cluster(pool) => pool.get().await.map(Checkout::Cluster),
      Pool::Sentinel(pool) => pool.get().await.map(Checkout::Sentinel),
    }
  }

  fn pool_error(&self, err: &deadpool_redis::PoolError) -> Error {
    if matches!(err, deadpool_redis::PoolError::Closed) {
      return Error::new(code::REDIS_UNAVAILABLE, "RedisStore is closed");
    }
    Error::new(
      code::REDIS_UNAVAILABLE,
      self.scrub(format!("{} is unavailable: {err}", self.label)),
    )
  }

  fn redis_error(&self, name: &str, err: &RedisError) -> Error {
    let code = if connection_lost(err) || not_master(err) {
      code::REDIS_UNAVAILABLE
    } else {
      code::STORE_ERROR
    };
    Error::new(
      code,
      self.scrub(format!("{} failed {name}: {err}", self.label)),
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

/// One store command, as `run` sends it.
struct Command<'a> {
  /// For messages: `GET`, `EVALSHA`, ….
  name: &'static str,
  cmd: &'a Cmd,
  replay: Replay,
  /// For `EVALSHA`: builds the same call as `EVAL`, sent when the server answers `NOSCRIPT`.
  unless_cached: Option<&'a (dyn Fn() -> Cmd + Sync)>,
}

impl<'a> Command<'a> {
  fn new(name: &'static str, cmd: &'a Cmd, replay: Replay) -> Self {
    Self {
      name,
      cmd,
      replay,
      unless_cached: None,
    }
  }
}

/// Whether a command may be sent again after its connection broke with no answer.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Replay {
  /// Sending it twice does what sending it once does (`GET`, `SET`, `DEL`).
  Safe,
  /// The first send may have taken a code (`GETDEL`, the consume script): never twice.
  Unsafe,
}

/// The connection broke, or could not be made: the command may not have been run.
fn connection_lost(err: &RedisError) -> bool {
  err.is_io_error()
    || err.is_connection_dropped()
    || err.is_connection_refusal()
    || err.is_timeout()
}

/// The server answered that it is not (or no longer) the master: the command was not run.
fn not_master(err: &RedisError) -> bool {
  matches!(
    err.kind(),
    ErrorKind::Server(ServerErrorKind::ReadOnly | ServerErrorKind::MasterDown)
  )
}

/// A failure to connect that may pass: the server restarting or loading, or Sentinels in the
/// middle of a failover. A wrong password or URL is not.
fn transient(err: &RedisError) -> bool {
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

fn parse(raw: String) -> Value {
  serde_json::from_str(&raw).unwrap_or(Value::String(raw))
}
