//! The process side of signal handlers: one C handler for every signal a
//! loop watches, which writes the signal's number to that loop's wake-up
//! pipe (asyncio's `signal.set_wakeup_fd`). `write(2)` is
//! async-signal-safe; nothing else happens in the handler, so the loop runs
//! the Python-level handler later as an ordinary callback.
//!
//! A signal's disposition is process-wide, so the latest loop to add a
//! handler for a signal receives it; a loop only restores the default
//! disposition of a signal it still owns.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::Mutex;

/// One past the largest signal number (Linux's `_NSIG`).
pub(crate) const NSIG: i32 = 65;

/// Per signal: the write end of the pipe its handler writes to (-1: none).
static WAKE_FDS: [AtomicI32; NSIG as usize] = [const { AtomicI32::new(-1) }; NSIG as usize];
/// Per signal: the id of the loop that owns the handler (0: none).
static OWNERS: [AtomicU64; NSIG as usize] = [const { AtomicU64::new(0) }; NSIG as usize];
/// Serializes installing and restoring, which read and write both tables.
static INSTALL: Mutex<()> = Mutex::new(());

extern "C" fn on_signal(sig: libc::c_int) {
    let saved = errno();
    if let Some(slot) = WAKE_FDS.get(sig as usize) {
        let fd = slot.load(Ordering::Acquire);
        if fd >= 0 {
            let byte = sig as u8;
            // SAFETY: write(2) of one byte from a local; async-signal-safe.
            // A full pipe already holds a wake-up for the loop, so the
            // result is ignored (the byte would only repeat the signal).
            unsafe { libc::write(fd, (&raw const byte).cast(), 1) };
        }
    }
    set_errno(saved);
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn errno_location() -> *mut libc::c_int {
    // SAFETY: returns the calling thread's errno slot.
    unsafe { libc::__errno_location() }
}

#[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd"))]
fn errno_location() -> *mut libc::c_int {
    // SAFETY: returns the calling thread's errno slot.
    unsafe { libc::__error() }
}

/// The handler may interrupt code between a failing call and its reading
/// of `errno`, so it leaves `errno` as it found it.
fn errno() -> libc::c_int {
    // SAFETY: the slot is valid for the calling thread.
    unsafe { *errno_location() }
}

fn set_errno(value: libc::c_int) {
    // SAFETY: as above.
    unsafe { *errno_location() = value };
}

/// Whether `sig` is a signal number of this platform (Python's
/// `signal.valid_signals()`: what `sigfillset` fills, which leaves out the
/// numbers the C library keeps for itself).
pub(crate) fn is_valid(sig: i32) -> bool {
    if !(1..NSIG).contains(&sig) {
        return false;
    }
    // SAFETY: a zeroed sigset_t filled and queried by libc.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut set);
        libc::sigismember(&set, sig) == 1
    }
}

/// The loop's end of the signal wake-up pipe.
pub(crate) struct Wakeup {
    read: OwnedFd,
    write: OwnedFd,
}

impl Wakeup {
    pub(crate) fn new() -> io::Result<Wakeup> {
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two descriptors pipe2 writes.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: pipe2 just returned these descriptors; we own them.
        Ok(unsafe { Wakeup { read: OwnedFd::from_raw_fd(fds[0]), write: OwnedFd::from_raw_fd(fds[1]) } })
    }

    pub(crate) fn read_fd(&self) -> RawFd {
        self.read.as_raw_fd()
    }

    /// The signal numbers written since the last call, in arrival order.
    pub(crate) fn drain(&self) -> Vec<i32> {
        let mut out = Vec::new();
        let mut buf = [0u8; 256];
        loop {
            // SAFETY: reading into a local buffer of the given length.
            let n = unsafe { libc::read(self.read.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n <= 0 {
                break;
            }
            out.extend(buf[..n as usize].iter().map(|&b| i32::from(b)));
        }
        out
    }

    /// Makes `sig` write to this pipe and installs the handler (with
    /// `SA_RESTART`, as asyncio's `siginterrupt(sig, False)`).
    pub(crate) fn install(&self, sig: i32, loop_id: u64) -> io::Result<()> {
        let _guard = INSTALL.lock().unwrap_or_else(|p| p.into_inner());
        let i = sig as usize;
        let (old_fd, old_owner) = (WAKE_FDS[i].load(Ordering::Acquire), OWNERS[i].load(Ordering::Acquire));
        WAKE_FDS[i].store(self.write.as_raw_fd(), Ordering::Release);
        OWNERS[i].store(loop_id, Ordering::Release);
        let handler: extern "C" fn(libc::c_int) = on_signal;
        if let Err(e) = set_action(sig, handler as libc::sighandler_t) {
            WAKE_FDS[i].store(old_fd, Ordering::Release);
            OWNERS[i].store(old_owner, Ordering::Release);
            return Err(e);
        }
        Ok(())
    }
}

/// Restores the default disposition of `sig` if `loop_id` still owns it.
pub(crate) fn restore_default(sig: i32, loop_id: u64) -> io::Result<()> {
    let _guard = INSTALL.lock().unwrap_or_else(|p| p.into_inner());
    let i = sig as usize;
    if OWNERS[i].load(Ordering::Acquire) != loop_id {
        return Ok(());
    }
    set_action(sig, libc::SIG_DFL)?;
    WAKE_FDS[i].store(-1, Ordering::Release);
    OWNERS[i].store(0, Ordering::Release);
    Ok(())
}

fn set_action(sig: i32, handler: libc::sighandler_t) -> io::Result<()> {
    // SAFETY: a zeroed sigaction with an empty mask and a handler that only
    // calls async-signal-safe functions (or SIG_DFL).
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = handler;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        if libc::sigaction(sig, &action, std::ptr::null_mut()) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}
