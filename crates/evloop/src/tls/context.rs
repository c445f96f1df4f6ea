//! `SSLContext`: what a TLS connection is configured with, as Python's
//! `ssl.SSLContext(PROTOCOL_TLS_SERVER | PROTOCOL_TLS_CLIENT)` holds it,
//! turned into a rustls configuration when a connection starts.
//!
//! Python's defaults are kept: a client context verifies the peer
//! (`verify_mode = CERT_REQUIRED`) and its host name (`check_hostname`) but
//! trusts nothing until `load_verify_locations` (or
//! [`SslContext::create_default_context`], which trusts the bundled web
//! PKI roots); a server context asks for no client certificate.

use std::cell::{RefCell, RefMut};
use std::rc::Rc;
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::time_provider::TimeProvider;
use rustls::{ClientConfig, RootCertStore, ServerConfig, SupportedProtocolVersion};

use super::error::{from_rustls, ssl_error};
use super::verify::ServerVerifier;
use crate::error::{Error, Result};

/// Which end of connections a context serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// `PROTOCOL_TLS_SERVER`.
    Server,
    /// `PROTOCOL_TLS_CLIENT`.
    Client,
}

/// `verify_mode`: whether the peer must present a certificate that verifies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyMode {
    /// `CERT_NONE`: ask for nothing, check nothing.
    None,
    /// `CERT_OPTIONAL`: verify a certificate if one is sent (a server lets
    /// clients without one in).
    Optional,
    /// `CERT_REQUIRED`: a certificate that verifies, or the handshake fails.
    Required,
}

/// A TLS protocol version rustls speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    /// `"TLSv1.2"`.
    Tls12,
    /// `"TLSv1.3"`.
    Tls13,
}

impl TlsVersion {
    /// Python's name: `"TLSv1.2"`, `"TLSv1.3"`.
    pub fn name(self) -> &'static str {
        match self {
            TlsVersion::Tls12 => "TLSv1.2",
            TlsVersion::Tls13 => "TLSv1.3",
        }
    }
}

struct Settings {
    purpose: Purpose,
    verify_mode: VerifyMode,
    check_hostname: bool,
    roots: RootCertStore,
    chain: Vec<CertificateDer<'static>>,
    key: Option<PrivateKeyDer<'static>>,
    alpn: Vec<Vec<u8>>,
    minimum: TlsVersion,
    maximum: TlsVersion,
    /// The server configuration built from the settings above, shared by
    /// the connections started until a setting changes: building it parses
    /// the key, and its session cache is what lets clients resume.
    server_config: Option<(bool, Arc<ServerConfig>)>,
}

/// An `SSLContext`. Clones are the same context: a change applies to the
/// connections started after it.
#[derive(Clone)]
pub struct SslContext(Rc<RefCell<Settings>>);

impl SslContext {
    /// `SSLContext(PROTOCOL_TLS_SERVER)` or `SSLContext(PROTOCOL_TLS_CLIENT)`.
    pub fn new(purpose: Purpose) -> SslContext {
        let client = purpose == Purpose::Client;
        SslContext(Rc::new(RefCell::new(Settings {
            purpose,
            verify_mode: if client { VerifyMode::Required } else { VerifyMode::None },
            check_hostname: client,
            roots: RootCertStore::empty(),
            chain: Vec::new(),
            key: None,
            alpn: Vec::new(),
            minimum: TlsVersion::Tls12,
            maximum: TlsVersion::Tls13,
            server_config: None,
        })))
    }

    /// `ssl.create_default_context()`: a client context that trusts the
    /// bundled web PKI roots, verifying certificates and host names.
    pub fn create_default_context() -> SslContext {
        let ctx = SslContext::new(Purpose::Client);
        ctx.settings_mut().roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        ctx
    }

    /// The settings, for a change: the connections started after it get a
    /// configuration built anew.
    fn settings_mut(&self) -> RefMut<'_, Settings> {
        let mut s = self.0.borrow_mut();
        s.server_config = None;
        s
    }

    /// Whether the two are the same context.
    pub fn ptr_eq(&self, other: &SslContext) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    /// Server or client.
    pub fn purpose(&self) -> Purpose {
        self.0.borrow().purpose
    }

    /// `verify_mode`.
    pub fn verify_mode(&self) -> VerifyMode {
        self.0.borrow().verify_mode
    }

    /// Sets `verify_mode`.
    ///
    /// # Errors
    /// `ValueError('Cannot set verify_mode to CERT_NONE when check_hostname
    /// is enabled.')`, as Python.
    pub fn set_verify_mode(&self, mode: VerifyMode) -> Result<()> {
        let mut s = self.settings_mut();
        if mode == VerifyMode::None && s.check_hostname {
            return Err(Error::Value("Cannot set verify_mode to CERT_NONE when check_hostname is enabled.".into()));
        }
        s.verify_mode = mode;
        Ok(())
    }

    /// `check_hostname`.
    pub fn check_hostname(&self) -> bool {
        self.0.borrow().check_hostname
    }

    /// Sets `check_hostname`; turning it on with `CERT_NONE` makes the mode
    /// `CERT_REQUIRED`, as Python does.
    pub fn set_check_hostname(&self, on: bool) {
        let mut s = self.settings_mut();
        if on && s.verify_mode == VerifyMode::None {
            s.verify_mode = VerifyMode::Required;
        }
        s.check_hostname = on;
    }

    /// `minimum_version` / `maximum_version`.
    pub fn versions(&self) -> (TlsVersion, TlsVersion) {
        let s = self.0.borrow();
        (s.minimum, s.maximum)
    }

    /// Sets `minimum_version`.
    pub fn set_minimum_version(&self, v: TlsVersion) {
        self.settings_mut().minimum = v;
    }

    /// Sets `maximum_version`.
    pub fn set_maximum_version(&self, v: TlsVersion) {
        self.settings_mut().maximum = v;
    }

    /// `set_alpn_protocols(protocols)`, in preference order.
    ///
    /// # Errors
    /// `ValueError` for an empty name or one longer than 255 bytes.
    pub fn set_alpn_protocols<S: AsRef<str>>(&self, protocols: &[S]) -> Result<()> {
        let mut names = Vec::with_capacity(protocols.len());
        for p in protocols {
            let p = p.as_ref().as_bytes();
            if p.is_empty() || p.len() > 255 {
                return Err(Error::Value(format!("ALPN protocols must be 1 to 255 in length, got {}", p.len())));
            }
            names.push(p.to_vec());
        }
        self.settings_mut().alpn = names;
        Ok(())
    }

    /// `load_cert_chain(certfile, keyfile=None)`: PEM files; without a key
    /// file the key is read from `certfile`.
    ///
    /// # Errors
    /// `FileNotFoundError` (and other OS errors) for a file that cannot be
    /// read; `SSLError` when it holds no certificate or no private key.
    pub fn load_cert_chain(&self, certfile: &str, keyfile: Option<&str>) -> Result<()> {
        let cert_pem = read_file(certfile)?;
        let key_pem = match keyfile {
            Some(path) => Some(read_file(path)?),
            None => None,
        };
        self.load_cert_chain_pem(&cert_pem, key_pem.as_deref())
    }

    /// `load_cert_chain` from PEM text rather than files (a simulation has
    /// no files): the chain, and the key (by default in `cert_pem`).
    ///
    /// # Errors
    /// `SSLError` when it holds no certificate or no private key, or the key
    /// does not match the certificate.
    pub fn load_cert_chain_pem(&self, cert_pem: &[u8], key_pem: Option<&[u8]>) -> Result<()> {
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| ssl_error("PEM_LIB", "[SSL] PEM lib"))?;
        if chain.is_empty() {
            return Err(ssl_error("NO_CERTIFICATE_OR_CRL_FOUND", "[SSL: NO_CERTIFICATE_OR_CRL_FOUND] no certificate or crl found"));
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem.unwrap_or(cert_pem)).map_err(|_| ssl_error("PEM_LIB", "[SSL] PEM lib"))?;
        // The key must suit the certificate: checked now, as OpenSSL does.
        let provider = provider();
        let signing = provider.key_provider.load_private_key(key.clone_key()).map_err(|e| from_rustls(&e))?;
        let certified = rustls::sign::CertifiedKey::new(chain.clone(), signing);
        if let Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) = certified.keys_match() {
            return Err(ssl_error("KEY_VALUES_MISMATCH", "[X509: KEY_VALUES_MISMATCH] key values mismatch"));
        }
        let mut s = self.settings_mut();
        s.chain = chain;
        s.key = Some(key);
        Ok(())
    }

    /// `load_verify_locations(cafile, capath, cadata)`: trust the PEM
    /// certificates of a file, of every file in a directory, and of a string.
    /// Returns how many certificates were added.
    ///
    /// # Errors
    /// OS errors for unreadable paths; `SSLError` when a source holds no
    /// certificate; `TypeError` when all three are `None`.
    pub fn load_verify_locations(&self, cafile: Option<&str>, capath: Option<&str>, cadata: Option<&str>) -> Result<usize> {
        if cafile.is_none() && capath.is_none() && cadata.is_none() {
            return Err(Error::Type("cafile, capath and cadata cannot be all omitted".into()));
        }
        let mut pems: Vec<Vec<u8>> = Vec::new();
        if let Some(f) = cafile {
            pems.push(read_file(f)?);
        }
        if let Some(dir) = capath {
            let entries = std::fs::read_dir(dir).map_err(|e| Error::os("opendir", e))?;
            for entry in entries.flatten() {
                if entry.path().is_file() {
                    pems.push(read_file(&entry.path().to_string_lossy())?);
                }
            }
        }
        if let Some(d) = cadata {
            pems.push(d.as_bytes().to_vec());
        }
        let mut added = 0;
        let mut s = self.settings_mut();
        for pem in pems {
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.map_err(|_| ssl_error("PEM_LIB", "[SSL] PEM lib"))?;
                s.roots.add(cert).map_err(|e| from_rustls(&e))?;
                added += 1;
            }
        }
        if added == 0 && capath.is_none() {
            return Err(ssl_error("NO_CERTIFICATE_OR_CRL_FOUND", "[X509: NO_CERTIFICATE_OR_CRL_FOUND] no certificate or crl found"));
        }
        Ok(added)
    }

    /// The number of trusted certificates (`cert_store_stats()['x509_ca']`).
    pub fn ca_count(&self) -> usize {
        self.0.borrow().roots.len()
    }

    fn protocol_versions(&self) -> Result<Vec<&'static SupportedProtocolVersion>> {
        let (min, max) = self.versions();
        let mut v = Vec::new();
        if min <= TlsVersion::Tls13 && max >= TlsVersion::Tls13 {
            v.push(&rustls::version::TLS13);
        }
        if min <= TlsVersion::Tls12 && max >= TlsVersion::Tls12 {
            v.push(&rustls::version::TLS12);
        }
        if v.is_empty() {
            return Err(ssl_error("NO_PROTOCOLS_AVAILABLE", "[SSL: NO_PROTOCOLS_AVAILABLE] no protocols available"));
        }
        Ok(v)
    }

    /// The rustls configuration of a client connection; `simulated`: with
    /// the simulation's randomness and virtual time (`sim_crypto.rs`).
    pub(crate) fn client_config(&self, simulated: bool) -> Result<Arc<ClientConfig>> {
        let versions = self.protocol_versions()?;
        let s = self.0.borrow();
        let (provider, time) = provider_and_time(simulated);
        let verifier = ServerVerifier::new(
            &s.roots,
            provider.clone(),
            s.verify_mode != VerifyMode::None,
            s.check_hostname,
        )?;
        let builder = ClientConfig::builder_with_details(provider, time)
            .with_protocol_versions(&versions)
            .map_err(|e| from_rustls(&e))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier));
        let mut config = match &s.key {
            Some(key) => builder.with_client_auth_cert(s.chain.clone(), key.clone_key()).map_err(|e| from_rustls(&e))?,
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = s.alpn.clone();
        Ok(Arc::new(config))
    }

    /// The rustls configuration of a server connection (`simulated` as
    /// for [`client_config`](Self::client_config)): built once, then shared
    /// (with its session cache) until a setting changes.
    pub(crate) fn server_config(&self, simulated: bool) -> Result<Arc<ServerConfig>> {
        if let Some((sim, config)) = &self.0.borrow().server_config {
            if *sim == simulated {
                return Ok(config.clone());
            }
        }
        let config = self.build_server_config(simulated)?;
        self.0.borrow_mut().server_config = Some((simulated, config.clone()));
        Ok(config)
    }

    fn build_server_config(&self, simulated: bool) -> Result<Arc<ServerConfig>> {
        let versions = self.protocol_versions()?;
        let s = self.0.borrow();
        let (provider, time) = provider_and_time(simulated);
        let builder = ServerConfig::builder_with_details(provider.clone(), time)
            .with_protocol_versions(&versions)
            .map_err(|e| from_rustls(&e))?;
        let builder = if s.verify_mode == VerifyMode::None {
            builder.with_no_client_auth()
        } else {
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(s.roots.clone()), provider);
            let verifier = if s.verify_mode == VerifyMode::Optional { verifier.allow_unauthenticated() } else { verifier };
            builder.with_client_cert_verifier(verifier.build().map_err(|_| {
                ssl_error("NO_CERTIFICATE_OR_CRL_FOUND", "[SSL: NO_CERTIFICATE_OR_CRL_FOUND] no CA certificates to verify clients with")
            })?)
        };
        let Some(key) = &s.key else {
            return Err(ssl_error("NO_CERTIFICATE_ASSIGNED", "[SSL: NO_CERTIFICATE_ASSIGNED] no certificate assigned"));
        };
        let mut config = builder.with_single_cert(s.chain.clone(), key.clone_key()).map_err(|e| from_rustls(&e))?;
        config.alpn_protocols = s.alpn.clone();
        // Resumption stays on (rustls's in-memory cache, shared by the
        // context's connections), as OpenSSL's is.
        Ok(Arc::new(config))
    }
}

impl std::fmt::Debug for SslContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.0.borrow();
        write!(f, "<SSLContext {:?} verify_mode={:?} check_hostname={}>", s.purpose, s.verify_mode, s.check_hostname)
    }
}

/// The one crypto provider: ring (it also builds for wasm32). rustls
/// deprecates it for lacking post-quantum key exchange, which only its
/// aws-lc provider has, and that one does not build for wasm32.
///
/// Key exchange groups in OpenSSL's order, X25519 first: ring's provider
/// lists P-384 first, so a client of ours made every server (which takes
/// the client's first group it has) run P-384, several times dearer.
#[allow(deprecated)]
pub(crate) fn provider() -> Arc<CryptoProvider> {
    use rustls::NamedGroup;
    let mut p = rustls::crypto::ring::default_provider();
    let rank = |g: NamedGroup| [NamedGroup::X25519, NamedGroup::secp256r1, NamedGroup::secp384r1].iter().position(|x| *x == g);
    p.kx_groups.sort_by_key(|g| rank(g.name()).unwrap_or(usize::MAX));
    Arc::new(p)
}

/// The provider and clock of a connection: the system's, or the
/// simulation's (seeded randomness, virtual wall time).
fn provider_and_time(simulated: bool) -> (Arc<CryptoProvider>, Arc<dyn TimeProvider>) {
    if simulated {
        #[allow(deprecated)]
        let ring = rustls::crypto::ring::default_provider();
        (Arc::new(super::sim_crypto::sim_provider(ring)), super::sim_crypto::virtual_time())
    } else {
        (provider(), Arc::new(rustls::time_provider::DefaultTimeProvider))
    }
}

fn read_file(path: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        let errno = e.raw_os_error().unwrap_or(0);
        let text = Error::os("open", e).message();
        Error::os_with_message("open", errno, format!("{text}: '{path}'"))
    })
}
