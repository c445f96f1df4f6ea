//! The TLS keys of `get_extra_info`: `peercert`, `cipher`, `sslcontext`,
//! `ssl_object` (Python's `SSLObject`: version, ALPN, the certificate).

use std::rc::Rc;

use rustls::{Connection, SupportedCipherSuite};

use super::context::{SslContext, TlsVersion};
use super::protocol::TlsLayer;
use super::x509::{self, CertFields};
use crate::transport::{ExtraInfo, ExtraInfoSource};

/// The peer's certificate, as `getpeercert()` gives it.
#[derive(Clone, Debug)]
pub struct PeerCert {
    /// `getpeercert(binary_form=True)`: the DER bytes.
    pub der: Vec<u8>,
    /// `getpeercert()`: the fields; `None` stands for Python's `{}` (the
    /// certificate was not verified, so its contents are not vouched for).
    pub fields: Option<CertFields>,
}

/// `cipher()`: `(name, protocol, secret bits)`, OpenSSL's names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cipher {
    /// `"TLS_AES_256_GCM_SHA384"`, `"ECDHE-RSA-AES128-GCM-SHA256"`, ...
    pub name: String,
    /// `"TLSv1.3"` or `"TLSv1.2"`.
    pub protocol: String,
    /// The key size in bits.
    pub secret_bits: u32,
}

/// `ssl_object`: the connection's TLS state (Python's `SSLObject`).
#[derive(Clone)]
pub struct SslObject(pub(crate) Rc<TlsLayer>);

impl SslObject {
    /// `version()`: `"TLSv1.3"` / `"TLSv1.2"`; `None` before the handshake.
    pub fn version(&self) -> Option<&'static str> {
        let conn = self.0.conn.borrow();
        match conn.protocol_version()? {
            rustls::ProtocolVersion::TLSv1_3 => Some(TlsVersion::Tls13.name()),
            rustls::ProtocolVersion::TLSv1_2 => Some(TlsVersion::Tls12.name()),
            _ => None,
        }
    }

    /// `selected_alpn_protocol()`.
    pub fn selected_alpn_protocol(&self) -> Option<String> {
        self.0.conn.borrow().alpn_protocol().map(|p| String::from_utf8_lossy(p).into_owned())
    }

    /// `getpeercert()`; `None` when the peer sent none.
    pub fn getpeercert(&self) -> Option<PeerCert> {
        let conn = self.0.conn.borrow();
        let der = conn.peer_certificates()?.first()?.as_ref().to_vec();
        // Python returns {} unless the certificate was verified.
        let verified = self.0.context.verify_mode() != super::VerifyMode::None;
        let fields = if verified { x509::parse(&der) } else { None };
        Some(PeerCert { der, fields })
    }

    /// `cipher()`.
    pub fn cipher(&self) -> Option<Cipher> {
        let conn = self.0.conn.borrow();
        let suite = conn.negotiated_cipher_suite()?;
        Some(cipher_of(suite))
    }

    /// `server_side`.
    pub fn server_side(&self) -> bool {
        matches!(*self.0.conn.borrow(), Connection::Server(_))
    }

    /// `server_hostname` (`None` on the server side or without a name).
    pub fn server_hostname(&self) -> Option<String> {
        let name = &self.0.opts.server_hostname;
        (!self.0.opts.server_side && !name.is_empty()).then(|| name.clone())
    }

    /// `context`.
    pub fn context(&self) -> SslContext {
        self.0.context.clone()
    }
}

impl std::fmt::Debug for SslObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<ssl.SSLObject version={:?}>", self.version())
    }
}

fn cipher_of(suite: SupportedCipherSuite) -> Cipher {
    let iana = format!("{:?}", suite.suite());
    let protocol = match suite {
        SupportedCipherSuite::Tls13(_) => "TLSv1.3",
        SupportedCipherSuite::Tls12(_) => "TLSv1.2",
    };
    let secret_bits = if iana.contains("AES_128") { 128 } else { 256 };
    let name = match iana.strip_prefix("TLS13_") {
        Some(rest) => format!("TLS_{rest}"),
        // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 -> ECDHE-RSA-AES128-GCM-SHA256
        None => {
            let rest = iana.strip_prefix("TLS_").unwrap_or(&iana);
            let (kx, bulk) = rest.split_once("_WITH_").unwrap_or(("", rest));
            let bulk = bulk.replace("AES_128", "AES128").replace("AES_256", "AES256").replace("CHACHA20_POLY1305_SHA256", "CHACHA20_POLY1305");
            format!("{kx}-{bulk}").replace('_', "-")
        }
    };
    Cipher { name, protocol: protocol.to_string(), secret_bits }
}

/// The TLS keys of an application transport's `get_extra_info`.
pub(crate) struct TlsExtraInfo(pub(crate) Rc<TlsLayer>);

impl ExtraInfoSource for TlsExtraInfo {
    fn extra_info(&self, name: &str) -> Option<ExtraInfo> {
        let object = SslObject(self.0.clone());
        match name {
            "sslcontext" => Some(ExtraInfo::SslContext(self.0.context.clone())),
            "ssl_object" => Some(ExtraInfo::SslObject(object)),
            "peercert" => Some(ExtraInfo::PeerCert(object.getpeercert())),
            "cipher" => Some(ExtraInfo::Cipher(object.cipher())),
            _ => None,
        }
    }
}
