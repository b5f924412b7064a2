//! The Redis Cluster hash slot of a key: which slot, and so which master, a key belongs to. Kept
//! apart from the layout so the rule can be checked against Redis's own `CLUSTER KEYSLOT` alone.

/// Hash slots in a Redis Cluster.
pub const HASH_SLOTS: usize = 16_384;

/// The Cluster hash slot of `key`: CRC16 of its `{…}` hash tag when it has a non-empty one, else
/// of the whole key.
pub fn hash_slot(key: &[u8]) -> u16 {
  let tag = key.iter().position(|&b| b == b'{').and_then(|open| {
    let rest = &key[open + 1..];
    let close = rest.iter().position(|&b| b == b'}')?;
    (close > 0).then(|| &rest[..close])
  });
  crc16::State::<crc16::XMODEM>::calculate(tag.unwrap_or(key)) % HASH_SLOTS as u16
}

#[cfg(test)]
mod tests {
  use super::*;

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
}
