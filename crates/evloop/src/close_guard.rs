//! Closing what a creation call made when its last wait fails or is dropped.
//!
//! asyncio's creation coroutines (`create_connection`, `start_tls`,
//! `create_datagram_endpoint`, `connect_*_pipe`, `subprocess_exec`) wrap
//! their wait for `connection_made` in `except: transport.close(); raise`,
//! and a cancelled task raises there too. A Rust future is cancelled by
//! being dropped, so the close sits in a guard's `Drop`.

/// What a [`CloseUnlessKept`] closes.
pub(crate) trait Close {
    fn close(&self);
}

/// Closes its value when dropped, unless [`keep`](Self::keep) takes it.
pub(crate) struct CloseUnlessKept<T: Close>(Option<T>);

impl<T: Close> CloseUnlessKept<T> {
    pub(crate) fn new(value: T) -> Self {
        CloseUnlessKept(Some(value))
    }

    /// The creation succeeded: the value is the caller's.
    pub(crate) fn keep(mut self) -> T {
        self.0.take().expect("kept once")
    }
}

impl<T: Close> Drop for CloseUnlessKept<T> {
    fn drop(&mut self) {
        if let Some(v) = self.0.take() {
            v.close();
        }
    }
}

impl Close for crate::transport::Transport {
    fn close(&self) {
        crate::transport::Transport::close(self);
    }
}

impl Close for crate::datagram::DatagramTransport {
    fn close(&self) {
        crate::datagram::DatagramTransport::close(self);
    }
}

/// Closing a child's transport kills the child if it still runs (asyncio's
/// `subprocess_exec` kills it when the wait fails).
#[cfg(target_os = "linux")]
impl Close for crate::subprocess::SubprocessTransport {
    fn close(&self) {
        crate::subprocess::SubprocessTransport::close(self);
    }
}
