//! The ChatBotKit HTTP client: one connection pool for the whole process, one time limit for a
//! whole call (its retries and their waits included), retries where they are safe, and API errors
//! mapped to `Error` with the API's code.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::header::{HeaderValue, AUTHORIZATION, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use serde_json::Value;

use crate::error::{Error, ErrorCode, Result};

/// Where the API lives unless the `baseUrl` option says otherwise.
pub const DEFAULT_BASE_URL: &str = "https://api.chatbotkit.com";
/// Time limit for one adapter method: every API call it makes, each attempt, retry and wait (`timeout`).
pub const DEFAULT_TIMEOUT_MS: u32 = 10_000;
/// Retries after the first attempt (`retries` option), as the official SDK does.
pub const DEFAULT_RETRIES: u32 = 3;
/// Pause before a retry, doubled each time, unless the API sends `Retry-After`.
const RETRY_DELAY: Duration = Duration::from_millis(250);
/// The longest `Retry-After` we honour; a longer one fails the call instead of stalling sign-in.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);
/// Responses larger than this are refused rather than buffered.
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Characters kept as they are in a path segment; everything else is percent-encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
  .remove(b'-')
  .remove(b'_')
  .remove(b'.')
  .remove(b'~');

/// Encodes an id as exactly one URL path segment, or `None` when it cannot be one: empty, `.` and
/// `..` would be resolved away by URL parsing and reach another route.
pub fn path_segment(id: &str) -> Option<String> {
  match id {
    "" | "." | ".." => None,
    _ => Some(utf8_percent_encode(id, SEGMENT).to_string()),
  }
}

/// Which failures a request may be retried after.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Retry {
  /// Reads, updates and deletes: repeating them changes nothing.
  Idempotent,
  /// Creates: only when the request certainly did not reach the server (connection refused) or
  /// the API refused it without acting (429, 503), so a retry never makes a second user.
  Create,
}

pub struct ClientOptions {
  pub base_url: Option<String>,
  /// `Err` when the option was left out: construction succeeds (a `next build` without the
  /// secret in its environment must), and each request rejects with that error instead.
  pub secret: std::result::Result<String, Error>,
  pub timeout_ms: u32,
  pub retries: u32,
}

pub struct Client {
  http: reqwest::Client,
  /// `baseUrl` as given, without a trailing `/` (error messages name it).
  base: String,
  /// `base` parsed once: a request URL is built from a copy of it, with no host parsing per call.
  base_url: Url,
  /// The `Authorization` header, or why there is none (the `secret` option is missing).
  auth: std::result::Result<HeaderValue, Error>,
  timeout: Duration,
  retries: u32,
}

/// The process-wide connection pool, shared by every adapter.
fn pool() -> Result<reqwest::Client> {
  static POOL: OnceLock<reqwest::Client> = OnceLock::new();
  if let Some(client) = POOL.get() {
    return Ok(client.clone());
  }
  let client = reqwest::Client::builder()
    .user_agent(concat!(
      "chatbotkit-nextauth-native/",
      env!("CARGO_PKG_VERSION")
    ))
    .pool_idle_timeout(Duration::from_secs(30))
    .build()
    .map_err(|err| {
      Error::new(
        ErrorCode::NetworkError,
        format!("cannot start the HTTP client: {err}"),
      )
    })?;
  Ok(POOL.get_or_init(|| client).clone())
}

impl Client {
  pub fn new(options: ClientOptions) -> Result<Self> {
    let base = options
      .base_url
      .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
    let base = base.trim_end_matches('/').to_owned();
    let base_url = match Url::parse(&base) {
      Ok(url) if matches!(url.scheme(), "http" | "https") && url.query().is_none() => url,
      _ => {
        return Err(Error::invalid_argument(
          "option `baseUrl` must be an http(s) URL such as https://api.chatbotkit.com",
        ))
      }
    };
    let auth = match options.secret {
      Ok(secret) => {
        let mut auth = HeaderValue::from_str(&format!("Bearer {secret}")).map_err(|_| {
          Error::invalid_argument(
            "option `secret` contains characters that cannot be sent in a header",
          )
        })?;
        auth.set_sensitive(true);
        Ok(auth)
      }
      Err(missing) => Err(missing),
    };
    Ok(Self {
      http: pool()?,
      base,
      base_url,
      auth,
      timeout: Duration::from_millis(u64::from(options.timeout_ms)),
      retries: options.retries,
    })
  }

  /// `path` is relative to `/v1/`, with ids already passed through [`path_segment`].
  pub fn url(&self, path: &str) -> Url {
    let mut url = self.base_url.clone();
    let prefix = self.base_url.path().trim_end_matches('/');
    url.set_path(&format!("{prefix}/v1/{path}"));
    url.set_fragment(None);
    url
  }

  /// When a call that starts now must have its answer: `timeout` from now. An adapter method that
  /// makes several API calls gives them all this one deadline.
  pub fn deadline(&self) -> Instant {
    Instant::now() + self.timeout
  }

  /// GET; the answer's JSON text (read it with [`Object`](super::Object), [`not_json`] when it is
  /// not), `Ok(None)` when the API answers 404.
  pub async fn get(
    &self,
    operation: &'static str,
    url: Url,
    deadline: Instant,
  ) -> Result<Option<String>> {
    // The request in flight is boxed (~770 bytes), not inlined into every caller's future: each
    // adapter method's future stays small to move and to allocate. Made in a `let`: a temporary
    // in the awaited expression would keep a slot of its full size in this future.
    let send = Box::pin(self.send(
      operation,
      Method::GET,
      url,
      None,
      Retry::Idempotent,
      deadline,
    ));
    send.await
  }

  /// POST with a JSON body; the answer parsed, `Ok(None)` when the API answers 404.
  pub async fn post(
    &self,
    operation: &'static str,
    url: Url,
    body: &Value,
    retry: Retry,
    deadline: Instant,
  ) -> Result<Option<Value>> {
    let body = serde_json::to_vec(body).map_err(|err| {
      Error::invalid_argument(format!("{operation}: cannot encode the request: {err}"))
    })?;
    let send = Box::pin(self.send(operation, Method::POST, url, Some(body), retry, deadline));
    match send.await? {
      Some(text) => serde_json::from_str(&text)
        .map(Some)
        .map_err(|_| not_json(operation)),
      None => Ok(None),
    }
  }

  async fn send(
    &self,
    operation: &'static str,
    method: Method,
    url: Url,
    body: Option<Vec<u8>>,
    retry: Retry,
    deadline: Instant,
  ) -> Result<Option<String>> {
    let auth = self.auth.clone()?;
    // One deadline for the call: a hung API answers TIMEOUT by `deadline`, whatever `retries` says.
    let mut attempt = 0;
    loop {
      let mut request = self
        .http
        .request(method.clone(), url.clone())
        .header(AUTHORIZATION, auth.clone())
        .timeout(deadline.saturating_duration_since(Instant::now()));
      if let Some(body) = &body {
        request = request
          .header(reqwest::header::CONTENT_TYPE, "application/json")
          .body(body.clone());
      }
      let outcome = match request.send().await {
        Ok(response) => {
          let read = Box::pin(self.read(operation, response, retry));
          read.await
        }
        Err(err) => Attempt::Failed(
          self.transport_error(operation, &err),
          transport_retry(&err, retry),
        ),
      };
      match outcome {
        Attempt::Done(value) => return Ok(value),
        Attempt::Failed(err, Some(delay)) if attempt < self.retries => {
          let wait = delay.unwrap_or(RETRY_DELAY * 2u32.pow(attempt));
          // A retry only while the deadline leaves room for the wait and an attempt after it.
          if Instant::now() + wait >= deadline {
            return Err(err);
          }
          tokio::time::sleep(wait).await;
          attempt += 1;
        }
        Attempt::Failed(err, _) => return Err(err),
      }
    }
  }

  async fn read(
    &self,
    operation: &'static str,
    mut response: reqwest::Response,
    retry: Retry,
  ) -> Attempt {
    let status = response.status();
    let retry_after = retry_after(&response);
    let mut bytes = Vec::new();
    loop {
      match response.chunk().await {
        Ok(Some(chunk)) => {
          if bytes.len() + chunk.len() > MAX_BODY_BYTES {
            let err = Error::new(
              ErrorCode::InvalidResponse,
              format!("{operation}: the API response is larger than {MAX_BODY_BYTES} bytes"),
            );
            return Attempt::Failed(err, None);
          }
          bytes.extend_from_slice(&chunk);
        }
        Ok(None) => break,
        Err(err) => {
          // The request was answered: only a read may be repeated.
          let again = retry == Retry::Idempotent;
          return Attempt::Failed(self.transport_error(operation, &err), again.then_some(None));
        }
      }
    }
    if status.is_success() {
      return match String::from_utf8(bytes) {
        Ok(text) => Attempt::Done(Some(text)),
        Err(_) => Attempt::Failed(not_json(operation), None),
      };
    }
    if status == StatusCode::NOT_FOUND {
      return Attempt::Done(None);
    }
    let err = api_error(operation, status, &bytes);
    // 429 and 503 say the request was not acted on; after a 500, 502 or 504 a create may have been.
    let again = match (status.as_u16(), retry) {
      (429 | 503, _) => Some(retry_after),
      (500 | 502 | 504, Retry::Idempotent) => Some(None),
      _ => None,
    };
    Attempt::Failed(err, again)
  }

  fn transport_error(&self, operation: &'static str, err: &reqwest::Error) -> Error {
    if err.is_timeout() {
      return Error::new(
        ErrorCode::Timeout,
        format!(
          "{operation}: no answer from {} within {} ms",
          self.base,
          self.timeout.as_millis()
        ),
      );
    }
    let mut reason = String::new();
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
      reason = inner.to_string();
      source = inner.source();
    }
    Error::new(
      ErrorCode::NetworkError,
      format!("{operation}: cannot reach {}: {reason}", self.base),
    )
  }
}

/// What one attempt came to: a result, or an error and — when a retry is allowed — the delay the
/// server asked for (`Some(None)`: our own backoff).
enum Attempt {
  Done(Option<String>),
  Failed(Error, Option<Option<Duration>>),
}

/// A successful answer whose body is not the JSON the operation answers with.
pub fn not_json(operation: &str) -> Error {
  Error::new(
    ErrorCode::InvalidResponse,
    format!("{operation}: the API's answer is not JSON"),
  )
}

/// Whether a request that failed before any response may be retried: a read after any connection
/// error (refused, reset, closed, timed out), a create only when it never reached the server.
fn transport_retry(err: &reqwest::Error, retry: Retry) -> Option<Option<Duration>> {
  match retry {
    Retry::Idempotent if !err.is_builder() => Some(None),
    Retry::Create if err.is_connect() => Some(None),
    _ => None,
  }
}

/// `Retry-After` in seconds, capped; `None` when absent or not a number of seconds.
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
  let seconds: u64 = response
    .headers()
    .get(RETRY_AFTER)?
    .to_str()
    .ok()?
    .trim()
    .parse()
    .ok()?;
  Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER))
}

/// The API's `{ message, code }` error body as an `Error` naming the operation.
fn api_error(operation: &'static str, status: StatusCode, body: &[u8]) -> Error {
  #[derive(serde::Deserialize)]
  struct ApiError {
    message: Option<String>,
    code: Option<String>,
  }
  let parsed = serde_json::from_slice::<ApiError>(body).ok();
  let (message, api_code) = match parsed {
    Some(ApiError { message, code }) => (message, code),
    None => (None, None),
  };
  let message: String = message
    .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned())
    .chars()
    .take(300)
    .collect();
  // Passed on as `err.code` only when it looks like one (as `NOT_AUTHENTICATED` does).
  let api_code = api_code
    .filter(|c| {
      c.len() <= 64
        && c.starts_with(|first: char| first.is_ascii_alphabetic())
        && c.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
    .unwrap_or_else(|| format!("HTTP_{}", status.as_u16()));
  Error::api(
    api_code,
    format!("{operation} failed: {message} (HTTP {})", status.as_u16()),
  )
}

#[cfg(test)]
mod tests {
  use super::*;
  use crate::error::Code;

  #[test]
  fn an_api_error_keeps_the_apis_code_and_a_short_message() {
    let err = api_error(
      "getUser",
      StatusCode::UNAUTHORIZED,
      br#"{"message":"bad secret","code":"NOT_AUTHENTICATED"}"#,
    );
    assert_eq!(err.code, Code::Api("NOT_AUTHENTICATED".into()));
    assert_eq!(err.message, "getUser failed: bad secret (HTTP 401)");

    let long = format!(r#"{{"message":"{}"}}"#, "x".repeat(1000));
    let err = api_error("createUser", StatusCode::BAD_REQUEST, long.as_bytes());
    assert_eq!(err.code.as_str(), "HTTP_400");
    assert!(err.message.len() < 400, "{}", err.message.len());
  }

  #[test]
  fn a_body_that_is_not_the_apis_error_shape_still_maps() {
    for body in [
      &b"<html>bad gateway</html>"[..],
      b"",
      br#"{"code":""}"#,
      br#"[1]"#,
    ] {
      let err = api_error("getUserByEmail", StatusCode::BAD_GATEWAY, body);
      assert_eq!(err.code.as_str(), "HTTP_502");
      assert_eq!(err.message, "getUserByEmail failed: Bad Gateway (HTTP 502)");
    }
    for odd in ["$", "not a code", "1ST", "ÉCHEC"] {
      let body = format!(r#"{{"code":"{odd}"}}"#);
      let err = api_error("getUser", StatusCode::BAD_REQUEST, body.as_bytes());
      assert_eq!(
        err.code.as_str(),
        "HTTP_400",
        "found by the API-answer property: {odd}"
      );
    }
    let code = "C".repeat(65);
    let body = format!(r#"{{"code":"{code}"}}"#);
    let err = api_error("getUser", StatusCode::FORBIDDEN, body.as_bytes());
    assert_eq!(
      err.code.as_str(),
      "HTTP_403",
      "an overlong code is not passed on"
    );
  }
}
