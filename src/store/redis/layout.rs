//! A Redis Cluster's layout: which master serves each hash slot, read from a `CLUSTER SLOTS`
//! answer, so that each master's keys travel on lanes of their own and a failing master holds
//! back only its own calls.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::lanes::Lanes;
use super::slot::HASH_SLOTS;

/// How long a Cluster's layout is used before a call reads it again: slots move between masters
/// when the Cluster is resharded.
const LAYOUT_TTL: Duration = Duration::from_secs(30);

/// Which master of a Redis Cluster serves each hash slot, so that each master's keys travel on
/// lanes of their own. A redis-rs Cluster connection holds back every command it carries while it
/// rebuilds its slot map after a node fails; shared by all masters, it would stop all of them for
/// one.
pub struct Layout {
  /// For each hash slot, the index of its group in `groups`.
  group_of: Box<[u16]>,
  pub groups: Box<[Group]>,
  /// When the layout was last read from the Cluster.
  checked: std::sync::Mutex<Instant>,
}

/// The hash slots one master serves (or those no master serves), and their lanes.
pub struct Group {
  pub lanes: Lanes,
  /// "master 127.0.0.1:7001", for messages; brought up to date when a replica takes over.
  pub server: std::sync::Mutex<String>,
}

impl Layout {
  /// The layout in a `CLUSTER SLOTS` answer: one group per master (by node ID), in slot order.
  pub fn parse(answer: &redis::Value, lanes_per_group: usize) -> Option<Self> {
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

  pub fn group(&self, slot: u16) -> &Group {
    // `parse` gives every slot a group.
    &self.groups[usize::from(self.group_of[usize::from(slot)])]
  }

  pub fn due(&self) -> bool {
    self
      .checked
      .lock()
      .map_or(true, |checked| checked.elapsed() >= LAYOUT_TTL)
  }

  /// Takes `fresh` as read again: the same groups (a failover moves a master's slots as one) keep
  /// their lanes and learn their new servers; other groups replace the layout.
  pub fn update(self: &Arc<Self>, fresh: Self) -> Arc<Self> {
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

#[cfg(test)]
mod tests {
  use super::*;
  use redis::Value as V;

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
