//! Redis as the token store: a deadpool connection pool (one server, a Redis Cluster, or the master
//! a set of Redis Sentinels names), every store call bounded by `commandTimeout` (reconnects and
//! retries included), a code consumed with one atomic script, and errors that name the server's
//! address but never its password.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, OnceLock};
use std::time::Duration;

use deadpool::managed;
use deadpool_redis::{sentinel, PoolConfig, Runtime, Timeouts};
use redis::cluster::{ClusterClient, ClusterClientBuilder};
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{Route as SlotRoute, RoutingInfo, SingleNodeRoutingInfo, SlotAddr};
use redis::{Cmd, ErrorKind, FromRedisValue, RedisError, ServerErrorKind};
use serde_json::Value;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::{AttemptLimit, Consumed, Stored};
use crate::error::{Error, ErrorCode, Result};

/// `Store::consume` as one atomic script: KEYS[1] the code, KEYS[2] the identifier's attempt
/// counter (same hash slot); ARGV[1] the attempt limit, ARGV[2] the counter's window in ms.
/// Returns the value, 0 for a miss, 1 when locked. The counter is a bare count, or the
/// `{ count, until }` a subclass on the JS-store path wrote (see `store/attempts.rs`), which it
/// counts on in place.
const CONSUME_SCRIPT: &str = r"
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
";

/// The send throttle's count as one atomic script: KEYS[1] the count; ARGV[1] the most sends per
/// window, ARGV[2] the window in ms (from the first send). Returns 0 when the send is counted, else
/// the window's milliseconds left.
const COUNT_SEND_SCRIPT: &str = r"
local count = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if count >= tonumber(ARGV[1]) then
  local left = redis.call('PTTL', KEYS[1])
  if left > 0 then return left end
  return tonumber(ARGV[2])
end
if redis.call('INCR', KEYS[1]) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
";

static COUNT_SEND_SCRIPT_SHA: LazyLock<String> =
  LazyLock::new(|| redis::Script::new(COUNT_SEND_SCRIPT).get_hash().to_owned());

/// The script's SHA-1, as `EVALSHA` names it: the script's text crosses the network only when a
/// server answers `NOSCRIPT` (its cache is empty after a restart or a failover).
static CONSUME_SCRIPT_SHA: LazyLock<String> =
  LazyLock::new(|| redis::Script::new(CONSUME_SCRIPT).get_hash().to_owned());

/// Where Redis is when neither the `url` option nor `REDIS_URL` says.
pub const DEFAULT_URL: &str = "redis://127.0.0.1:6379";
/// Prepended to every key, so the store can share a Redis with other data.
pub const DEFAULT_KEY_PREFIX: &str = "chatbotkit:nextauth:";
/// Connections kept per server (per master in a Cluster). One is fastest for small commands: they
/// are multiplexed, so the commands issued together are written together, as ioredis does.
pub const DEFAULT_POOL_SIZE: u32 = 1;
/// Time allowed to open (or check) a connection.
pub const DEFAULT_CONNECT_TIMEOUT_MS: u32 = 5_000;
/// Time allowed for one store call: waiting for a connection, reconnecting and retrying included.
pub const DEFAULT_COMMAND_TIMEOUT_MS: u32 = 5_000;
/// The first pause before a store call tries again after a failure that allows it; it doubles up
/// to `MAX_RETRY_PAUSE`, while `commandTimeout` leaves room.
const FIRST_RETRY_PAUSE: Duration = Duration::from_millis(20);
const MAX_RETRY_PAUSE: Duration = Duration::from_millis(200);
/// How many times a Redis Cluster connection sends a command again (after a redirect, or a
/// refusal while the Cluster fails over): enough pauses to outlast the default `commandTimeout`,
/// which ends them first; redis-rs computes a pause from 2 to the power of this, so it stays small.
const CLUSTER_RETRIES: u32 = 48;
/// Hash slots in a Redis Cluster.
const HASH_SLOTS: usize = 16_384;
/// How long a Cluster's layout is used before a call reads it again: slots move between masters
/// when the Cluster is resharded.
const LAYOUT_TTL: Duration = Duration::from_secs(30);

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
  Cluster(managed::Pool<ClusterManager>),
  Sentinel(sentinel::Pool),
}

/// A connection checked out of the pool and kept: redis-rs connections are multiplexed, so every
/// command clones it and pipelines over it, and no command pays the pool's per-checkout PING.
enum Checkout {
  Single(deadpool_redis::Connection),
  Cluster(managed::Object<ClusterManager>),
  Sentinel(sentinel::Connection),
}

/// A clone of a checked-out connection, used for one command.
enum Shared {
  Single(redis::aio::MultiplexedConnection),
  Cluster(ClusterConnection),
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
      Checkout::Cluster(connection) => drop(managed::Object::take(connection)),
      Checkout::Sentinel(connection) => drop(sentinel::Connection::take(connection)),
    }
  }
}

/// Opens the pool's Redis Cluster connections: redis-rs's cluster client with the store's connect
/// and command timeouts, and retry pauses as short as the store's own. (deadpool-redis's cluster
/// manager keeps redis-rs's defaults, whose pauses before sending again a command the Cluster
/// refused while it fails over are longer than a typical `commandTimeout`.)
struct ClusterManager(ClusterClient);

impl managed::Manager for ClusterManager {
  type Type = ClusterConnection;
  type Error = RedisError;

  async fn create(&self) -> std::result::Result<ClusterConnection, RedisError> {
    self.0.get_async_connection().await
  }

  async fn recycle(
    &self,
    connection: &mut ClusterConnection,
    _: &managed::Metrics,
  ) -> managed::RecycleResult<RedisError> {
    redis::cmd("PING").query_async::<()>(connection).await?;
    Ok(())
  }
}

/// Connections kept checked out of the pool, used in turn. A lane is emptied (its connection goes
/// back to the pool, which checks it before anyone gets it again) after a connection-level failure.
struct Lanes {
  lanes: Box<[Mutex<Option<Checkout>>]>,
  next: AtomicUsize,
}

impl Lanes {
  fn new(count: usize) -> Self {
    Self {
      lanes: (0..count.max(1)).map(|_| Mutex::new(None)).collect(),
      next: AtomicUsize::new(0),
    }
  }

  fn pick(&self) -> &Mutex<Option<Checkout>> {
    // `new` makes at least one lane.
    &self.lanes[self.next.fetch_add(1, Ordering::Relaxed) % self.lanes.len()]
  }

  fn clear(&self) {
    for lane in &self.lanes {
      if let Ok(mut lane) = lane.try_lock() {
        lane.take();
      }
    }
  }
}

/// Which master of a Redis Cluster serves each hash slot, so that each master's keys travel on
/// lanes of their own. A redis-rs Cluster connection holds back every command it carries while it
/// rebuilds its slot map after a node fails; shared by all masters, it would stop all of them for
/// one.
struct Layout {
  /// For each hash slot, the index of its group in `groups`.
  group_of: Box<[u16]>,
  groups: Box<[Group]>,
  /// When the layout was last read from the Cluster.
  checked: std::sync::Mutex<Instant>,
}

/// The hash slots one master serves (or those no master serves), and their lanes.
struct Group {
  lanes: Lanes,
  /// "master 127.0.0.1:7001", for messages; brought up to date when a replica takes over.
  server: std::sync::Mutex<String>,
}

impl Layout {
  /// The layout in a `CLUSTER SLOTS` answer: one group per master (by node ID), in slot order.
  fn parse(answer: &redis::Value, lanes_per_group: usize) -> Option<Self> {
    let mut group_of = vec![u16::MAX; HASH_SLOTS].into_boxed_slice();
    let mut masters: Vec<(String, String)> = Vec::new();
    let mut ranges = Vec::new();
    for range in as_array(answer)? {
      let fields = as_array(range)?;
      let (start, end) = (as_slot(fields.first()?)?, as_slot(fields.get(1)?)?);
      let master = as_array(fields.get(2)?)?;
      let address = format!("{}:{}", as_text(master.first()?)?, as_int(master.get(1)?)?);
      let id = master
        .get(2)
        .and_then(as_text)
        .unwrap_or_else(|| address.clone());
      ranges.push((start, end, id, address));
    }
    ranges.sort_by_key(|range| range.0);
    for (start, end, id, address) in ranges {
      let group = match masters.iter().position(|(known, _)| *known == id) {
        Some(group) => group,
        None if masters.len() < usize::from(u16::MAX - 1) => {
          masters.push((id, address));
          masters.len() - 1
        }
        None => return None,
      };
      for slot in start..=end.min(HASH_SLOTS - 1) {
        group_of[slot] = group as u16;
      }
    }
    let mut servers: Vec<String> = masters
      .into_iter()
      .map(|(_, address)| format!("master {address}"))
      .collect();
    if group_of.contains(&u16::MAX) {
      let uncovered = servers.len() as u16;
      group_of
        .iter_mut()
        .filter(|g| **g == u16::MAX)
        .for_each(|g| *g = uncovered);
      servers.push("no master (its hash slots are not served)".to_owned());
    }
    Some(Self {
      group_of,
      groups: servers
        .into_iter()
        .map(|server| Group {
          lanes: Lanes::new(lanes_per_group),
          server: std::sync::Mutex::new(server),
        })
        .collect(),
      checked: std::sync::Mutex::new(Instant::now()),
    })
  }

  fn group(&self, slot: u16) -> &Group {
    // `parse` gives every slot a group.
    &self.groups[usize::from(self.group_of[usize::from(slot)])]
  }

  fn due(&self) -> bool {
    self
      .checked
      .lock()
      .map_or(true, |checked| checked.elapsed() >= LAYOUT_TTL)
  }

  /// Takes `fresh` as read again: the same groups (a failover moves a master's slots as one) keep
  /// their lanes and learn their new servers; other groups replace the layout.
  fn update(self: &Arc<Self>, fresh: Self) -> Arc<Self> {
    if fresh.group_of != self.group_of {
      return Arc::new(fresh);
    }
    for (group, fresh) in self.groups.iter().zip(fresh.groups.into_vec()) {
      if let (Ok(mut server), Ok(fresh)) = (group.server.lock(), fresh.server.into_inner()) {
        *server = fresh;
      }
    }
    if let Ok(mut checked) = self.checked.lock() {
      *checked = Instant::now();
    }
    self.clone()
  }
}

fn as_array(value: &redis::Value) -> Option<&[redis::Value]> {
  match value {
    redis::Value::Array(items) => Some(items),
    _ => None,
  }
}

fn as_int(value: &redis::Value) -> Option<i64> {
  match value {
    redis::Value::Int(n) => Some(*n),
    _ => None,
  }
}

fn as_slot(value: &redis::Value) -> Option<usize> {
  as_int(value).and_then(|n| usize::try_from(n).ok())
}

fn as_text(value: &redis::Value) -> Option<String> {
  match value {
    redis::Value::BulkString(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
    redis::Value::SimpleString(text) => Some(text.clone()),
    _ => None,
  }
}

/// The Cluster hash slot of `key`: CRC16 of its `{…}` hash tag when it has a non-empty one, else
/// of the whole key.
fn hash_slot(key: &[u8]) -> u16 {
  let tag = key.iter().position(|&b| b == b'{').and_then(|open| {
    let rest = &key[open + 1..];
    let close = rest.iter().position(|&b| b == b'}')?;
    (close > 0).then(|| &rest[..close])
  });
  crc16::State::<crc16::XMODEM>::calculate(tag.unwrap_or(key)) % HASH_SLOTS as u16
}

/// The lanes a call uses, and what to call their server in messages.
enum Route<'a> {
  Fixed(&'a Lanes),
  Cluster(Arc<Layout>, u16),
}

impl Route<'_> {
  fn lanes(&self) -> &Lanes {
    match self {
      Route::Fixed(lanes) => lanes,
      Route::Cluster(layout, slot) => &layout.group(*slot).lanes,
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
        let pause_ms = |pause: Duration| pause.as_millis() as u64;
        let client = ClusterClientBuilder::new(urls)
          .connection_timeout(options.connect_timeout)
          .response_timeout(options.command_timeout)
          .retries(CLUSTER_RETRIES)
          .min_retry_wait(pause_ms(FIRST_RETRY_PAUSE))
          .max_retry_wait(pause_ms(MAX_RETRY_PAUSE))
          .build()
          .map_err(|e| invalid(&e))?;
        let pool = managed::Pool::builder(ClusterManager(client))
          .config(pool_config)
          .runtime(Runtime::Tokio1)
          .build()
          .map_err(|e| invalid(&e))?;
        (Pool::Cluster(pool), format!("Redis Cluster at {addresses}"))
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
      lanes: Lanes::new(options.pool_size as usize),
      layout: std::sync::RwLock::new(None),
      reading_layout: Mutex::new(()),
      lanes_per_group: options.pool_size.max(1) as usize,
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
    let key = self.key(key);
    let raw: Option<String> = self
      .run(Command::new(
        "GET",
        &key,
        redis::cmd("GET").arg(&key),
        Replay::Safe,
      ))
      .await?;
    Ok(raw.map(parse))
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
  pub async fn take(&self, key: &str) -> Result<Option<Value>> {
    let key = self.key(key);
    let raw: Option<String> = self
      .run(Command::new(
        "GETDEL",
        &key,
        redis::cmd("GETDEL").arg(&key),
        Replay::Unsafe,
      ))
      .await?;
    Ok(raw.map(parse))
  }

  /// `Store::consume` in one script call (`EVALSHA`, or `EVAL` when the server does not have the
  /// script yet): atomic on the server, whatever the number of app instances.
  pub async fn consume(&self, key: &str, attempts: &str, limit: AttemptLimit) -> Result<Consumed> {
    let key = self.key(key);
    let attempts = self.key(attempts);
    let script = |call: &str, script: &str| {
      let mut command = redis::cmd(call);
      command
        .arg(script)
        .arg(2)
        .arg(&key)
        .arg(&attempts)
        .arg(limit.max)
        .arg(limit.window.as_millis().max(1) as u64);
      command
    };
    let by_hash = script("EVALSHA", &CONSUME_SCRIPT_SHA);
    let in_full = || script("EVAL", CONSUME_SCRIPT);
    let command = Command {
      name: "EVALSHA",
      key: &key,
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

  /// `Backend::count_send`: one script, on the key's own master in a Cluster.
  pub async fn count_send(&self, key: &str, max: u32, window: Duration) -> Result<f64> {
    let key = self.key(key);
    let script = |call: &str, script: &str| {
      let mut command = redis::cmd(call);
      command
        .arg(script)
        .arg(1)
        .arg(&key)
        .arg(max)
        .arg(window.as_millis().max(1) as u64);
      command
    };
    let by_hash = script("EVALSHA", &COUNT_SEND_SCRIPT_SHA);
    let in_full = || script("EVAL", COUNT_SEND_SCRIPT);
    let command = Command {
      name: "EVALSHA",
      key: &key,
      cmd: &by_hash,
      // Sent twice it could count one send twice: never replayed.
      replay: Replay::Unsafe,
      unless_cached: Some(&in_full),
    };
    let left: i64 = self.run(command).await?;
    Ok(left.max(0) as f64)
  }

  /// Drains the pool: idle connections close, and later calls fail.
  pub fn close(&self) {
    self.closed.store(true, Ordering::Release);
    match &self.pool {
      Pool::Single(pool) => pool.close(),
      Pool::Cluster(pool) => pool.close(),
      Pool::Sentinel(pool) => pool.close(),
    }
    self.lanes.clear();
    if let Some(layout) = self.layout.read().ok().and_then(|layout| layout.clone()) {
      layout.groups.iter().for_each(|group| group.lanes.clear());
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
          let checkout = Box::pin(self.checkout());
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

  async fn checkout(&self) -> std::result::Result<Checkout, deadpool_redis::PoolError> {
    match &self.pool {
      Pool::Single(pool) => pool.get().await.map(Checkout::Single),
      Pool::Cluster(pool) => pool.get().await.map(Checkout::Cluster),
      Pool::Sentinel(pool) => pool.get().await.map(Checkout::Sentinel),
    }
  }

  /// The lanes for `key` in a Cluster: those of the master serving its hash slot.
  async fn route(&self, key: &str) -> Result<Route<'_>> {
    let slot = hash_slot(key.as_bytes());
    let current = || self.layout.read().ok().and_then(|layout| layout.clone());
    let layout = match current() {
      Some(layout) if !layout.due() => layout,
      // Another call is reading it: this one goes on with the layout it has.
      Some(layout) => match self.reading_layout.try_lock() {
        Ok(_reading) => match self.read_layout(slot, Some(&layout)).await {
          Ok(fresh) => fresh,
          Err(_) => layout,
        },
        Err(_) => layout,
      },
      None => {
        let _reading = self.reading_layout.lock().await;
        match current() {
          Some(layout) => layout,
          None => self.read_layout(slot, None).await?,
        }
      }
    };
    Ok(Route::Cluster(layout, slot))
  }

  /// Reads the Cluster's layout (`CLUSTER SLOTS`) from the master serving `slot`: through that
  /// master's lane when there is a layout, so that a call whose master is healthy never waits on
  /// another; through a connection from the pool the first time.
  async fn read_layout(&self, slot: u16, known: Option<&Arc<Layout>>) -> Result<Arc<Layout>> {
    let ask = RoutingInfo::SingleNode(SingleNodeRoutingInfo::SpecificNode(SlotRoute::new(
      slot,
      SlotAddr::Master,
    )));
    let mut connection = match known {
      Some(layout) => {
        let lane = layout.group(slot).lanes.pick();
        let shared = lane.lock().await.as_ref().map(Checkout::share);
        match shared {
          Some(Shared::Cluster(connection)) => connection,
          // The lane is empty (its connection failed): the next call reads the layout again.
          _ => return Ok(layout.clone()),
        }
      }
      None => {
        let checkout = self.checkout().await;
        match checkout
          .map_err(|err| self.pool_error(&self.label, &err))?
          .share()
        {
          Shared::Cluster(connection) => connection,
          Shared::Single(_) => {
            return Err(Error::new(
              ErrorCode::StoreError,
              "RedisStore: not a Cluster",
            ))
          }
        }
      }
    };
    let answer = connection
      .route_command(redis::cmd("CLUSTER").arg("SLOTS").clone(), ask)
      .await
      .map_err(|err| self.redis_error(&self.label, "CLUSTER SLOTS", &err))?;
    let fresh = Layout::parse(&answer, self.lanes_per_group).ok_or_else(|| {
      Error::new(
        ErrorCode::StoreError,
        format!(
          "{} answered CLUSTER SLOTS with a layout it cannot be",
          self.label
        ),
      )
    })?;
    let layout = match known {
      Some(layout) => layout.update(fresh),
      None => Arc::new(fresh),
    };
    if let Ok(mut current) = self.layout.write() {
      *current = Some(layout.clone());
    }
    if let Pool::Cluster(pool) = &self.pool {
      pool.resize(layout.groups.len() * self.lanes_per_group);
    }
    Ok(layout)
  }

  /// What to call the server a call went to, in messages.
  fn server(&self, route: &Route<'_>) -> String {
    match route {
      Route::Fixed(_) => self.label.clone(),
      Route::Cluster(layout, slot) => {
        let server = layout.group(*slot).server.lock().map(|s| s.clone());
        format!(
          "{} ({}, hash slot {slot})",
          self.label,
          server.unwrap_or_default()
        )
      }
    }
  }

  fn pool_error(&self, server: &str, err: &deadpool_redis::PoolError) -> Error {
    if matches!(err, deadpool_redis::PoolError::Closed) {
      return Error::new(ErrorCode::RedisUnavailable, "RedisStore is closed");
    }
    Error::new(
      ErrorCode::RedisUnavailable,
      self.scrub(format!("{server} is unavailable: {err}")),
    )
  }

  fn redis_error(&self, server: &str, name: &str, err: &RedisError) -> Error {
    let code = if connection_lost(err) || not_master(err) {
      ErrorCode::RedisUnavailable
    } else {
      ErrorCode::StoreError
    };
    Error::new(code, self.scrub(format!("{server} failed {name}: {err}")))
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
  /// The (first) key it names: in a Cluster, its hash slot chooses the lanes.
  key: &'a str,
  cmd: &'a Cmd,
  replay: Replay,
  /// For `EVALSHA`: builds the same call as `EVAL`, sent when the server answers `NOSCRIPT`.
  unless_cached: Option<&'a (dyn Fn() -> Cmd + Sync)>,
}

impl<'a> Command<'a> {
  fn new(name: &'static str, key: &'a str, cmd: &'a Cmd, replay: Replay) -> Self {
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

#[cfg(test)]
mod tests {
  use super::*;
  use redis::Value as V;

  #[test]
  fn hash_slot_is_redis_crc16_of_the_tag() {
    // Values from Redis's own `CLUSTER KEYSLOT`.
    assert_eq!(hash_slot(b"foo"), 12182);
    assert_eq!(hash_slot(b"somekey"), 11058);
    assert_eq!(hash_slot(b"{user1000}.following"), hash_slot(b"user1000"));
    // An empty tag, or none closed, means the whole key.
    let whole = crc16::State::<crc16::XMODEM>::calculate(b"foo{}bar") % 16384;
    assert_eq!(hash_slot(b"foo{}bar"), whole);
    assert_ne!(hash_slot(b"{}a"), hash_slot(b"{}b"));
    assert_ne!(hash_slot(b"{ab"), hash_slot(b"ab"));
  }

  fn node(host: &str, port: i64, id: &str) -> V {
    V::Array(vec![
      V::BulkString(host.into()),
      V::Int(port),
      V::BulkString(id.into()),
    ])
  }

  fn range(start: i64, end: i64, master: V) -> V {
    V::Array(vec![V::Int(start), V::Int(end), master])
  }

  #[test]
  fn layout_groups_slots_by_master_id() {
    let answer = V::Array(vec![
      range(10923, 16383, node("10.0.0.3", 7002, "c")),
      range(0, 5460, node("10.0.0.1", 7000, "a")),
      range(5461, 10922, node("10.0.0.2", 7001, "b")),
    ]);
    let layout = Layout::parse(&answer, 2).expect("a layout");
    assert_eq!(layout.groups.len(), 3);
    assert!(layout
      .groups
      .iter()
      .all(|group| group.lanes.lanes.len() == 2));
    let server = |slot| {
      layout
        .group(slot)
        .server
        .lock()
        .map(|s| s.clone())
        .unwrap_or_default()
    };
    assert_eq!(server(0), "master 10.0.0.1:7000");
    assert_eq!(server(5461), "master 10.0.0.2:7001");
    assert_eq!(server(16383), "master 10.0.0.3:7002");
    assert!(std::ptr::eq(layout.group(1), layout.group(5460)));
  }

  #[test]
  fn slots_no_master_serves_get_a_group_of_their_own() {
    let answer = V::Array(vec![range(0, 99, node("10.0.0.1", 7000, "a"))]);
    let layout = Layout::parse(&answer, 1).expect("a layout");
    assert_eq!(layout.groups.len(), 2);
    assert!(!std::ptr::eq(layout.group(0), layout.group(100)));
    let uncovered = layout
      .group(16383)
      .server
      .lock()
      .map(|s| s.clone())
      .unwrap_or_default();
    assert!(uncovered.starts_with("no master"), "{uncovered}");
  }

  #[test]
  fn a_malformed_answer_is_no_layout() {
    assert!(Layout::parse(&V::Nil, 1).is_none());
    assert!(Layout::parse(&V::Array(vec![V::Int(1)]), 1).is_none());
    let no_port = V::Array(vec![V::Array(vec![
      V::Int(0),
      V::Int(10),
      V::Array(vec![V::BulkString(b"h".to_vec())]),
    ])]);
    assert!(Layout::parse(&no_port, 1).is_none());
    // Slots past the last one are ignored, not indexed.
    let too_far = V::Array(vec![range(16000, 99999, node("h", 1, "a"))]);
    assert!(Layout::parse(&too_far, 1).is_some());
  }

  #[test]
  fn a_failover_keeps_the_groups_and_renames_the_server() {
    let before = V::Array(vec![
      range(0, 8191, node("10.0.0.1", 7000, "a")),
      range(8192, 16383, node("10.0.0.2", 7001, "b")),
    ]);
    let after = V::Array(vec![
      range(0, 8191, node("10.0.0.4", 7003, "d")),
      range(8192, 16383, node("10.0.0.2", 7001, "b")),
    ]);
    let layout = Arc::new(Layout::parse(&before, 1).expect("a layout"));
    let updated = layout.update(Layout::parse(&after, 1).expect("a layout"));
    assert!(
      Arc::ptr_eq(&layout, &updated),
      "the same groups, lanes and connections"
    );
    let server = updated
      .group(0)
      .server
      .lock()
      .map(|s| s.clone())
      .unwrap_or_default();
    assert_eq!(server, "master 10.0.0.4:7003");
    let resharded = V::Array(vec![
      range(0, 4095, node("10.0.0.1", 7000, "a")),
      range(4096, 16383, node("10.0.0.2", 7001, "b")),
    ]);
    let moved = updated.update(Layout::parse(&resharded, 1).expect("a layout"));
    assert!(
      !Arc::ptr_eq(&updated, &moved),
      "a resharded Cluster gets new groups"
    );
  }
}
