//! `SSLContext` for the package: a native context that the package's
//! `SSLContext` class wraps. The networking calls name it by id in their
//! options (`sslContext`), so the options stay a plain object.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use evloop::tls::{Purpose, SslContext, TlsOptions, TlsVersion, VerifyMode};
use napi_derive::napi;

use crate::errors::{self, ErrCode};

thread_local! {
    /// The live contexts by id; a context leaves when its JS object is collected.
    static CONTEXTS: RefCell<HashMap<u32, SslContext>> = RefCell::new(HashMap::new());
    static NEXT_ID: Cell<u32> = const { Cell::new(1) };
}

/// The context registered under `id`.
pub(crate) fn context(id: u32, call: &str) -> napi::Result<SslContext, ErrCode> {
    CONTEXTS.with(|c| c.borrow().get(&id).cloned())
        .ok_or_else(|| errors::type_error(format!("{call}(): ssl must be an SSLContext")))
}

/// The id a context is registered under (the package maps it back to
/// its `SSLContext` for `getExtraInfo('sslcontext')`).
pub(crate) fn id_of(ctx: &SslContext) -> Option<u32> {
    CONTEXTS.with(|c| c.borrow().iter().find(|(_, v)| v.ptr_eq(ctx)).map(|(id, _)| *id))
}

/// The TLS options of a networking call (checked by the package already).
pub(crate) fn tls_options(
    ssl_context: Option<u32>,
    server_hostname: Option<String>,
    handshake: Option<f64>,
    shutdown: Option<f64>,
    call: &str,
) -> napi::Result<TlsOptions, ErrCode> {
    let ssl = match ssl_context {
        Some(id) => Some(context(id, call)?),
        None => None,
    };
    Ok(TlsOptions { ssl, server_hostname, ssl_handshake_timeout: handshake, ssl_shutdown_timeout: shutdown })
}

fn version_arg(v: &str, what: &str) -> napi::Result<TlsVersion, ErrCode> {
    match v {
        "TLSv1.2" => Ok(TlsVersion::Tls12),
        "TLSv1.3" => Ok(TlsVersion::Tls13),
        _ => Err(errors::value_error(format!("SSLContext.{what} must be 'TLSv1.2' or 'TLSv1.3', got '{v}'"))),
    }
}

/// The native side of the package's `SSLContext`.
#[napi(js_name = "NativeSslContext")]
pub struct JsSslContext {
    id: u32,
    ctx: SslContext,
}

#[napi]
impl JsSslContext {
    /// `"server"`, `"client"`, or `"default"` (`createDefaultContext()`).
    #[napi(constructor, catch_unwind)]
    pub fn new(purpose: String) -> napi::Result<Self, ErrCode> {
        let ctx = match purpose.as_str() {
            "server" => SslContext::new(Purpose::Server),
            "client" => SslContext::new(Purpose::Client),
            "default" => SslContext::create_default_context(),
            other => return Err(errors::value_error(format!("SSLContext(): purpose must be 'server' or 'client', got '{other}'"))),
        };
        let id = NEXT_ID.with(|n| {
            let id = n.get();
            n.set(id.wrapping_add(1).max(1));
            id
        });
        CONTEXTS.with(|c| c.borrow_mut().insert(id, ctx.clone()));
        Ok(JsSslContext { id, ctx })
    }

    #[napi(getter)]
    pub fn id(&self) -> u32 {
        self.id
    }

    #[napi(catch_unwind)]
    pub fn load_cert_chain(&self, certfile: String, keyfile: Option<String>) -> napi::Result<(), ErrCode> {
        self.ctx.load_cert_chain(&certfile, keyfile.as_deref()).map_err(errors::from_core)
    }

    #[napi(catch_unwind)]
    pub fn load_verify_locations(&self, cafile: Option<String>, capath: Option<String>, cadata: Option<String>) -> napi::Result<u32, ErrCode> {
        self.ctx
            .load_verify_locations(cafile.as_deref(), capath.as_deref(), cadata.as_deref())
            .map(|n| n as u32)
            .map_err(errors::from_core)
    }

    #[napi(getter)]
    pub fn check_hostname(&self) -> bool {
        self.ctx.check_hostname()
    }

    #[napi(setter, catch_unwind)]
    pub fn set_check_hostname(&self, on: bool) {
        self.ctx.set_check_hostname(on);
    }

    #[napi(getter)]
    pub fn verify_mode(&self) -> String {
        match self.ctx.verify_mode() {
            VerifyMode::None => "none",
            VerifyMode::Optional => "optional",
            VerifyMode::Required => "required",
        }
        .into()
    }

    #[napi(setter, catch_unwind)]
    pub fn set_verify_mode(&self, mode: String) -> napi::Result<(), ErrCode> {
        let mode = match mode.as_str() {
            "none" => VerifyMode::None,
            "optional" => VerifyMode::Optional,
            "required" => VerifyMode::Required,
            other => {
                return Err(errors::value_error(format!(
                    "SSLContext.verifyMode must be 'none', 'optional' or 'required', got '{other}'"
                )))
            }
        };
        self.ctx.set_verify_mode(mode).map_err(errors::from_core)
    }

    #[napi(catch_unwind)]
    pub fn set_alpn_protocols(&self, protocols: Vec<String>) -> napi::Result<(), ErrCode> {
        self.ctx.set_alpn_protocols(&protocols).map_err(errors::from_core)
    }

    #[napi(getter)]
    pub fn minimum_version(&self) -> String {
        self.ctx.versions().0.name().into()
    }

    #[napi(setter, catch_unwind)]
    pub fn set_minimum_version(&self, v: String) -> napi::Result<(), ErrCode> {
        self.ctx.set_minimum_version(version_arg(&v, "minimumVersion")?);
        Ok(())
    }

    #[napi(getter)]
    pub fn maximum_version(&self) -> String {
        self.ctx.versions().1.name().into()
    }

    #[napi(setter, catch_unwind)]
    pub fn set_maximum_version(&self, v: String) -> napi::Result<(), ErrCode> {
        self.ctx.set_maximum_version(version_arg(&v, "maximumVersion")?);
        Ok(())
    }

    /// Python's `cert_store_stats()['x509_ca']`.
    #[napi(catch_unwind)]
    pub fn ca_count(&self) -> u32 {
        self.ctx.ca_count() as u32
    }
}

impl Drop for JsSslContext {
    fn drop(&mut self) {
        let _ = CONTEXTS.try_with(|c| c.borrow_mut().remove(&self.id));
    }
}
