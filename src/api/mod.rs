//! Everything that talks to the ChatBotKit API: the HTTP client, and the partner-user and contact
//! resources described as data.

mod client;
mod record;
mod resource;

#[cfg(test)]
mod properties;

pub use client::{
  not_json, path_segment, Client, ClientOptions, Retry, DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS,
};
pub use record::{NotObject, Object, Record};
pub use resource::{Resource, CONTACTS, PARTNER_USERS};
