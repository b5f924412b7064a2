//! The deadpool pools behind the store (one server, a Redis Cluster, the master Sentinels name),
//! the connection a lane keeps checked out of them, and the clone of it each command uses.

use std::time::Duration;

use deadpool::managed;
use deadpool_redis::{sentinel, PoolConfig, Runtime, Timeouts};
use redis::cluster::{ClusterClient, ClusterClientBuilder};
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, FromRedisValue, RedisError};

use super::command::{CLUSTER_RETRIES, FIRST_RETRY_PAUSE, MAX_RETRY_PAUSE};
use super::info::unusable;
use super::options::Topology;
use crate::error::Result;

pub enum Pool {
  Single(deadpool_redis::Pool),
  Cluster(managed::Pool<ClusterManager>),
  Sentinel(sentinel::Pool),
}

/// A connection checked out of the pool and kept: redis-rs connections are multiplexed, so every
/// command clones it and pipelines over it, and no command pays the pool's per-checkout PING.
pub enum Checkout {
  Single(deadpool_redis::Connection),
  Cluster(managed::Object<ClusterManager>),
  Sentinel(sentinel::Connection),
}

/// A clone of a checked-out connection, used for one command.
pub enum Shared {
  Single(redis::aio::MultiplexedConnection),
  Cluster(ClusterConnection),
}

impl Checkout {
  pub fn share(&self) -> Shared {
    match self {
      Checkout::Single(connection) => Shared::Single((**connection).clone()),
      Checkout::Cluster(connection) => Shared::Cluster((**connection).clone()),
      Checkout::Sentinel(connection) => Shared::Single((**connection).clone()),
    }
  }

  /// Takes the connection out of the pool for good: it reaches a server that is no longer the
  /// master, and the pool's PING check would pass it on to the next caller.
  pub fn discard(self) {
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
pub struct ClusterManager(ClusterClient);

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

impl Shared {
  pub async fn query<T: FromRedisValue>(&mut self, command: &Cmd) -> redis::RedisResult<T> {
    match self {
      Shared::Single(connection) => command.query_async(connection).await,
      Shared::Cluster(connection) => command.query_async(connection).await,
    }
  }
}

impl Pool {
  /// The pool for `topology`; it opens no connection until the first checkout. `connect_timeout`
  /// bounds opening (or checking) a connection, `command_timeout` waiting for one.
  pub fn new(
    topology: Topology,
    pool_size: u32,
    connect_timeout: Duration,
    command_timeout: Duration,
  ) -> Result<Self> {
    let pool_config = PoolConfig {
      max_size: pool_size as usize,
      timeouts: Timeouts {
        wait: Some(command_timeout),
        create: Some(connect_timeout),
        recycle: Some(connect_timeout),
      },
      ..PoolConfig::default()
    };
    let pool = match topology {
      Topology::Single(server) => {
        let manager = deadpool_redis::Manager::new(server).map_err(|e| unusable(&e))?;
        let pool = deadpool_redis::Pool::builder(manager)
          .config(pool_config)
          .runtime(Runtime::Tokio1)
          .build()
          .map_err(|e| unusable(&e))?;
        Pool::Single(pool)
      }
      Topology::Cluster(nodes) => {
        let pause_ms = |pause: Duration| pause.as_millis() as u64;
        let client = ClusterClientBuilder::new(nodes)
          .connection_timeout(connect_timeout)
          .response_timeout(command_timeout)
          .retries(CLUSTER_RETRIES)
          .min_retry_wait(pause_ms(FIRST_RETRY_PAUSE))
          .max_retry_wait(pause_ms(MAX_RETRY_PAUSE))
          .build()
          .map_err(|e| unusable(&e))?;
        let pool = managed::Pool::builder(ClusterManager(client))
          .config(pool_config)
          .runtime(Runtime::Tokio1)
          .build()
          .map_err(|e| unusable(&e))?;
        Pool::Cluster(pool)
      }
      Topology::Sentinel {
        sentinels,
        name,
        master,
      } => {
        // deadpool-redis takes the master's sign-in as its own copy of redis-rs's type.
        let settings = &master.settings;
        let master_info = sentinel::SentinelNodeConnectionInfo {
          tls_mode: master.tls.then_some(sentinel::TlsMode::Secure),
          redis_connection_info: Some(deadpool_redis::RedisConnectionInfo {
            db: settings.db(),
            username: settings.username().map(str::to_owned),
            password: settings.password().map(str::to_owned),
            protocol: deadpool_redis::ProtocolVersion::default(),
          }),
        };
        let manager = sentinel::Manager::new(
          sentinels,
          name,
          Some(master_info),
          sentinel::SentinelServerType::Master,
        )
        .map_err(|e| unusable(&e))?;
        let pool = sentinel::Pool::builder(manager)
          .config(pool_config)
          .runtime(Runtime::Tokio1)
          .build()
          .map_err(|e| unusable(&e))?;
        Pool::Sentinel(pool)
      }
    };
    Ok(pool)
  }

  pub async fn checkout(&self) -> std::result::Result<Checkout, deadpool_redis::PoolError> {
    match self {
      Pool::Single(pool) => pool.get().await.map(Checkout::Single),
      Pool::Cluster(pool) => pool.get().await.map(Checkout::Cluster),
      Pool::Sentinel(pool) => pool.get().await.map(Checkout::Sentinel),
    }
  }

  pub fn close(&self) {
    match self {
      Pool::Single(pool) => pool.close(),
      Pool::Cluster(pool) => pool.close(),
      Pool::Sentinel(pool) => pool.close(),
    }
  }
}
