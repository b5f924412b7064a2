//! `new RedisStore(options?)` as JS passes it: each option read and type-checked here; how they
//! combine, and the redis-rs connection info they make, is decided in `store/redis/options.rs`,
//! where it is tested without JS.

use std::time::Duration;

use napi::bindgen_prelude::{FromNapiValue, JsObjectValue, Object, Unknown};
use napi::ValueType;

use super::reader::{Reader, MAX_TIMEOUT_MS};
use crate::error::{Error, Result};
use crate::store::redis::{
  parse_url, Given, Node, RedisOptions, ServerParts, Topology, DEFAULT_URL,
};

/// The largest Redis `poolSize` accepted.
const MAX_POOL_SIZE: u32 = 1024;

/// The options `new RedisStore({ … })` takes; any other is refused, naming it.
const REDIS_OPTIONS: [&str; 17] = [
  "url",
  "nodes",
  "sentinels",
  "name",
  "sentinelUsername",
  "sentinelPassword",
  "sentinelTLS",
  "host",
  "port",
  "username",
  "password",
  "db",
  "tls",
  "keyPrefix",
  "poolSize",
  "connectTimeout",
  "commandTimeout",
];

/// `new RedisStore(options?)`: a URL string, or `{ url | nodes | sentinels + name | host…,
/// keyPrefix, poolSize, connectTimeout, commandTimeout }`, where ioredis's `{ host, port, username,
/// password, db, tls }` (and Cluster nodes or Sentinels as `{ host, port }`) name the server as a
/// URL would; the URL defaults to `REDIS_URL`, then to the local server.
pub fn redis_options(argument: Option<Unknown>) -> Result<RedisOptions> {
  let invalid =
    || Error::invalid_argument("RedisStore takes a redis:// URL string or an options object");
  let kind = match &argument {
    Some(value) => value.get_type().map_err(|_| invalid())?,
    None => ValueType::Undefined,
  };
  let from_env = || {
    std::env::var("REDIS_URL")
      .ok()
      .filter(|url| !url.trim().is_empty())
      .unwrap_or_else(|| DEFAULT_URL.to_owned())
  };
  let object = match (kind, argument) {
    (ValueType::Undefined | ValueType::Null, _) => None,
    (ValueType::String, Some(value)) => {
      let url = String::from_unknown(value).map_err(|_| invalid())?;
      return Ok(RedisOptions::new(Topology::Single(parse_url(&url)?)));
    }
    (ValueType::Object, Some(value)) => Some(Object::from_unknown(value).map_err(|_| invalid())?),
    _ => return Err(invalid()),
  };
  let Some(object) = object else {
    return Ok(RedisOptions::new(Topology::Single(parse_url(&from_env())?)));
  };
  let reader = Reader {
    owner: "RedisStore",
    options: &object,
  };
  reader.refuse_unknown(&REDIS_OPTIONS)?;
  let given = Given {
    url: reader.get::<String>("url", ValueType::String, "a redis:// URL string")?,
    nodes: node_list(&reader, "nodes", "an array of nodes", 6379)?,
    sentinels: node_list(&reader, "sentinels", "an array of Sentinels", 26379)?,
    name: reader.get::<String>("name", ValueType::String, "the master's name string")?,
    server: server_parts(&reader)?,
    sentinel_auth: sentinel_parts(&reader)?,
  };
  let mut options = RedisOptions::new(given.topology(from_env)?);
  if let Some(prefix) = reader.get::<String>("keyPrefix", ValueType::String, "a string")? {
    options.key_prefix = prefix;
  }
  if let Some(size) = reader.whole_number("poolSize", 1, MAX_POOL_SIZE)? {
    options.pool_size = size;
  }
  if let Some(ms) = reader.whole_number("connectTimeout", 1, MAX_TIMEOUT_MS)? {
    options.connect_timeout = Duration::from_millis(u64::from(ms));
  }
  if let Some(ms) = reader.whole_number("commandTimeout", 1, MAX_TIMEOUT_MS)? {
    options.command_timeout = Duration::from_millis(u64::from(ms));
  }
  Ok(options)
}

/// ioredis's `{ host, port, username, password, db, tls }`.
fn server_parts(reader: &Reader) -> Result<ServerParts> {
  let host = reader.get::<String>("host", ValueType::String, "a host name string")?;
  let port = reader.whole_number("port", 1, 65_535)?;
  let username = reader.get::<String>("username", ValueType::String, "a string")?;
  let password = reader.get::<String>("password", ValueType::String, "a string")?;
  let db = reader.whole_number("db", 0, 1_000_000)?;
  let tls = reader.tls("tls")?;
  Ok(ServerParts {
    host,
    // `whole_number` kept it within 1..=65535.
    port: port.and_then(|port| u16::try_from(port).ok()),
    username,
    password,
    db,
    tls,
  })
}

/// How to reach the Sentinels themselves, as ioredis names it: `sentinelUsername`,
/// `sentinelPassword`, `sentinelTLS`.
fn sentinel_parts(reader: &Reader) -> Result<ServerParts> {
  let username = reader.get::<String>("sentinelUsername", ValueType::String, "a string")?;
  let password = reader.get::<String>("sentinelPassword", ValueType::String, "a string")?;
  let tls = reader.tls("sentinelTLS")?;
  Ok(ServerParts {
    username,
    password,
    tls,
    ..ServerParts::default()
  })
}

/// The list option `name` (Cluster nodes, Sentinels): each entry a redis:// URL string, or
/// `{ host, port }` with the port `default_port` when left out. An entry of another shape is kept
/// as `Node::Malformed`, refused when the list is used: the options' errors keep their order.
fn node_list(
  reader: &Reader,
  name: &str,
  description: &str,
  default_port: u16,
) -> Result<Option<Vec<Node>>> {
  let list = reader.get::<Vec<Unknown>>(name, ValueType::Object, description)?;
  Ok(list.map(|nodes| {
    nodes
      .into_iter()
      .map(|node| read_node(node, default_port))
      .collect()
  }))
}

fn read_node(node: Unknown, default_port: u16) -> Node {
  match node.get_type() {
    Ok(ValueType::String) => String::from_unknown(node).map_or(Node::Malformed, Node::Url),
    Ok(ValueType::Object) => {
      let Ok(object) = Object::from_unknown(node) else {
        return Node::Malformed;
      };
      let host: Option<String> = object.get_named_property("host").ok();
      let port: Option<f64> = object.get_named_property("port").ok();
      let port = port.unwrap_or(f64::from(default_port));
      match host {
        Some(host) if port.fract() == 0.0 && (1.0..=65_535.0).contains(&port) => {
          Node::Address(host, port as u16)
        }
        _ => Node::Malformed,
      }
    }
    _ => Node::Malformed,
  }
}
