//! An adapter's options as JS passes them: each one read, checked and defaulted here, with errors
//! that name the option and never echo its value (it may be the API secret).

use std::time::Duration;

use napi::bindgen_prelude::{FromNapiValue, JsObjectValue, Object, Unknown, ValidateNapiValue};
use napi::ValueType;

use crate::adapter::Flags;
use crate::api::{ClientOptions, Resource, DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS};
use crate::error::{Error, Result};
use crate::store::{
  AttemptLimit, RedisOptions, DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_KEY_PREFIX, DEFAULT_POOL_SIZE, DEFAULT_URL,
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

pub struct AdapterOptions {
  pub client: ClientOptions,
  pub flags: Flags,
  pub attempts: AttemptLimit,
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
    })
  }
}

/// The options `new RedisStore({ … })` takes; any other is refused, naming it.
const REDIS_OPTIONS: [&str; 12] = [
  "url",
  "nodes",
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

/// `new RedisStore(options?)`: a URL string, or `{ url | nodes | host…, keyPrefix, poolSize,
/// connectTimeout, commandTimeout }`, where ioredis's `{ host, port, username, password, db, tls }`
/// (and Cluster nodes as `{ host, port }`) stand for the URLs they mean; the URL defaults to
/// `REDIS_URL`, then to the local server.
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
    urls: Vec::new(),
    cluster: false,
    key_prefix: DEFAULT_KEY_PREFIX.to_owned(),
    pool_size: DEFAULT_POOL_SIZE,
    connect_timeout: Duration::from_millis(u64::from(DEFAULT_CONNECT_TIMEOUT_MS)),
    command_timeout: Duration::from_millis(u64::from(DEFAULT_COMMAND_TIMEOUT_MS)),
  };
  let object = match (kind, argument) {
    (ValueType::Undefined | ValueType::Null, _) => None,
    (ValueType::String, Some(value)) => {
      options
        .urls
        .push(String::from_unknown(value).map_err(|_| invalid())?);
      return Ok(options);
    }
    (ValueType::Object, Some(value)) => Some(Object::from_unknown(value).map_err(|_| invalid())?),
    _ => return Err(invalid()),
  };
  let Some(object) = object else {
    options.urls.push(from_env());
    return Ok(options);
  };
  let reader = Reader {
    owner: "RedisStore",
    options: &object,
  };
  reader.refuse_unknown(&REDIS_OPTIONS)?;
  let url = reader.get::<String>("url", ValueType::String, "a redis:// URL string")?;
  let nodes = reader.get::<Vec<Unknown>>("nodes", ValueType::Object, "an array of nodes")?;
  let server = ServerParts::read(&reader)?;
  if url.is_some() && (nodes.is_some() || server.address_given) {
    let other = if nodes.is_some() { "nodes" } else { "host" };
    return Err(reader.error(other, "cannot be combined with `url`"));
  }
  match (url, nodes) {
    (_, Some(nodes)) if nodes.is_empty() => {
      return Err(reader.error("nodes", "must list at least one node"))
    }
    (_, Some(nodes)) => {
      for node in nodes {
        options.urls.push(server.node_url(&reader, node)?);
      }
      options.cluster = true;
    }
    (Some(url), None) => options.urls.push(url),
    (None, None) if server.any_given => options.urls.push(server.url(&reader, None)?),
    (None, None) => options.urls.push(from_env()),
  }
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
  /// `host` or `port` was given (they name a server, as `url` does).
  address_given: bool,
  /// Any of the six was given.
  any_given: bool,
}

impl ServerParts {
  fn read(reader: &Reader) -> Result<Self> {
    let host = reader.get::<String>("host", ValueType::String, "a host name string")?;
    let port = reader.whole_number("port", 1, 65_535)?;
    let username = reader.get::<String>("username", ValueType::String, "a string")?;
    let password = reader.get::<String>("password", ValueType::String, "a string")?;
    let db = reader.whole_number("db", 0, 1_000_000)?;
    // ioredis takes `tls: {}` (TLS options) or `true`; we take either as "use TLS".
    let tls = match reader.kind("tls")? {
      ValueType::Undefined | ValueType::Null => false,
      ValueType::Object => true,
      ValueType::Boolean => reader
        .get::<bool>("tls", ValueType::Boolean, "true or an object")?
        .unwrap_or(false),
      _ => return Err(reader.error("tls", "must be true or an object")),
    };
    let address_given = host.is_some() || port.is_some();
    let any_given =
      address_given || username.is_some() || password.is_some() || db.is_some() || tls;
    Ok(Self {
      host,
      port,
      username,
      password,
      db,
      tls,
      address_given,
      any_given,
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

  /// A Cluster node: a redis:// URL string, or `{ host, port }` with this object's credentials.
  fn node_url(&self, reader: &Reader, node: Unknown) -> Result<String> {
    let wrong = || reader.error("nodes", "must list redis:// URLs or { host, port } objects");
    match node.get_type().map_err(|_| wrong())? {
      ValueType::String => String::from_unknown(node).map_err(|_| wrong()),
      ValueType::Object => {
        let object = Object::from_unknown(node).map_err(|_| wrong())?;
        let host: Option<String> = object.get_named_property("host").ok();
        let port: Option<f64> = object.get_named_property("port").ok();
        match (host, port) {
          (Some(host), Some(port)) if port.fract() == 0.0 && (1.0..=65_535.0).contains(&port) => {
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

  /// Refuses any option not in `known`, naming it: an option that is silently ignored could send
  /// codes to another server unnoticed.
  fn refuse_unknown(&self, known: &[&str]) -> Result<()> {
    let unreadable =
      || Error::invalid_argument(format!("{}: the options cannot be read", self.owner));
    let names = self
      .options
      .get_property_names()
      .map_err(|_| unreadable())?;
    for index in 0..names.get_array_length().map_err(|_| unreadable())? {
      let name: String = names.get_element(index).map_err(|_| unreadable())?;
      if known.contains(&name.as_str()) {
        continue;
      }
      let problem = match name.as_str() {
        "sentinels" | "name" => {
          "is not supported yet (Redis Sentinel): pass the current master as `url`".to_owned()
        }
        _ => format!("is unknown (the options are {})", known.join(", ")),
      };
      return Err(self.error(&name, &problem));
    }
    Ok(())
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
