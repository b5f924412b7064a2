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

/// `new RedisStore(options?)`: a URL string, or `{ url | nodes, keyPrefix, poolSize,
/// connectTimeout, commandTimeout }`; the URL defaults to `REDIS_URL`, then to the local server.
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
  let url = reader.get::<String>("url", ValueType::String, "a redis:// URL string")?;
  let nodes = reader.get::<Vec<String>>("nodes", ValueType::Object, "an array of redis:// URLs")?;
  match (url, nodes) {
    (Some(_), Some(_)) => return Err(reader.error("nodes", "cannot be combined with `url`")),
    (_, Some(nodes)) if nodes.is_empty() => {
      return Err(reader.error("nodes", "must list at least one node"))
    }
    (_, Some(nodes)) => {
      options.urls = nodes;
      options.cluster = true;
    }
    (Some(url), None) => options.urls.push(url),
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
