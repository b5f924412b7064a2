//! NextAuth's user object as an adapter receives it: which fields it names and which it leaves
//! out, so an update touches only what NextAuth passed.

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// One field of the incoming user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
  /// Not in the object (or `undefined`): leave the stored value as it is.
  Absent,
  /// `null`: clear it.
  Clear,
  Set(String),
}

impl Field {
  /// The value to send: `Some("")` clears, `None` leaves the stored value alone.
  pub fn to_send(&self) -> Option<&str> {
    match self {
      Field::Absent => None,
      Field::Clear => Some(""),
      Field::Set(value) => Some(value),
    }
  }
}

/// The fields of a NextAuth user that the adapters understand.
#[derive(Debug)]
pub struct UserPatch {
  pub id: Option<String>,
  pub name: Field,
  pub image: Field,
  pub email: Field,
  /// `emailVerified` as epoch ms (the JS glue turns the `Date` into a number); `Some(None)` for `null`.
  pub email_verified: Option<Option<f64>>,
}

impl UserPatch {
  /// Reads a user object; a field of the wrong type is an error that names it (never its value).
  pub fn parse(value: Value) -> Result<Self> {
    let Value::Object(map) = value else {
      return Err(Error::invalid_argument("the user must be an object"));
    };
    let id = match map.get("id") {
      None | Some(Value::Null) => None,
      Some(Value::String(id)) => Some(id.clone()),
      Some(_) => return Err(Error::invalid_argument("`user.id` must be a string")),
    };
    let email_verified = match map.get("emailVerified") {
      None => None,
      Some(Value::Null) => Some(None),
      Some(Value::Number(ms)) => Some(ms.as_f64()),
      Some(_) => {
        return Err(Error::invalid_argument(
          "`user.emailVerified` must be a Date or null",
        ))
      }
    };
    Ok(Self {
      id,
      name: field(&map, "name")?,
      image: field(&map, "image")?,
      email: field(&map, "email")?,
      email_verified,
    })
  }
}

fn field(map: &Map<String, Value>, key: &str) -> Result<Field> {
  match map.get(key) {
    None => Ok(Field::Absent),
    Some(Value::Null) => Ok(Field::Clear),
    Some(Value::String(value)) => Ok(Field::Set(value.clone())),
    Some(_) => Err(Error::invalid_argument(format!(
      "`user.{key}` must be a string or null"
    ))),
  }
}
