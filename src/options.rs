//! An adapter's options as JS passes them: each one read, checked and defaulted here, with errors
//! that name the option and never echo its value (it may be the API secret).

use napi::bindgen_prelude::{FromNapiValue, JsObjectValue, Object, Unknown, ValidateNapiValue};
use napi::ValueType;

use crate::adapter::Flags;
use crate::api::{ClientOptions, Resource, DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS};
use crate::error::{Error, Result};

/// The longest `timeout` accepted: ten minutes.
const MAX_TIMEOUT_MS: u32 = 600_000;
/// The most `retries` accepted.
const MAX_RETRIES: u32 = 10;

pub struct AdapterOptions {
  pub client: ClientOptions,
  pub flags: Flags,
}

impl AdapterOptions {
  pub fn read(resource: &Resource, options: &Object) -> Result<Self> {
    let reader = Reader {
      adapter: resource.adapter,
      options,
    };
    let secret = match reader.get::<String>("secret", ValueType::String, "a string")? {
      Some(secret) if !secret.trim().is_empty() => secret,
      _ => {
        return Err(reader.error(
          "secret",
          "is required: pass your ChatBotKit API secret (for example process.env.CHATBOTKIT_API_SECRET)",
        ))
      }
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
    Ok(Self {
      client: ClientOptions {
        base_url: reader.get::<String>("baseUrl", ValueType::String, "a URL string")?,
        secret,
        timeout_ms: timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS),
        retries: retries.unwrap_or(DEFAULT_RETRIES),
      },
      flags,
    })
  }
}

struct Reader<'a, 'env> {
  adapter: &'static str,
  options: &'a Object<'env>,
}

impl Reader<'_, '_> {
  fn error(&self, name: &str, problem: &str) -> Error {
    Error::invalid_argument(format!("{}: option `{name}` {problem}", self.adapter))
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
