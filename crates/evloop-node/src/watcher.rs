//! Waiting for the fds of a poll(2)/select(2) loop without blocking Node.
//!
//! Those selectors have no fd of their own that libuv could watch (epoll's
//! and kqueue's are watched with one `uv_poll`, see `driver.rs`), so while
//! the loop waits for I/O a helper thread does the waiting: it calls
//! `poll(2)` on a copy of the loop's fds (`EventLoop::wait_fds`: every
//! registration plus the selector's self-pipe, so wake-ups from other
//! threads count too) and, when one is ready, wakes the JS thread with
//! `uv_async_send`. The iteration then runs on the JS thread as always and
//! does its own `select` with timeout 0; the helper only learns "something
//! is ready", never what.
//!
//! Why not one `uv_poll` per fd: libuv keeps per-fd state in its own epoll
//! set. When a registered fd is closed and its number reused before the
//! driver notices (a transport closes its socket and accepts a new one in
//! the same iteration, or code closes an fd from a Node callback), libuv's
//! state no longer matches the kernel's: the new fd's events are lost, a
//! Node socket that gets the number is routed to our handle, or libuv
//! `abort()`s on a failing `epoll_ctl`. `poll(2)` takes fd numbers afresh
//! on every call, so the worst a stale set can do here is one spurious
//! wake-up (one extra iteration, which `select(0)` makes harmless).
//!
//! The helper is started on the first wait and joined when the loop is
//! disposed (before the async handle is closed, so it never sends to a
//! closed handle). It waits only while armed: the driver arms it with the
//! current fds whenever the loop is about to wait for I/O and disarms it
//! while callbacks are ready (the idle handle then drives iterations) or
//! the loop is stopped. A level-triggered fd that stays ready therefore
//! costs one wake-up per iteration, as it costs asyncio one `select` each.

use std::cell::RefCell;
use std::ffi::c_void;
use std::io;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use evloop::{Fd, Interest};

use crate::uv;

/// What the helper waits on.
struct State {
    fds: Vec<libc::pollfd>,
    armed: bool,
    /// Bumped at every arm, so a wake-up for an older set is not reported
    /// after the driver moved on.
    generation: u64,
    quit: bool,
}

struct Shared {
    state: Mutex<State>,
    cond: Condvar,
    /// Interrupts the helper's `poll` when the set changes or on shutdown.
    interrupt_read: libc::c_int,
    interrupt_write: libc::c_int,
    /// The driver's `uv_async_t`; valid until the helper is joined.
    async_handle: usize,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn interrupt(&self) {
        // SAFETY: one byte from a valid buffer to our own non-blocking pipe;
        // a full pipe already holds an interruption.
        unsafe { libc::write(self.interrupt_write, [1u8].as_ptr().cast(), 1) };
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // SAFETY: both fds belong to this value and are closed once.
        unsafe {
            libc::close(self.interrupt_read);
            libc::close(self.interrupt_write);
        }
    }
}

/// The helper thread of one poll/select loop (see the module docs).
pub struct Watcher {
    shared: Arc<Shared>,
    thread: RefCell<Option<JoinHandle<()>>>,
}

impl Watcher {
    /// A watcher that wakes libuv through `async_handle` (not started yet).
    pub fn new(async_handle: *mut c_void) -> io::Result<Watcher> {
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two descriptors pipe2 writes.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Watcher {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    fds: Vec::new(),
                    armed: false,
                    generation: 0,
                    quit: false,
                }),
                cond: Condvar::new(),
                interrupt_read: fds[0],
                interrupt_write: fds[1],
                async_handle: async_handle as usize,
            }),
            thread: RefCell::new(None),
        })
    }

    /// Waits for `fds` until one is ready, then wakes libuv once.
    pub fn arm(&self, fds: &[(Fd, Interest)]) {
        let pollfds: Vec<libc::pollfd> = fds
            .iter()
            .map(|&(fd, interest)| libc::pollfd {
                fd,
                events: poll_events(interest),
                revents: 0,
            })
            .collect();
        {
            let mut st = self.shared.lock();
            if st.quit {
                return;
            }
            let same = st.armed && same_set(&st.fds, &pollfds);
            if same {
                return; // already waiting for exactly this
            }
            st.fds = pollfds;
            st.armed = true;
            st.generation += 1;
        }
        self.ensure_thread();
        self.shared.cond.notify_one();
        self.shared.interrupt();
    }

    /// Stops reporting (the loop has work now, or stopped). The helper may
    /// still be inside `poll` with the old set; it will not report it.
    pub fn disarm(&self) {
        self.shared.lock().armed = false;
    }

    /// Ends the helper thread and waits for it.
    pub fn shutdown(&self) {
        self.shared.lock().quit = true;
        self.shared.cond.notify_one();
        self.shared.interrupt();
        if let Some(thread) = self.thread.borrow_mut().take() {
            let _ = thread.join();
        }
    }

    fn ensure_thread(&self) {
        let mut thread = self.thread.borrow_mut();
        if thread.is_some() {
            return;
        }
        let shared = self.shared.clone();
        match std::thread::Builder::new()
            .name("evloop-watcher".into())
            .spawn(move || watch(&shared))
        {
            Ok(t) => *thread = Some(t),
            Err(e) => eprintln!("evloop: cannot start the poll/select watcher thread: {e}"),
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn same_set(a: &[libc::pollfd], b: &[libc::pollfd]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.fd == y.fd && x.events == y.events)
}

fn poll_events(interest: Interest) -> libc::c_short {
    let mut events = 0;
    if interest.contains(Interest::READ) {
        events |= libc::POLLIN;
    }
    if interest.contains(Interest::WRITE) {
        events |= libc::POLLOUT;
    }
    events
}

/// The helper thread's body.
fn watch(shared: &Shared) {
    let mut pollfds: Vec<libc::pollfd> = Vec::new();
    loop {
        let generation = {
            let mut st = shared.lock();
            while !st.armed && !st.quit {
                st = shared.cond.wait(st).unwrap_or_else(|p| p.into_inner());
            }
            if st.quit {
                return;
            }
            pollfds.clear();
            pollfds.push(libc::pollfd {
                fd: shared.interrupt_read,
                events: libc::POLLIN,
                revents: 0,
            });
            pollfds.extend(st.fds.iter().copied());
            st.generation
        };
        // SAFETY: `pollfds` is a valid array of `len` pollfd structs.
        let n = unsafe { libc::poll(pollfds.as_mut_ptr(), pollfds.len() as libc::nfds_t, -1) };
        let ready = if n < 0 {
            let err = io::Error::last_os_error();
            if err.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            // Let the loop's own select report the failure.
            true
        } else {
            if pollfds[0].revents != 0 {
                let mut buf = [0u8; 64];
                // SAFETY: reading into a local buffer of the given length.
                while unsafe { libc::read(shared.interrupt_read, buf.as_mut_ptr().cast(), buf.len()) } > 0 {}
            }
            pollfds[1..].iter().any(|p| p.revents != 0)
        };
        if ready {
            let mut st = shared.lock();
            if st.armed && st.generation == generation && !st.quit {
                st.armed = false;
                drop(st);
                // SAFETY: the async handle stays open until this thread is
                // joined (Watcher::shutdown runs before the driver closes it).
                unsafe { uv::async_send(shared.async_handle as *mut c_void) };
            }
        }
    }
}
