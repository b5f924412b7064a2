//! What both adapters share: the lifecycle flags and the user methods NextAuth calls, written once
//! over a `Resource`. Partner users and contacts differ only in the `Resource` they are given.

use std::time::Instant;

use reqwest::Url;

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::api::{not_json, path_segment, Client, NotObject, Object, Record, Resource, Retry};
use crate::error::{Error, ErrorCode, Result};
use crate::tokens::Tokens;
use crate::user::{Field, UserPatch};

/// The lifecycle flags (`autoCreateUser`, `autoUpdateUser`, `autoDeleteUser` and their contact twins).
pub struct Flags {
  pub create: bool,
  pub update: bool,
  pub delete: bool,
}

impl Flags {
  /// The original package's defaults: create off, update on, delete off.
  pub const DEFAULT: Flags = Flags {
    create: false,
    update: true,
    delete: false,
  };
}

pub struct Adapter {
  resource: &'static Resource,
  client: Client,
  /// The list endpoint, built once: a lookup only adds its query (building the URL from the
  /// base and path each time was ~5k instructions of a lookup's ~95k).
  list_url: Url,
  flags: Flags,
  pub tokens: Tokens,
}

impl Adapter {
  pub fn new(resource: &'static Resource, client: Client, flags: Flags, tokens: Tokens) -> Self {
    Self {
      list_url: client.url(&format!("{}/list", resource.path)),
      resource,
      client,
      flags,
      tokens,
    }
  }

  /// The user with this id, or `None` when the API has none.
  pub async fn get_user(&self, id: String) -> Result<Option<String>> {
    match self.fetch(&id, self.client.deadline()).await? {
      Some(record) => self.user(record).map(Some),
      None => Ok(None),
    }
  }

  /// The user with this email (compared case-insensitively), or `None`.
  pub async fn get_user_by_email(&self, email: String) -> Result<Option<String>> {
    match self.find_by_email(&email, self.client.deadline()).await? {
      Some(record) => self.user(record).map(Some),
      None => Ok(None),
    }
  }

  /// Looks the email up, creates the record and reads it back: three API calls, together
  /// within one `timeout`.
  pub async fn create_user(&self, user: Value) -> Result<String> {
    let deadline = self.client.deadline();
    let noun = self.resource.noun;
    if !self.flags.create {
      return Err(Error::new(
        ErrorCode::NotAllowed,
        format!("Cannot create new {noun}"),
      ));
    }
    let patch = UserPatch::parse(user)?;
    let email = match &patch.email {
      Field::Set(email) if !email.is_empty() => email.clone(),
      _ => {
        return Err(Error::invalid_argument(
          "`user.email` is required to create a user",
        ))
      }
    };
    if self.find_by_email(&email, deadline).await?.is_some() {
      return Err(Error::new(
        ErrorCode::Duplicate,
        format!("Cannot create duplicate {noun}"),
      ));
    }
    let ops = &self.resource.ops;
    let url = self.client.url(&format!("{}/create", self.resource.path));
    let body = (self.resource.create_body)(&email, &patch);
    let created = self
      .client
      .post(ops.create, url, &body, Retry::Create, deadline)
      .await?
      .ok_or_else(|| invalid_response(ops.create, "404 for a create"))?;
    let id = created
      .get("id")
      .and_then(Value::as_str)
      .ok_or_else(|| invalid_response(ops.create, "no `id` in the answer"))?;
    let record = self
      .fetch(id, deadline)
      .await?
      .ok_or_else(|| invalid_response(ops.fetch, "the new record cannot be fetched"))?;
    self.user(record)
  }

  /// Changes only the fields the user object names; NextAuth's `{ id, emailVerified }` after a
  /// sign-in leaves name and image as they are. Every API call it makes shares one `timeout`.
  pub async fn update_user(&self, user: Value) -> Result<String> {
    let deadline = self.client.deadline();
    let noun = self.resource.noun;
    if !self.flags.update {
      return Err(Error::new(
        ErrorCode::NotAllowed,
        format!("Cannot update existing {noun}"),
      ));
    }
    let patch = UserPatch::parse(user)?;
    let id = patch
      .id
      .clone()
      .ok_or_else(|| Error::invalid_argument("`user.id` is required to update a user"))?;
    let missing = || {
      Error::new(
        ErrorCode::NotFound,
        format!("Cannot update non-existing {noun}"),
      )
    };
    let segment = path_segment(&id).ok_or_else(missing)?;
    let stored = match (self.resource.update_reads_record)(&patch) {
      true => Some(self.fetch(&id, deadline).await?.ok_or_else(missing)?),
      false => None,
    };
    let body = (self.resource.update_body)(&patch, stored.as_ref());
    if !body.is_empty() {
      let url = self
        .client
        .url(&format!("{}/{segment}/update", self.resource.path));
      let op = self.resource.ops.update;
      let body = Value::Object(body);
      let answer = (self.client)
        .post(op, url, &body, Retry::Idempotent, deadline)
        .await?;
      answer.ok_or_else(missing)?;
    }
    let record = self.fetch(&id, deadline).await?.ok_or_else(missing)?;
    self.user(record)
  }

  /// Checks the record exists, then deletes it, within one `timeout`.
  pub async fn delete_user(&self, id: String) -> Result<()> {
    let deadline = self.client.deadline();
    let noun = self.resource.noun;
    if !self.flags.delete {
      return Err(Error::new(
        ErrorCode::NotAllowed,
        format!("Cannot delete existing {noun}"),
      ));
    }
    let missing = || {
      Error::new(
        ErrorCode::NotFound,
        format!("Cannot delete non-existing {noun}"),
      )
    };
    self.fetch(&id, deadline).await?.ok_or_else(missing)?;
    let segment = path_segment(&id).ok_or_else(missing)?;
    let url = self
      .client
      .url(&format!("{}/{segment}/delete", self.resource.path));
    let op = self.resource.ops.delete;
    let body = Value::Object(Map::new());
    let answer = (self.client)
      .post(op, url, &body, Retry::Idempotent, deadline)
      .await?;
    answer.ok_or_else(missing)?;
    Ok(())
  }

  /// A record as NextAuth's user, in JSON text, written here on the runtime thread: the JS glue
  /// parses it. `JSON.parse` builds the object faster than Node-API does property by property, and
  /// it keeps a `__proto__` key an own property, where Node-API's set made it the object's
  /// prototype.
  fn user(&self, record: Record) -> Result<String> {
    (self.resource.to_user)(&record)
  }

  /// The record with this id; `None` for a 404 or an id that cannot be a path segment.
  async fn fetch(&self, id: &str, deadline: Instant) -> Result<Option<Record>> {
    let Some(segment) = path_segment(id) else {
      return Ok(None);
    };
    let op = self.resource.ops.fetch;
    let url = self
      .client
      .url(&format!("{}/{segment}/fetch", self.resource.path));
    match self.client.get(op, url, deadline).await? {
      Some(text) => record(op, Object::parse(text)).map(Some),
      None => Ok(None),
    }
  }

  /// The first listed record that really carries this email: the API's filter is not trusted to
  /// have been applied.
  async fn find_by_email(&self, email: &str, deadline: Instant) -> Result<Option<Record>> {
    if email.is_empty() {
      return Ok(None);
    }
    let op = self.resource.ops.list;
    let mut url = self.list_url.clone();
    url
      .query_pairs_mut()
      .append_pair(self.resource.email_param, email);
    let Some(text) = self.client.get(op, url, deadline).await? else {
      return Ok(None);
    };
    let answer = Object::parse(text.as_str())
      .map_err(|err| not_an_object(op, err, "the answer is not an object"))?;
    // Each item is checked as JSON (not built) here, and read when its turn comes.
    let items = answer
      .raw("items")
      .map(serde_json::from_str::<Vec<&RawValue>>);
    let Some(Ok(items)) = items else {
      return Err(invalid_response(op, "no `items` list in the answer"));
    };
    let wanted = email.to_lowercase();
    for item in items {
      let item = record(op, Object::parse(item.get()))?;
      let carried = (self.resource.record_email)(&item).map(|email| email.to_lowercase());
      if carried.as_deref() == Some(wanted.as_str()) {
        return Ok(Some(item.into_owned()));
      }
    }
    Ok(None)
  }
}

/// A record must be an object with a string `id`.
fn record<'a>(op: &str, parsed: std::result::Result<Object<'a>, NotObject>) -> Result<Object<'a>> {
  const NO_ID: &str = "a record without a string `id`";
  let object = parsed.map_err(|err| not_an_object(op, err, NO_ID))?;
  match object.str("id") {
    Some(_) => Ok(object),
    None => Err(invalid_response(op, NO_ID)),
  }
}

/// The error for an answer that is not the JSON object `op` answers with: not JSON at all, or
/// `what` it is instead.
fn not_an_object(op: &str, err: NotObject, what: &str) -> Error {
  match err {
    NotObject::NotJson => not_json(op),
    NotObject::Other => invalid_response(op, what),
  }
}

fn invalid_response(op: &str, what: &str) -> Error {
  Error::new(
    ErrorCode::InvalidResponse,
    format!("{op}: unexpected answer from the API: {what}"),
  )
}
