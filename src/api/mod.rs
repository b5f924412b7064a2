//! Everything that talks to the ChatBotKit API: the HTTP client, and the partner-user and contact
//! resources described as data.

mod client;
mod resource;

pub use client::{path_segment, Client, ClientOptions, Retry, DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS};
pub use resource::{Record, Resource, CONTACTS, PARTNER_USERS};
