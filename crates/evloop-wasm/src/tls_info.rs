//! The TLS values of `getExtraInfo` and of TLS errors, as plain JS values
//! the package wraps (core/net/tls.ts), the same shapes the addon gives:
//! `peercert` as Python's `getpeercert()` dict (tuples as arrays),
//! `ssl_object` as a snapshot, `sslcontext` as `{ sslContextId }`.

use evloop::tls::{Cipher, PeerCert, SslContext, SslObject};
use evloop::SslError;
use js_sys::{Object, Uint8Array};
use wasm_bindgen::JsValue;

use crate::convert::{array, set};

fn pairs(list: &[(String, String)]) -> JsValue {
    let items: Vec<JsValue> = list.iter().map(|(k, v)| array(&[k.into(), v.into()])).collect();
    array(&items)
}

fn name(rdns: &[Vec<(String, String)>]) -> JsValue {
    let items: Vec<JsValue> = rdns.iter().map(|rdn| pairs(rdn)).collect();
    array(&items)
}

fn opt_string(s: Option<&str>) -> JsValue {
    s.map_or(JsValue::NULL, JsValue::from_str)
}

/// `getpeercert()`: null without a certificate, `{}` when unverified.
pub(crate) fn peercert_value(cert: Option<&PeerCert>) -> JsValue {
    let Some(cert) = cert else { return JsValue::NULL };
    let o: JsValue = Object::new().into();
    let Some(f) = &cert.fields else { return o };
    set(&o, "subject", &name(&f.subject));
    set(&o, "issuer", &name(&f.issuer));
    set(&o, "version", &JsValue::from_f64(f.version as f64));
    set(&o, "serialNumber", &f.serial_number.as_str().into());
    set(&o, "notBefore", &f.not_before.as_str().into());
    set(&o, "notAfter", &f.not_after.as_str().into());
    if !f.subject_alt_name.is_empty() {
        set(&o, "subjectAltName", &pairs(&f.subject_alt_name));
    }
    o
}

/// `cipher`: `[name, protocol, secretBits]`, or null.
pub(crate) fn cipher_value(c: Option<&Cipher>) -> JsValue {
    match c {
        Some(c) => array(&[c.name.as_str().into(), c.protocol.as_str().into(), JsValue::from_f64(c.secret_bits as f64)]),
        None => JsValue::NULL,
    }
}

fn context_id_value(ctx: &SslContext) -> JsValue {
    crate::tls::id_of(ctx).map_or(JsValue::NULL, |id| JsValue::from_f64(f64::from(id)))
}

/// `sslcontext`: `{ sslContextId }`.
pub(crate) fn context_marker(ctx: &SslContext) -> JsValue {
    let o: JsValue = Object::new().into();
    set(&o, "sslContextId", &context_id_value(ctx));
    o
}

/// `ssl_object`: what Python's `SSLObject` methods return, taken now.
pub(crate) fn ssl_object_value(obj: &SslObject) -> JsValue {
    let v: JsValue = Object::new().into();
    set(&v, "sslObject", &JsValue::TRUE);
    set(&v, "version", &opt_string(obj.version()));
    set(&v, "selectedAlpnProtocol", &opt_string(obj.selected_alpn_protocol().as_deref()));
    let cert = obj.getpeercert();
    set(&v, "peercert", &peercert_value(cert.as_ref()));
    let der = cert.as_ref().map_or(JsValue::NULL, |c| Uint8Array::from(c.der.as_slice()).into());
    set(&v, "peercertDer", &der);
    set(&v, "cipher", &cipher_value(obj.cipher().as_ref()));
    set(&v, "serverSide", &JsValue::from_bool(obj.server_side()));
    set(&v, "serverHostname", &opt_string(obj.server_hostname().as_deref()));
    set(&v, "sslContextId", &context_id_value(&obj.context()));
    v
}

/// A TLS error's fields: `reason`, and for a verification failure
/// `verifyCode` and `verifyMessage`.
pub(crate) fn ssl_error_extra(ssl: &SslError) -> JsValue {
    let o: JsValue = Object::new().into();
    set(&o, "reason", &ssl.reason.as_str().into());
    if let Some((code, message)) = &ssl.verify {
        set(&o, "verifyCode", &JsValue::from_f64(f64::from(*code)));
        set(&o, "verifyMessage", &message.as_str().into());
    }
    o
}
