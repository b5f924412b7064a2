//! How one Redis server is reached, as redis-rs's `ConnectionInfo`: built from ioredis-style parts
//! (`{ host, port, username, password, db, tls }`), or parsed once, by redis-rs, from a URL the user
//! gave. No URL is ever built from parts, so a password needs no escaping and is never in a string
//! that a message could quote; redis-rs's Debug of the info hides it, and `ServerParts`'s does too.

use std::fmt;
use std::net::Ipv6Addr;

use redis::{
  ConnectionAddr, ConnectionInfo, ErrorKind, IntoConnectionInfo, RedisConnectionInfo, RedisError,
};

use crate::error::{Error, Result};

/// The server reached when no host or port is given (ioredis's default).
pub const DEFAULT_HOST: &str = "127.0.0.1";
pub const DEFAULT_PORT: u16 = 6379;

/// The error of a URL that is not `redis://` or `rediss://`: it never quotes the URL, which may
/// hold a password.
const NOT_A_REDIS_URL: &str =
  "RedisStore: `url` must look like redis://[user:password@]host:port[/db] (or rediss:// for TLS)";

/// An option's error: it names the option, never its value (which may be a password).
pub fn option_error(name: &str, problem: &str) -> Error {
  Error::invalid_argument(format!("RedisStore: option `{name}` {problem}"))
}

/// A setting redis-rs refuses (a wildcard address, a database that is not a number, …). Its
/// errors describe the setting, never quote the URL or the password.
pub fn unusable(err: &dyn fmt::Display) -> Error {
  Error::invalid_argument(format!("RedisStore: cannot use this Redis URL: {err}"))
}

/// A `redis://` or `rediss://` URL, parsed by redis-rs. Other schemes redis-rs knows (`unix://`,
/// `valkey://`) are refused: the store documents and is tested with these two only.
pub fn parse_url(url: &str) -> Result<ConnectionInfo> {
  let parsed = redis::parse_redis_url(url)
    .filter(|url| matches!(url.scheme(), "redis" | "rediss"))
    .ok_or_else(|| Error::invalid_argument(NOT_A_REDIS_URL))?;
  parsed.into_connection_info().map_err(|err| unusable(&err))
}

/// "host:port" of a server, as messages name it (an IPv6 address in brackets): never its
/// credentials.
pub fn address(info: &ConnectionInfo) -> String {
  match info.addr() {
    ConnectionAddr::Tcp(host, port) | ConnectionAddr::TcpTls { host, port, .. }
      if host.contains(':') =>
    {
      format!("[{host}]:{port}")
    }
    addr => addr.to_string(),
  }
}

/// ioredis's way to name a server: `{ host, port, username, password, db, tls }` (or, for the
/// Sentinels themselves, `sentinelUsername`, `sentinelPassword`, `sentinelTLS`).
#[derive(Default)]
pub struct ServerParts {
  pub host: Option<String>,
  pub port: Option<u16>,
  pub username: Option<String>,
  pub password: Option<String>,
  pub db: Option<u32>,
  pub tls: bool,
}

/// Says whether a password was given, never what it is.
impl fmt::Debug for ServerParts {
  fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.debug_struct("ServerParts")
      .field("host", &self.host)
      .field("port", &self.port)
      .field("username", &self.username)
      .field("password", &self.password.as_ref().map(|_| "<redacted>"))
      .field("db", &self.db)
      .field("tls", &self.tls)
      .finish()
  }
}

impl ServerParts {
  /// Whether any of the six was given.
  pub fn any_given(&self) -> bool {
    self.host.is_some()
      || self.port.is_some()
      || self.username.is_some()
      || self.password.is_some()
      || self.db.is_some()
      || self.tls
  }

  /// The credentials and database, as redis-rs signs in with them. An empty username or password
  /// means none, as it does in a URL (`redis://:@host`).
  pub fn settings(&self) -> RedisConnectionInfo {
    let mut settings = RedisConnectionInfo::default().set_db(i64::from(self.db.unwrap_or(0)));
    if let Some(username) = self.username.as_deref().filter(|u| !u.is_empty()) {
      settings = settings.set_username(username);
    }
    if let Some(password) = self.password.as_deref().filter(|p| !p.is_empty()) {
      settings = settings.set_password(password);
    }
    settings
  }

  /// The server at `address` (host, port), or at these parts' own host and port, signed in with
  /// these parts' credentials.
  pub fn info(&self, address: Option<(&str, u16)>) -> Result<ConnectionInfo> {
    let (host, port) = address.unwrap_or((
      self.host.as_deref().unwrap_or(DEFAULT_HOST),
      self.port.unwrap_or(DEFAULT_PORT),
    ));
    let host = host_name(host).ok_or_else(|| option_error("host", "is not a host name"))?;
    // redis-rs refuses these in a URL; a host given on its own is held to the same rule.
    if host == "0.0.0.0" || host == "::" {
      return Err(unusable(&RedisError::from((
        ErrorKind::InvalidClientConfig,
        "Cannot connect to a wildcard address (0.0.0.0 or ::)",
      ))));
    }
    let addr = if self.tls {
      ConnectionAddr::TcpTls {
        host,
        port,
        insecure: false,
        tls_params: None,
      }
    } else {
      ConnectionAddr::Tcp(host, port)
    };
    let info = addr.into_connection_info().map_err(|err| unusable(&err))?;
    Ok(info.set_redis_settings(self.settings()))
  }
}

/// `host` as redis-rs connects to it, or `None` when it cannot name a host: an IPv6 address
/// (written without brackets) in its usual form, else a name without the characters a URL's host
/// refuses, so that `host` and a URL accept the same names.
fn host_name(host: &str) -> Option<String> {
  if host.contains(':') {
    return host.parse::<Ipv6Addr>().ok().map(|ip| ip.to_string());
  }
  let refused = |c: char| c.is_ascii_control() || " #/<>?@[\\]^|".contains(c);
  (!host.is_empty() && !host.contains(refused)).then(|| host.to_owned())
}

#[cfg(test)]
mod tests {
  use super::*;

  fn tcp(info: &ConnectionInfo) -> (String, u16, bool) {
    match info.addr() {
      ConnectionAddr::Tcp(host, port) => (host.clone(), *port, false),
      ConnectionAddr::TcpTls { host, port, .. } => (host.clone(), *port, true),
      other => panic!("not TCP: {other:?}"),
    }
  }

  #[test]
  fn parts_become_connection_info() {
    let parts = ServerParts {
      host: Some("cache.example".into()),
      port: Some(6380),
      username: Some("app".into()),
      password: Some("pa ss:w@rd/#".into()),
      db: Some(2),
      tls: true,
    };
    let info = parts.info(None).unwrap();
    assert_eq!(tcp(&info), ("cache.example".into(), 6380, true));
    let settings = info.redis_settings();
    assert_eq!(settings.username(), Some("app"));
    assert_eq!(settings.password(), Some("pa ss:w@rd/#"));
    assert_eq!(settings.db(), 2);
  }

  #[test]
  fn parts_default_to_the_local_server_and_yield_to_an_address() {
    let info = ServerParts::default().info(None).unwrap();
    assert_eq!(tcp(&info), ("127.0.0.1".into(), 6379, false));
    assert_eq!(info.redis_settings().db(), 0);
    let parts = ServerParts {
      host: Some("ignored".into()),
      username: Some(String::new()),
      password: Some(String::new()),
      ..ServerParts::default()
    };
    let info = parts.info(Some(("10.0.0.5", 26379))).unwrap();
    assert_eq!(tcp(&info), ("10.0.0.5".into(), 26379, false));
    // Empty credentials are none.
    let settings = info.redis_settings();
    assert_eq!((settings.username(), settings.password()), (None, None));
  }

  #[test]
  fn hosts_are_checked_as_a_url_would_check_them() {
    let with_host = |host: &str| {
      ServerParts {
        host: Some(host.into()),
        ..ServerParts::default()
      }
      .info(None)
    };
    assert_eq!(tcp(&with_host("::1").unwrap()).0, "::1");
    for bad in ["", "a b", "a/b", "user@host", "[::1]", "a:b"] {
      let err = with_host(bad).unwrap_err();
      assert_eq!(
        err.message, "RedisStore: option `host` is not a host name",
        "{bad:?}"
      );
    }
    for wildcard in ["0.0.0.0", "::"] {
      let err = with_host(wildcard).unwrap_err();
      assert!(err.message.contains("wildcard address"), "{}", err.message);
    }
  }

  #[test]
  fn urls_are_parsed_by_redis_rs() {
    let info = parse_url("rediss://user:pa%20ss@cache.example:6380/3").unwrap();
    assert_eq!(tcp(&info), ("cache.example".into(), 6380, true));
    assert_eq!(info.redis_settings().username(), Some("user"));
    assert_eq!(info.redis_settings().password(), Some("pa ss"));
    assert_eq!(info.redis_settings().db(), 3);
    assert_eq!(
      tcp(&parse_url("redis://h").unwrap()),
      ("h".into(), 6379, false)
    );
    for bad in ["http://u:hunter2@h", "unix:///tmp/redis.sock", "not a url"] {
      let err = parse_url(bad).unwrap_err();
      assert!(err.message.starts_with("RedisStore: `url` must look like"));
      assert!(!err.message.contains("hunter2"));
    }
    let err = parse_url("redis://:hunter2@h/notanumber").unwrap_err();
    assert!(err
      .message
      .starts_with("RedisStore: cannot use this Redis URL"));
    assert!(!err.message.contains("hunter2"), "{}", err.message);
  }

  #[test]
  fn addresses_name_host_and_port() {
    assert_eq!(
      address(&parse_url("redis://10.0.0.1:7000").unwrap()),
      "10.0.0.1:7000"
    );
    assert_eq!(
      address(&parse_url("rediss://[::1]:7001").unwrap()),
      "[::1]:7001"
    );
    assert_eq!(address(&parse_url("redis://:pw@h").unwrap()), "h:6379");
  }

  #[test]
  fn debug_output_never_shows_a_password() {
    let parts = ServerParts {
      password: Some("hunter2".into()),
      ..ServerParts::default()
    };
    assert!(!format!("{parts:?}").contains("hunter2"));
    assert!(format!("{parts:?}").contains("<redacted>"));
    let info = parts.info(None).unwrap();
    assert!(!format!("{info:?}").contains("hunter2"));
    let parsed = parse_url("redis://u:hunter2@h").unwrap();
    assert!(!format!("{parsed:?}").contains("hunter2"));
  }
}
