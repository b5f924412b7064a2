//! An adapter's options as JS passes them: each one read, checked and defaulted here, with errors
//! that name the option and never echo its value (it may be the API secret). `RedisStore`'s
//! options are read in `options/redis.rs`, with the same reader (`options/reader.rs`).

mod reader;
pub mod redis;

use std::time::Duration;

use napi::bindgen_prelude::Object;
use napi::ValueType;

use reader::{Reader, MAX_TIMEOUT_MS};

use crate::adapter::Flags;
use crate::api::{ClientOptions, Resource, DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS};
use crate::error::Result;
use crate::store::AttemptLimit;
use crate::tokens::{ATTEMPT_WINDOW, DEFAULT_MAX_ATTEMPTS};

/// The most `retries` accepted.
const MAX_RETRIES: u32 = 10;
/// The largest `maxAttempts` accepted.
const MAX_ATTEMPTS_LIMIT: u32 = 1000;
/// The longest `attemptWindow` accepted: a day.
const MAX_ATTEMPT_WINDOW_MS: u32 = 86_400_000;

/// The options every adapter takes, besides its resource's three flag options.
const ADAPTER_OPTIONS: [&str; 7] = [
  "secret",
  "store",
  "baseUrl",
  "timeout",
  "retries",
  "maxAttempts",
  "attemptWindow",
];

pub struct AdapterOptions {
  pub client: ClientOptions,
  pub flags: Flags,
  pub attempts: AttemptLimit,
  /// Options given that the adapter does not know: warned about, not refused, as the original
  /// ignored them and configs written for it must keep working.
  pub unknown: Vec<String>,
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
    let known: Vec<&str> = ADAPTER_OPTIONS
      .iter()
      .chain(&resource.flag_options)
      .copied()
      .collect();
    let unknown = reader.unknown(&known)?;
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
      unknown,
    })
  }
}
