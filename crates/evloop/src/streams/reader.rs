//! `StreamReader`: a byte buffer fed by a protocol and drained by `async`
//! reads (asyncio's `StreamReader`, CPython 3.13).

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::{Rc, Weak};

use crate::error::{Error, Result};
use crate::future::Future;
use crate::transport::Transport;
use crate::EventLoop;

/// The default `limit` of a reader: 64 KiB (asyncio's `_DEFAULT_LIMIT`).
pub const DEFAULT_LIMIT: usize = 1 << 16;

/// Bytes with a moving start, so consuming from the front is O(1)
/// amortized (as `del bytearray[:n]` is in CPython).
#[derive(Default)]
struct Buffer {
    data: Vec<u8>,
    start: usize,
}

impl Buffer {
    fn as_slice(&self) -> &[u8] {
        &self.data[self.start..]
    }

    fn len(&self) -> usize {
        self.data.len() - self.start
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn extend(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start >= self.data.len() / 2 {
            self.data.drain(..self.start);
            self.start = 0;
        }
        self.data.extend_from_slice(bytes);
    }

    /// Removes and returns the first `n` bytes (fewer if there are fewer).
    fn take_front(&mut self, n: usize) -> Vec<u8> {
        let n = n.min(self.len());
        let out = self.data[self.start..self.start + n].to_vec();
        self.discard(n);
        out
    }

    fn discard(&mut self, n: usize) {
        self.start += n.min(self.len());
        if self.start == self.data.len() {
            self.clear();
        }
    }

    fn take_all(&mut self) -> Vec<u8> {
        let out = self.as_slice().to_vec();
        self.clear();
        out
    }

    fn clear(&mut self) {
        self.data.clear();
        self.start = 0;
    }
}

pub(crate) struct ReaderInner {
    lp: EventLoop,
    limit: usize,
    buffer: RefCell<Buffer>,
    /// `feed_eof()` was called.
    eof: Cell<bool>,
    /// The one read waiting for data, with an id so a finished wait only
    /// clears its own waiter.
    waiter: RefCell<Option<(u64, Future<()>)>>,
    next_waiter: Cell<u64>,
    exception: RefCell<Option<Error>>,
    transport: RefCell<Option<Transport>>,
    /// Reading of the transport was paused by this reader.
    paused: Cell<bool>,
}

/// The read half of a stream. Clones are the same reader.
///
/// Reads are `async` (they return futures to await inside a task); only one
/// of them may wait for data at a time. The buffer holds up to about twice
/// `limit` bytes before the transport stops reading.
#[derive(Clone)]
pub struct StreamReader(pub(crate) Rc<ReaderInner>);

/// A reader that does not keep the reader alive (the protocol's link).
pub(crate) struct WeakReader(Weak<ReaderInner>);

impl WeakReader {
    pub(crate) fn upgrade(&self) -> Option<StreamReader> {
        self.0.upgrade().map(StreamReader)
    }
}

impl StreamReader {
    /// A reader on `lp` with the default limit (64 KiB).
    pub fn new(lp: &EventLoop) -> StreamReader {
        StreamReader::unchecked(lp, DEFAULT_LIMIT)
    }

    /// A reader with the given `limit`: the longest line (or chunk before a
    /// separator) `readuntil` accepts, and half the buffer size at which the
    /// transport is paused.
    ///
    /// # Errors
    /// `ValueError('Limit cannot be <= 0')`.
    pub fn with_limit(lp: &EventLoop, limit: usize) -> Result<StreamReader> {
        check_limit(limit)?;
        Ok(StreamReader::unchecked(lp, limit))
    }

    pub(crate) fn unchecked(lp: &EventLoop, limit: usize) -> StreamReader {
        StreamReader(Rc::new(ReaderInner {
            lp: lp.clone(),
            limit,
            buffer: RefCell::new(Buffer::default()),
            eof: Cell::new(false),
            waiter: RefCell::new(None),
            next_waiter: Cell::new(0),
            exception: RefCell::new(None),
            transport: RefCell::new(None),
            paused: Cell::new(false),
        }))
    }

    pub(crate) fn downgrade(&self) -> WeakReader {
        WeakReader(Rc::downgrade(&self.0))
    }

    /// Whether the two are the same reader.
    pub fn ptr_eq(&self, other: &StreamReader) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    /// The loop the reader belongs to.
    pub fn get_loop(&self) -> EventLoop {
        self.0.lp.clone()
    }

    /// The buffer limit.
    pub fn limit(&self) -> usize {
        self.0.limit
    }

    /// Bytes buffered and not yet read.
    pub fn buffer_len(&self) -> usize {
        self.0.buffer.borrow().len()
    }

    /// The error set by `set_exception` (the connection's error), if any.
    pub fn exception(&self) -> Option<Error> {
        self.0.exception.borrow().clone()
    }

    /// Makes every later read fail with `exc`, and the waiting read, if
    /// any, at once.
    pub fn set_exception(&self, exc: Error) {
        *self.0.exception.borrow_mut() = Some(exc.clone());
        let waiter = self.0.waiter.borrow_mut().take();
        if let Some((_, waiter)) = waiter {
            if !waiter.cancelled() {
                let _ = waiter.set_exception(exc);
            }
        }
    }

    /// Wakes the read waiting for data or EOF.
    fn wakeup_waiter(&self) {
        let waiter = self.0.waiter.borrow_mut().take();
        if let Some((_, waiter)) = waiter {
            if !waiter.cancelled() {
                let _ = waiter.set_result(());
            }
        }
    }

    /// Links the transport, which the reader pauses and resumes.
    ///
    /// # Panics
    /// If a transport was set already (asyncio's assertion).
    pub fn set_transport(&self, transport: &Transport) {
        let mut slot = self.0.transport.borrow_mut();
        assert!(slot.is_none(), "Transport already set");
        *slot = Some(transport.clone());
    }

    /// `start_tls()` put a TLS transport over the one set.
    pub(crate) fn replace_transport(&self, transport: &Transport) {
        *self.0.transport.borrow_mut() = Some(transport.clone());
    }

    /// The transport, once the connection is made.
    pub fn transport(&self) -> Option<Transport> {
        self.0.transport.borrow().clone()
    }

    /// asyncio's `_maybe_resume_transport`: resume reading once the
    /// buffer is down to `limit`.
    fn maybe_resume_transport(&self) {
        if self.0.paused.get() && self.0.buffer.borrow().len() <= self.0.limit {
            self.0.paused.set(false);
            if let Some(t) = self.transport() {
                t.resume_reading();
            }
        }
    }

    /// Marks the end of the stream and wakes the waiting read.
    pub fn feed_eof(&self) {
        self.0.eof.set(true);
        self.wakeup_waiter();
    }

    /// Whether `feed_eof()` was called (data may still be buffered).
    pub fn eof_received(&self) -> bool {
        self.0.eof.get()
    }

    /// Whether EOF was fed and everything was read.
    pub fn at_eof(&self) -> bool {
        self.0.eof.get() && self.0.buffer.borrow().is_empty()
    }

    /// Appends `data` and wakes the waiting read; past `2 * limit`
    /// buffered bytes the transport stops reading.
    ///
    /// # Panics
    /// After `feed_eof()` (asyncio's assertion `feed_data after feed_eof`).
    pub fn feed_data(&self, data: &[u8]) {
        assert!(!self.0.eof.get(), "feed_data after feed_eof");
        if data.is_empty() {
            return;
        }
        self.0.buffer.borrow_mut().extend(data);
        self.wakeup_waiter();
        if self.0.paused.get() || self.0.buffer.borrow().len() <= self.0.limit.saturating_mul(2) {
            return;
        }
        if let Some(t) = self.transport() {
            t.pause_reading();
            self.0.paused.set(true);
        }
    }

    /// Waits until `feed_data()` or `feed_eof()` (or `set_exception()`) is
    /// called, resuming the transport first if this reader paused it.
    async fn wait_for_data(&self, func_name: &str) -> Result<()> {
        if self.0.waiter.borrow().is_some() {
            return Err(Error::Runtime(format!(
                "{func_name}() called while another coroutine is already waiting for incoming data"
            )));
        }
        assert!(!self.0.eof.get(), "_wait_for_data after EOF");
        // Waiting while paused would deadlock (readexactly(n) with n > limit).
        if self.0.paused.get() {
            self.0.paused.set(false);
            if let Some(t) = self.transport() {
                t.resume_reading();
            }
        }
        let id = self.0.next_waiter.get();
        self.0.next_waiter.set(id + 1);
        let waiter = self.0.lp.create_future::<()>();
        *self.0.waiter.borrow_mut() = Some((id, waiter.clone()));
        let _clear = ClearWaiter { reader: self, id };
        waiter.await
    }

    fn check_exception(&self) -> Result<()> {
        match self.exception() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// `read(n)`: up to `n` bytes, waiting only if nothing is buffered;
    /// `n < 0` reads until EOF; `n == 0` returns nothing at once. Empty at
    /// EOF.
    ///
    /// # Errors
    /// The reader's exception; `RuntimeError` if another read is waiting.
    pub fn read(&self, n: isize) -> impl std::future::Future<Output = Result<Vec<u8>>> + 'static {
        let r = self.clone();
        async move {
            r.check_exception()?;
            if n == 0 {
                return Ok(Vec::new());
            }
            if n < 0 {
                // read(limit) until EOF, so a large body cannot deadlock on
                // a paused transport.
                let mut all = Vec::new();
                loop {
                    let block = r.read_some(r.0.limit).await?;
                    if block.is_empty() {
                        return Ok(all);
                    }
                    all.extend_from_slice(&block);
                }
            }
            r.read_some(n as usize).await
        }
    }

    async fn read_some(&self, n: usize) -> Result<Vec<u8>> {
        self.check_exception()?;
        if self.0.buffer.borrow().is_empty() && !self.0.eof.get() {
            self.wait_for_data("read").await?;
        }
        let data = self.0.buffer.borrow_mut().take_front(n);
        self.maybe_resume_transport();
        Ok(data)
    }

    /// `readline()`: up to and including `\n`; at EOF the partial line
    /// (empty once everything was read).
    ///
    /// # Errors
    /// `ValueError` with the `LimitOverrunError` text when the line is
    /// longer than the limit (the line, or the buffer, is discarded);
    /// the reader's exception; `RuntimeError` if another read is waiting.
    pub fn readline(&self) -> impl std::future::Future<Output = Result<Vec<u8>>> + 'static {
        let r = self.clone();
        async move {
            const SEP: &[u8] = b"\n";
            match r.readuntil_any_impl(vec![SEP.to_vec()]).await {
                Ok(line) => Ok(line),
                Err(Error::IncompleteRead { partial, .. }) => Ok(partial),
                Err(Error::LimitOverrun { message, consumed }) => {
                    {
                        let mut buf = r.0.buffer.borrow_mut();
                        if buf.as_slice()[consumed.min(buf.len())..].starts_with(SEP) {
                            buf.discard(consumed + SEP.len());
                        } else {
                            buf.clear();
                        }
                    }
                    r.maybe_resume_transport();
                    Err(Error::Value(message))
                }
                Err(e) => Err(e),
            }
        }
    }

    /// `readuntil(separator)`: up to and including `separator`.
    ///
    /// # Errors
    /// `ValueError('Separator should be at least one-byte string')`;
    /// `IncompleteReadError` at EOF (the buffer is consumed into
    /// `partial`); `LimitOverrunError` when the chunk exceeds the limit
    /// (the data stays buffered); the reader's exception; `RuntimeError`.
    pub fn readuntil(&self, separator: &[u8]) -> impl std::future::Future<Output = Result<Vec<u8>>> + 'static {
        self.readuntil_any(&[separator])
    }

    /// `readuntil((sep1, sep2, ...))` (3.13): up to the separator whose
    /// match ends first.
    ///
    /// # Errors
    /// As [`readuntil`](Self::readuntil), and `ValueError('Separator should
    /// contain at least one element')` for an empty list.
    pub fn readuntil_any(&self, separators: &[&[u8]]) -> impl std::future::Future<Output = Result<Vec<u8>>> + 'static {
        let r = self.clone();
        let seps: Vec<Vec<u8>> = separators.iter().map(|s| s.to_vec()).collect();
        async move { r.readuntil_any_impl(seps).await }
    }

    async fn readuntil_any_impl(&self, mut separators: Vec<Vec<u8>>) -> Result<Vec<u8>> {
        if separators.is_empty() {
            return Err(Error::Value("Separator should contain at least one element".into()));
        }
        // Shortest first, as asyncio sorts them (stable).
        separators.sort_by_key(Vec::len);
        let min_seplen = separators[0].len();
        let max_seplen = separators[separators.len() - 1].len();
        if min_seplen == 0 {
            return Err(Error::Value("Separator should be at least one-byte string".into()));
        }
        self.check_exception()?;
        let limit = self.0.limit;
        // Bytes from the start of the buffer known to hold no separator.
        let mut offset = 0usize;
        let (match_start, match_end) = loop {
            {
                let buffer = self.0.buffer.borrow();
                let buf = buffer.as_slice();
                if buf.len() >= offset + min_seplen {
                    let mut found: Option<(usize, usize)> = None;
                    for sep in &separators {
                        if let Some(i) = find(buf, sep, offset) {
                            let end = i + sep.len();
                            if found.is_none_or(|(_, e)| end < e) {
                                found = Some((i, end));
                            }
                        }
                    }
                    if let Some(m) = found {
                        break m;
                    }
                    offset = (buf.len() + 1).saturating_sub(max_seplen);
                    if offset > limit {
                        return Err(Error::LimitOverrun {
                            message: "Separator is not found, and chunk exceed the limit".into(),
                            consumed: offset,
                        });
                    }
                }
            }
            // A complete match may arrive with the EOF: look first.
            if self.0.eof.get() {
                let chunk = self.0.buffer.borrow_mut().take_all();
                return Err(Error::IncompleteRead { partial: chunk, expected: None });
            }
            self.wait_for_data("readuntil").await?;
        };
        if match_start > limit {
            return Err(Error::LimitOverrun {
                message: "Separator is found, but chunk is longer than limit".into(),
                consumed: match_start,
            });
        }
        let chunk = self.0.buffer.borrow_mut().take_front(match_end);
        self.maybe_resume_transport();
        Ok(chunk)
    }

    /// `readexactly(n)`: exactly `n` bytes.
    ///
    /// # Errors
    /// `ValueError('readexactly size can not be less than zero')`;
    /// `IncompleteReadError` when EOF comes first (what was buffered is
    /// consumed into `partial`); the reader's exception; `RuntimeError`.
    pub fn readexactly(&self, n: isize) -> impl std::future::Future<Output = Result<Vec<u8>>> + 'static {
        let r = self.clone();
        async move {
            if n < 0 {
                return Err(Error::Value("readexactly size can not be less than zero".into()));
            }
            r.check_exception()?;
            let n = n as usize;
            if n == 0 {
                return Ok(Vec::new());
            }
            while r.0.buffer.borrow().len() < n {
                if r.0.eof.get() {
                    let partial = r.0.buffer.borrow_mut().take_all();
                    return Err(Error::IncompleteRead { partial, expected: Some(n) });
                }
                r.wait_for_data("readexactly").await?;
            }
            let data = r.0.buffer.borrow_mut().take_front(n);
            r.maybe_resume_transport();
            Ok(data)
        }
    }
}

pub(crate) fn check_limit(limit: usize) -> Result<()> {
    if limit == 0 {
        return Err(Error::Value("Limit cannot be <= 0".into()));
    }
    Ok(())
}

/// The first index at or after `from` where `needle` starts.
fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let hay = haystack.get(from..)?;
    if needle.len() == 1 {
        return hay.iter().position(|&b| b == needle[0]).map(|i| i + from);
    }
    hay.windows(needle.len()).position(|w| w == needle).map(|i| i + from)
}

/// Clears the reader's waiter when the wait ends, also when the waiting
/// read is dropped (cancelled): asyncio's `finally: self._waiter = None`.
struct ClearWaiter<'a> {
    reader: &'a StreamReader,
    id: u64,
}

impl Drop for ClearWaiter<'_> {
    fn drop(&mut self) {
        let mut slot = self.reader.0.waiter.borrow_mut();
        if slot.as_ref().is_some_and(|(id, _)| *id == self.id) {
            *slot = None;
        }
    }
}

impl fmt::Debug for StreamReader {
    /// `<StreamReader 5 bytes eof limit=16 transport=<...> paused>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut info = vec!["StreamReader".to_string()];
        let len = self.buffer_len();
        if len > 0 {
            info.push(format!("{len} bytes"));
        }
        if self.0.eof.get() {
            info.push("eof".into());
        }
        if self.0.limit != DEFAULT_LIMIT {
            info.push(format!("limit={}", self.0.limit));
        }
        if let Some((_, w)) = &*self.0.waiter.borrow() {
            info.push(format!("waiter={w:?}"));
        }
        if let Some(e) = &*self.0.exception.borrow() {
            info.push(format!("exception={e}"));
        }
        if let Some(t) = &*self.0.transport.borrow() {
            info.push(format!("transport={t:?}"));
        }
        if self.0.paused.get() {
            info.push("paused".into());
        }
        write!(f, "<{}>", info.join(" "))
    }
}
