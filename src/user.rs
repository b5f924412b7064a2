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

/// The fields of a NextAuth user that the adapters understand.
#[derive(Debug)]
pub struct UserPatch {
  pub id: Option<String>,
  pub name: Field,
  pub image: Field,
  pub email: Field,
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
    Ok(Self {
      id,
      name: field(&map, "name")?,
      image: field(&map, "image")?,
      email: field(&map, "email")?,
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
