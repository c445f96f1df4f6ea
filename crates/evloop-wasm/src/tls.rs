//! `SSLContext` in a simulation: the native context the package's
//! `SSLContext` class (core/net/ssl-context.ts) wraps, as the addon's
//! `NativeSslContext` is in Node. The networking calls name it by id.
//!
//! A simulation has no files: `loadCertChain` takes the PEM text itself
//! where Node takes paths, and `loadVerifyLocations` takes `cadata` only
//! (docs/tls.md, "In a simulation").

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use evloop::tls::{Purpose, SslContext, TlsOptions, TlsVersion, VerifyMode};
use evloop::Error;
use wasm_bindgen::prelude::*;

use crate::convert::{opt_bool, opt_f64, opt_i32, opt_string, throw, type_error};

/// The simulation's ids start here and the addon's at 1, so a context of
/// one runtime handed to the other is refused rather than mistaken for one
/// of its own.
const FIRST_ID: u32 = 1 << 30;

thread_local! {
    /// The live contexts by id; a context leaves when its JS object is freed.
    static CONTEXTS: RefCell<HashMap<u32, SslContext>> = RefCell::new(HashMap::new());
    static NEXT_ID: Cell<u32> = const { Cell::new(FIRST_ID) };
}

/// The context registered under `id`.
pub(crate) fn context(id: i32, call: &str) -> Result<SslContext, JsValue> {
    let found = u32::try_from(id).ok().and_then(|id| CONTEXTS.with(|c| c.borrow().get(&id).cloned()));
    found.ok_or_else(|| type_error(&format!("{call}(): ssl must be an SSLContext of evloop/sim (a context of the \"evloop\" entry is Node's)")))
}

/// The id a context is registered under (`getExtraInfo('sslcontext')`).
pub(crate) fn id_of(ctx: &SslContext) -> Option<u32> {
    CONTEXTS.with(|c| c.borrow().iter().find(|(_, v)| v.ptr_eq(ctx)).map(|(id, _)| *id))
}

/// The TLS options of a networking call (checked by the package already):
/// `sslContext` (an id), `sslDefault` (`ssl: true` on a connection),
/// `serverHostname`, `sslHandshakeTimeout`, `sslShutdownTimeout`.
pub(crate) fn tls_options(opts: &JsValue, call: &str) -> Result<TlsOptions, JsValue> {
    let ssl = match (opt_i32(opts, "sslContext"), opt_bool(opts, "sslDefault")) {
        (Some(id), _) => Some(context(id, call)?),
        (None, Some(true)) => Some(SslContext::create_default_context()),
        _ => None,
    };
    Ok(TlsOptions {
        ssl,
        server_hostname: opt_string(opts, "serverHostname"),
        ssl_handshake_timeout: opt_f64(opts, "sslHandshakeTimeout"),
        ssl_shutdown_timeout: opt_f64(opts, "sslShutdownTimeout"),
    })
}

/// `startTls`'s options besides the context.
pub(crate) fn start_tls_options(opts: &JsValue) -> evloop::tls::StartTlsOptions {
    evloop::tls::StartTlsOptions {
        server_side: opt_bool(opts, "serverSide").unwrap_or(false),
        server_hostname: opt_string(opts, "serverHostname"),
        ssl_handshake_timeout: opt_f64(opts, "sslHandshakeTimeout"),
        ssl_shutdown_timeout: opt_f64(opts, "sslShutdownTimeout"),
    }
}

fn version_arg(v: &str, what: &str) -> Result<TlsVersion, JsValue> {
    match v {
        "TLSv1.2" => Ok(TlsVersion::Tls12),
        "TLSv1.3" => Ok(TlsVersion::Tls13),
        _ => Err(throw(Error::Value(format!("SSLContext.{what} must be 'TLSv1.2' or 'TLSv1.3', got '{v}'")))),
    }
}

/// PEM text where Node takes a path: a simulation has no files.
fn pem_arg<'a>(text: &'a str, call: &str, name: &str) -> Result<&'a [u8], JsValue> {
    if text.contains("-----BEGIN ") {
        return Ok(text.as_bytes());
    }
    let shown: String = text.chars().take(40).collect();
    Err(throw(Error::Value(format!(
        "SSLContext.{call}(): a simulation has no files: {name} must be the PEM text itself, got '{shown}'"
    ))))
}

/// The native side of the package's `SSLContext` in a simulation.
#[wasm_bindgen(js_name = NativeSslContext)]
pub struct JsSslContext {
    id: u32,
    ctx: SslContext,
}

#[wasm_bindgen(js_class = NativeSslContext)]
impl JsSslContext {
    /// `"server"`, `"client"`, or `"default"` (`createDefaultContext()`).
    #[wasm_bindgen(constructor)]
    pub fn new(purpose: &str) -> Result<JsSslContext, JsValue> {
        let ctx = match purpose {
            "server" => SslContext::new(Purpose::Server),
            "client" => SslContext::new(Purpose::Client),
            "default" => SslContext::create_default_context(),
            other => {
                return Err(throw(Error::Value(format!("SSLContext(): purpose must be 'server' or 'client', got '{other}'"))))
            }
        };
        let id = NEXT_ID.with(|n| {
            let id = n.get();
            n.set(id.wrapping_add(1).max(FIRST_ID));
            id
        });
        CONTEXTS.with(|c| c.borrow_mut().insert(id, ctx.clone()));
        Ok(JsSslContext { id, ctx })
    }

    #[wasm_bindgen(getter)]
    pub fn id(&self) -> u32 {
        self.id
    }

    /// `certfile`, `keyfile`: PEM text (the key may be in `certfile`).
    #[wasm_bindgen(js_name = loadCertChain)]
    pub fn load_cert_chain(&self, certfile: &str, keyfile: Option<String>) -> Result<(), JsValue> {
        let cert = pem_arg(certfile, "loadCertChain", "certfile")?;
        let key = match &keyfile {
            Some(k) => Some(pem_arg(k, "loadCertChain", "keyfile")?),
            None => None,
        };
        self.ctx.load_cert_chain_pem(cert, key).map_err(throw)
    }

    /// `cadata` (PEM text); a file or directory is refused.
    #[wasm_bindgen(js_name = loadVerifyLocations)]
    pub fn load_verify_locations(&self, cafile: Option<String>, capath: Option<String>, cadata: Option<String>) -> Result<u32, JsValue> {
        if cafile.is_some() || capath.is_some() {
            return Err(throw(Error::Value(
                "SSLContext.loadVerifyLocations(): a simulation has no files: pass the PEM text as cadata".into(),
            )));
        }
        self.ctx.load_verify_locations(None, None, cadata.as_deref()).map(|n| n as u32).map_err(throw)
    }

    #[wasm_bindgen(getter, js_name = checkHostname)]
    pub fn check_hostname(&self) -> bool {
        self.ctx.check_hostname()
    }

    #[wasm_bindgen(setter, js_name = checkHostname)]
    pub fn set_check_hostname(&self, on: bool) {
        self.ctx.set_check_hostname(on);
    }

    #[wasm_bindgen(getter, js_name = verifyMode)]
    pub fn verify_mode(&self) -> String {
        match self.ctx.verify_mode() {
            VerifyMode::None => "none",
            VerifyMode::Optional => "optional",
            VerifyMode::Required => "required",
        }
        .into()
    }

    #[wasm_bindgen(setter, js_name = verifyMode)]
    pub fn set_verify_mode(&self, mode: &str) -> Result<(), JsValue> {
        let mode = match mode {
            "none" => VerifyMode::None,
            "optional" => VerifyMode::Optional,
            "required" => VerifyMode::Required,
            other => {
                return Err(throw(Error::Value(format!(
                    "SSLContext.verifyMode must be 'none', 'optional' or 'required', got '{other}'"
                ))))
            }
        };
        self.ctx.set_verify_mode(mode).map_err(throw)
    }

    #[wasm_bindgen(js_name = setAlpnProtocols)]
    pub fn set_alpn_protocols(&self, protocols: Vec<String>) -> Result<(), JsValue> {
        self.ctx.set_alpn_protocols(&protocols).map_err(throw)
    }

    #[wasm_bindgen(getter, js_name = minimumVersion)]
    pub fn minimum_version(&self) -> String {
        self.ctx.versions().0.name().into()
    }

    #[wasm_bindgen(setter, js_name = minimumVersion)]
    pub fn set_minimum_version(&self, v: &str) -> Result<(), JsValue> {
        self.ctx.set_minimum_version(version_arg(v, "minimumVersion")?);
        Ok(())
    }

    #[wasm_bindgen(getter, js_name = maximumVersion)]
    pub fn maximum_version(&self) -> String {
        self.ctx.versions().1.name().into()
    }

    #[wasm_bindgen(setter, js_name = maximumVersion)]
    pub fn set_maximum_version(&self, v: &str) -> Result<(), JsValue> {
        self.ctx.set_maximum_version(version_arg(v, "maximumVersion")?);
        Ok(())
    }

    /// Python's `cert_store_stats()['x509_ca']`.
    #[wasm_bindgen(js_name = caCount)]
    pub fn ca_count(&self) -> u32 {
        self.ctx.ca_count() as u32
    }
}

impl Drop for JsSslContext {
    fn drop(&mut self) {
        let _ = CONTEXTS.try_with(|c| c.borrow_mut().remove(&self.id));
    }
}
