//! An adapter's options as JS passes them: each one read, checked and defaulted here, with errors
//! that name the option and never echo its value (it may be the API secret).

use std::time::Duration;

use napi::bindgen_prelude::{FromNapiValue, JsObjectValue, Object, Unknown, ValidateNapiValue};
use napi::ValueType;

use crate::adapter::Flags;
use crate::api::{ClientOptions, Resource, DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS};
use crate::error::{Error, Result};
use crate::store::{
  AttemptLimit, MasterAuth, RedisOptions, Topology, DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_KEY_PREFIX, DEFAULT_POOL_SIZE, DEFAULT_URL,
};
use crate::tokens::{ATTEMPT_WINDOW, DEFAULT_MAX_ATTEMPTS};

/// The longest `timeout` accepted: ten minutes.
const MAX_TIMEOUT_MS: u32 = 600_000;
/// The most `retries` accepted.
const MAX_RETRIES: u32 = 10;
/// The largest `maxAttempts` accepted.
const MAX_ATTEMPTS_LIMIT: u32 = 1000;
/// The longest `attemptWindow` accepted: a day.
const MAX_ATTEMPT_WINDOW_MS: u32 = 86_400_000;
/// The largest Redis `poolSize` accepted.
const MAX_POOL_SIZE: u32 = 1024;

/// The options every adapter takes, besides its resource's three flag options.
const ADAPTER_OPTIONS: [&str; 7] = [
  "secret",
  "store",
  "baseUrl",
  "timeout",
  "retries",
  "maxAttempts",
  "attemptWindow",
];

pub struct AdapterOptions {
  pub client: ClientOptions,
  pub flags: Flags,
  pub attempts: AttemptLimit,
  /// Options given that the adapter does not know: warned about, not refused, as the original
  /// ignored them and configs written for it must keep working.
  pub unknown: Vec<String>,
}

impl AdapterOptions {
  pub fn read(resource: &Resource, options: &Object) -> Result<Self> {
    let reader = Reader {
      owner: resource.adapter,
      options,
    };
    // A missing secret is an error of the first API call, not of construction: Next.js evaluates
    // the auth config during `next build`, where the secret is often not in the environment.
    let secret = match reader.get::<String>("secret", ValueType::String, "a string")? {
      Some(secret) if !secret.trim().is_empty() => Ok(secret),
      _ => Err(reader.error(
        "secret",
        "is required: pass your ChatBotKit API secret (for example process.env.CHATBOTKIT_API_SECRET)",
      )),
    };
    let [create, update, delete] = resource.flag_options;
    let known: Vec<&str> = ADAPTER_OPTIONS
      .iter()
      .chain(&resource.flag_options)
      .copied()
      .collect();
    let unknown = reader.unknown(&known)?;
    let flag = |name, default| -> Result<bool> {
      let value = reader.get::<bool>(name, ValueType::Boolean, "true or false")?;
      Ok(value.unwrap_or(default))
    };
    let flags = Flags {
      create: flag(create, Flags::DEFAULT.create)?,
      update: flag(update, Flags::DEFAULT.update)?,
      delete: flag(delete, Flags::DEFAULT.delete)?,
    };
    let timeout_ms = reader.whole_number("timeout", 1, MAX_TIMEOUT_MS)?;
    let retries = reader.whole_number("retries", 0, MAX_RETRIES)?;
    let max_attempts = reader.whole_number("maxAttempts", 1, MAX_ATTEMPTS_LIMIT)?;
    let attempt_window = reader.whole_number("attemptWindow", 1, MAX_ATTEMPT_WINDOW_MS)?;
    Ok(Self {
      client: ClientOptions {
        base_url: reader.get::<String>("baseUrl", ValueType::String, "a URL string")?,
        secret,
        timeout_ms: timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS),
        retries: retries.unwrap_or(DEFAULT_RETRIES),
      },
      flags,
      attempts: AttemptLimit {
        max: max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS),
        window: attempt_window.map_or(ATTEMPT_WINDOW, |ms| Duration::from_millis(u64::from(ms))),
      },
      unknown,
    })
  }
}

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
/// password, db, tls }` (and Cluster nodes or Sentinels as `{ host, port }`) stand for the URLs
/// they mean; the URL defaults to `REDIS_URL`, then to the local server.
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
  let mut options = RedisOptions {
    topology: Topology::Single(DEFAULT_URL.to_owned()),
    key_prefix: DEFAULT_KEY_PREFIX.to_owned(),
    pool_size: DEFAULT_POOL_SIZE,
    connect_timeout: Duration::from_millis(u64::from(DEFAULT_CONNECT_TIMEOUT_MS)),
    command_timeout: Duration::from_millis(u64::from(DEFAULT_COMMAND_TIMEOUT_MS)),
  };
  let object = match (kind, argument) {
    (ValueType::Undefined | ValueType::Null, _) => None,
    (ValueType::String, Some(value)) => {
      options.topology = Topology::Single(String::from_unknown(value).map_err(|_| invalid())?);
      return Ok(options);
    }
    (ValueType::Object, Some(value)) => Some(Object::from_unknown(value).map_err(|_| invalid())?),
    _ => return Err(invalid()),
  };
  let Some(object) = object else {
    options.topology = Topology::Single(from_env());
    return Ok(options);
  };
  let reader = Reader {
    owner: "RedisStore",
    options: &object,
  };
  reader.refuse_unknown(&REDIS_OPTIONS)?;
  let url = reader.get::<String>("url", ValueType::String, "a redis:// URL string")?;
  let nodes = reader.get::<Vec<Unknown>>("nodes", ValueType::Object, "an array of nodes")?;
  let sentinels =
    reader.get::<Vec<Unknown>>("sentinels", ValueType::Object, "an array of Sentinels")?;
  let name = reader.get::<String>("name", ValueType::String, "the master's name string")?;
  let server = ServerParts::read(&reader)?;
  let sentinel_auth = ServerParts::sentinels(&reader)?;
  // Each way to name the Redis excludes the others: silently preferring one could send codes to a
  // server the user did not mean.
  let address = if server.host.is_some() {
    "host"
  } else {
    "port"
  };
  let named: Vec<&str> = [
    ("url", url.is_some()),
    ("nodes", nodes.is_some()),
    ("sentinels", sentinels.is_some()),
    (address, server.host.is_some() || server.port.is_some()),
  ]
  .iter()
  .filter(|(_, given)| *given)
  .map(|(option, _)| *option)
  .collect();
  if let [first, second, ..] = named[..] {
    return Err(reader.error(second, &format!("cannot be combined with `{first}`")));
  }
  if sentinels.is_none() {
    let sentinel_only = [
      ("name", name.is_some()),
      ("sentinelUsername", sentinel_auth.username.is_some()),
      ("sentinelPassword", sentinel_auth.password.is_some()),
      ("sentinelTLS", sentinel_auth.tls),
    ];
    if let Some((option, _)) = sentinel_only.iter().find(|(_, given)| *given) {
      return Err(reader.error(option, "only applies with `sentinels` (Redis Sentinel)"));
    }
  }
  options.topology = match (url, nodes, sentinels) {
    (_, Some(nodes), _) if nodes.is_empty() => {
      return Err(reader.error("nodes", "must list at least one node"))
    }
    (_, Some(nodes), _) => Topology::Cluster(
      nodes
        .into_iter()
        .map(|node| server.node_url(&reader, "nodes", node, 6379))
        .collect::<Result<_>>()?,
    ),
    (_, _, Some(sentinels)) if sentinels.is_empty() => {
      return Err(reader.error("sentinels", "must list at least one Sentinel"))
    }
    (_, _, Some(sentinels)) => {
      let Some(name) = name.filter(|name| !name.is_empty()) else {
        return Err(reader.error(
          "name",
          "is required with `sentinels`: the master's name in the Sentinels' configuration (for example 'mymaster')",
        ));
      };
      Topology::Sentinel {
        sentinels: sentinels
          .into_iter()
          .map(|node| sentinel_auth.node_url(&reader, "sentinels", node, 26379))
          .collect::<Result<_>>()?,
        name,
        master: MasterAuth {
          username: server.username,
          password: server.password,
          db: server.db.unwrap_or(0),
          tls: server.tls,
        },
      }
    }
    (Some(url), None, None) => Topology::Single(url),
    (None, None, None) if server.any_given() => Topology::Single(server.url(&reader, None)?),
    (None, None, None) => Topology::Single(from_env()),
  };
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

/// ioredis's way to name a server: `{ host, port, username, password, db, tls }`, turned into the
/// URL it means (the password percent-encoded, so it stays out of the rest of the URL).
struct ServerParts {
  host: Option<String>,
  port: Option<u32>,
  username: Option<String>,
  password: Option<String>,
  db: Option<u32>,
  tls: bool,
}

impl ServerParts {
  fn read(reader: &Reader) -> Result<Self> {
    let host = reader.get::<String>("host", ValueType::String, "a host name string")?;
    let port = reader.whole_number("port", 1, 65_535)?;
    let username = reader.get::<String>("username", ValueType::String, "a string")?;
    let password = reader.get::<String>("password", ValueType::String, "a string")?;
    let db = reader.whole_number("db", 0, 1_000_000)?;
    let tls = reader.tls("tls")?;
    Ok(Self {
      host,
      port,
      username,
      password,
      db,
      tls,
    })
  }

  /// Whether any of the six was given.
  fn any_given(&self) -> bool {
    self.host.is_some()
      || self.port.is_some()
      || self.username.is_some()
      || self.password.is_some()
      || self.db.is_some()
      || self.tls
  }

  /// How to reach the Sentinels themselves, as ioredis names it: `sentinelUsername`,
  /// `sentinelPassword`, `sentinelTLS`.
  fn sentinels(reader: &Reader) -> Result<Self> {
    let username = reader.get::<String>("sentinelUsername", ValueType::String, "a string")?;
    let password = reader.get::<String>("sentinelPassword", ValueType::String, "a string")?;
    let tls = reader.tls("sentinelTLS")?;
    Ok(Self {
      host: None,
      port: None,
      username,
      password,
      db: None,
      tls,
    })
  }

  /// The URL of `address` (host, port), or of this object's own host and port.
  fn url(&self, reader: &Reader, address: Option<(String, u32)>) -> Result<String> {
    let (host, port) = address.unwrap_or_else(|| {
      (
        self.host.clone().unwrap_or_else(|| "127.0.0.1".to_owned()),
        self.port.unwrap_or(6379),
      )
    });
    let scheme = if self.tls { "rediss" } else { "redis" };
    let bracketed = if host.contains(':') {
      format!("[{host}]")
    } else {
      host
    };
    let mut url = reqwest::Url::parse(&format!("{scheme}://{bracketed}:{port}"))
      .map_err(|_| reader.error("host", "is not a host name"))?;
    let credentials = url
      .set_username(self.username.as_deref().unwrap_or(""))
      .and_then(|()| url.set_password(self.password.as_deref()));
    credentials.map_err(|()| reader.error("password", "cannot be put in a URL"))?;
    if let Some(db) = self.db {
      url.set_path(&format!("/{db}"));
    }
    Ok(url.to_string())
  }

  /// One entry of the list option `list` (Cluster nodes, Sentinels): a redis:// URL string, or
  /// `{ host, port }` (port `default_port` when left out) with this object's credentials.
  fn node_url(
    &self,
    reader: &Reader,
    list: &str,
    node: Unknown,
    default_port: u32,
  ) -> Result<String> {
    let wrong = || reader.error(list, "must list redis:// URLs or { host, port } objects");
    match node.get_type().map_err(|_| wrong())? {
      ValueType::String => String::from_unknown(node).map_err(|_| wrong()),
      ValueType::Object => {
        let object = Object::from_unknown(node).map_err(|_| wrong())?;
        let host: Option<String> = object.get_named_property("host").ok();
        let port: Option<f64> = object.get_named_property("port").ok();
        let port = port.unwrap_or(f64::from(default_port));
        match host {
          Some(host) if port.fract() == 0.0 && (1.0..=65_535.0).contains(&port) => {
            self.url(reader, Some((host, port as u32)))
          }
          _ => Err(wrong()),
        }
      }
      _ => Err(wrong()),
    }
  }
}

/// Reads one options object; errors name the option and its owner, never the value.
struct Reader<'a, 'env> {
  owner: &'static str,
  options: &'a Object<'env>,
}

impl Reader<'_, '_> {
  fn error(&self, name: &str, problem: &str) -> Error {
    Error::invalid_argument(format!("{}: option `{name}` {problem}", self.owner))
  }

  /// The option's value; `None` when it is `undefined` or `null`.
  fn get<T: FromNapiValue + ValidateNapiValue>(
    &self,
    name: &str,
    expected: ValueType,
    description: &str,
  ) -> Result<Option<T>> {
    let unreadable = || self.error(name, "cannot be read");
    let value: Unknown = self
      .options
      .get_named_property_unchecked(name)
      .map_err(|_| unreadable())?;
    match value.get_type().map_err(|_| unreadable())? {
      ValueType::Undefined | ValueType::Null => Ok(None),
      actual if actual == expected => self
        .options
        .get_named_property::<T>(name)
        .map(Some)
        .map_err(|_| unreadable()),
      _ => Err(self.error(name, &format!("must be {description}"))),
    }
  }

  /// The names of the given options (own enumerable ones, as `Object.keys` lists them) that are
  /// not in `known`.
  fn unknown(&self, known: &[&str]) -> Result<Vec<String>> {
    let unreadable =
      || Error::invalid_argument(format!("{}: the options cannot be read", self.owner));
    let names = self
      .options
      .get_property_names()
      .map_err(|_| unreadable())?;
    let mut unknown = Vec::new();
    for index in 0..names.get_array_length().map_err(|_| unreadable())? {
      let name: String = names.get_element(index).map_err(|_| unreadable())?;
      if !known.contains(&name.as_str()) {
        unknown.push(name);
      }
    }
    Ok(unknown)
  }

  /// Refuses any option not in `known`, naming it: an option that is silently ignored could send
  /// codes to another server unnoticed.
  fn refuse_unknown(&self, known: &[&str]) -> Result<()> {
    match self.unknown(known)?.first() {
      None => Ok(()),
      Some(name) => Err(self.error(
        name,
        &format!("is unknown (the options are {})", known.join(", ")),
      )),
    }
  }

  /// A TLS switch as ioredis takes it: `true`, or an object of TLS options (meaning "use TLS").
  fn tls(&self, name: &str) -> Result<bool> {
    match self.kind(name)? {
      ValueType::Undefined | ValueType::Null => Ok(false),
      ValueType::Object => Ok(true),
      ValueType::Boolean => Ok(
        self
          .get::<bool>(name, ValueType::Boolean, "true or an object")?
          .unwrap_or(false),
      ),
      _ => Err(self.error(name, "must be true or an object")),
    }
  }

  /// The JS type of an option's value.
  fn kind(&self, name: &str) -> Result<ValueType> {
    let value: Unknown = self
      .options
      .get_named_property_unchecked(name)
      .map_err(|_| self.error(name, "cannot be read"))?;
    value
      .get_type()
      .map_err(|_| self.error(name, "cannot be read"))
  }

  fn whole_number(&self, name: &str, min: u32, max: u32) -> Result<Option<u32>> {
    let range = format!("a whole number from {min} to {max}");
    match self.get::<f64>(name, ValueType::Number, &range)? {
      None => Ok(None),
      Some(n) if n.fract() == 0.0 && n >= f64::from(min) && n <= f64::from(max) => {
        Ok(Some(n as u32))
      }
      Some(_) => Err(self.error(name, &format!("must be {range}"))),
    }
  }
}
