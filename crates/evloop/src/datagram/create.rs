//! `create_datagram_endpoint`: checks the arguments as asyncio does, asks
//! the loop's network for the socket, and wraps it in a transport.

use std::rc::Rc;

use super::{DatagramProtocol, DatagramTransport};
use crate::error::{Error, Result};
use crate::net::{DatagramOptions, EndpointAddr, AF_UNIX};
use crate::transport::call_protocol;
use crate::EventLoop;

/// What a datagram protocol factory returns: an `Rc` of a protocol, of its
/// concrete type (a binding gets its own type back) or as
/// `Rc<dyn DatagramProtocol>`.
pub trait IntoDatagramProtocol: Clone + 'static {
    /// The protocol the transport drives.
    fn into_protocol(self) -> Rc<dyn DatagramProtocol>;
}

impl<P: DatagramProtocol + 'static> IntoDatagramProtocol for Rc<P> {
    fn into_protocol(self) -> Rc<dyn DatagramProtocol> {
        self
    }
}

impl IntoDatagramProtocol for Rc<dyn DatagramProtocol> {
    fn into_protocol(self) -> Rc<dyn DatagramProtocol> {
        self
    }
}

impl EventLoop {
    /// Creates a datagram endpoint: a socket bound to `local_addr` and/or
    /// connected to `remote_addr` (or the caller's `sock`), and resolves to
    /// the transport and protocol once `connection_made` has run.
    ///
    /// # Errors
    /// `ValueError`/`TypeError` for conflicting or ill-shaped arguments;
    /// `gaierror`; the OS error of `socket`, `bind` or `connect`.
    pub fn create_datagram_endpoint(
        &self,
        factory: impl FnOnce() -> Rc<dyn DatagramProtocol> + 'static,
        opts: DatagramOptions,
    ) -> impl std::future::Future<Output = Result<(DatagramTransport, Rc<dyn DatagramProtocol>)>> + 'static {
        self.create_datagram_endpoint_with(move || Ok(factory()), opts)
    }

    /// [`create_datagram_endpoint`](Self::create_datagram_endpoint) with a
    /// fallible factory of any protocol type (bindings): it is called once
    /// the socket is ready; if it fails, the socket is closed.
    ///
    /// # Errors
    /// As `create_datagram_endpoint`; the factory's error.
    pub fn create_datagram_endpoint_with<P: IntoDatagramProtocol>(
        &self,
        factory: impl FnOnce() -> Result<P> + 'static,
        opts: DatagramOptions,
    ) -> impl std::future::Future<Output = Result<(DatagramTransport, P)>> + 'static {
        let lp = self.clone();
        async move {
            lp.check_open()?;
            check(&opts)?;
            let (sock, remote) = lp.network().datagram(&lp, &opts).await?;
            // A failing factory drops `sock`, which closes it.
            let protocol = call_protocol(factory)?;
            let waiter = lp.create_future::<()>();
            let transport = DatagramTransport::new(&lp, sock, protocol.clone().into_protocol(), remote, waiter.clone())?;
            // Closed if the wait fails or is dropped (a cancelled task).
            let guard = crate::close_guard::CloseUnlessKept::new(transport);
            waiter.await?;
            Ok((guard.keep(), protocol))
        }
    }
}

/// asyncio's argument checks, before any socket exists.
fn check(opts: &DatagramOptions) -> Result<()> {
    if opts.sock.is_some() {
        let mut problems = Vec::new();
        if let Some(a) = &opts.local_addr {
            problems.push(format!("local_addr={a}"));
        }
        if let Some(a) = &opts.remote_addr {
            problems.push(format!("remote_addr={a}"));
        }
        for (name, value) in [("family", opts.family), ("proto", opts.proto), ("flags", opts.flags)] {
            if value != 0 {
                problems.push(format!("{name}={value}"));
            }
        }
        for (name, value) in [("reuse_port", opts.reuse_port), ("allow_broadcast", opts.allow_broadcast)] {
            if value {
                problems.push(format!("{name}=True"));
            }
        }
        if !problems.is_empty() {
            return Err(Error::Value(format!(
                "socket modifier keyword arguments can not be used when sock is specified. ({})",
                problems.join(", ")
            )));
        }
        return Ok(());
    }
    if opts.local_addr.is_none() && opts.remote_addr.is_none() {
        if opts.family == 0 {
            return Err(Error::Value("unexpected address family".into()));
        }
        return Ok(());
    }
    for addr in [&opts.local_addr, &opts.remote_addr].into_iter().flatten() {
        match (opts.family == AF_UNIX, addr) {
            (true, EndpointAddr::Host(..)) => return Err(Error::Type("string is expected".into())),
            (false, EndpointAddr::Path(_)) => return Err(Error::Type("2-tuple is expected".into())),
            _ => {}
        }
    }
    Ok(())
}
