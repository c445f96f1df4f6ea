//! The default selector: mio (epoll on Linux, kqueue on BSD and macOS).
//!
//! mio is edge-triggered, asyncio's selectors are level-triggered: asyncio
//! relies on an fd that is still readable being reported again (one `recv`
//! per readiness, at most `backlog` accepts per readiness). So every fd
//! reported by one `select` is re-checked with a zero-timeout `poll(2)` at
//! the start of the next; what is still ready is reported again
//! (reference §3.2, §10.2). Re-checking only last time's reports keeps the
//! cost proportional to activity, not to the number of registered fds.

use std::collections::HashMap;
use std::io;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::Duration;

use ::mio::unix::SourceFd;
use ::mio::{Events, Poll, Token, Waker};

use super::{Event, Fd, Interest, Selector, Wake};

/// mio reports at most this many events per `select`; the rest wait for the
/// next call (epoll keeps them), as a bounded batch keeps iterations short.
const EVENTS_CAPACITY: usize = 1024;

/// The token of the cross-thread waker; fds use their own number.
const WAKE_TOKEN: Token = Token(usize::MAX);

struct MioWake(Waker);

impl Wake for MioWake {
    fn wake(&self) -> io::Result<()> {
        self.0.wake()
    }
}

/// A selector on mio's `Poll`.
pub struct MioSelector {
    poll: Poll,
    events: Events,
    waker: Arc<MioWake>,
    /// Registered fds and their interest.
    interest: HashMap<Fd, Interest>,
    /// What the last `select` reported and nobody has seen drained since,
    /// to re-check level-triggered; the flag is set when the report carried
    /// a hang-up or error, which a short read does not consume.
    reported: HashMap<Fd, (Interest, bool)>,
    /// Fds of this `select` whose report carried a hang-up or error.
    hangups: Vec<Fd>,
}

impl MioSelector {
    /// Opens an epoll (or kqueue) instance and its waker.
    pub fn new() -> io::Result<MioSelector> {
        let poll = Poll::new()?;
        let waker = Arc::new(MioWake(Waker::new(poll.registry(), WAKE_TOKEN)?));
        Ok(MioSelector {
            poll,
            events: Events::with_capacity(EVENTS_CAPACITY),
            waker,
            interest: HashMap::new(),
            reported: HashMap::new(),
            hangups: Vec::new(),
        })
    }

    /// Appends to `events` those of last time's reports that are still ready.
    fn recheck_reported(&mut self, events: &mut Vec<Event>) -> io::Result<()> {
        let reported = std::mem::take(&mut self.reported);
        let mut pollfds: Vec<libc::pollfd> = reported
            .iter()
            .filter_map(|(&fd, &(ready, _))| {
                let interest = self.interest.get(&fd)?.intersect(ready);
                (!interest.is_empty()).then(|| libc::pollfd {
                    fd,
                    events: poll_events(interest) | libc::POLLRDHUP,
                    revents: 0,
                })
            })
            .collect();
        if pollfds.is_empty() {
            return Ok(());
        }
        // SAFETY: `pollfds` is a valid array of `len` pollfd structs.
        let n = unsafe { libc::poll(pollfds.as_mut_ptr(), pollfds.len() as libc::nfds_t, 0) };
        if n < 0 {
            let err = io::Error::last_os_error();
            return if err.kind() == io::ErrorKind::Interrupted { Ok(()) } else { Err(err) };
        }
        for p in pollfds.iter().filter(|p| p.revents != 0) {
            let ready = poll_readiness(p.revents).intersect(self.interest[&p.fd]);
            if !ready.is_empty() {
                events.push(Event { fd: p.fd, ready });
                if p.revents & (libc::POLLRDHUP | libc::POLLHUP | libc::POLLERR) != 0 {
                    self.hangups.push(p.fd);
                }
            }
        }
        Ok(())
    }
}

/// Maps asyncio's readiness rule onto a back end's flags: an error or hang-up
/// makes the fd ready in both directions, so whichever callback is
/// registered gets to see the error.
fn readiness(readable: bool, writable: bool, error: bool) -> Interest {
    let mut r = Interest::NONE;
    if readable || error {
        r = r.union(Interest::READ);
    }
    if writable || error {
        r = r.union(Interest::WRITE);
    }
    r
}

/// `poll(2)` event flags for an interest.
pub(crate) fn poll_events(interest: Interest) -> libc::c_short {
    let mut ev = 0;
    if interest.contains(Interest::READ) {
        ev |= libc::POLLIN;
    }
    if interest.contains(Interest::WRITE) {
        ev |= libc::POLLOUT;
    }
    ev
}

/// asyncio's `PollSelector` rule: anything but POLLIN makes an fd writable,
/// anything but POLLOUT makes it readable (errors and hang-ups reach both).
pub(crate) fn poll_readiness(revents: libc::c_short) -> Interest {
    let mut r = Interest::NONE;
    if revents & !libc::POLLOUT != 0 {
        r = r.union(Interest::READ);
    }
    if revents & !libc::POLLIN != 0 {
        r = r.union(Interest::WRITE);
    }
    r
}

fn mio_interest(interest: Interest) -> io::Result<::mio::Interest> {
    match (interest.contains(Interest::READ), interest.contains(Interest::WRITE)) {
        (true, true) => Ok(::mio::Interest::READABLE | ::mio::Interest::WRITABLE),
        (true, false) => Ok(::mio::Interest::READABLE),
        (false, true) => Ok(::mio::Interest::WRITABLE),
        (false, false) => Err(io::Error::new(io::ErrorKind::InvalidInput, "empty interest")),
    }
}

impl Selector for MioSelector {
    fn name(&self) -> &'static str {
        if cfg!(any(target_os = "linux", target_os = "android")) { "epoll" } else { "kqueue" }
    }

    fn register(&mut self, fd: Fd, interest: Interest) -> io::Result<()> {
        if self.interest.contains_key(&fd) {
            return Err(io::Error::new(io::ErrorKind::AlreadyExists, format!("{fd} is already registered")));
        }
        self.poll.registry().register(&mut SourceFd(&fd), Token(fd as usize), mio_interest(interest)?)?;
        self.interest.insert(fd, interest);
        Ok(())
    }

    fn modify(&mut self, fd: Fd, interest: Interest) -> io::Result<()> {
        let registry = self.poll.registry();
        match registry.reregister(&mut SourceFd(&fd), Token(fd as usize), mio_interest(interest)?) {
            // The fd was closed and its number reused since it was registered:
            // epoll forgot it, so add it afresh.
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {
                registry.register(&mut SourceFd(&fd), Token(fd as usize), mio_interest(interest)?)?
            }
            other => other?,
        }
        self.interest.insert(fd, interest);
        Ok(())
    }

    fn unregister(&mut self, fd: Fd) -> io::Result<()> {
        if self.interest.remove(&fd).is_none() {
            return Err(io::Error::new(io::ErrorKind::NotFound, format!("{fd} is not registered")));
        }
        self.reported.remove(&fd);
        match self.poll.registry().deregister(&mut SourceFd(&fd)) {
            // Closed before it was unregistered: epoll already dropped it.
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENOENT) | Some(libc::EBADF)) => Ok(()),
            other => other,
        }
    }

    fn select(&mut self, timeout: Option<f64>, events: &mut Vec<Event>) -> io::Result<()> {
        let first = events.len();
        self.hangups.clear();
        self.recheck_reported(events)?;
        let rechecked = events.len() - first;
        let timeout = if rechecked > 0 { Some(0.0) } else { timeout };
        // mio rounds sub-millisecond timeouts up itself.
        let timeout = timeout.map(|t| Duration::from_secs_f64(t.clamp(0.0, 86_400.0 * 365.0)));
        match self.poll.poll(&mut self.events, timeout) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => other?,
        }
        for ev in self.events.iter() {
            if ev.token() == WAKE_TOKEN {
                continue;
            }
            let fd = ev.token().0 as Fd;
            let Some(&interest) = self.interest.get(&fd) else { continue };
            let ready = readiness(
                ev.is_readable() || ev.is_read_closed(),
                ev.is_writable() || ev.is_write_closed(),
                ev.is_error(),
            )
            .intersect(interest);
            if ready.is_empty() {
                continue;
            }
            if ev.is_read_closed() || ev.is_error() {
                self.hangups.push(fd);
            }
            // Merge with a re-checked report of the same fd.
            match events[first..first + rechecked].iter_mut().find(|e| e.fd == fd) {
                Some(e) => e.ready = e.ready.union(ready),
                None => events.push(Event { fd, ready }),
            }
        }
        let hangups = &self.hangups;
        self.reported.extend(events[first..].iter().map(|e| (e.fd, (e.ready, hangups.contains(&e.fd)))));
        Ok(())
    }

    fn note_drained(&mut self, fd: Fd, direction: Interest) {
        if let Some((ready, hangup)) = self.reported.get_mut(&fd) {
            // A hang-up stays pending after the data is read: keep checking.
            if *hangup {
                return;
            }
            *ready = ready.without(direction);
            if ready.is_empty() {
                self.reported.remove(&fd);
            }
        }
    }

    fn has_pending(&self) -> bool {
        !self.reported.is_empty()
    }

    fn waker(&self) -> Arc<dyn Wake> {
        self.waker.clone()
    }

    fn pollable_fd(&self) -> Option<Fd> {
        Some(self.poll.as_raw_fd())
    }
}
