//! TLS to PostgreSQL, always with full verification (the `verify-full` of libpq): the server's
//! certificate must chain to a trusted authority and name the host connected to. There is no
//! "encrypt but trust anyone" mode: that would let anyone on the path read every note.
//!
//! tokio-postgres itself knows only `sslmode=disable|prefer|require`, so the URL's `sslmode` and
//! `sslrootcert` are taken out here and decided on before it is parsed.

use super::{OpenError, StorageError};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::Config;

/// How connections to the database are made.
#[derive(Clone)]
pub enum Connector {
    Plain,
    Verified(tokio_postgres_rustls::MakeRustlsConnect),
}

/// Parses a database URL (or key=value string) and decides on TLS: verified TLS when it says
/// `sslmode=verify-full`, `verify-ca` or `require`, or when `ca` (or `sslrootcert=`) names the
/// authorities to trust; plain only when it says `sslmode=disable`, or the database is on this
/// machine (loopback or a Unix socket) and nothing was said.
pub fn configure(url: &str, ca: Option<&Path>) -> Result<(Config, Connector), OpenError> {
    let (rest, sslmode, rootcert) = take_tls_options(url);
    let mut config: Config = rest
        .parse()
        .map_err(|e| OpenError::from(StorageError::Backend(format!("the database URL is not one PostgreSQL understands: {e}"))))?;
    let ca = ca.map(Path::to_path_buf).or(rootcert);
    let verified = match sslmode.as_deref() {
        Some("verify-full" | "verify-ca" | "require") => true,
        Some("disable") => {
            if ca.is_some() {
                return Err(OpenError::Tls("the database URL says sslmode=disable but a CA file was given; choose one".into()));
            }
            false
        }
        Some("prefer" | "allow") | None => {
            if ca.is_some() {
                true
            } else if let Some(remote) = remote_host(&config) {
                return Err(OpenError::Tls(format!(
                    "the database at {remote} would be reached without TLS, so notes would cross the network unencrypted: add sslmode=verify-full to the database URL (with --database-ca FILE if the trust's own authority signed its certificate), or sslmode=disable only if the network to it is already encrypted"
                )));
            } else {
                false
            }
        }
        Some(other) => return Err(OpenError::Tls(format!("sslmode={other} is not one Casebook knows; use verify-full or disable"))),
    };
    if !verified {
        config.ssl_mode(SslMode::Disable);
        return Ok((config, Connector::Plain));
    }
    // Never fall back to plain: a database that offers no TLS is refused.
    config.ssl_mode(SslMode::Require);
    let roots = roots(ca.as_deref())?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| OpenError::Tls(format!("could not set up TLS to the database: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok((config, Connector::Verified(tokio_postgres_rustls::MakeRustlsConnect::new(tls))))
}

/// The URL without `sslmode` and `sslrootcert`, and their values.
fn take_tls_options(url: &str) -> (String, Option<String>, Option<PathBuf>) {
    let (mut sslmode, mut rootcert) = (None, None);
    let mut keep = |pair: &str| -> bool {
        match pair.split_once('=') {
            Some(("sslmode", v)) => {
                sslmode = Some(v.to_ascii_lowercase());
                false
            }
            Some(("sslrootcert", v)) => {
                rootcert = Some(PathBuf::from(v));
                false
            }
            _ => true,
        }
    };
    let rest = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        match url.split_once('?') {
            Some((base, query)) => {
                let kept: Vec<&str> = query.split('&').filter(|p| keep(p)).collect();
                if kept.is_empty() {
                    base.to_string()
                } else {
                    format!("{base}?{}", kept.join("&"))
                }
            }
            None => url.to_string(),
        }
    } else {
        url.split_whitespace().filter(|p| keep(p)).collect::<Vec<_>>().join(" ")
    };
    (rest, sslmode, rootcert)
}

/// The first host that is neither a Unix socket nor this machine, if any.
fn remote_host(config: &Config) -> Option<String> {
    config.get_hosts().iter().find_map(|h| match h {
        #[cfg(unix)]
        Host::Unix(_) => None,
        Host::Tcp(name) => {
            let local = name == "localhost" || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
            (!local).then(|| name.clone())
        }
    })
}

fn roots(ca: Option<&Path>) -> Result<rustls::RootCertStore, OpenError> {
    let mut roots = rustls::RootCertStore::empty();
    match ca {
        Some(path) => {
            let unreadable = |e: &dyn std::fmt::Display| OpenError::Tls(format!("could not read the database CA file {}: {e}", path.display()));
            let certs: Vec<CertificateDer<'static>> =
                CertificateDer::pem_file_iter(path).map_err(|e| unreadable(&e))?.collect::<Result<_, _>>().map_err(|e| unreadable(&e))?;
            for cert in certs {
                roots.add(cert).map_err(|e| unreadable(&e))?;
            }
            if roots.is_empty() {
                return Err(OpenError::Tls(format!("the database CA file {} holds no certificate", path.display())));
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
            if roots.is_empty() {
                return Err(OpenError::Tls(
                    "this machine has no trusted certificate authorities to check the database's certificate against; give one with --database-ca FILE".into(),
                ));
            }
        }
    }
    Ok(roots)
}

/// A connection failure in one sentence, saying what to do when it is about the certificate.
pub fn explain(e: tokio_postgres::Error) -> OpenError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(err) = source {
        let tls = err
            .downcast_ref::<rustls::Error>()
            .or_else(|| err.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()).and_then(|inner| inner.downcast_ref::<rustls::Error>()));
        if let Some(rustls::Error::InvalidCertificate(cert)) = tls {
            use rustls::CertificateError as C;
            return OpenError::Tls(match cert {
                C::UnknownIssuer | C::BadSignature => "refused the database: its certificate is not signed by an authority this server trusts; give the authority that signed it with --database-ca FILE (or sslrootcert= in the URL)".into(),
                C::NotValidForName | C::NotValidForNameContext { .. } => "refused the database: its certificate is not for the host name in the database URL; connect by the name the certificate was issued for".into(),
                C::Expired | C::ExpiredContext { .. } => "refused the database: its certificate has expired".into(),
                other => format!("refused the database: its certificate is not valid ({other:?})"),
            });
        }
        if err.to_string().contains("server does not support TLS") {
            return OpenError::Tls("the database does not offer TLS; turn on ssl in its postgresql.conf, or use sslmode=disable only if the network to it is already encrypted".into());
        }
        source = err.source();
    }
    e.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str) -> String {
        match configure(url, None) {
            Err(OpenError::Tls(s)) => s,
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("{url} was accepted"),
        }
    }

    #[test]
    fn a_remote_database_is_never_reached_in_plain_unless_asked() {
        let sentence = refused("postgres://casebook@db.trust.example/casebook");
        assert!(sentence.contains("without TLS") && sentence.contains("sslmode=verify-full"), "{sentence}");
        refused("host=db.trust.example user=casebook sslmode=prefer");
        assert!(matches!(configure("postgres://casebook@db.trust.example/casebook?sslmode=disable", None), Ok((_, Connector::Plain))));
        assert!(matches!(configure("postgres://casebook@127.0.0.1/casebook", None), Ok((_, Connector::Plain))));
        assert!(matches!(configure("host=/run/postgresql user=casebook", None), Ok((_, Connector::Plain))));
        assert!(refused("postgres://casebook@db.trust.example/casebook?sslmode=bogus").contains("sslmode=bogus"));
    }

    #[test]
    fn tls_options_are_taken_out_before_tokio_postgres_parses_the_rest() {
        let (rest, mode, root) = take_tls_options("postgres://u@h:5433/db?application_name=x&sslmode=verify-full&sslrootcert=/etc/ca.pem");
        assert_eq!(rest, "postgres://u@h:5433/db?application_name=x");
        assert_eq!(mode.as_deref(), Some("verify-full"));
        assert_eq!(root, Some(PathBuf::from("/etc/ca.pem")));
        let (rest, mode, _) = take_tls_options("host=h dbname=db sslmode=require");
        assert_eq!((rest.as_str(), mode.as_deref()), ("host=h dbname=db", Some("require")));
    }
}
