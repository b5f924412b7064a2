//! What `new RedisStore(…)` was given, once read and checked: which Redis (one server, a Cluster's
//! seed nodes, or Sentinels and their master's name) as redis-rs connection info, the key prefix,
//! the pool's size and the timeouts, with the defaults for each. How the options that name the
//! Redis combine is decided in `given.rs`.

use std::time::Duration;

use redis::{ConnectionInfo, RedisConnectionInfo};

use super::info::address;

/// Where Redis is when neither the `url` option nor `REDIS_URL` says.
pub const DEFAULT_URL: &str = "redis://127.0.0.1:6379";
/// Prepended to every key, so the store can share a Redis with other data.
const DEFAULT_KEY_PREFIX: &str = "chatbotkit:nextauth:";
/// Connections kept per server (per master in a Cluster). One is fastest for small commands: they
/// are multiplexed, so the commands issued together are written together, as ioredis does.
const DEFAULT_POOL_SIZE: u32 = 1;
/// Time allowed to open (or check) a connection.
const DEFAULT_CONNECT_TIMEOUT_MS: u32 = 5_000;
/// Time allowed for one store call: waiting for a connection, reconnecting and retrying included.
const DEFAULT_COMMAND_TIMEOUT_MS: u32 = 5_000;

/// Which Redis the store talks to.
#[derive(Debug)]
pub enum Topology {
  /// One server.
  Single(ConnectionInfo),
  /// The seed nodes of a Redis Cluster.
  Cluster(Vec<ConnectionInfo>),
  /// The master that Redis Sentinels name: each connection asks them where it is now, so a
  /// failover is followed.
  Sentinel {
    /// The Sentinels themselves (their credentials, if any, are the Sentinels').
    sentinels: Vec<ConnectionInfo>,
    /// The master's name in the Sentinels' configuration (`mymaster`).
    name: String,
    /// How to sign in to the master.
    master: MasterAuth,
  },
}

/// The credentials, database and TLS of a master found through Sentinel.
#[derive(Debug, Default)]
pub struct MasterAuth {
  pub settings: RedisConnectionInfo,
  pub tls: bool,
}

/// Every field's Debug output leaves passwords out (redis-rs redacts them in its connection info).
#[derive(Debug)]
pub struct RedisOptions {
  pub topology: Topology,
  pub key_prefix: String,
  pub pool_size: u32,
  pub connect_timeout: Duration,
  pub command_timeout: Duration,
}

impl RedisOptions {
  /// `topology` with the default key prefix, pool size and timeouts.
  pub fn new(topology: Topology) -> Self {
    Self {
      topology,
      key_prefix: DEFAULT_KEY_PREFIX.to_owned(),
      pool_size: DEFAULT_POOL_SIZE,
      connect_timeout: Duration::from_millis(u64::from(DEFAULT_CONNECT_TIMEOUT_MS)),
      command_timeout: Duration::from_millis(u64::from(DEFAULT_COMMAND_TIMEOUT_MS)),
    }
  }
}

impl Topology {
  /// What messages call this Redis: "Redis at host:port", the Cluster's seed nodes, or the
  /// Sentinel master's name and the Sentinels' addresses. Never the credentials.
  pub fn label(&self) -> String {
    let addresses = |servers: &[ConnectionInfo]| {
      let addresses: Vec<String> = servers.iter().map(address).collect();
      addresses.join(", ")
    };
    match self {
      Topology::Single(server) => format!("Redis at {}", address(server)),
      Topology::Cluster(nodes) => format!("Redis Cluster at {}", addresses(nodes)),
      Topology::Sentinel {
        sentinels, name, ..
      } => format!(
        "Redis master `{name}` (Sentinel at {})",
        addresses(sentinels)
      ),
    }
  }

  /// Every password it holds, to be removed from any message that quotes a library's error.
  pub fn secrets(&self) -> Vec<String> {
    let (servers, master) = match self {
      Topology::Single(server) => (std::slice::from_ref(server), None),
      Topology::Cluster(nodes) => (nodes.as_slice(), None),
      Topology::Sentinel {
        sentinels, master, ..
      } => (sentinels.as_slice(), Some(&master.settings)),
    };
    let settings = servers.iter().map(ConnectionInfo::redis_settings);
    settings
      .chain(master)
      .filter_map(RedisConnectionInfo::password)
      .filter(|password| !password.is_empty())
      .map(str::to_owned)
      .collect()
  }
}

#[cfg(test)]
mod tests {
  use super::super::info::parse_url;
  use super::*;

  fn server(url: &str) -> ConnectionInfo {
    parse_url(url).unwrap()
  }

  #[test]
  fn the_label_names_addresses_and_secrets_list_passwords() {
    let single = Topology::Single(server("redis://:pw@10.0.0.9:6390"));
    assert_eq!(single.label(), "Redis at 10.0.0.9:6390");
    assert_eq!(single.secrets(), ["pw"]);
    let cluster = Topology::Cluster(vec![server("redis://a:7000"), server("redis://b:7001")]);
    assert_eq!(cluster.label(), "Redis Cluster at a:7000, b:7001");
    assert!(cluster.secrets().is_empty());
    let sentinel = Topology::Sentinel {
      sentinels: vec![
        server("redis://:sentinel-pw@s1:26379"),
        server("redis://s2"),
      ],
      name: "mymaster".into(),
      master: MasterAuth {
        settings: RedisConnectionInfo::default().set_password("master-pw"),
        tls: false,
      },
    };
    assert_eq!(
      sentinel.label(),
      "Redis master `mymaster` (Sentinel at s1:26379, s2:6379)"
    );
    assert_eq!(sentinel.secrets(), ["sentinel-pw", "master-pw"]);
    let debug = format!("{:?}", RedisOptions::new(sentinel));
    assert!(
      !debug.contains("sentinel-pw") && !debug.contains("master-pw"),
      "{debug}"
    );
  }

  #[test]
  fn defaults() {
    let options = RedisOptions::new(Topology::Single(server(DEFAULT_URL)));
    assert_eq!(options.topology.label(), "Redis at 127.0.0.1:6379");
    assert_eq!(options.key_prefix, "chatbotkit:nextauth:");
    assert_eq!(options.pool_size, 1);
    assert_eq!(options.connect_timeout, Duration::from_secs(5));
    assert_eq!(options.command_timeout, Duration::from_secs(5));
  }
}
