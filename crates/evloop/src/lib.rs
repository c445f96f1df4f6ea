//! evloop: asyncio's event-loop model (CPython 3.13 semantics) in Rust.
//!
//! One scheduling core — ready queue, timer heap, handles, exception
//! handler, futures and tasks — over pluggable [`selector`]s (mio, `poll(2)`,
//! `select(2)`, virtual time) and a [`clock::Clock`].
//!
//! ```
//! use evloop::EventLoop;
//! use std::{cell::RefCell, rc::Rc};
//!
//! let lp = EventLoop::new()?;
//! let seen = Rc::new(RefCell::new(Vec::new()));
//! let (s1, s2) = (seen.clone(), seen.clone());
//! lp.call_later(0.01, move || s1.borrow_mut().push("later"))?;
//! lp.call_soon(move || s2.borrow_mut().push("soon"))?;
//! let stopper = lp.clone();
//! lp.call_later(0.02, move || stopper.stop())?;
//! lp.run_forever()?;
//! assert_eq!(*seen.borrow(), ["soon", "later"]);
//!
//! let sleepy = lp.clone();
//! let task = lp.create_task(async move {
//!     sleepy.sleep(0.01).unwrap().await.unwrap();
//!     42
//! })?;
//! assert_eq!(lp.run_until_complete(&task)?, 42);
//! lp.close()?;
//! # Ok::<(), evloop::Error>(())
//! ```

#![warn(missing_docs)]

pub mod clock;
mod close_guard;
mod errno;
mod backend;
mod datagram;
mod error;
mod event_loop;
mod exception;
mod executor;
mod future;
mod handle;
mod live;
mod log_forward;
#[cfg(unix)]
mod pipe;
pub mod net;
mod policy;
#[cfg(target_os = "linux")]
mod proactor;
mod remote;
mod runner;
mod server;
pub mod selector;
mod signals;
#[cfg(not(target_arch = "wasm32"))]
mod sock;
pub mod sim;
mod streams;
#[cfg(target_os = "linux")]
pub mod subprocess;
mod task;
mod timer_heap;
pub mod tls;
mod transport;

pub use error::{Error, OsError, Result, SslError};
pub use event_loop::{get_running_loop, EventLoop, LoopStats, SLOW_CALLBACK_TARGET};
pub use exception::{format_context, ExceptionContext, ExceptionHandler};
pub use future::{CallbackId, Future};
pub use handle::{Handle, TimerHandle};
pub use live::{live_objects, LiveObjects};
pub use log_forward::ForwardLog;
#[cfg(unix)]
pub use pipe::{check_pipe, PipeDirection};
pub use policy::{
    get_event_loop, get_event_loop_policy, new_event_loop, set_event_loop, set_event_loop_policy,
    DefaultEventLoopPolicy, EventLoopPolicy,
};
pub use remote::{LoopRemote, ThreadsafeHandle};
pub use executor::ThreadPoolExecutor;
pub use runner::{run, run_with, Runner};
#[cfg(not(target_arch = "wasm32"))]
pub use sock::AcceptedSocketOptions;
pub use selector::{Fd, Interest, SelectorKind};
pub use task::{Panicked, Task};
pub use datagram::{DatagramProtocol, DatagramTransport, IntoDatagramProtocol};
pub use net::{
    AddrInfo, AddrInfoHints, Address, ConnectionOptions, DatagramOptions, EndpointAddr, Family, Host, ServerOptions, TransportSocket,
    UnixServerOptions,
};
pub use server::{ProtocolFactory, Server};
pub use transport::{
    BufferedProtocol, ExtraInfo, HeapReads, IntoProtocol, Protocol, ReadBuf, ReadBuffer, ReadLease, ReadSupplier, RecvBlock, RecvMemory, Transport,
};
#[cfg(target_os = "linux")]
pub use streams::Process;
pub use streams::{
    StreamOptions, StreamReader, StreamReaderProtocol, StreamWriter, UnixConnectionOptions, DEFAULT_LIMIT,
};

/// Panic with this payload inside a callback to end `run_forever` with the
/// error instead of reporting it: the analogue of `SystemExit` and
/// `KeyboardInterrupt`. Bindings call [`EventLoop::raise_fatal`] instead.
#[derive(Debug)]
pub struct Fatal(pub Error);

#[cfg(not(target_os = "linux"))]
impl EventLoop {
    /// `ProactorEventLoop` is built on io_uring, which only Linux has:
    /// elsewhere constructing one fails (nothing falls back to a selector).
    ///
    /// # Errors
    /// Always: `OSError(ENOSYS)` saying why.
    pub fn proactor() -> Result<EventLoop> {
        Err(Error::os_with_message(
            "io_uring_setup",
            38,
            "[Errno 38] io_uring is not available: ProactorEventLoop needs Linux's io_uring",
        ))
    }
}

/// The crate version.
pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}
