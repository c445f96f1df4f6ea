//! `add_signal_handler` / `remove_signal_handler` (asyncio's
//! `_UnixSelectorEventLoop`): a handler is a repeating [`Handle`] that
//! runs as a loop callback each time its signal arrives.
//!
//! Where signals come from is the loop's network's business, as sockets
//! are: a loop on the OS network ([`os`]) installs a C handler that writes
//! the signal's number to a wake-up pipe, and the loop reads that pipe as
//! one more reader (so mio, poll, select and the proactor all carry it
//! through their `Selector`); a simulated host receives them from the
//! simulation's faults ([`EventLoop::handle_signal`]) and never touches the
//! process's dispositions.

#[cfg(not(target_arch = "wasm32"))]
mod os;

use std::borrow::Cow;
use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::handle::Handle;
#[cfg(not(target_arch = "wasm32"))]
use crate::selector::Interest;
use crate::EventLoop;

/// The signal handlers of one loop.
#[derive(Default)]
pub(crate) struct SignalState {
    handlers: HashMap<i32, Handle>,
    /// The wake-up pipe, open while a handler is installed on an OS loop.
    #[cfg(not(target_arch = "wasm32"))]
    wakeup: Option<os::Wakeup>,
}

impl SignalState {
    /// A loop dropped without `close()`: the signals it still owns get their
    /// default disposition back before its wake-up pipe closes, so no later
    /// signal writes into an fd number that may be reused by then.
    pub(crate) fn release_at_drop(&mut self, loop_id: u64) {
        #[cfg(not(target_arch = "wasm32"))]
        if self.wakeup.is_some() {
            for &sig in self.handlers.keys() {
                let _ = os::restore_default(sig, loop_id);
            }
        }
        #[cfg(target_arch = "wasm32")]
        let _ = loop_id;
    }
}

/// `SIGKILL` and `SIGSTOP`: no handler can be installed for them.
const UNCATCHABLE: [i32; 2] = [9, 19];

fn check_signal(sig: i32) -> Result<()> {
    #[cfg(not(target_arch = "wasm32"))]
    let valid = os::is_valid(sig);
    #[cfg(target_arch = "wasm32")]
    let valid = (1..65).contains(&sig);
    if valid {
        Ok(())
    } else {
        Err(Error::Value(format!("invalid signal number {sig}")))
    }
}

impl EventLoop {
    /// Calls `f` as a loop callback whenever signal `sig` arrives, until
    /// [`remove_signal_handler`](Self::remove_signal_handler). Replaces an
    /// earlier handler of the same signal.
    ///
    /// # Errors
    /// `ValueError('invalid signal number N')`; `RuntimeError('Event loop
    /// is closed')`; `RuntimeError('sig 9 cannot be caught')` for SIGKILL
    /// and SIGSTOP (asyncio's words for the OS's `EINVAL`); the OS error
    /// if the wake-up pipe cannot be made.
    pub fn add_signal_handler(&self, sig: i32, f: impl FnMut() + 'static) -> Result<()> {
        self.add_signal_handler_labelled(sig, Cow::Borrowed(std::any::type_name_of_val(&f)), Box::new(f))
    }

    /// [`add_signal_handler`](Self::add_signal_handler) with the label that
    /// names the callback in reports, for the bindings.
    ///
    /// # Errors
    /// As `add_signal_handler`.
    pub fn add_signal_handler_labelled(&self, sig: i32, label: Cow<'static, str>, f: Box<dyn FnMut()>) -> Result<()> {
        check_signal(sig)?;
        self.check_closed()?;
        if UNCATCHABLE.contains(&sig) {
            return Err(Error::Runtime(format!("sig {sig} cannot be caught")));
        }
        if self.network().os_signals() {
            self.install_os_signal(sig)?;
        }
        let old = self.inner.signals.borrow_mut().handlers.insert(sig, Handle::repeat(f, label));
        if let Some(old) = old {
            old.cancel();
        }
        Ok(())
    }

    /// Removes the handler of `sig` and restores the signal's default
    /// disposition (for SIGINT too: the process's default is to end on
    /// it). Returns whether a handler was installed.
    ///
    /// # Errors
    /// `ValueError('invalid signal number N')`; the OS error of restoring.
    pub fn remove_signal_handler(&self, sig: i32) -> Result<bool> {
        check_signal(sig)?;
        let Some(handle) = self.inner.signals.borrow_mut().handlers.remove(&sig) else { return Ok(false) };
        handle.cancel();
        #[cfg(not(target_arch = "wasm32"))]
        if self.network().os_signals() {
            os::restore_default(sig, self.id()).map_err(|e| Error::os("sigaction", e))?;
            self.close_wakeup_if_unused();
        }
        Ok(true)
    }

    /// The signals this loop has handlers for, in increasing order.
    pub fn signal_handlers(&self) -> Vec<i32> {
        let mut sigs: Vec<i32> = self.inner.signals.borrow().handlers.keys().copied().collect();
        sigs.sort_unstable();
        sigs
    }

    /// Signal `sig` arrived: queue its handler (asyncio's `_handle_signal`;
    /// a cancelled handler is removed instead). The simulation calls this
    /// for its signal faults; OS loops from their wake-up pipe's reader.
    pub(crate) fn handle_signal(&self, sig: i32) {
        let handle = self.inner.signals.borrow().handlers.get(&sig).cloned();
        match handle {
            Some(h) if h.cancelled() => {
                let _ = self.remove_signal_handler(sig);
            }
            Some(h) => {
                let _ = self.call_soon_again(&h);
            }
            None => {}
        }
    }

    /// At `close()`: every handler goes and every signal this loop owns
    /// gets its default disposition back.
    pub(crate) fn close_signals(&self) {
        let sigs = self.signal_handlers();
        for sig in sigs {
            if let Some(h) = self.inner.signals.borrow_mut().handlers.remove(&sig) {
                h.cancel();
            }
            #[cfg(not(target_arch = "wasm32"))]
            if self.network().os_signals() {
                let _ = os::restore_default(sig, self.id());
            }
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            // The selector and its registrations are dropped with the loop.
            let wakeup = self.inner.signals.borrow_mut().wakeup.take();
            drop(wakeup);
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn install_os_signal(&self, sig: i32) -> Result<()> {
        if self.inner.signals.borrow().wakeup.is_none() {
            let wakeup = os::Wakeup::new().map_err(|e| Error::os("pipe", e))?;
            let weak = std::rc::Rc::downgrade(&self.inner);
            let read_fd = wakeup.read_fd();
            self.add_io_unchecked(read_fd, Interest::READ, Cow::Borrowed("signal wake-up"), Box::new(move || {
                let Some(inner) = weak.upgrade() else { return };
                let lp = EventLoop { inner };
                let sigs = lp.inner.signals.borrow().wakeup.as_ref().map(os::Wakeup::drain).unwrap_or_default();
                for sig in sigs {
                    lp.handle_signal(sig);
                }
            }))?;
            self.inner.signals.borrow_mut().wakeup = Some(wakeup);
        }
        let result = {
            let signals = self.inner.signals.borrow();
            signals.wakeup.as_ref().map_or(Ok(()), |w| w.install(sig, self.id()))
        };
        if let Err(e) = result {
            self.close_wakeup_if_unused();
            return Err(match e.raw_os_error() {
                Some(libc::EINVAL) => Error::Runtime(format!("sig {sig} cannot be caught")),
                _ => Error::os("sigaction", e),
            });
        }
        Ok(())
    }

    #[cfg(target_arch = "wasm32")]
    fn install_os_signal(&self, _sig: i32) -> Result<()> {
        Ok(())
    }

    /// Closes the wake-up pipe once no handler is left.
    #[cfg(not(target_arch = "wasm32"))]
    fn close_wakeup_if_unused(&self) {
        let wakeup = {
            let mut signals = self.inner.signals.borrow_mut();
            if !signals.handlers.is_empty() {
                return;
            }
            signals.wakeup.take()
        };
        if let Some(w) = wakeup {
            self.remove_io(w.read_fd(), Interest::READ);
        }
    }
}
