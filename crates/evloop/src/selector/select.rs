//! `select(2)`, as `selectors.SelectSelector`: fds below `FD_SETSIZE` only.

use std::collections::BTreeMap;
use std::io;
use std::sync::Arc;

use super::poll::not_registered;
use super::self_pipe::SelfPipe;
use super::{Event, Fd, Interest, Selector, Wake};

/// A selector on `select(2)`.
pub struct SelectSelector {
    /// Registered fds in order, so each `select` reports them in fd order.
    interest: BTreeMap<Fd, Interest>,
    pipe: Arc<SelfPipe>,
}

impl SelectSelector {
    /// Creates the selector and its self-pipe.
    pub fn new() -> io::Result<SelectSelector> {
        Ok(SelectSelector { interest: BTreeMap::new(), pipe: Arc::new(SelfPipe::new()?) })
    }
}

fn check_range(fd: Fd) -> io::Result<()> {
    if fd < 0 || fd as usize >= libc::FD_SETSIZE {
        // CPython's select module raises ValueError with this text.
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "filedescriptor out of range in select()"));
    }
    Ok(())
}

fn empty_set() -> libc::fd_set {
    // SAFETY: fd_set is plain data; FD_ZERO initialises it.
    unsafe {
        let mut set = std::mem::zeroed::<libc::fd_set>();
        libc::FD_ZERO(&mut set);
        set
    }
}

impl Selector for SelectSelector {
    fn name(&self) -> &'static str {
        "select"
    }

    fn register(&mut self, fd: Fd, interest: Interest) -> io::Result<()> {
        check_range(fd)?;
        if self.interest.contains_key(&fd) {
            return Err(io::Error::new(io::ErrorKind::AlreadyExists, format!("{fd} is already registered")));
        }
        self.interest.insert(fd, interest);
        Ok(())
    }

    fn modify(&mut self, fd: Fd, interest: Interest) -> io::Result<()> {
        *self.interest.get_mut(&fd).ok_or_else(|| not_registered(fd))? = interest;
        Ok(())
    }

    fn unregister(&mut self, fd: Fd) -> io::Result<()> {
        self.interest.remove(&fd).map(|_| ()).ok_or_else(|| not_registered(fd))
    }

    fn select(&mut self, timeout: Option<f64>, events: &mut Vec<Event>) -> io::Result<()> {
        let (mut rset, mut wset) = (empty_set(), empty_set());
        let mut max_fd = self.pipe.read_fd;
        // SAFETY: every fd set here was range-checked at registration.
        unsafe {
            libc::FD_SET(self.pipe.read_fd, &mut rset);
            for (&fd, &interest) in &self.interest {
                if interest.contains(Interest::READ) {
                    libc::FD_SET(fd, &mut rset);
                }
                if interest.contains(Interest::WRITE) {
                    libc::FD_SET(fd, &mut wset);
                }
                max_fd = max_fd.max(fd);
            }
        }
        let mut tv;
        let tv_ptr = match timeout {
            None => std::ptr::null_mut(),
            Some(t) => {
                // Round up to whole microseconds: never wake before the deadline.
                let micros = (t.max(0.0) * 1e6).ceil().min(i64::MAX as f64 / 2.0) as i64;
                tv = libc::timeval { tv_sec: (micros / 1_000_000) as _, tv_usec: (micros % 1_000_000) as _ };
                &mut tv as *mut libc::timeval
            }
        };
        // SAFETY: the sets and timeval are valid for the duration of the call.
        let n = unsafe { libc::select(max_fd + 1, &mut rset, &mut wset, std::ptr::null_mut(), tv_ptr) };
        if n < 0 {
            let err = io::Error::last_os_error();
            return if err.kind() == io::ErrorKind::Interrupted { Ok(()) } else { Err(err) };
        }
        // SAFETY: FD_ISSET reads the sets select filled in.
        unsafe {
            if libc::FD_ISSET(self.pipe.read_fd, &rset) {
                self.pipe.drain();
            }
            for (&fd, &interest) in &self.interest {
                let mut ready = Interest::NONE;
                if libc::FD_ISSET(fd, &rset) {
                    ready = ready.union(Interest::READ);
                }
                if libc::FD_ISSET(fd, &wset) {
                    ready = ready.union(Interest::WRITE);
                }
                let ready = ready.intersect(interest);
                if !ready.is_empty() {
                    events.push(Event { fd, ready });
                }
            }
        }
        Ok(())
    }

    fn waker(&self) -> Arc<dyn Wake> {
        self.pipe.clone()
    }

    fn wake_fd(&self) -> Option<Fd> {
        Some(self.pipe.read_fd)
    }
}
