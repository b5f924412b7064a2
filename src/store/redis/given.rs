//! The options that name the Redis (`url`, `nodes`, `sentinels` + `name`, `host`…), as
//! `src/options/redis.rs` read them from JS, checked against each other and made into a
//! `Topology`. Kept apart from the JS reading so every rule here is tested without JS.

use redis::ConnectionInfo;

use super::info::{option_error, parse_url, ServerParts};
use super::options::{MasterAuth, Topology};
use crate::error::Result;

/// One entry of a list option (`nodes`, `sentinels`) as JS gave it.
pub enum Node {
  /// A redis:// URL.
  Url(String),
  /// `{ host, port }`, the port defaulted by the list.
  Address(String, u16),
  /// Anything else: refused, naming the list, when the list is used.
  Malformed,
}

/// The options that name the Redis, each read and type-checked but not yet checked against the
/// others. No Debug: a URL in it may hold a password.
#[derive(Default)]
pub struct Given {
  pub url: Option<String>,
  pub nodes: Option<Vec<Node>>,
  pub sentinels: Option<Vec<Node>>,
  pub name: Option<String>,
  /// `host`, `port`, `username`, `password`, `db`, `tls`.
  pub server: ServerParts,
  /// `sentinelUsername`, `sentinelPassword`, `sentinelTLS`.
  pub sentinel_auth: ServerParts,
}

impl Given {
  /// The Redis these options name; with none of them, the URL `from_env` gives (`REDIS_URL`, or
  /// the local server).
  pub fn topology(self, from_env: impl FnOnce() -> String) -> Result<Topology> {
    let Given {
      url,
      nodes,
      sentinels,
      name,
      server,
      sentinel_auth,
    } = self;
    // Each way to name the Redis excludes the others: silently preferring one could send codes to
    // a server the user did not mean.
    let address = if server.host.is_some() {
      "host"
    } else {
      "port"
    };
    let named: Vec<&str> = [
      ("url", url.is_some()),
      ("nodes", nodes.is_some()),
      ("sentinels", sentinels.is_some()),
      (address, server.host.is_some() || server.port.is_some()),
    ]
    .iter()
    .filter(|(_, given)| *given)
    .map(|(option, _)| *option)
    .collect();
    if let [first, second, ..] = named[..] {
      return Err(option_error(
        second,
        &format!("cannot be combined with `{first}`"),
      ));
    }
    if sentinels.is_none() {
      let sentinel_only = [
        ("name", name.is_some()),
        ("sentinelUsername", sentinel_auth.username.is_some()),
        ("sentinelPassword", sentinel_auth.password.is_some()),
        ("sentinelTLS", sentinel_auth.tls),
      ];
      if let Some((option, _)) = sentinel_only.iter().find(|(_, given)| *given) {
        return Err(option_error(
          option,
          "only applies with `sentinels` (Redis Sentinel)",
        ));
      }
    }
    Ok(match (url, nodes, sentinels) {
      (_, Some(nodes), _) if nodes.is_empty() => {
        return Err(option_error("nodes", "must list at least one node"))
      }
      (_, Some(nodes), _) => Topology::Cluster(
        nodes
          .into_iter()
          .map(|node| server.node(node, "nodes"))
          .collect::<Result<_>>()?,
      ),
      (_, _, Some(sentinels)) if sentinels.is_empty() => {
        return Err(option_error("sentinels", "must list at least one Sentinel"))
      }
      (_, _, Some(sentinels)) => {
        let Some(name) = name.filter(|name| !name.is_empty()) else {
          return Err(option_error(
            "name",
            "is required with `sentinels`: the master's name in the Sentinels' configuration (for example 'mymaster')",
          ));
        };
        Topology::Sentinel {
          sentinels: sentinels
            .into_iter()
            .map(|node| sentinel_auth.node(node, "sentinels"))
            .collect::<Result<_>>()?,
          name,
          master: MasterAuth {
            settings: server.settings(),
            tls: server.tls,
          },
        }
      }
      (Some(url), None, None) => Topology::Single(parse_url(&url)?),
      (None, None, None) if server.any_given() => Topology::Single(server.info(None)?),
      (None, None, None) => Topology::Single(parse_url(&from_env())?),
    })
  }
}

impl ServerParts {
  /// One entry of the list option `list`: a URL as it says, or `{ host, port }` signed in with
  /// these parts' credentials.
  fn node(&self, node: Node, list: &str) -> Result<ConnectionInfo> {
    match node {
      Node::Url(url) => parse_url(&url),
      Node::Address(host, port) => self.info(Some((&host, port))),
      Node::Malformed => Err(option_error(
        list,
        "must list redis:// URLs or { host, port } objects",
      )),
    }
  }
}

#[cfg(test)]
mod tests {
  use redis::ConnectionAddr;

  use super::super::info::address;
  use super::*;

  /// The topology of the options `change` gives, with `REDIS_URL` set.
  fn topology(change: impl FnOnce(&mut Given)) -> Result<Topology> {
    let mut given = Given::default();
    change(&mut given);
    given.topology(|| "redis://:pw@10.0.0.9:6390/4".to_owned())
  }

  fn password(password: &str) -> ServerParts {
    ServerParts {
      password: Some(password.into()),
      ..ServerParts::default()
    }
  }

  #[test]
  fn nothing_given_is_the_environment_url() {
    let Ok(Topology::Single(server)) = topology(|_| {}) else {
      panic!("one server")
    };
    assert_eq!(address(&server), "10.0.0.9:6390");
    assert_eq!(server.redis_settings().db(), 4);
    let Ok(Topology::Single(server)) = topology(|g| g.server = password("pw")) else {
      panic!("one server")
    };
    assert_eq!(address(&server), "127.0.0.1:6379");
  }

  #[test]
  fn cluster_nodes_take_the_servers_credentials() {
    let Ok(Topology::Cluster(nodes)) = topology(|g| {
      g.nodes = Some(vec![
        Node::Address("10.0.0.1".into(), 7000),
        Node::Url("redis://:other@10.0.0.2:7001".into()),
      ]);
      g.server = password("s3cret");
    }) else {
      panic!("a Cluster")
    };
    assert_eq!(address(&nodes[0]), "10.0.0.1:7000");
    assert_eq!(nodes[0].redis_settings().password(), Some("s3cret"));
    assert_eq!(nodes[1].redis_settings().password(), Some("other"));
  }

  #[test]
  fn sentinels_sign_in_apart_from_their_master() {
    let Ok(Topology::Sentinel {
      sentinels,
      name,
      master,
    }) = topology(|g| {
      g.sentinels = Some(vec![Node::Address("10.0.0.1".into(), 26379)]);
      g.name = Some("mymaster".into());
      g.server = password("master-pw");
      (g.server.username, g.server.db, g.server.tls) = (Some("app".into()), Some(3), true);
      g.sentinel_auth = password("sentinel-pw");
      g.sentinel_auth.tls = true;
    })
    else {
      panic!("Sentinels")
    };
    assert_eq!(name, "mymaster");
    let sentinel = &sentinels[0];
    assert!(matches!(
      sentinel.addr(),
      ConnectionAddr::TcpTls { port: 26379, .. }
    ));
    assert_eq!(sentinel.redis_settings().password(), Some("sentinel-pw"));
    assert_eq!(master.settings.username(), Some("app"));
    assert_eq!(master.settings.password(), Some("master-pw"));
    assert_eq!((master.settings.db(), master.tls), (3, true));
  }

  #[test]
  fn options_that_contradict_each_other_are_refused_by_name() {
    fn url() -> Option<String> {
      Some("redis://:hunter2@a".to_owned())
    }
    fn sentinels() -> Option<Vec<Node>> {
      Some(vec![Node::Url("redis://b".into())])
    }
    type Change = fn(&mut Given);
    let cases: [(Change, &str); 6] = [
      (
        |g| (g.url, g.nodes) = (url(), Some(vec![])),
        "`nodes` cannot be combined with `url`",
      ),
      (
        |g| (g.sentinels, g.name, g.server.port) = (sentinels(), Some("m".into()), Some(6380)),
        "`port` cannot be combined with `sentinels`",
      ),
      (
        |g| (g.url, g.sentinel_auth) = (url(), password("x")),
        "`sentinelPassword` only applies with `sentinels` (Redis Sentinel)",
      ),
      (
        |g| g.sentinels = sentinels(),
        "`name` is required with `sentinels`: the master's name",
      ),
      (
        |g| g.nodes = Some(vec![Node::Malformed]),
        "`nodes` must list redis:// URLs or { host, port } objects",
      ),
      (
        |g| (g.sentinels, g.name) = (Some(vec![]), Some("m".into())),
        "`sentinels` must list at least one Sentinel",
      ),
    ];
    for (change, expected) in cases {
      let message = topology(change).expect_err("refused").message;
      let expected = format!("RedisStore: option {expected}");
      assert!(message.starts_with(&expected), "{message}");
      assert!(!message.contains("hunter2"));
    }
  }
}
