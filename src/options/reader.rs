//! Reads one options object from JS: each option type-checked, with errors that name the option
//! and its owner (an adapter, `RedisStore`) and never echo the value, which may be a secret.

use napi::bindgen_prelude::{FromNapiValue, JsObjectValue, Object, Unknown, ValidateNapiValue};
use napi::ValueType;

use crate::error::{Error, Result};

/// The longest `timeout` (and Redis `connectTimeout`, `commandTimeout`) accepted: ten minutes.
pub const MAX_TIMEOUT_MS: u32 = 600_000;

/// Reads one options object; errors name the option and its owner, never the value.
pub struct Reader<'a, 'env> {
  pub owner: &'static str,
  pub options: &'a Object<'env>,
}

impl Reader<'_, '_> {
  pub fn error(&self, name: &str, problem: &str) -> Error {
    Error::invalid_argument(format!("{}: option `{name}` {problem}", self.owner))
  }

  /// The option's value; `None` when it is `undefined` or `null`.
  pub fn get<T: FromNapiValue + ValidateNapiValue>(
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
  pub fn unknown(&self, known: &[&str]) -> Result<Vec<String>> {
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
  pub fn refuse_unknown(&self, known: &[&str]) -> Result<()> {
    match self.unknown(known)?.first() {
      None => Ok(()),
      Some(name) => Err(self.error(
        name,
        &format!("is unknown (the options are {})", known.join(", ")),
      )),
    }
  }

  /// A TLS switch as ioredis takes it: `true`, or an object of TLS options (meaning "use TLS").
  pub fn tls(&self, name: &str) -> Result<bool> {
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
  pub fn kind(&self, name: &str) -> Result<ValueType> {
    let value: Unknown = self
      .options
      .get_named_property_unchecked(name)
      .map_err(|_| self.error(name, "cannot be read"))?;
    value
      .get_type()
      .map_err(|_| self.error(name, "cannot be read"))
  }

  pub fn whole_number(&self, name: &str, min: u32, max: u32) -> Result<Option<u32>> {
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
