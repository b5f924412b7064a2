//! An empty platform certificate store with rustls-native-certs 0.8's API.
//!
//! redis's `tls-rustls` feature always depends on rustls-native-certs, even with
//! `tls-rustls-webpki-roots`, which makes redis trust the bundled Mozilla roots and never call
//! `load_native_certs`. On macOS the real crate links the Security and CoreFoundation frameworks,
//! which exist only in the macOS SDK, so the darwin binaries could not be linked anywhere but on a
//! Mac. With this crate in its place (`[patch.crates-io]` in the root Cargo.toml) Redis TLS works
//! as before on every platform: certificates are checked against the bundled roots.

use std::{error::Error as StdError, fmt};

use pki_types::CertificateDer;

/// No certificates: the platform's store is never read.
pub fn load_native_certs() -> CertificateResult {
  CertificateResult::default()
}

/// What `load_native_certs` found: here, always nothing and no error.
#[non_exhaustive]
#[derive(Debug, Default)]
pub struct CertificateResult {
  pub certs: Vec<CertificateDer<'static>>,
  pub errors: Vec<Error>,
}

/// Never made; kept so that code converting it (redis's `From<Error>`) compiles.
#[derive(Debug)]
pub struct Error {
  pub context: &'static str,
}

impl StdError for Error {}

impl fmt::Display for Error {
  fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.write_str(self.context)
  }
}
