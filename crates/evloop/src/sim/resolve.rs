//! Name resolution on a simulated host: `getaddrinfo` and `getnameinfo`
//! over the simulation's host names, and the checks of the connection
//! options a simulated host honours or refuses.
//!
//! A host's address is its name (`Address::Sim`); "localhost", "",
//! `127.0.0.1`, `::1` and no host are the host itself. A lookup completes
//! after a virtual delay drawn from the host's executor stream (the
//! resolver is blocking work an executor would run), and is traced as a
//! `"resolve"` record. Ports are numbers: a simulation has no services
//! database, so a service name is `EAI_SERVICE`.

use std::rc::Weak;

use super::{Core, HostId};
use crate::error::{Error, OsError, Result};
use crate::net::{AddrInfo, AddrInfoHints, Address, ConnectionOptions, IPPROTO_TCP, IPPROTO_UDP, SOCK_DGRAM, SOCK_STREAM};
use crate::net::{AF_INET, AF_INET6, AF_UNSPEC};
use crate::EventLoop;

/// `AI_CANONNAME` (Linux's value).
const AI_CANONNAME: i32 = 2;
/// `EPROTONOSUPPORT` (Linux's value).
const EPROTONOSUPPORT: i32 = 93;

/// glibc's `gaierror` for `code`, naming `syscall`.
pub(crate) fn gai(code: i32, syscall: &'static str) -> Error {
    let text = match code {
        -2 => "Name or service not known",
        -6 => "ai_family not supported",
        -7 => "ai_socktype not supported",
        -8 => "Servname not supported for ai_socktype",
        -9 => "Address family for hostname not supported",
        _ => "Non-recoverable failure in name resolution",
    };
    Error::Gai(OsError { errno: code, syscall, message: format!("[Errno {code}] {text}") })
}

fn check_family(family: i32) -> Result<()> {
    match family {
        AF_UNSPEC | AF_INET => Ok(()),
        // Simulated hosts have one address each, which calls itself IPv4.
        AF_INET6 => Err(gai(-9, "getaddrinfo")),
        _ => Err(gai(-6, "getaddrinfo")),
    }
}

/// The `(type, proto)` pairs `hints` asks for: stream and datagram (a
/// simulation has no raw sockets).
fn kinds(hints: &AddrInfoHints) -> Result<Vec<(i32, i32)>> {
    let all = [(SOCK_STREAM, IPPROTO_TCP), (SOCK_DGRAM, IPPROTO_UDP)];
    if hints.socktype != 0 && !all.iter().any(|(t, _)| *t == hints.socktype) {
        return Err(gai(-7, "getaddrinfo"));
    }
    let found: Vec<(i32, i32)> = all
        .into_iter()
        .filter(|(t, p)| (hints.socktype == 0 || *t == hints.socktype) && (hints.proto == 0 || *p == hints.proto))
        .collect();
    if found.is_empty() {
        return Err(gai(-8, "getaddrinfo"));
    }
    Ok(found)
}

fn port_of(port: Option<&str>) -> Result<u16> {
    match port {
        None => Ok(0),
        Some(p) => p.parse::<u16>().map_err(|_| gai(-8, "getaddrinfo")),
    }
}

/// Waits for the host's drawn resolver delay, then runs `lookup` on the
/// world and traces it.
async fn after_delay<T>(
    core: Weak<Core>,
    me: HostId,
    lp: EventLoop,
    call: &'static str,
    query: String,
    lookup: impl FnOnce(&Core) -> Result<T>,
    found: impl Fn(&T) -> usize,
) -> Result<T> {
    let delay = core.upgrade().ok_or_else(super::socket::sim_gone)?.executor_delay_of(me);
    lp.sleep(delay)?.await?;
    let core = core.upgrade().ok_or_else(super::socket::sim_gone)?;
    let result = lookup(&core);
    let outcome = match &result {
        Ok(v) => ("found", found(v).into()),
        Err(e) => ("error", e.code().unwrap_or("").into()),
    };
    core.world.borrow().record(me, "resolve", vec![("call", call.into()), ("query", query.as_str().into()), outcome]);
    result
}

/// `getaddrinfo` on host `me`: one entry per socket type asked for.
pub(super) async fn getaddrinfo(
    core: Weak<Core>,
    me: HostId,
    lp: EventLoop,
    host: Option<String>,
    port: Option<String>,
    hints: AddrInfoHints,
) -> Result<Vec<AddrInfo>> {
    let checked = check_family(hints.family).and_then(|()| kinds(&hints)).and_then(|k| Ok((k, port_of(port.as_deref())?)));
    let query = format!("{}:{}", host.as_deref().unwrap_or(""), port.as_deref().unwrap_or(""));
    let lookup = move |core: &Core| {
        let (kinds, port) = checked?;
        let w = core.world.borrow();
        let target = w.resolve(me, host.as_deref())?;
        let name = w.hosts[target].name.to_string();
        let canon = hints.flags & AI_CANONNAME != 0;
        Ok(kinds
            .into_iter()
            .enumerate()
            .map(|(i, (socktype, proto))| AddrInfo {
                family: AF_INET,
                socktype,
                proto,
                canonname: if canon && i == 0 { name.clone() } else { String::new() },
                addr: Address::Sim { host: name.clone(), port },
            })
            .collect())
    };
    after_delay(core, me, lp, "getaddrinfo", query, lookup, Vec::len).await
}

/// `getnameinfo` on host `me`: a host's name is its address, and a port is
/// its own service.
pub(super) async fn getnameinfo(core: Weak<Core>, me: HostId, lp: EventLoop, host: String, port: u16) -> Result<(String, String)> {
    let query = format!("{host}:{port}");
    let lookup = move |core: &Core| {
        let w = core.world.borrow();
        let target = w.resolve(me, Some(&host)).map_err(|_| gai(-2, "getnameinfo"))?;
        Ok((w.hosts[target].name.to_string(), port.to_string()))
    };
    after_delay(core, me, lp, "getnameinfo", query, lookup, |_| 1).await
}

/// What a simulated host honours of `create_connection`'s options, and a
/// clear refusal of the rest. A host has one address, so
/// `happy_eyeballs_delay` and `interleave` race that one address.
pub(super) fn check_connection_options(core: &Core, me: HostId, opts: &ConnectionOptions) -> Result<()> {
    check_family(opts.family.raw())?;
    if opts.proto != 0 && opts.proto != IPPROTO_TCP {
        return Err(Error::os_with_message(
            "socket",
            EPROTONOSUPPORT,
            format!("[Errno {EPROTONOSUPPORT}] Protocol not supported"),
        ));
    }
    if let Some(d) = opts.happy_eyeballs_delay {
        if !d.is_finite() || d < 0.0 {
            return Err(Error::Value(format!("happy_eyeballs_delay must be a non-negative number, got {d}")));
        }
    }
    if let Some((host, port)) = &opts.local_addr {
        let w = core.world.borrow();
        let target = w.resolve(me, Some(host))?;
        if target != me {
            let shown = Address::Sim { host: host.clone(), port: *port };
            return Err(Error::os_with_message(
                "bind",
                crate::errno::EADDRNOTAVAIL,
                format!("[Errno 99] error while attempting to bind on address {shown}: [errno 99] cannot assign requested address"),
            ));
        }
        if *port != 0 {
            return Err(Error::Value(format!(
                "local_addr: a simulated host connects from an ephemeral port; port {port} cannot be chosen (use 0)"
            )));
        }
    }
    Ok(())
}

/// A failed attempt's error, as `all_errors` wants it.
pub(super) fn connect_error(err: Error, opts: &ConnectionOptions) -> Error {
    if opts.all_errors {
        return Error::Group { message: "create_connection failed".into(), errors: vec![err] };
    }
    err
}
