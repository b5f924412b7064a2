//! The kinds of ChatBotKit record an adapter keeps users in, described as data: endpoints,
//! operation names, wording, and how a record maps to and from NextAuth's user.

use serde_json::{Map, Value};

use crate::error::{code, Error, Result};
use crate::user::{Field, UserPatch};

/// One kind of record (partner users, contacts) and everything that differs between them.
pub struct Resource {
  /// The word in messages: "Cannot create new user".
  pub noun: &'static str,
  /// The factory's name, for option errors: "ChatBotKitPartnerAdapter".
  pub adapter: &'static str,
  /// Path under `/v1/`: `partner/user`.
  pub path: &'static str,
  /// Operation ids from the OpenAPI document, used in error messages.
  pub ops: Operations,
  /// Option names of the three lifecycle flags (create, update, delete).
  pub flag_options: [&'static str; 3],
  /// Query parameters that look a record up by email.
  pub email_query: fn(&str) -> Vec<(&'static str, String)>,
  /// The email address a record carries, to check a lookup's answer.
  pub record_email: fn(&Map<String, Value>) -> Option<&str>,
  /// A record as NextAuth's user: every API field, plus `email` and `emailVerified` (epoch ms).
  pub to_user: fn(Map<String, Value>) -> Result<Value>,
  /// The create body for a new user with this email.
  pub create_body: fn(&str, &UserPatch) -> Value,
  /// The update body: only what the patch names.
  pub update_body: fn(&UserPatch) -> Map<String, Value>,
}

pub struct Operations {
  pub list: &'static str,
  pub fetch: &'static str,
  pub create: &'static str,
  pub update: &'static str,
  pub delete: &'static str,
}

/// Partner API users: one ChatBotKit sub-account per user.
pub static PARTNER_USERS: Resource = Resource {
  noun: "user",
  adapter: "ChatBotKitPartnerAdapter",
  path: "partner/user",
  ops: Operations {
    list: "listPartnerUsers",
    fetch: "fetchPartnerUser",
    create: "createPartnerUser",
    update: "updatePartnerUser",
    delete: "deletePartnerUser",
  },
  flag_options: ["autoCreateUser", "autoUpdateUser", "autoDeleteUser"],
  email_query: |email| vec![("email", email.to_owned())],
  record_email: |record| record.get("email").and_then(Value::as_str),
  to_user: partner_to_user,
  create_body: |email, patch| {
    let mut body = partner_fields(patch);
    body.insert("email".into(), Value::from(email));
    Value::Object(body)
  },
  update_body: partner_fields,
};

fn partner_to_user(mut record: Map<String, Value>) -> Result<Value> {
  let has_email = matches!(record.get("email"), Some(Value::String(email)) if !email.is_empty());
  if !has_email {
    return Err(Error::new(
      code::INVALID_RESPONSE,
      "the partner user has no email address",
    ));
  }
  let created_at = record.get("createdAt").and_then(Value::as_f64);
  record.insert(
    "emailVerified".into(),
    created_at.map(Value::from).unwrap_or(Value::Null),
  );
  Ok(Value::Object(record))
}

/// `name`, `image` and `email` as the patch gives them; a `null` name or image clears it.
fn partner_fields(patch: &UserPatch) -> Map<String, Value> {
  let mut body = Map::new();
  for (key, field) in [("name", &patch.name), ("image", &patch.image)] {
    match field {
      Field::Absent => {}
      Field::Clear => {
        body.insert(key.into(), Value::from(""));
      }
      Field::Set(value) => {
        body.insert(key.into(), Value::from(value.as_str()));
      }
    }
  }
  if let Field::Set(email) = &patch.email {
    body.insert("email".into(), Value::from(email.as_str()));
  }
  body
}
