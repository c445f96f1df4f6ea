//! The native side of the package's `Socket` (API.md v2 "Sockets"):
//! a non-blocking, close-on-exec OS socket the caller owns, with the
//! subset of Python's `socket` methods the `sock*` loop calls need around
//! them (`bind`, `listen`, addresses, options, `shutdown`, `close`,
//! `detach`). Blocking calls (`accept`, `connect`, `recv`, `send`) are the
//! loop's (`sock_calls.rs`).

use std::cell::RefCell;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::os::fd::{AsRawFd, IntoRawFd, OwnedFd};

use evloop::Error;
use napi::bindgen_prelude::{Env, ToNapiValue, Unknown};
use napi::sys;
use napi_derive::napi;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::convert;
use crate::errors::{self, ErrCode};

/// An OS socket (`None` once closed or detached).
#[napi(js_name = "NativeSocket")]
pub struct JsSocket {
    sock: RefCell<Option<Socket>>,
    family: i32,
    kind: i32,
    proto: i32,
}

fn os(call: &'static str) -> impl Fn(std::io::Error) -> napi::Error<ErrCode> {
    move |e| convert::throw(Error::os(call, e))
}

fn sockopt(fd: i32, level: i32, option: i32) -> i32 {
    let mut v: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: v and len are valid for the call.
    let rc = unsafe { libc::getsockopt(fd, level, option, (&mut v as *mut libc::c_int).cast(), &mut len) };
    if rc == 0 { v } else { 0 }
}

impl JsSocket {
    /// A socket over an fd the caller hands over (an accepted connection).
    pub fn adopt(fd: OwnedFd) -> JsSocket {
        let raw = fd.as_raw_fd();
        JsSocket {
            family: sockopt(raw, libc::SOL_SOCKET, libc::SO_DOMAIN),
            kind: sockopt(raw, libc::SOL_SOCKET, libc::SO_TYPE),
            proto: sockopt(raw, libc::SOL_SOCKET, libc::SO_PROTOCOL),
            sock: RefCell::new(Some(Socket::from(fd))),
        }
    }

    /// A new JS object for `s` (needs an open handle scope).
    pub fn value(env: sys::napi_env, s: JsSocket) -> sys::napi_value {
        // SAFETY: env live on this thread inside a scope.
        unsafe { JsSocket::to_napi_value(env, s) }.unwrap_or_else(|_| convert::null(env))
    }

    fn with<T>(&self, call: &str, f: impl FnOnce(&Socket) -> napi::Result<T, ErrCode>) -> napi::Result<T, ErrCode> {
        match self.sock.borrow().as_ref() {
            Some(s) => f(s),
            None => Err(convert::throw(Error::os_with_message(
                "socket",
                libc::EBADF,
                format!("[Errno 9] Bad file descriptor: {call}() on a closed socket"),
            ))),
        }
    }

    /// `host`/`port` (a numeric host, `""` for any, or a name resolved now,
    /// as Python's `bind` does) or a Unix `path`.
    fn sockaddr(&self, host: Option<String>, port: Option<u32>, path: Option<String>, call: &str) -> napi::Result<SockAddr, ErrCode> {
        if let Some(p) = path {
            return SockAddr::unix(p).map_err(os("bind"));
        }
        let port = crate::server::port_arg(port, call)?.unwrap_or(0);
        let host = host.unwrap_or_default();
        let v6 = self.family == libc::AF_INET6;
        if host.is_empty() {
            let any: IpAddr = if v6 { "::".parse().expect("literal") } else { "0.0.0.0".parse().expect("literal") };
            return Ok(SockAddr::from(SocketAddr::new(any, port)));
        }
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(SockAddr::from(SocketAddr::new(ip, port)));
        }
        let found = (host.as_str(), port).to_socket_addrs().map_err(|e| {
            convert::throw(Error::Gai(evloop::OsError { errno: -2, syscall: "getaddrinfo", message: format!("[Errno -2] {e}") }))
        })?;
        found
            .into_iter()
            .find(|a| a.is_ipv6() == v6)
            .map(SockAddr::from)
            .ok_or_else(|| errors::value_error(format!("{call}(): no address of the socket's family for {host:?}")))
    }
}

/// `socket(family, type, proto)`: a non-blocking, close-on-exec socket.
#[napi(catch_unwind)]
pub fn socket_open(family: i32, kind: i32, proto: i32) -> napi::Result<JsSocket, ErrCode> {
    let ty = Type::from(kind).nonblocking().cloexec();
    let protocol = (proto != 0).then(|| Protocol::from(proto));
    let s = Socket::new(Domain::from(family), ty, protocol).map_err(os("socket"))?;
    let fd = s.as_raw_fd();
    let proto = if proto != 0 { proto } else { sockopt(fd, libc::SOL_SOCKET, libc::SO_PROTOCOL) };
    Ok(JsSocket { sock: RefCell::new(Some(s)), family, kind, proto })
}

#[napi]
impl JsSocket {
    #[napi(getter, catch_unwind)]
    pub fn family(&self) -> i32 {
        self.family
    }

    #[napi(getter, js_name = "type", catch_unwind)]
    pub fn socket_type(&self) -> i32 {
        self.kind
    }

    #[napi(getter, catch_unwind)]
    pub fn proto(&self) -> i32 {
        self.proto
    }

    /// The fd, or -1 once closed or detached.
    #[napi(catch_unwind)]
    pub fn fileno(&self) -> i32 {
        self.sock.borrow().as_ref().map_or(-1, AsRawFd::as_raw_fd)
    }

    #[napi(catch_unwind)]
    pub fn bind(&self, host: Option<String>, port: Option<u32>, path: Option<String>) -> napi::Result<(), ErrCode> {
        let addr = self.sockaddr(host, port, path, "bind")?;
        self.with("bind", |s| s.bind(&addr).map_err(os("bind")))
    }

    #[napi(catch_unwind)]
    pub fn listen(&self, backlog: i32) -> napi::Result<(), ErrCode> {
        self.with("listen", |s| s.listen(backlog).map_err(os("listen")))
    }

    #[napi(catch_unwind, ts_return_type = "{ address: string, port: number, family: string } | string")]
    pub fn getsockname(&self, env: Env) -> napi::Result<Unknown<'static>, ErrCode> {
        let a = self.with("getsockname", |s| s.local_addr().map_err(os("getsockname")))?;
        Ok(address(env, &a))
    }

    #[napi(catch_unwind, ts_return_type = "{ address: string, port: number, family: string } | string")]
    pub fn getpeername(&self, env: Env) -> napi::Result<Unknown<'static>, ErrCode> {
        let a = self.with("getpeername", |s| s.peer_addr().map_err(os("getpeername")))?;
        Ok(address(env, &a))
    }

    /// An integer option.
    #[napi(catch_unwind)]
    pub fn getsockopt(&self, level: i32, option: i32) -> napi::Result<i32, ErrCode> {
        self.with("getsockopt", |s| {
            let mut v: libc::c_int = 0;
            let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
            // SAFETY: v and len are valid for the call.
            let rc = unsafe { libc::getsockopt(s.as_raw_fd(), level, option, (&mut v as *mut libc::c_int).cast(), &mut len) };
            if rc != 0 {
                return Err(os("getsockopt")(std::io::Error::last_os_error()));
            }
            Ok(v)
        })
    }

    #[napi(catch_unwind)]
    pub fn setsockopt(&self, level: i32, option: i32, value: i32) -> napi::Result<(), ErrCode> {
        self.with("setsockopt", |s| {
            let v: libc::c_int = value;
            let len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
            // SAFETY: v is valid for len bytes.
            let rc = unsafe { libc::setsockopt(s.as_raw_fd(), level, option, (&v as *const libc::c_int).cast(), len) };
            if rc != 0 {
                return Err(os("setsockopt")(std::io::Error::last_os_error()));
            }
            Ok(())
        })
    }

    /// `SHUT_RD` (0), `SHUT_WR` (1) or `SHUT_RDWR` (2).
    #[napi(catch_unwind)]
    pub fn shutdown(&self, how: i32) -> napi::Result<(), ErrCode> {
        let how = match how {
            0 => std::net::Shutdown::Read,
            1 => std::net::Shutdown::Write,
            2 => std::net::Shutdown::Both,
            _ => return Err(errors::value_error(format!("shutdown(): how must be SHUT_RD, SHUT_WR or SHUT_RDWR, got {how}"))),
        };
        self.with("shutdown", |s| s.shutdown(how).map_err(os("shutdown")))
    }

    /// Closes the fd; idempotent.
    #[napi(catch_unwind)]
    pub fn close(&self) {
        drop(self.sock.borrow_mut().take());
    }

    /// Lets go of the fd without closing it; returns it (-1 if closed).
    #[napi(catch_unwind)]
    pub fn detach(&self) -> i32 {
        self.sock.borrow_mut().take().map_or(-1, IntoRawFd::into_raw_fd)
    }

    /// Python's repr: `<socket.socket fd=7, family=2, type=1, proto=6>`.
    #[napi(catch_unwind)]
    pub fn describe(&self) -> String {
        let fd = self.fileno();
        if fd < 0 {
            return format!("<socket.socket [closed] fd=-1, family={}, type={}, proto={}>", self.family, self.kind, self.proto);
        }
        format!("<socket.socket fd={fd}, family={}, type={}, proto={}>", self.family, self.kind, self.proto)
    }
}

fn address(env: Env, a: &SockAddr) -> Unknown<'static> {
    let raw = env.raw();
    let value = match from_sockaddr(a) {
        Some(addr) => convert::address_value(raw, &addr),
        None => convert::null(raw),
    };
    convert::unknown(raw, value)
}

/// An OS address in the package's shapes.
pub fn from_sockaddr(a: &SockAddr) -> Option<evloop::Address> {
    if let Some(inet) = a.as_socket() {
        return Some(evloop::Address::Inet(inet));
    }
    if a.is_unix() {
        if let Some(p) = a.as_pathname() {
            return Some(evloop::Address::Unix(p.to_string_lossy().into_owned()));
        }
        return Some(evloop::Address::Unix(String::new()));
    }
    None
}
