//! The kinds of ChatBotKit record an adapter keeps users in, described as data: endpoints,
//! operation names, wording, and how a record maps to and from NextAuth's user.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::record::{Object, Record};
use crate::error::{Error, ErrorCode, Result};
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
  /// The query parameter that looks a record up by email.
  pub email_param: &'static str,
  /// The email address a record carries, to check a lookup's answer.
  pub record_email: fn(&Object) -> Option<String>,
  /// A record as NextAuth's user, in JSON text: every API field, plus `email` and `emailVerified`
  /// (epoch ms).
  pub to_user: fn(&Record) -> Result<String>,
  /// The create body for a new user with this email.
  pub create_body: fn(&str, &UserPatch) -> Value,
  /// Whether building the update body needs the stored record (to merge into its `meta`).
  pub update_reads_record: fn(&UserPatch) -> bool,
  /// The update body: only what the patch names (the record is there when asked for above).
  pub update_body: fn(&UserPatch, Option<&Record>) -> Map<String, Value>,
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
  email_param: "email",
  record_email: |record| record.str("email").map(Cow::into_owned),
  to_user: partner_to_user,
  create_body: |email, patch| {
    let mut body = partner_fields(patch);
    body.insert("email".into(), Value::from(email));
    Value::Object(body)
  },
  update_reads_record: |_| false,
  update_body: |patch, _| partner_fields(patch),
};

/// Contacts of one ChatBotKit account, found by the email kept in their `meta`.
pub static CONTACTS: Resource = Resource {
  noun: "contact",
  adapter: "ChatBotKitContactAdapter",
  path: "contact",
  ops: Operations {
    list: "listContacts",
    fetch: "fetchContact",
    create: "createContact",
    update: "updateContact",
    delete: "deleteContact",
  },
  flag_options: [
    "autoCreateContact",
    "autoUpdateContact",
    "autoDeleteContact",
  ],
  // The dotted deep-object form the official SDK sends.
  email_param: "meta.email",
  record_email: contact_email,
  to_user: contact_to_user,
  create_body: |email, patch| {
    let mut meta = Map::new();
    meta.insert("email".into(), Value::from(email));
    if let Field::Set(image) = &patch.image {
      meta.insert("image".into(), Value::from(image.as_str()));
    }
    let mut body = Map::new();
    if let Field::Set(name) = &patch.name {
      body.insert("name".into(), Value::from(name.as_str()));
    }
    body.insert("email".into(), Value::from(email));
    body.insert("meta".into(), Value::Object(meta));
    Value::Object(body)
  },
  update_reads_record: |patch| contact_meta_changes(patch).next().is_some(),
  update_body: contact_update_body,
};

fn partner_to_user(record: &Record) -> Result<String> {
  if record.str("email").is_none_or(|email| email.is_empty()) {
    return Err(Error::new(
      ErrorCode::InvalidResponse,
      "the partner user has no email address",
    ));
  }
  Ok(record.with_members(&[("emailVerified", timestamp(record, "createdAt"))]))
}

/// `meta.email` when the contact's `meta` has that key (a value that is not a string counts as no
/// address), else its `email`.
fn contact_email(record: &Object) -> Option<String> {
  if let Some(meta) = record.object("meta") {
    if meta.raw("email").is_some() {
      return meta.str("email").map(Cow::into_owned);
    }
  }
  record.str("email").map(Cow::into_owned)
}

/// A contact as NextAuth's user. Its email is the one its lookup matches (`meta.email`, see
/// `contact_email`), so a user found by email always carries that email; a contact without one
/// gets its `email`, else `<fingerprint>@contact.local`.
fn contact_to_user(record: &Record) -> Result<String> {
  let matched = contact_email(record).filter(|email| !email.is_empty());
  let email = match (matched, record.str("email"), record.str("fingerprint")) {
    (Some(email), _, _) => email,
    (None, Some(email), _) if !email.is_empty() => email.into_owned(),
    (None, _, Some(fingerprint)) if !fingerprint.is_empty() => {
      format!("{fingerprint}@contact.local")
    }
    _ => {
      return Err(Error::new(
        ErrorCode::InvalidResponse,
        "the contact has neither an email address nor a fingerprint",
      ))
    }
  };
  let email = Value::from(email).to_string();
  let verified = timestamp(record, "verifiedAt");
  Ok(record.with_members(&[("email", &email), ("emailVerified", verified)]))
}

/// A record's epoch-ms field as the API wrote it (an integer stays one, and JS reads it back
/// exactly), or `null` when it is missing or not a number.
fn timestamp<'r>(record: &'r Record, key: &str) -> &'r str {
  record.number(key).unwrap_or("null")
}

/// The `meta` keys a patch changes: the email lookups rely on `meta.email`, and the image lives in
/// `meta.image`.
fn contact_meta_changes(patch: &UserPatch) -> impl Iterator<Item = (&'static str, &str)> {
  let email = match &patch.email {
    Field::Set(email) => Some(("email", email.as_str())),
    _ => None,
  };
  let image = patch.image.to_send().map(|image| ("image", image));
  email.into_iter().chain(image)
}

/// Name, email and `verifiedAt` as the patch gives them; `meta` is the stored one with only the
/// changed keys replaced, so no key the adapter (or the app) relies on is dropped.
fn contact_update_body(patch: &UserPatch, record: Option<&Record>) -> Map<String, Value> {
  let mut body = Map::new();
  if let Some(name) = patch.name.to_send() {
    body.insert("name".into(), Value::from(name));
  }
  if let Field::Set(email) = &patch.email {
    body.insert("email".into(), Value::from(email.as_str()));
  }
  if let Some(Some(verified_at)) = patch.email_verified {
    body.insert("verifiedAt".into(), Value::from(verified_at));
  }
  let mut changes = contact_meta_changes(patch).peekable();
  if changes.peek().is_some() {
    let mut meta = record.and_then(|r| r.map("meta")).unwrap_or_default();
    for (key, value) in changes {
      meta.insert(key.into(), Value::from(value));
    }
    body.insert("meta".into(), Value::Object(meta));
  }
  body
}

/// `name`, `image` and `email` as the patch gives them; a `null` name or image clears it.
fn partner_fields(patch: &UserPatch) -> Map<String, Value> {
  let mut body = Map::new();
  for (key, field) in [("name", &patch.name), ("image", &patch.image)] {
    if let Some(value) = field.to_send() {
      body.insert(key.into(), Value::from(value));
    }
  }
  if let Field::Set(email) = &patch.email {
    body.insert("email".into(), Value::from(email.as_str()));
  }
  body
}
