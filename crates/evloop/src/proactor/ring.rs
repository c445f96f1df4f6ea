//! The io_uring instance of one proactor loop: operations in flight and the
//! memory the kernel uses for them, the wake-up eventfd other threads write,
//! and the eventfd the kernel signals on every completion (for Node's libuv).
//!
//! Memory safety rests on one rule: everything the kernel reads or writes
//! for an operation (buffers, socket addresses, iovecs, msghdrs) lives in
//! that operation's [`OpBufs`], which stay in the table until the kernel
//! posted the operation's completion. Cancelling an operation only asks the
//! kernel; its buffers are freed when the completion (`-ECANCELED` or a
//! result) arrives. Closing the ring cancels everything and waits for it.
//!
//! A second rule keeps fds right: an operation names an fd number, which the
//! kernel resolves when the entry is *submitted*. Code that closes an fd
//! first calls [`Ring::cancel_fd`], which submits what is queued (so no
//! queued entry can reach a reused number) and cancels what is in flight.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use io_uring::{cqueue, opcode, squeue, types, EnterFlags, IoUring, Probe};

use super::bufring::{BufRing, ProvidedBuf};
use crate::transport::RecvMemory;
use crate::error::{Error, Result};
use crate::selector::{Completion, Event, Fd, Interest, Wake};

/// Submission queue size; the completion queue is twice as large, and the
/// kernel keeps overflowing completions (IORING_FEAT_NODROP) until reaped.
const ENTRIES: u32 = 1024;

/// The label of accepts: a completion of one whose callback is gone (the
/// server stopped) carries a new connection's fd, closed here.
pub(crate) const ACCEPT_LABEL: &str = "Server._accept_connection";

/// `user_data` of the poll on the wake-up eventfd.
const WAKE_TOKEN: u64 = u64::MAX;
/// `user_data` of cancel requests, whose own completions are ignored.
const CANCEL_TOKEN: u64 = u64::MAX - 1;

/// What the kernel uses for one operation, owned until its completion.
#[derive(Default)]
pub(crate) struct OpBufs {
    /// The receive buffer: empty, with the capacity the kernel may fill;
    /// its length is set to what the kernel wrote when the read completes.
    pub(crate) data: Vec<u8>,
    /// Bytes a receive asks for (0: not a receive).
    recv_len: usize,
    /// The chunks of a vectored send.
    pub(crate) chunks: Vec<Vec<u8>>,
    iov: Vec<libc::iovec>,
    msg: Option<Box<libc::msghdr>>,
    /// A socket address: the peer of an accept, the target of a connect.
    pub(crate) addr: Option<Box<(libc::sockaddr_storage, libc::socklen_t)>>,
}

/// The result of a completed operation and its memory, handed back.
pub(crate) struct Done {
    /// The kernel's result: a count or an fd (`>= 0`), or `-errno`.
    pub(crate) res: i32,
    /// The completion's flags (`IORING_CQE_F_*`).
    pub(crate) flags: u32,
    pub(crate) bufs: OpBufs,
    /// The provided buffer the kernel filled (multishot receives); it goes
    /// back to the kernel when dropped.
    pub(crate) buf: Option<ProvidedBuf>,
}

impl Done {
    /// Whether a multishot operation stays armed after this completion.
    pub(crate) fn more(&self) -> bool {
        cqueue::more(self.flags)
    }

    /// `res` as a count, or the OS error.
    pub(crate) fn result(&self) -> io::Result<usize> {
        if self.res < 0 {
            Err(io::Error::from_raw_os_error(-self.res))
        } else {
            Ok(self.res as usize)
        }
    }
}

type OnDone = Box<dyn FnOnce(Done)>;

/// What runs for an operation's completions.
enum Handler {
    /// A one-shot operation: its only completion.
    Once(OnDone),
    /// A multishot operation: every completion, until one without
    /// `IORING_CQE_F_MORE` ends it.
    Multi(Rc<dyn Fn(Done)>),
}

struct Op {
    fd: Fd,
    /// Boxed so the addresses handed to the kernel never move.
    bufs: Box<OpBufs>,
    /// `None` once cancelled: the completions only free the memory.
    on_done: Option<Handler>,
    label: &'static str,
}

/// A readiness registration (`add_reader`/`add_writer`): a one-shot
/// `IORING_OP_POLL_ADD` re-armed at each `select`, which makes it
/// level-triggered as asyncio's selectors are.
struct PollReg {
    interest: Interest,
    /// The poll in flight, if any.
    token: Option<u64>,
}

struct State {
    /// `None` once closed.
    uring: Option<IoUring>,
    ops: HashMap<u64, Op>,
    next_token: u64,
    /// Callbacks of operations that completed, for the loop to run.
    done: Vec<Completion>,
    /// Readiness registrations and their in-flight polls (by token).
    polls: HashMap<Fd, PollReg>,
    poll_tokens: HashMap<u64, Fd>,
    /// Readiness found by the last reap.
    events: Vec<Event>,
    wake_armed: bool,
    /// The provided-buffer ring of multishot receives (`None`: the kernel
    /// refused it; receives then bring their own buffer).
    bufring: Option<Rc<BufRing>>,
}

/// Wakes a `select` blocked in `io_uring_enter` from any thread. Other
/// threads keep it (`Arc`) past `loop.close()`, which closes the eventfd:
/// under the lock, so that a late wake never writes to a reused fd number.
pub(crate) struct EventFdWake(Mutex<Option<OwnedFd>>);

impl EventFdWake {
    fn raw(&self) -> Option<Fd> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).as_ref().map(|fd| fd.as_raw_fd())
    }

    fn close(&self) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take();
    }
}

impl Wake for EventFdWake {
    fn wake(&self) -> io::Result<()> {
        match &*self.0.lock().unwrap_or_else(|e| e.into_inner()) {
            Some(fd) => write_eventfd(fd.as_raw_fd()),
            None => Ok(()), // the loop is closed: nothing waits
        }
    }
}

/// One io_uring and its bookkeeping. Shared (`Rc`) by the loop's selector
/// slot, its network, its servers and its transports.
pub(crate) struct Ring {
    state: RefCell<State>,
    wake: Arc<EventFdWake>,
    /// Registered with IORING_REGISTER_EVENTFD when a loop outside asks for
    /// it ([`Ring::notify_fd`], Node's libuv): readable whenever a
    /// completion was posted since the last `select`. `None` once closed.
    notify: RefCell<Option<OwnedFd>>,
    /// Whether `notify` is registered: a loop nobody watches from outside
    /// pays neither the kernel's signal per completion nor a read per
    /// iteration.
    notify_registered: Cell<bool>,
    /// Operations submitted since the ring was created (for tests and stats).
    submitted: Cell<u64>,
    /// `select` calls so far: the completions of one run in one iteration.
    selects: Cell<u64>,
    /// Whether the kernel has `IORING_OP_SEND_ZC` (Linux 6.0).
    send_zc: bool,
}

/// The opcodes the proactor submits; a kernel without one is refused.
const NEEDED: [(u8, &str); 9] = [
    (opcode::Accept::CODE, "IORING_OP_ACCEPT"),
    (opcode::Recv::CODE, "IORING_OP_RECV"),
    (opcode::Send::CODE, "IORING_OP_SEND"),
    (opcode::SendMsg::CODE, "IORING_OP_SENDMSG"),
    (opcode::Connect::CODE, "IORING_OP_CONNECT"),
    (opcode::PollAdd::CODE, "IORING_OP_POLL_ADD"),
    (opcode::AsyncCancel::CODE, "IORING_OP_ASYNC_CANCEL"),
    (opcode::Read::CODE, "IORING_OP_READ"),
    (opcode::Writev::CODE, "IORING_OP_WRITEV"),
];

fn eventfd() -> io::Result<OwnedFd> {
    // SAFETY: plain syscall; the result is checked and owned below.
    let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a fresh fd we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn write_eventfd(fd: RawFd) -> io::Result<()> {
    let one: u64 = 1;
    // SAFETY: writes 8 bytes from a local to our own eventfd.
    let n = unsafe { libc::write(fd, (&one as *const u64).cast(), 8) };
    if n < 0 {
        let e = io::Error::last_os_error();
        // A saturated counter already wakes.
        if e.kind() != io::ErrorKind::WouldBlock {
            return Err(e);
        }
    }
    Ok(())
}

fn drain_eventfd(fd: RawFd) {
    let mut v: u64 = 0;
    // SAFETY: reads 8 bytes into a local; non-blocking.
    unsafe { libc::read(fd, (&mut v as *mut u64).cast(), 8) };
}

/// Whether the running kernel is at least `major.minor`.
fn kernel_at_least(major: u32, minor: u32) -> bool {
    // SAFETY: utsname is plain data, filled by the call.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to our local.
    if unsafe { libc::uname(&mut u) } != 0 {
        return false;
    }
    // SAFETY: the kernel NUL-terminates the release string.
    let release = unsafe { std::ffi::CStr::from_ptr(u.release.as_ptr()) }.to_string_lossy();
    let mut parts = release.split(|c: char| !c.is_ascii_digit()).filter_map(|p| p.parse::<u32>().ok());
    let (a, b) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (a, b) >= (major, minor)
}

/// Why io_uring cannot be used here, in words a user can act on: an
/// `OSError` with the errno of the failure.
fn unavailable(what: &str, e: io::Error) -> Error {
    let errno = e.raw_os_error().unwrap_or(libc::ENOSYS);
    let hint = match errno {
        libc::ENOSYS => "; the kernel has no io_uring (Linux 5.19 or later built with CONFIG_IO_URING is needed), or a seccomp filter (container runtime, sandbox) refuses it",
        libc::EPERM => "; io_uring is disabled for this process (sysctl kernel.io_uring_disabled, or a seccomp or LSM policy)",
        libc::ENOMEM => "; the kernel refused the ring's memory (RLIMIT_MEMLOCK on kernels before 5.12)",
        _ => "",
    };
    let text = Error::os("io_uring_setup", e).message();
    Error::os_with_message("io_uring_setup", errno, format!("{text}: io_uring is not available: {what} failed{hint}"))
}

/// A kernel whose io_uring lacks something the proactor needs.
fn lacking(what: String) -> Error {
    Error::os_with_message(
        "io_uring_setup",
        libc::ENOSYS,
        format!("[Errno {}] io_uring is not available: the kernel's io_uring lacks {what} (Linux 5.19 or later is needed)", libc::ENOSYS),
    )
}

/// The io_uring instance, with cooperative task work where the kernel has
/// it (`IORING_SETUP_COOP_TASKRUN`, Linux 5.19; falls back to the default).
///
/// By default the kernel interrupts the loop's thread (an inter-processor
/// interrupt when it runs on another CPU) for every completion's task work
/// as soon as data arrives: with 100 connections at 1 KiB that cost a third
/// of the loop's CPU (bench/bounds.md, "The proactor's task work"). With
/// `COOP_TASKRUN` the work waits for the thread's next entry into the
/// kernel (its next `send` or `io_uring_enter`), batched, and a thread that
/// sleeps (in `io_uring_enter`, or in libuv's `epoll_wait` under Node) is
/// still woken. `TASKRUN_FLAG` tells us when such work is pending
/// (`has_pending`). `DEFER_TASKRUN` measured the same in Rust but in Node
/// lost a wake-up now and then (its eventfd fires only when the kernel's
/// list of deferred work was empty, and the work is run in bounded
/// batches), so it is not used.
fn build_uring() -> Result<IoUring> {
    let mut builder = IoUring::builder();
    builder.setup_coop_taskrun().setup_taskrun_flag();
    match builder.build(ENTRIES) {
        Ok(u) => Ok(u),
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
            IoUring::builder().build(ENTRIES).map_err(|e| unavailable("io_uring_setup()", e))
        }
        Err(e) => Err(unavailable("io_uring_setup()", e)),
    }
}

impl Ring {
    /// Sets up a ring and checks that it has everything the proactor uses.
    ///
    /// # Errors
    /// Says why io_uring cannot be used (setup refused, an opcode or the
    /// timed wait missing); nothing falls back to a selector.
    /// `memory` supplies the receive buffers' blocks (`bufring.rs`).
    pub(crate) fn new(memory: Option<Rc<dyn RecvMemory>>) -> Result<Ring> {
        let uring = build_uring()?;
        if !uring.params().is_feature_ext_arg() || !uring.params().is_feature_nodrop() {
            return Err(lacking("IORING_FEAT_EXT_ARG or IORING_FEAT_NODROP".into()));
        }
        let mut probe = Probe::new();
        uring.submitter().register_probe(&mut probe).map_err(|e| unavailable("IORING_REGISTER_PROBE", e))?;
        let missing: Vec<&str> = NEEDED.iter().filter(|(c, _)| !probe.is_supported(*c)).map(|(_, n)| *n).collect();
        if !missing.is_empty() {
            return Err(lacking(missing.join(", ")));
        }
        let notify = eventfd().map_err(|e| Error::os("eventfd", e))?;
        // Multishot receives need Linux 6.0 (provided buffer rings: 5.19);
        // without them every receive brings its own buffer.
        let bufring = if kernel_at_least(6, 0) { BufRing::register(&uring, memory).ok() } else { None };
        let ring = Ring {
            state: RefCell::new(State {
                uring: Some(uring),
                ops: HashMap::new(),
                next_token: 1,
                done: Vec::new(),
                polls: HashMap::new(),
                poll_tokens: HashMap::new(),
                events: Vec::new(),
                wake_armed: false,
                bufring,
            }),
            wake: Arc::new(EventFdWake(Mutex::new(Some(eventfd().map_err(|e| Error::os("eventfd", e))?)))),
            notify: RefCell::new(Some(notify)),
            notify_registered: Cell::new(false),
            submitted: Cell::new(0),
            selects: Cell::new(0),
            send_zc: probe.is_supported(opcode::SendZc::CODE),
        };
        // Armed from the start: a loop driven from outside (Node) may wait
        // before its first `select`, and other threads must wake it then.
        ring.arm_wake().map_err(|e| Error::os("io_uring_enter", e))?;
        Ok(ring)
    }

    /// Keeps a poll on the wake-up eventfd in the kernel.
    fn arm_wake(&self) -> io::Result<()> {
        let mut st = self.state.borrow_mut();
        let Some(wake_fd) = self.wake.raw() else { return Ok(()) };
        if st.wake_armed || st.uring.is_none() {
            return Ok(());
        }
        let e = opcode::PollAdd::new(types::Fd(wake_fd), libc::POLLIN as u32)
            .build()
            .user_data(WAKE_TOKEN);
        push(&mut st, &e)?;
        st.wake_armed = true;
        flush(&mut st)?;
        Ok(())
    }

    pub(crate) fn waker(&self) -> Arc<dyn Wake> {
        self.wake.clone()
    }

    /// The eventfd to poll for completions (-1 once closed), registered
    /// with the ring on the first call.
    pub(crate) fn notify_fd(&self) -> Fd {
        let Some(fd) = self.notify.borrow().as_ref().map(|fd| fd.as_raw_fd()) else { return -1 };
        if !self.notify_registered.get() {
            let st = self.state.borrow();
            let Some(uring) = st.uring.as_ref() else { return -1 };
            if let Err(e) = uring.submitter().register_eventfd(fd) {
                log::error!(target: "evloop", "io_uring: IORING_REGISTER_EVENTFD failed: {e}");
                return -1;
            }
            self.notify_registered.set(true);
        }
        fd
    }

    /// Which `select` the completions running now came from.
    pub(crate) fn selects(&self) -> u64 {
        self.selects.get()
    }

    /// Whether zero-copy sends are available.
    pub(crate) fn has_send_zc(&self) -> bool {
        self.send_zc
    }

    /// Whether multishot receives into provided buffers are available.
    pub(crate) fn has_bufring(&self) -> bool {
        self.state.borrow().bufring.as_ref().is_some_and(|b| b.is_registered())
    }

    /// More provided buffers after an `ENOBUFS` (`BufRing::grow`); `false`
    /// if the ring cannot grow.
    pub(crate) fn grow_bufring(&self) -> bool {
        self.state.borrow().bufring.as_ref().is_some_and(|b| b.grow())
    }

    /// The kernel writes into no supplied receive block again (see
    /// `BufRing::unregister`); receives go on in the transports' own
    /// buffers.
    pub(crate) fn release_recv_memory(&self) {
        let released = {
            let st = self.state.borrow();
            match (st.bufring.as_ref(), st.uring.as_ref()) {
                (Some(bufring), Some(uring)) => bufring.unregister(uring),
                _ => true,
            }
        };
        if !released {
            // The kernel kept the ring: closing cancels every receive (the
            // loop is not run again by a binding that releases its memory).
            self.close();
        }
    }

    /// Operations in flight (their memory is held until they complete).
    pub(crate) fn in_flight(&self) -> usize {
        self.state.borrow().ops.len()
    }

    /// Queues an operation. `build` gets the operation's memory at its final
    /// address and returns the entry; `on_done` runs in the loop's ready
    /// batch once the kernel completed it (not if it was cancelled first).
    ///
    /// # Errors
    /// `EBADF` once the ring is closed; a failed flush of a full queue.
    pub(crate) fn submit(
        &self,
        fd: Fd,
        bufs: OpBufs,
        label: &'static str,
        build: impl FnOnce(&mut OpBufs) -> squeue::Entry,
        on_done: impl FnOnce(Done) + 'static,
    ) -> io::Result<u64> {
        let mut st = self.state.borrow_mut();
        if st.uring.is_none() {
            return Err(io::Error::from_raw_os_error(libc::EBADF));
        }
        let token = st.next_token;
        st.next_token += 1;
        let mut bufs = Box::new(bufs);
        let entry = build(&mut bufs).user_data(token);
        push(&mut st, &entry)?;
        st.ops.insert(token, Op { fd, bufs, on_done: Some(Handler::Once(Box::new(on_done))), label });
        self.submitted.set(self.submitted.get() + 1);
        Ok(token)
    }

    /// Queues a multishot operation (an entry with no memory of its own:
    /// accepts, receives into provided buffers). `on_each` runs for each
    /// completion, in the loop's ready batch, until one without
    /// `IORING_CQE_F_MORE` (`Done::more`) ends the operation.
    ///
    /// # Errors
    /// As [`Ring::submit`].
    pub(crate) fn submit_multishot(&self, fd: Fd, label: &'static str, entry: squeue::Entry, on_each: Rc<dyn Fn(Done)>) -> io::Result<u64> {
        let mut st = self.state.borrow_mut();
        if st.uring.is_none() {
            return Err(io::Error::from_raw_os_error(libc::EBADF));
        }
        let token = st.next_token;
        st.next_token += 1;
        push(&mut st, &entry.user_data(token))?;
        st.ops.insert(token, Op { fd, bufs: Box::default(), on_done: Some(Handler::Multi(on_each)), label });
        self.submitted.set(self.submitted.get() + 1);
        Ok(token)
    }

    /// Asks the kernel to end `token` at the next submission, keeping its
    /// handler: the completions posted before it ends (with data a
    /// multishot receive already took from the socket) still run.
    pub(crate) fn request_cancel(&self, token: u64) {
        let mut st = self.state.borrow_mut();
        if st.ops.contains_key(&token) {
            let _ = push(&mut st, &opcode::AsyncCancel::new(token).build().user_data(CANCEL_TOKEN));
        }
    }

    /// Asks the kernel to cancel `token`; its callback will not run. The
    /// memory stays until the kernel confirms.
    pub(crate) fn cancel(&self, token: u64) {
        let mut st = self.state.borrow_mut();
        let callback = match st.ops.get_mut(&token) {
            Some(op) => op.on_done.take(),
            None => return,
        };
        let _ = push(&mut st, &opcode::AsyncCancel::new(token).build().user_data(CANCEL_TOKEN));
        let _ = flush(&mut st);
        drop(st);
        drop(callback);
    }

    /// Before `fd` is closed: submits what is queued (entries resolve their
    /// fd at submission), cancels every operation on it and submits that.
    pub(crate) fn cancel_fd(&self, fd: Fd) {
        let mut st = self.state.borrow_mut();
        if st.uring.is_none() {
            return;
        }
        let tokens: Vec<u64> = st.ops.iter().filter(|(_, op)| op.fd == fd && op.on_done.is_some()).map(|(t, _)| *t).collect();
        let mut callbacks = Vec::new();
        for t in tokens {
            callbacks.extend(st.ops.get_mut(&t).and_then(|op| op.on_done.take()));
            let _ = push(&mut st, &opcode::AsyncCancel::new(t).build().user_data(CANCEL_TOKEN));
        }
        if let Some(reg) = st.polls.remove(&fd) {
            if let Some(t) = reg.token {
                st.poll_tokens.remove(&t);
                let _ = push(&mut st, &opcode::AsyncCancel::new(t).build().user_data(CANCEL_TOKEN));
            }
        }
        let _ = flush(&mut st);
        drop(st);
        // Callbacks may hold transports whose drop calls back in.
        drop(callbacks);
    }

    // ----- readiness (add_reader / add_writer) -----

    pub(crate) fn poll_register(&self, fd: Fd, interest: Interest) -> io::Result<()> {
        let mut st = self.state.borrow_mut();
        if st.polls.contains_key(&fd) {
            return Err(io::Error::new(io::ErrorKind::AlreadyExists, format!("{fd} is already registered")));
        }
        if fd < 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("Invalid file descriptor: {fd}")));
        }
        // Fail now, as epoll_ctl does, rather than at the next select.
        // SAFETY: F_GETFD only inspects the descriptor table.
        if unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
            return Err(io::Error::last_os_error());
        }
        st.polls.insert(fd, PollReg { interest, token: None });
        Ok(())
    }

    pub(crate) fn poll_modify(&self, fd: Fd, interest: Interest) -> io::Result<()> {
        let mut st = self.state.borrow_mut();
        let old = match st.polls.get_mut(&fd) {
            Some(reg) => {
                reg.interest = interest;
                reg.token.take()
            }
            None => {
                st.polls.insert(fd, PollReg { interest, token: None });
                None
            }
        };
        if let Some(t) = old {
            st.poll_tokens.remove(&t);
            let _ = push(&mut st, &opcode::AsyncCancel::new(t).build().user_data(CANCEL_TOKEN));
        }
        Ok(())
    }

    pub(crate) fn poll_unregister(&self, fd: Fd) -> io::Result<()> {
        let mut st = self.state.borrow_mut();
        let Some(reg) = st.polls.remove(&fd) else {
            return Err(io::Error::new(io::ErrorKind::NotFound, format!("{fd} is not registered")));
        };
        if let Some(t) = reg.token {
            st.poll_tokens.remove(&t);
            let _ = push(&mut st, &opcode::AsyncCancel::new(t).build().user_data(CANCEL_TOKEN));
        }
        Ok(())
    }

    // ----- waiting -----

    /// Whether `select` has something to do without waiting: entries not
    /// yet submitted, completions posted but not reaped, or reaped but not
    /// taken.
    pub(crate) fn has_pending(&self) -> bool {
        let mut st = self.state.borrow_mut();
        let st = &mut *st;
        if !st.done.is_empty() || !st.events.is_empty() {
            return true;
        }
        // A readiness registration without a poll in the kernel: the next
        // `select` arms it (level-triggered re-checks, as mio's selector).
        if st.polls.values().any(|r| r.token.is_none()) {
            return true;
        }
        // `IORING_SQ_TASKRUN`: task work is waiting for this thread to enter
        // the kernel (`COOP_TASKRUN`), so another iteration must enter.
        match st.uring.as_mut() {
            Some(u) => !u.submission().is_empty() || !u.completion().is_empty() || u.submission().taskrun(),
            None => false,
        }
    }

    /// Submits what is queued, waits up to `timeout` for a completion (none:
    /// forever; 0: not at all), and reaps every posted completion.
    pub(crate) fn select(&self, timeout: Option<f64>, events: &mut Vec<Event>) -> io::Result<()> {
        self.selects.set(self.selects.get() + 1);
        {
            let mut st = self.state.borrow_mut();
            let st = &mut *st;
            if st.uring.is_none() {
                return Err(io::Error::from_raw_os_error(libc::EBADF));
            }
            arm_polls(st)?;
            // Reset the libuv notification before entering: completions that
            // come after this read signal it again; what came before is
            // reaped below.
            if self.notify_registered.get() {
                if let Some(fd) = self.notify.borrow().as_ref() {
                    drain_eventfd(fd.as_raw_fd());
                }
            }
            let ready = !st.done.is_empty() || !st.events.is_empty();
            let timeout = if ready { Some(0.0) } else { timeout };
            let uring = st.uring.as_ref().expect("checked above");
            let result = match timeout {
                // With the task work of what this submits (`flush`).
                Some(t) if t <= 0.0 => flush(st),
                Some(t) => {
                    // Rounded up to the millisecond, as epoll's timeout: the
                    // loop never wakes before a deadline and spins.
                    let ms = (t.min(86_400.0 * 365.0) * 1000.0).ceil();
                    let ts = types::Timespec::from(Duration::from_millis(ms as u64));
                    uring.submitter().submit_with_args(1, &types::SubmitArgs::new().timespec(&ts))
                }
                None => uring.submit_and_wait(1),
            };
            match result {
                Ok(_) => {}
                Err(e) if matches!(e.raw_os_error(), Some(libc::ETIME | libc::EINTR | libc::EBUSY | libc::EAGAIN)) => {}
                Err(e) => return Err(e),
            }
        }
        let freed = self.reap();
        drop(freed);
        // Re-armed at once: between two iterations the loop may wait outside
        // `select` (Node's libuv).
        self.arm_wake()?;
        events.append(&mut self.state.borrow_mut().events);
        Ok(())
    }

    /// Moves posted completions to `done` (callbacks) and `events`
    /// (readiness); returns the memory and callbacks to drop outside the borrow.
    fn reap(&self) -> Vec<Op> {
        let mut freed = Vec::new();
        let mut st = self.state.borrow_mut();
        let st = &mut *st;
        let Some(uring) = st.uring.as_mut() else { return freed };
        let cqes: Vec<cqueue::Entry> = uring.completion().collect();
        for cqe in cqes {
            let (token, res) = (cqe.user_data(), cqe.result());
            match token {
                CANCEL_TOKEN => {}
                WAKE_TOKEN => {
                    if let Some(fd) = self.wake.raw() {
                        drain_eventfd(fd);
                    }
                    st.wake_armed = false;
                }
                _ => {
                    if let Some(fd) = st.poll_tokens.remove(&token) {
                        if let Some(reg) = st.polls.get_mut(&fd) {
                            reg.token = None;
                            if res >= 0 {
                                let ready = poll_readiness(res as u32).intersect(reg.interest);
                                if !ready.is_empty() {
                                    st.events.push(Event { fd, ready });
                                }
                            }
                        }
                        continue;
                    }
                    let flags = cqe.flags();
                    // A provided buffer goes back to the kernel when dropped,
                    // whoever (if anyone) still wants the completion.
                    let buf = match (cqueue::buffer_select(flags), st.bufring.as_ref()) {
                        (Some(bid), Some(ring)) => Some(ring.take(bid, res, flags)),
                        _ => None,
                    };
                    let Some(mut op) = st.ops.remove(&token) else { continue };
                    let more = cqueue::more(flags);
                    match op.on_done.take() {
                        Some(Handler::Once(f)) if more => {
                            // A zero-copy send: the kernel reads the memory
                            // until its notification (a last completion,
                            // `IORING_CQE_F_NOTIF`), so the memory stays
                            // here and the callback gets a copy of what was
                            // not sent (nothing, unless the send failed).
                            let sent = res.max(0) as usize;
                            let done = Done { res, flags, bufs: OpBufs::send(unsent_copy(&op.bufs.chunks, sent)), buf };
                            st.done.push(Completion { label: op.label, callback: Box::new(move || f(done)) });
                            st.ops.insert(token, op);
                        }
                        Some(Handler::Once(f)) => {
                            let mut bufs = std::mem::take(&mut *op.bufs);
                            if bufs.recv_len > 0 && res > 0 {
                                let n = (res as usize).min(bufs.recv_len);
                                // SAFETY: the kernel wrote `n` bytes at the
                                // start of this buffer, within its capacity.
                                unsafe { bufs.data.set_len(n) };
                            }
                            let done = Done { res, flags, bufs, buf };
                            st.done.push(Completion { label: op.label, callback: Box::new(move || f(done)) });
                        }
                        Some(Handler::Multi(h)) => {
                            let each = h.clone();
                            let done = Done { res, flags, bufs: OpBufs::default(), buf };
                            st.done.push(Completion { label: op.label, callback: Box::new(move || each(done)) });
                            if more {
                                op.on_done = Some(Handler::Multi(h));
                                st.ops.insert(token, op);
                            }
                        }
                        None => {
                            if op.label == ACCEPT_LABEL && res >= 0 {
                                // SAFETY: the kernel made this fd for us and nobody else has it.
                                unsafe { libc::close(res) };
                            }
                            if more {
                                st.ops.insert(token, op);
                            } else {
                                freed.push(op);
                            }
                        }
                    }
                }
            }
        }
        freed
    }

    pub(crate) fn take_completions(&self, out: &mut Vec<Completion>) {
        out.append(&mut self.state.borrow_mut().done);
    }

    /// Closes the ring: cancels every operation, waits (a bounded time) for
    /// the kernel to let go of their memory, then releases it. Idempotent.
    pub(crate) fn close(&self) {
        let mut callbacks: Vec<Handler> = Vec::new();
        {
            let mut st = self.state.borrow_mut();
            let st = &mut *st;
            if st.uring.is_none() {
                return;
            }
            let tokens: Vec<u64> = st.ops.keys().copied().chain(st.poll_tokens.keys().copied()).collect();
            for t in tokens {
                if let Some(op) = st.ops.get_mut(&t) {
                    callbacks.extend(op.on_done.take());
                }
                let _ = push(st, &opcode::AsyncCancel::new(t).build().user_data(CANCEL_TOKEN));
            }
            if st.wake_armed {
                let _ = push(st, &opcode::AsyncCancel::new(WAKE_TOKEN).build().user_data(CANCEL_TOKEN));
            }
            let _ = flush(st);
        }
        // Completed callbacks that never ran hold transports and loops.
        let done = std::mem::take(&mut self.state.borrow_mut().done);
        drop(done);
        drop(callbacks);
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let freed = self.reap();
            drop(freed);
            let (pending, wake) = {
                let st = self.state.borrow();
                (st.ops.len() + st.poll_tokens.len(), st.wake_armed)
            };
            if (pending == 0 && !wake) || Instant::now() >= deadline {
                break;
            }
            let st = self.state.borrow();
            let uring = st.uring.as_ref().expect("open");
            let ts = types::Timespec::from(Duration::from_millis(10));
            let _ = uring.submitter().submit_with_args(1, &types::SubmitArgs::new().timespec(&ts));
        }
        let mut st = self.state.borrow_mut();
        let late = std::mem::take(&mut st.ops);
        let bufring = st.bufring.take();
        if !late.is_empty() {
            // The kernel may still use this memory: leak it rather than free it.
            log::error!(target: "evloop", "io_uring: {} operations did not complete on close; leaking their buffers", late.len());
            std::mem::forget(late);
            std::mem::forget(bufring.clone());
        }
        st.polls.clear();
        st.poll_tokens.clear();
        st.events.clear();
        let done = std::mem::take(&mut st.done);
        let uring = st.uring.take();
        drop(st);
        drop(done);
        drop(uring);
        // After the io_uring: the kernel's registration of the ring is gone.
        drop(bufring);
        // `close()` releases the fds now, not when the last Rc of the ring
        // goes (the loop's back end and a binding's objects may keep it): the
        // eventfds after the ring they were registered with.
        self.notify.borrow_mut().take();
        self.wake.close();
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        self.close();
    }
}

/// A copy of the chunks after the first `sent` bytes.
fn unsent_copy(chunks: &[Vec<u8>], mut sent: usize) -> Vec<Vec<u8>> {
    let mut rest = Vec::new();
    for c in chunks {
        if sent >= c.len() {
            sent -= c.len();
            continue;
        }
        rest.push(c[sent..].to_vec());
        sent = 0;
    }
    rest
}

/// Arms a poll for every readiness registration without one in flight.
fn arm_polls(st: &mut State) -> io::Result<()> {
    let idle: Vec<(Fd, Interest)> =
        st.polls.iter().filter(|(_, r)| r.token.is_none()).map(|(fd, r)| (*fd, r.interest)).collect();
    for (fd, interest) in idle {
        let token = st.next_token;
        st.next_token += 1;
        let mut mask = 0u32;
        if interest.contains(Interest::READ) {
            mask |= libc::POLLIN as u32;
        }
        if interest.contains(Interest::WRITE) {
            mask |= libc::POLLOUT as u32;
        }
        push(st, &opcode::PollAdd::new(types::Fd(fd), mask).build().user_data(token))?;
        st.poll_tokens.insert(token, fd);
        if let Some(reg) = st.polls.get_mut(&fd) {
            reg.token = Some(token);
        }
    }
    Ok(())
}

/// asyncio's `PollSelector` rule: errors and hang-ups reach both directions.
fn poll_readiness(revents: u32) -> Interest {
    let mut r = Interest::NONE;
    if revents & !(libc::POLLOUT as u32) != 0 {
        r = r.union(Interest::READ);
    }
    if revents & !(libc::POLLIN as u32) != 0 {
        r = r.union(Interest::WRITE);
    }
    r
}

/// Pushes an entry, submitting first if the queue is full.
fn push(st: &mut State, entry: &squeue::Entry) -> io::Result<()> {
    let uring = st.uring.as_mut().ok_or_else(|| io::Error::from_raw_os_error(libc::EBADF))?;
    for _ in 0..2 {
        // SAFETY: every pointer in the entry refers to memory owned by the
        // operation's `OpBufs` (or to nothing), kept until its completion.
        if unsafe { uring.submission().push(entry) }.is_ok() {
            return Ok(());
        }
        uring.submit()?;
    }
    Err(io::Error::new(io::ErrorKind::WouldBlock, "io_uring submission queue full"))
}

/// Submits what is queued now and runs the task work that queued
/// (`GETEVENTS`, waiting for no completion), so a cancel has taken effect
/// when this returns: a cancelled operation lets go of its file (a closed
/// server refuses the next connect).
fn flush(st: &mut State) -> io::Result<usize> {
    let Some(u) = st.uring.as_mut() else { return Ok(0) };
    let queued = u.submission().len() as u32;
    // SAFETY: no argument is passed; the queued entries' memory is owned by
    // their operations (`push`).
    unsafe { u.submitter().enter::<libc::sigset_t>(queued, 0, EnterFlags::GETEVENTS.bits(), None) }
}

// ----- entries for the operations the proactor submits -----

impl OpBufs {
    /// A receive buffer of `len` bytes (not zeroed: only what the kernel
    /// wrote is ever read).
    pub(crate) fn recv(len: usize, mut reuse: Vec<u8>) -> OpBufs {
        reuse.clear();
        reuse.reserve_exact(len);
        OpBufs { data: reuse, recv_len: len, ..Default::default() }
    }

    /// Room for a peer address.
    pub(crate) fn with_addr() -> OpBufs {
        // SAFETY: sockaddr_storage is plain data; all zeroes is valid.
        let storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        let len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        OpBufs { addr: Some(Box::new((storage, len))), ..Default::default() }
    }

    /// A copy of `addr` to connect to.
    pub(crate) fn connect_to(addr: &socket2::SockAddr) -> OpBufs {
        // SAFETY: sockaddr_storage is plain data.
        let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        let len = addr.len();
        // SAFETY: `addr` holds `len` valid bytes, at most a sockaddr_storage.
        unsafe {
            std::ptr::copy_nonoverlapping(
                addr.as_ptr().cast::<u8>(),
                (&mut storage as *mut libc::sockaddr_storage).cast::<u8>(),
                len as usize,
            )
        };
        OpBufs { addr: Some(Box::new((storage, len))), ..Default::default() }
    }

    /// Chunks to send.
    pub(crate) fn send(chunks: Vec<Vec<u8>>) -> OpBufs {
        OpBufs { chunks, ..Default::default() }
    }

    pub(crate) fn connect_entry(&mut self, fd: Fd) -> squeue::Entry {
        let addr = self.addr.as_ref().expect("connect_to");
        opcode::Connect::new(types::Fd(fd), (&addr.0 as *const libc::sockaddr_storage).cast(), addr.1).build()
    }

    /// A pipe's read: `read(2)` at the current position (-1), which is
    /// what a pipe has.
    pub(crate) fn read_entry(&mut self, fd: Fd) -> squeue::Entry {
        opcode::Read::new(types::Fd(fd), self.data.as_mut_ptr(), self.recv_len as u32).offset(u64::MAX).build()
    }

    /// A pipe's write: one `writev(2)` of every chunk.
    pub(crate) fn write_entry(&mut self, fd: Fd) -> squeue::Entry {
        self.iov = self
            .chunks
            .iter()
            .map(|c| libc::iovec { iov_base: c.as_ptr() as *mut libc::c_void, iov_len: c.len() })
            .collect();
        opcode::Writev::new(types::Fd(fd), self.iov.as_ptr(), self.iov.len() as u32).offset(u64::MAX).build()
    }

    pub(crate) fn recv_entry(&mut self, fd: Fd) -> squeue::Entry {
        opcode::Recv::new(types::Fd(fd), self.data.as_mut_ptr(), self.recv_len as u32).build()
    }

    /// A zero-copy `send` of the one chunk. Without `MSG_WAITALL`: a
    /// partial send completes (its rest is sent by the next operation), as
    /// the copying send does; the kernel's own retries of a partial
    /// zero-copy send were seen to stall on a small `SO_SNDBUF`.
    pub(crate) fn send_zc_entry(&mut self, fd: Fd) -> squeue::Entry {
        let c = &self.chunks[0];
        opcode::SendZc::new(types::Fd(fd), c.as_ptr(), c.len() as u32).flags(libc::MSG_NOSIGNAL).build()
    }

    /// One `send` for one chunk, a `sendmsg` gathering several.
    pub(crate) fn send_entry(&mut self, fd: Fd) -> squeue::Entry {
        if self.chunks.len() == 1 {
            let c = &self.chunks[0];
            return opcode::Send::new(types::Fd(fd), c.as_ptr(), c.len() as u32).flags(libc::MSG_NOSIGNAL).build();
        }
        self.iov = self
            .chunks
            .iter()
            .map(|c| libc::iovec { iov_base: c.as_ptr() as *mut libc::c_void, iov_len: c.len() })
            .collect();
        // SAFETY: msghdr is plain data; all zeroes is a valid empty header.
        let mut msg: Box<libc::msghdr> = Box::new(unsafe { std::mem::zeroed() });
        msg.msg_iov = self.iov.as_mut_ptr();
        msg.msg_iovlen = self.iov.len() as _;
        let entry = opcode::SendMsg::new(types::Fd(fd), &*msg as *const libc::msghdr).flags(libc::MSG_NOSIGNAL as u32).build();
        self.msg = Some(msg);
        entry
    }

    /// One datagram into a buffer of `len` bytes, with its sender's
    /// address (`recvmsg`).
    pub(crate) fn recv_datagram(len: usize, reuse: Vec<u8>) -> OpBufs {
        let mut bufs = OpBufs::recv(len, reuse);
        bufs.addr = OpBufs::with_addr().addr;
        bufs
    }

    /// One datagram to send, to `to` or (`None`) to the connected peer.
    pub(crate) fn send_datagram(data: Vec<u8>, to: Option<&socket2::SockAddr>) -> OpBufs {
        let mut bufs = match to {
            Some(addr) => OpBufs::connect_to(addr),
            None => OpBufs::default(),
        };
        bufs.chunks = vec![data];
        bufs
    }

    pub(crate) fn recvmsg_entry(&mut self, fd: Fd) -> squeue::Entry {
        self.iov = vec![libc::iovec { iov_base: self.data.as_mut_ptr().cast(), iov_len: self.recv_len }];
        let addr = self.addr.as_mut().expect("recv_datagram");
        // SAFETY: msghdr is plain data; all zeroes is a valid empty header.
        let mut msg: Box<libc::msghdr> = Box::new(unsafe { std::mem::zeroed() });
        msg.msg_name = (&mut addr.0 as *mut libc::sockaddr_storage).cast();
        msg.msg_namelen = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        msg.msg_iov = self.iov.as_mut_ptr();
        msg.msg_iovlen = 1;
        let entry = opcode::RecvMsg::new(types::Fd(fd), &mut *msg as *mut libc::msghdr).build();
        self.msg = Some(msg);
        entry
    }

    pub(crate) fn sendmsg_entry(&mut self, fd: Fd) -> squeue::Entry {
        self.iov = self
            .chunks
            .iter()
            .map(|c| libc::iovec { iov_base: c.as_ptr() as *mut libc::c_void, iov_len: c.len() })
            .collect();
        // SAFETY: msghdr is plain data; all zeroes is a valid empty header.
        let mut msg: Box<libc::msghdr> = Box::new(unsafe { std::mem::zeroed() });
        if let Some(addr) = self.addr.as_mut() {
            msg.msg_name = (&mut addr.0 as *mut libc::sockaddr_storage).cast();
            msg.msg_namelen = addr.1;
        }
        msg.msg_iov = self.iov.as_mut_ptr();
        msg.msg_iovlen = self.iov.len() as _;
        // MSG_DONTWAIT: a send the socket cannot take completes with
        // EAGAIN instead of being retried by the kernel, whose retry can
        // find the data already consumed (an AF_UNIX datagram socket copies
        // it before finding the peer's queue full, and the retry then sends
        // an empty datagram).
        let entry = opcode::SendMsg::new(types::Fd(fd), &*msg as *const libc::msghdr)
            .flags(libc::MSG_DONTWAIT as u32)
            .build();
        self.msg = Some(msg);
        entry
    }

    /// A one-shot wait until `fd` is writable.
    pub(crate) fn pollout_entry(&mut self, fd: Fd) -> squeue::Entry {
        opcode::PollAdd::new(types::Fd(fd), libc::POLLOUT as u32).build()
    }

    /// The sender of a received datagram, as the kernel wrote it.
    pub(crate) fn datagram_sender(&self) -> Option<crate::net::Address> {
        let msg = self.msg.as_ref()?;
        let (storage, _) = &**self.addr.as_ref()?;
        crate::net::os::datagram::address_from_storage(storage, msg.msg_namelen)
    }
}
