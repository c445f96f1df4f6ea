//! The TLS values of `getExtraInfo`, as plain JS values the package wraps:
//! `peercert` as Python's `getpeercert()` dict (tuples as arrays, Python's
//! keys), `ssl_object` as a snapshot the package's `SSLObject` serves, and
//! `sslcontext` as the id of the context (the package maps it back).

use evloop::tls::{PeerCert, SslContext, SslObject};
use napi::sys;

use crate::convert;
use crate::js_callback::{buffer_copy, number, object, set_property, string};

fn pairs(env: sys::napi_env, list: &[(String, String)]) -> sys::napi_value {
    let items: Vec<_> = list.iter().map(|(k, v)| convert::array(env, &[string(env, k), string(env, v)])).collect();
    convert::array(env, &items)
}

fn name(env: sys::napi_env, rdns: &[Vec<(String, String)>]) -> sys::napi_value {
    let items: Vec<_> = rdns.iter().map(|rdn| pairs(env, rdn)).collect();
    convert::array(env, &items)
}

/// `getpeercert()`: null without a certificate, `{}` when unverified.
pub(crate) fn peercert_value(env: sys::napi_env, cert: Option<&PeerCert>) -> sys::napi_value {
    let Some(cert) = cert else { return convert::null(env) };
    let o = object(env);
    let Some(f) = &cert.fields else { return o };
    set_property(env, o, "subject", name(env, &f.subject));
    set_property(env, o, "issuer", name(env, &f.issuer));
    set_property(env, o, "version", number(env, f.version as f64));
    set_property(env, o, "serialNumber", string(env, &f.serial_number));
    set_property(env, o, "notBefore", string(env, &f.not_before));
    set_property(env, o, "notAfter", string(env, &f.not_after));
    if !f.subject_alt_name.is_empty() {
        set_property(env, o, "subjectAltName", pairs(env, &f.subject_alt_name));
    }
    o
}

fn context_id_value(env: sys::napi_env, ctx: &SslContext) -> sys::napi_value {
    match crate::tls::id_of(ctx) {
        Some(id) => number(env, id as f64),
        None => convert::null(env),
    }
}

/// `sslcontext`: `{ sslContextId }`.
pub(crate) fn context_marker(env: sys::napi_env, ctx: &SslContext) -> sys::napi_value {
    let o = object(env);
    set_property(env, o, "sslContextId", context_id_value(env, ctx));
    o
}

fn opt_string(env: sys::napi_env, s: Option<&str>) -> sys::napi_value {
    s.map_or_else(|| convert::null(env), |s| string(env, s))
}

/// `ssl_object`: what Python's `SSLObject` methods return, taken now.
pub(crate) fn ssl_object_value(env: sys::napi_env, o: &SslObject) -> sys::napi_value {
    let v = object(env);
    set_property(env, v, "sslObject", convert::boolean(env, true));
    set_property(env, v, "version", opt_string(env, o.version()));
    set_property(env, v, "selectedAlpnProtocol", opt_string(env, o.selected_alpn_protocol().as_deref()));
    let cert = o.getpeercert();
    set_property(env, v, "peercert", peercert_value(env, cert.as_ref()));
    let der = cert.as_ref().map_or_else(|| convert::null(env), |c| buffer_copy(env, &c.der));
    set_property(env, v, "peercertDer", der);
    let cipher = match o.cipher() {
        Some(c) => convert::array(env, &[string(env, &c.name), string(env, &c.protocol), number(env, c.secret_bits as f64)]),
        None => convert::null(env),
    };
    set_property(env, v, "cipher", cipher);
    set_property(env, v, "serverSide", convert::boolean(env, o.server_side()));
    set_property(env, v, "serverHostname", opt_string(env, o.server_hostname().as_deref()));
    set_property(env, v, "sslContextId", context_id_value(env, &o.context()));
    v
}
