//! One error type for everything the addon can fail with, its stable codes, and its conversion to
//! a JS `Error` (with `code`) in one place.

use napi::bindgen_prelude::{JsObjectValue, JsValue};
use napi::{sys, Env, JsError, Status};

macro_rules! error_codes {
  ($($(#[doc = $doc:literal])* $variant:ident = $text:literal,)*) => {
    /// Stable error codes, as JS sees them in `err.code` (and in the exported `ErrorCode`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum ErrorCode {
      $($(#[doc = $doc])* $variant,)*
    }

    impl ErrorCode {
      /// Every code, in declaration order.
      pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

      /// The code as JS sees it.
      pub const fn as_str(self) -> &'static str {
        match self {
          $(ErrorCode::$variant => $text,)*
        }
      }
    }
  };
}

error_codes! {
  /// An argument or option is missing or has the wrong type.
  InvalidArgument = "INVALID_ARGUMENT",
  /// A lifecycle flag (`autoCreateUser`, …) forbids the operation.
  NotAllowed = "NOT_ALLOWED",
  /// The adapter method is not available (account linking, database sessions), or the runtime
  /// cannot load the addon (the edge entry).
  NotSupported = "NOT_SUPPORTED",
  /// The user or contact already exists (create).
  Duplicate = "DUPLICATE",
  /// The user or contact does not exist (delete, update).
  NotFound = "NOT_FOUND",
  /// The request did not complete within the `timeout` option.
  Timeout = "TIMEOUT",
  /// The API could not be reached (connection refused, reset, DNS, TLS).
  NetworkError = "NETWORK_ERROR",
  /// The API answered with something that is not the JSON we expect.
  InvalidResponse = "INVALID_RESPONSE",
  /// The verification-token store failed or did not answer in time.
  StoreError = "STORE_ERROR",
  /// Redis cannot be reached, or did not answer within `commandTimeout`.
  RedisUnavailable = "REDIS_UNAVAILABLE",
  /// The send throttle refused a sign-in email; `retryAfter` says in how many seconds one may go.
  TooManyRequests = "TOO_MANY_REQUESTS",
  /// A bug in the addon (a panic) stopped the call; the process goes on.
  Internal = "INTERNAL",
}

impl std::fmt::Display for ErrorCode {
  fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    f.write_str(self.as_str())
  }
}

/// What `err.code` says: one of ours, or the API's own code for an error it answered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Code {
  Ours(ErrorCode),
  Api(Box<str>),
}

impl Code {
  pub fn as_str(&self) -> &str {
    match self {
      Code::Ours(code) => code.as_str(),
      Code::Api(code) => code,
    }
  }
}

impl From<ErrorCode> for Code {
  fn from(code: ErrorCode) -> Self {
    Code::Ours(code)
  }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
  pub code: Code,
  pub message: String,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
  pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
    Self {
      code: Code::Ours(code),
      message: message.into(),
    }
  }

  /// An error the API answered with, under its own code.
  pub fn api(code: impl Into<Box<str>>, message: impl Into<String>) -> Self {
    Self {
      code: Code::Api(code.into()),
      message: message.into(),
    }
  }

  pub fn invalid_argument(message: impl Into<String>) -> Self {
    Self::new(ErrorCode::InvalidArgument, message)
  }

  /// The JS `Error` (with `code`) for a rejection, built on the JS thread of `env`.
  pub fn into_js_value(self, env: sys::napi_env) -> sys::napi_value {
    let env = Env::from_raw(env);
    let made = env
      .create_error(napi::Error::new(Status::GenericFailure, self.message))
      .and_then(|mut object| {
        object.set_named_property("code", self.code.as_str())?;
        Ok(object.raw())
      });
    match made {
      Ok(value) => value,
      // SAFETY: on the JS thread, with its env.
      Err(err) => unsafe { JsError::from(err).into_value(env.raw()) },
    }
  }

  /// For synchronous exports: throws the JS `Error` (with `code`) right away and returns the
  /// "exception pending" status, so napi does not throw a second, code-less error.
  pub fn throw(self, env: &Env) -> napi::Error {
    match env.throw_error(&self.message, Some(self.code.as_str())) {
      Ok(()) => napi::Error::from_status(Status::PendingException),
      Err(err) => err,
    }
  }
}

impl std::fmt::Display for Error {
  fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    write!(f, "{} ({})", self.message, self.code.as_str())
  }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn codes_are_unique_upper_snake_case() {
    let mut seen = std::collections::HashSet::new();
    for code in ErrorCode::ALL {
      let text = code.as_str();
      assert!(seen.insert(text), "{text} twice");
      assert!(
        text.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
        "{text}"
      );
    }
  }

  #[test]
  fn an_api_error_keeps_the_api_code() {
    let err = Error::api("NOT_AUTHENTICATED", "getUser failed: bad secret (HTTP 401)");
    assert_eq!(err.code.as_str(), "NOT_AUTHENTICATED");
    assert_eq!(
      err.to_string(),
      "getUser failed: bad secret (HTTP 401) (NOT_AUTHENTICATED)"
    );
  }

  #[test]
  fn our_errors_carry_our_code() {
    let err = Error::invalid_argument("`id` must be a string");
    assert_eq!(err.code, Code::Ours(ErrorCode::InvalidArgument));
    assert_eq!(err.code.as_str(), "INVALID_ARGUMENT");
  }
}
