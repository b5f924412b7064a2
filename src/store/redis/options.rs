//! What `new RedisStore(…)` was given, once read and checked: which Redis (one server, a Cluster's
//! seed nodes, or Sentinels and their master's name), the key prefix, the pool's size and the
//! timeouts; with the defaults for each.

use std::time::Duration;

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
