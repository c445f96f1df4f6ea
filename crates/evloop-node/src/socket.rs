//! The native side of the package's `TransportSocket`: a read-only view of
//! a socket the loop owns (options and addresses; no close, read, write or
//! accept), and the platform's socket constants.

use evloop::TransportSocket;
use napi::bindgen_prelude::{Env, ToNapiValue, Unknown};
use napi::sys;
use napi_derive::napi;

use crate::errors::ErrCode;
use crate::js_callback;
use crate::convert;

/// A view of a server's or a transport's socket.
#[napi(js_name = "NativeTransportSocket")]
pub struct JsTransportSocket {
    s: TransportSocket,
}

impl JsTransportSocket {
    /// A new JS object for `s` (needs an open handle scope).
    pub fn value(env: sys::napi_env, s: TransportSocket) -> sys::napi_value {
        // SAFETY: env live on this thread inside a scope.
        unsafe { JsTransportSocket::to_napi_value(env, JsTransportSocket { s }) }
            .unwrap_or_else(|_| convert::null(env))
    }

    pub fn new(s: TransportSocket) -> JsTransportSocket {
        JsTransportSocket { s }
    }
}

#[napi]
impl JsTransportSocket {
    /// `AF_INET`, `AF_INET6` or `AF_UNIX`.
    #[napi(getter, catch_unwind)]
    pub fn family(&self) -> i32 {
        self.s.family()
    }

    /// `SOCK_STREAM`.
    #[napi(getter, js_name = "type", catch_unwind)]
    pub fn socket_type(&self) -> i32 {
        self.s.socket_type()
    }

    /// The protocol number (`IPPROTO_TCP`, or 0 for Unix sockets).
    #[napi(getter, catch_unwind)]
    pub fn proto(&self) -> i32 {
        self.s.proto()
    }

    /// The fd, or -1 once the owner closed the socket.
    #[napi(catch_unwind)]
    pub fn fileno(&self) -> i32 {
        self.s.fileno()
    }

    #[napi(catch_unwind, ts_return_type = "{ address: string, port: number, family: string } | string")]
    pub fn getsockname(&self, env: Env) -> napi::Result<Unknown<'static>, ErrCode> {
        let a = self.s.getsockname().map_err(convert::throw)?;
        Ok(convert::unknown(env.raw(), convert::address_value(env.raw(), &a)))
    }

    #[napi(catch_unwind, ts_return_type = "{ address: string, port: number, family: string } | string")]
    pub fn getpeername(&self, env: Env) -> napi::Result<Unknown<'static>, ErrCode> {
        let a = self.s.getpeername().map_err(convert::throw)?;
        Ok(convert::unknown(env.raw(), convert::address_value(env.raw(), &a)))
    }

    /// An integer option.
    #[napi(catch_unwind)]
    pub fn getsockopt(&self, level: i32, option: i32) -> napi::Result<i32, ErrCode> {
        self.s.getsockopt(level, option).map_err(convert::throw)
    }

    /// Sets an integer option.
    #[napi(catch_unwind)]
    pub fn setsockopt(&self, level: i32, option: i32, value: i32) -> napi::Result<(), ErrCode> {
        self.s.setsockopt(level, option, value).map_err(convert::throw)
    }

    /// Only 0 (the package passes `null` for `None`).
    #[napi(catch_unwind)]
    pub fn settimeout(&self, timeout: Option<f64>) -> napi::Result<(), ErrCode> {
        self.s.settimeout(timeout).map_err(convert::throw)
    }

    /// Only `false`.
    #[napi(catch_unwind)]
    pub fn setblocking(&self, flag: bool) -> napi::Result<(), ErrCode> {
        self.s.setblocking(flag).map_err(convert::throw)
    }

    #[napi(catch_unwind)]
    pub fn gettimeout(&self) -> f64 {
        self.s.gettimeout()
    }

    /// asyncio's repr: `<TransportSocket fd=6, family=2, type=1, proto=6, laddr=...>`.
    #[napi(catch_unwind)]
    pub fn describe(&self) -> String {
        format!("{:?}", self.s)
    }
}

/// The platform's socket constants (`AF_INET`, `SOL_SOCKET`, ...).
#[napi(catch_unwind, ts_return_type = "Record<string, number>")]
pub fn socket_constants(env: Env) -> Unknown<'static> {
    let raw = env.raw();
    let o = js_callback::object(raw);
    let constants = [
        ("AF_UNSPEC", libc::AF_UNSPEC),
        ("AF_INET", libc::AF_INET),
        ("AF_INET6", libc::AF_INET6),
        ("AF_UNIX", libc::AF_UNIX),
        ("SOCK_STREAM", libc::SOCK_STREAM),
        ("SOCK_DGRAM", libc::SOCK_DGRAM),
        ("SOL_SOCKET", libc::SOL_SOCKET),
        ("SO_REUSEADDR", libc::SO_REUSEADDR),
        ("SO_REUSEPORT", libc::SO_REUSEPORT),
        ("SO_KEEPALIVE", libc::SO_KEEPALIVE),
        ("SO_BROADCAST", libc::SO_BROADCAST),
        ("SO_TYPE", libc::SO_TYPE),
        ("SO_RCVBUF", libc::SO_RCVBUF),
        ("SO_SNDBUF", libc::SO_SNDBUF),
        ("IPPROTO_TCP", libc::IPPROTO_TCP),
        ("IPPROTO_UDP", libc::IPPROTO_UDP),
        ("TCP_NODELAY", libc::TCP_NODELAY),
        ("IPPROTO_IPV6", libc::IPPROTO_IPV6),
        ("IPV6_V6ONLY", libc::IPV6_V6ONLY),
        ("AI_PASSIVE", libc::AI_PASSIVE),
        ("SHUT_RD", libc::SHUT_RD),
        ("SHUT_WR", libc::SHUT_WR),
        ("SHUT_RDWR", libc::SHUT_RDWR),
    ];
    for (name, value) in constants {
        js_callback::set_property(raw, o, name, js_callback::number(raw, f64::from(value)));
    }
    convert::unknown(raw, o)
}
