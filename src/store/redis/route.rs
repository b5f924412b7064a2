//! Which lanes a call uses: the store's own for one server or a Sentinel master; in a Cluster,
//! those of the master serving the key's hash slot, from a layout read again as it ages.

use std::sync::Arc;

use redis::cluster_routing::{Route as SlotRoute, RoutingInfo, SingleNodeRoutingInfo, SlotAddr};

use super::lanes::Lanes;
use super::layout::Layout;
use super::pool::{Checkout, Pool, Shared};
use super::slot::hash_slot;
use super::Redis;
use crate::error::{Error, ErrorCode, Result};

/// The lanes a call uses, and what to call their server in messages.
pub enum Route<'a> {
  Fixed(&'a Lanes),
  Cluster(Arc<Layout>, u16),
}

impl Route<'_> {
  pub fn lanes(&self) -> &Lanes {
    match self {
      Route::Fixed(lanes) => lanes,
      Route::Cluster(layout, slot) => &layout.group(*slot).lanes,
    }
  }
}

impl Redis {
  /// The lanes for `key` in a Cluster: those of the master serving its hash slot.
  pub(super) async fn route(&self, key: &str) -> Result<Route<'_>> {
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
        let checkout = self.pool.checkout().await;
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
  pub(super) fn server(&self, route: &Route<'_>) -> String {
    match route {
      Route::Fixed(_) => self.label.clone(),
      Route::Cluster(layout, slot) => slot_server(&self.label, layout, *slot),
    }
  }
}

/// "Redis Cluster at … (master host:port, hash slot N)": the Cluster, the master serving `slot`
/// as the layout last saw it, and the slot.
fn slot_server(label: &str, layout: &Layout, slot: u16) -> String {
  let server = layout.group(slot).server.lock().map(|s| s.clone());
  format!("{label} ({}, hash slot {slot})", server.unwrap_or_default())
}

#[cfg(test)]
mod tests {
  use super::*;
  use redis::Value as V;

  #[test]
  fn a_cluster_message_names_the_master_and_the_slot() {
    let master = |host: &str, port| {
      V::Array(vec![
        V::BulkString(host.into()),
        V::Int(port),
        V::BulkString(host.into()),
      ])
    };
    let answer = V::Array(vec![
      V::Array(vec![V::Int(0), V::Int(8191), master("10.0.0.1", 7000)]),
      V::Array(vec![V::Int(8192), V::Int(16383), master("10.0.0.2", 7001)]),
    ]);
    let layout = Layout::parse(&answer, 1).expect("a layout");
    let label = "Redis Cluster at 10.0.0.1:7000";
    assert_eq!(
      slot_server(label, &layout, 2766),
      "Redis Cluster at 10.0.0.1:7000 (master 10.0.0.1:7000, hash slot 2766)"
    );
    assert_eq!(
      slot_server(label, &layout, 16383),
      "Redis Cluster at 10.0.0.1:7000 (master 10.0.0.2:7001, hash slot 16383)"
    );
  }
}
