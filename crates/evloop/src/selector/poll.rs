//! `poll(2)`, as `selectors.PollSelector`: level-triggered by nature.

use std::collections::HashMap;
use std::io;
use std::sync::Arc;

use super::mio::{poll_events, poll_readiness};
use super::self_pipe::SelfPipe;
use super::{Event, Fd, Interest, Selector, Wake};

/// A selector on `poll(2)`.
pub struct PollSelector {
    /// The self-pipe's read end first, then one entry per registered fd.
    pollfds: Vec<libc::pollfd>,
    /// fd -> index into `pollfds`, and its interest.
    index: HashMap<Fd, (usize, Interest)>,
    pipe: Arc<SelfPipe>,
}

impl PollSelector {
    /// Creates the selector and its self-pipe.
    pub fn new() -> io::Result<PollSelector> {
        let pipe = Arc::new(SelfPipe::new()?);
        let pollfds = vec![libc::pollfd { fd: pipe.read_fd, events: libc::POLLIN, revents: 0 }];
        Ok(PollSelector { pollfds, index: HashMap::new(), pipe })
    }
}

impl Selector for PollSelector {
    fn name(&self) -> &'static str {
        "poll"
    }

    fn register(&mut self, fd: Fd, interest: Interest) -> io::Result<()> {
        if self.index.contains_key(&fd) {
            return Err(io::Error::new(io::ErrorKind::AlreadyExists, format!("{fd} is already registered")));
        }
        self.index.insert(fd, (self.pollfds.len(), interest));
        self.pollfds.push(libc::pollfd { fd, events: poll_events(interest), revents: 0 });
        Ok(())
    }

    fn modify(&mut self, fd: Fd, interest: Interest) -> io::Result<()> {
        let slot = self.index.get_mut(&fd).ok_or_else(|| not_registered(fd))?;
        slot.1 = interest;
        self.pollfds[slot.0].events = poll_events(interest);
        Ok(())
    }

    fn unregister(&mut self, fd: Fd) -> io::Result<()> {
        let (i, _) = self.index.remove(&fd).ok_or_else(|| not_registered(fd))?;
        self.pollfds.swap_remove(i);
        if let Some(moved) = self.pollfds.get(i) {
            self.index.get_mut(&moved.fd).expect("indexed").0 = i;
        }
        Ok(())
    }

    fn select(&mut self, timeout: Option<f64>, events: &mut Vec<Event>) -> io::Result<()> {
        // SAFETY: `pollfds` is a valid array of `len` pollfd structs.
        let n = unsafe {
            libc::poll(self.pollfds.as_mut_ptr(), self.pollfds.len() as libc::nfds_t, timeout_millis(timeout))
        };
        if n < 0 {
            let err = io::Error::last_os_error();
            return if err.kind() == io::ErrorKind::Interrupted { Ok(()) } else { Err(err) };
        }
        if self.pollfds[0].revents != 0 {
            self.pipe.drain();
        }
        for p in self.pollfds[1..].iter().filter(|p| p.revents != 0) {
            let ready = poll_readiness(p.revents).intersect(self.index[&p.fd].1);
            if !ready.is_empty() {
                events.push(Event { fd: p.fd, ready });
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

pub(crate) fn not_registered(fd: Fd) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, format!("{fd} is not registered"))
}

/// Converts a timeout in seconds to whole milliseconds, rounding up so a
/// deadline is never reached early (poll/epoll granularity).
pub(crate) fn timeout_millis(timeout: Option<f64>) -> i32 {
    match timeout {
        None => -1,
        Some(t) if t <= 0.0 => 0,
        Some(t) => (t * 1000.0).ceil().min(i32::MAX as f64) as i32,
    }
}
