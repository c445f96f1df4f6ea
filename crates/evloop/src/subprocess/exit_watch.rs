//! Learning that a child exited, without blocking the loop and without a
//! thread per child, and reaping it (no zombies).
//!
//! - **pidfd** (Linux 5.3 and later): `pidfd_open(pid)` gives an fd that
//!   polls readable when the child exits; the loop watches it like any
//!   reader (every selector, and the proactor through its ring), then
//!   `waitid(P_PIDFD, WNOHANG)` reaps exactly that child. Signals go
//!   through `pidfd_send_signal`, so a recycled pid is never signalled.
//!   This is asyncio's `PidfdChildWatcher`.
//! - **fallback**, where `pidfd_open` fails (ENOSYS on older kernels, or a
//!   sandbox that forbids it): a loop timer polls `waitpid(pid, WNOHANG)`
//!   for that child only, first after 1 ms, then backing off to every
//!   100 ms. It installs no `SIGCHLD` handler, so it cannot disturb other
//!   users of that signal (Node's `child_process` reaps its own children
//!   on `SIGCHLD`); the price is up to 100 ms of delay in noticing an exit.
//!
//! Neither reaps other children of the process.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};
use crate::handle::TimerHandle;
use crate::selector::Interest;
use crate::EventLoop;

/// First and longest interval of the polling fallback, in seconds.
const POLL_FIRST: f64 = 0.001;
const POLL_MAX: f64 = 0.1;
/// How long `loop.close()` waits for a child it killed to exit.
const REAP_AT_CLOSE: std::time::Duration = std::time::Duration::from_secs(2);

/// Tests set this to exercise the fallback on a kernel that has pidfds.
static FORCE_POLLING: AtomicBool = AtomicBool::new(false);

/// Makes new exit watchers use the polling fallback even where pidfds
/// exist (for tests of the fallback).
#[doc(hidden)]
pub fn force_exit_polling(on: bool) {
    FORCE_POLLING.store(on, Ordering::SeqCst);
}

/// Watches one child until it exits and is reaped.
pub(crate) struct ExitWatch {
    lp: EventLoop,
    pid: i32,
    /// The pidfd while the child is watched; `None` in the fallback and
    /// once reaped.
    pidfd: RefCell<Option<OwnedFd>>,
    timer: RefCell<Option<TimerHandle>>,
    interval: Cell<f64>,
    reaped: Cell<bool>,
    on_exit: RefCell<Option<OnExit>>,
}

/// What runs once the child is reaped, with its return code.
type OnExit = Box<dyn FnOnce(i32)>;

fn pidfd_open(pid: i32) -> std::io::Result<OwnedFd> {
    // SAFETY: a plain syscall; the result is checked and owned below.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a fresh fd we own (pidfds are close-on-exec).
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// `waitid`'s answer as a return code: the exit status, or minus the
/// signal that ended the child. `None`: still running.
fn returncode(info: &libc::siginfo_t) -> Option<i32> {
    // SAFETY: waitid filled in a SIGCHLD siginfo (or left it zeroed).
    let (pid, status) = unsafe { (info.si_pid(), info.si_status()) };
    if pid == 0 {
        return None;
    }
    Some(if info.si_code == libc::CLD_EXITED { status } else { -status })
}

impl ExitWatch {
    /// Starts watching `pid`; `on_exit(returncode)` runs once, from a loop
    /// callback, after the child is reaped.
    ///
    /// # Errors
    /// `RuntimeError` on a closed loop.
    pub(crate) fn start(lp: &EventLoop, pid: i32, on_exit: OnExit) -> Result<Rc<ExitWatch>> {
        let w = Rc::new(ExitWatch {
            lp: lp.clone(),
            pid,
            pidfd: RefCell::new(None),
            timer: RefCell::new(None),
            interval: Cell::new(POLL_FIRST),
            reaped: Cell::new(false),
            on_exit: RefCell::new(Some(on_exit)),
        });
        let pidfd = if FORCE_POLLING.load(Ordering::SeqCst) { None } else { pidfd_open(pid).ok() };
        match pidfd {
            Some(fd) => {
                let raw = fd.as_raw_fd();
                *w.pidfd.borrow_mut() = Some(fd);
                // The registration holds the watch (and what `on_exit`
                // holds) until the child is reaped.
                let w2 = w.clone();
                lp.add_io_unchecked(raw, Interest::READ, Cow::Borrowed("_PidfdChildWatcher._do_wait"), Box::new(move || w2.check()))?;
            }
            None => w.poll_later()?,
        }
        Ok(w)
    }

    fn poll_later(self: &Rc<Self>) -> Result<()> {
        let w = self.clone();
        let delay = self.interval.get();
        self.interval.set((delay * 2.0).min(POLL_MAX));
        let timer = self.lp.call_later(delay, move || w.check())?;
        *self.timer.borrow_mut() = Some(timer);
        Ok(())
    }

    /// Reaps the child if it exited; otherwise keeps watching.
    fn check(self: &Rc<Self>) {
        if self.reaped.get() {
            return;
        }
        let code = match self.pidfd.borrow().as_ref() {
            Some(fd) => self.wait_pidfd(fd.as_raw_fd()),
            None => self.wait_pid(),
        };
        match code {
            Some(code) => self.finish(code),
            // An error means the loop closed: nothing runs on it any more.
            None if self.pidfd.borrow().is_none() => drop(self.poll_later()),
            None => {}
        }
    }

    fn wait_pidfd(&self, fd: i32) -> Option<i32> {
        // SAFETY: siginfo_t is plain data; zeroed means "no child".
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: a valid pidfd and out pointer.
        let r = unsafe { libc::waitid(libc::P_PIDFD, fd as libc::id_t, &mut info, libc::WEXITED | libc::WNOHANG) };
        if r < 0 {
            return Some(self.lost_child(std::io::Error::last_os_error()));
        }
        returncode(&info)
    }

    fn wait_pid(&self) -> Option<i32> {
        let mut status = 0;
        // SAFETY: waits for our own child only, without blocking.
        let r = unsafe { libc::waitpid(self.pid, &mut status, libc::WNOHANG) };
        if r < 0 {
            return Some(self.lost_child(std::io::Error::last_os_error()));
        }
        if r == 0 {
            return None;
        }
        Some(if libc::WIFSIGNALED(status) { -libc::WTERMSIG(status) } else { libc::WEXITSTATUS(status) })
    }

    /// Someone else reaped the child (ECHILD): its status is unknown.
    /// asyncio reports 255 and warns, and so does this.
    fn lost_child(&self, e: std::io::Error) -> i32 {
        if e.raw_os_error() == Some(libc::EINTR) {
            return 255;
        }
        log::warn!(target: "evloop", "child process pid {} exit status already read: will report returncode 255 ({e})", self.pid);
        255
    }

    fn finish(&self, code: i32) {
        self.reaped.set(true);
        if let Some(fd) = self.pidfd.borrow_mut().take() {
            self.lp.remove_io(fd.as_raw_fd(), Interest::READ);
        }
        if let Some(timer) = self.timer.borrow_mut().take() {
            timer.cancel();
        }
        // Taken first: the borrow must not last through the callback.
        let on_exit = self.on_exit.borrow_mut().take();
        if let Some(on_exit) = on_exit {
            on_exit(code);
        }
    }

    /// Reaps the child if it exited, without waiting and without running
    /// `on_exit` (asyncio's `Popen.poll()`); its return code.
    pub(crate) fn reap_now(&self) -> Option<i32> {
        if self.reaped.get() {
            return None;
        }
        let code = match self.pidfd.borrow().as_ref() {
            Some(fd) => self.wait_pidfd(fd.as_raw_fd()),
            None => self.wait_pid(),
        };
        if code.is_some() {
            self.reaped.set(true);
        }
        code
    }

    /// The loop is closing with the child still running: kills it and
    /// reaps it, waiting at most `REAP_AT_CLOSE` (a child stuck in the
    /// kernel may outlive SIGKILL for a while: it is left then, with a
    /// warning). Returns the return code if it was reaped.
    pub(crate) fn kill_and_reap_at_loop_close(&self) -> Option<i32> {
        if self.reaped.get() {
            return None;
        }
        let _ = self.send_signal(libc::SIGKILL);
        let deadline = std::time::Instant::now() + REAP_AT_CLOSE;
        loop {
            if let Some(code) = self.reap_now() {
                return Some(code);
            }
            let now = std::time::Instant::now();
            if now >= deadline {
                log::warn!(target: "evloop", "child process pid {} did not exit after SIGKILL at loop close; not reaped", self.pid);
                return None;
            }
            let wait_ms = (deadline - now).as_millis().min(10) as i32;
            match self.pidfd.borrow().as_ref() {
                Some(fd) => {
                    let mut pfd = libc::pollfd { fd: fd.as_raw_fd(), events: libc::POLLIN, revents: 0 };
                    // SAFETY: one valid pollfd, for at most `wait_ms`.
                    unsafe { libc::poll(&mut pfd, 1, wait_ms) };
                }
                None => std::thread::sleep(std::time::Duration::from_millis(1)),
            }
        }
    }

    /// Lets go of everything at loop close: the pidfd (closed now), the
    /// polling timer and `on_exit` (which holds the transport).
    pub(crate) fn release(&self) {
        self.pidfd.borrow_mut().take();
        if let Some(timer) = self.timer.borrow_mut().take() {
            timer.cancel();
        }
        self.on_exit.borrow_mut().take();
    }

    /// Sends `sig` to the child; a no-op once it was reaped (its pid may
    /// belong to another process by then).
    ///
    /// # Errors
    /// `ProcessLookupError` and other `OSError`s.
    pub(crate) fn send_signal(&self, sig: i32) -> Result<()> {
        if self.reaped.get() {
            return Ok(());
        }
        let r = match self.pidfd.borrow().as_ref() {
            // SAFETY: a plain syscall on our pidfd.
            Some(fd) => unsafe {
                libc::syscall(libc::SYS_pidfd_send_signal, fd.as_raw_fd(), sig, std::ptr::null::<libc::siginfo_t>(), 0)
            },
            // SAFETY: our child is not reaped, so the pid is still its.
            None => libc::c_long::from(unsafe { libc::kill(self.pid, sig) }),
        };
        if r < 0 {
            return Err(Error::os("kill", std::io::Error::last_os_error()));
        }
        Ok(())
    }
}
