//! rustls's errors in Python's words: `SSLError` with OpenSSL's reason
//! codes, and `SSLCertVerificationError` with OpenSSL's verify codes and
//! messages, so code written against Python's `ssl` recognises them.

use rustls::{AlertDescription, CertificateError};

use crate::error::{Error, SslError};

/// An `SSLError` with `reason` and the full message.
pub(crate) fn ssl_error(reason: &str, message: &str) -> Error {
    Error::Ssl(SslError { reason: reason.to_string(), message: message.to_string(), verify: None })
}

/// A rustls error outside a connection (configuration, key loading).
pub(crate) fn from_rustls(e: &rustls::Error) -> Error {
    from_rustls_for(e, "")
}

/// A rustls error of a connection to `hostname` (named in a host name
/// mismatch, as OpenSSL names it).
pub(crate) fn from_rustls_for(e: &rustls::Error, hostname: &str) -> Error {
    match e {
        rustls::Error::InvalidCertificate(cert) => verify_error(cert, hostname),
        rustls::Error::AlertReceived(alert) => {
            let (reason, text) = alert_reason(*alert);
            ssl_error(&reason, &format!("[SSL: {reason}] {text}"))
        }
        rustls::Error::NoCertificatesPresented => {
            ssl_error("PEER_DID_NOT_RETURN_A_CERTIFICATE", "[SSL: PEER_DID_NOT_RETURN_A_CERTIFICATE] peer did not return a certificate")
        }
        rustls::Error::NoApplicationProtocol => {
            ssl_error("NO_APPLICATION_PROTOCOL", "[SSL: NO_APPLICATION_PROTOCOL] no application protocol")
        }
        rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType) => {
            ssl_error("WRONG_VERSION_NUMBER", "[SSL: WRONG_VERSION_NUMBER] wrong version number")
        }
        rustls::Error::PeerIncompatible(p) => {
            let reason = match p {
                rustls::PeerIncompatible::Tls12NotOfferedOrEnabled
                | rustls::PeerIncompatible::SupportedVersionsExtensionRequired
                | rustls::PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig => "UNSUPPORTED_PROTOCOL",
                rustls::PeerIncompatible::NoCipherSuitesInCommon => "NO_SHARED_CIPHER",
                _ => "HANDSHAKE_FAILURE",
            };
            ssl_error(reason, &format!("[SSL: {reason}] {e}"))
        }
        other => ssl_error("SSL_ERROR", &format!("[SSL] {other}")),
    }
}

/// `SSLCertVerificationError`: reason `CERTIFICATE_VERIFY_FAILED`, with
/// OpenSSL's verify code and message.
fn verify_error(cert: &CertificateError, hostname: &str) -> Error {
    let (code, verify_message) = match cert {
        CertificateError::UnknownIssuer => (20, "unable to get local issuer certificate".to_string()),
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => (10, "certificate has expired".into()),
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            (9, "certificate is not yet valid".into())
        }
        CertificateError::Revoked => (23, "certificate revoked".into()),
        CertificateError::BadSignature => (7, "certificate signature failure".into()),
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            let what = if hostname.parse::<std::net::IpAddr>().is_ok() { "IP address" } else { "Hostname" };
            (62, format!("{what} mismatch, certificate is not valid for '{hostname}'."))
        }
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            (26, "unsupported certificate purpose".into())
        }
        other => (1, format!("{other:?}")),
    };
    Error::Ssl(SslError {
        reason: "CERTIFICATE_VERIFY_FAILED".into(),
        message: format!("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: {verify_message}"),
        verify: Some((code, verify_message)),
    })
}

/// OpenSSL's reason for a received alert: `TLSV1_ALERT_UNKNOWN_CA`,
/// `SSLV3_ALERT_BAD_CERTIFICATE`, ...; and its text.
fn alert_reason(alert: AlertDescription) -> (String, String) {
    let (prefix, name) = match alert {
        AlertDescription::BadCertificate => ("SSLV3", "BAD_CERTIFICATE"),
        AlertDescription::UnsupportedCertificate => ("SSLV3", "UNSUPPORTED_CERTIFICATE"),
        AlertDescription::CertificateRevoked => ("SSLV3", "CERTIFICATE_REVOKED"),
        AlertDescription::CertificateExpired => ("SSLV3", "CERTIFICATE_EXPIRED"),
        AlertDescription::CertificateUnknown => ("SSLV3", "CERTIFICATE_UNKNOWN"),
        AlertDescription::HandshakeFailure => ("SSLV3", "HANDSHAKE_FAILURE"),
        AlertDescription::UnexpectedMessage => ("SSLV3", "UNEXPECTED_MESSAGE"),
        AlertDescription::BadRecordMac => ("SSLV3", "BAD_RECORD_MAC"),
        AlertDescription::IllegalParameter => ("SSLV3", "ILLEGAL_PARAMETER"),
        AlertDescription::UnknownCA => ("TLSV1", "UNKNOWN_CA"),
        AlertDescription::AccessDenied => ("TLSV1", "ACCESS_DENIED"),
        AlertDescription::DecodeError => ("TLSV1", "DECODE_ERROR"),
        AlertDescription::DecryptError => ("TLSV1", "DECRYPT_ERROR"),
        AlertDescription::ProtocolVersion => ("TLSV1", "PROTOCOL_VERSION"),
        AlertDescription::InternalError => ("TLSV1", "INTERNAL_ERROR"),
        AlertDescription::UnrecognisedName => ("TLSV1", "UNRECOGNIZED_NAME"),
        AlertDescription::NoApplicationProtocol => ("TLSV1", "NO_APPLICATION_PROTOCOL"),
        AlertDescription::CertificateRequired => ("TLSV13", "CERTIFICATE_REQUIRED"),
        _ => ("TLSV1", "UNKNOWN"),
    };
    let reason = format!("{prefix}_ALERT_{name}");
    let text = format!("{} alert {}", prefix.to_lowercase(), name.to_lowercase().replace('_', " "));
    (reason, text)
}
