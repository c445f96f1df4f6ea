//! A transport's outgoing bytes and their high/low-water marks.

use std::collections::VecDeque;
use std::io::IoSlice;

use crate::error::{Error, Result};

/// asyncio's defaults: pause the protocol above 64 KiB, resume at 16 KiB.
const DEFAULT_HIGH: usize = 64 * 1024;

/// At most this many chunks go to one `sendmsg` (Linux's `IOV_MAX` is 1024).
const MAX_IOVECS: usize = 64;

/// Copied chunks waiting to be sent, oldest first.
#[derive(Default)]
pub(crate) struct WriteBuffer {
    chunks: VecDeque<Vec<u8>>,
    /// Bytes of the first chunk already sent.
    offset: usize,
    size: usize,
}

impl WriteBuffer {
    pub(crate) fn len(&self) -> usize {
        self.size
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.size == 0
    }

    /// Appends a copy: the caller may reuse its bytes at once.
    pub(crate) fn push(&mut self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        self.size += data.len();
        self.chunks.push_back(data.to_vec());
    }

    pub(crate) fn clear(&mut self) {
        self.chunks.clear();
        self.offset = 0;
        self.size = 0;
    }

    /// The unsent bytes as slices for one vectored send.
    pub(crate) fn slices(&self) -> Vec<IoSlice<'_>> {
        self.chunks
            .iter()
            .take(MAX_IOVECS)
            .enumerate()
            .map(|(i, c)| IoSlice::new(if i == 0 { &c[self.offset..] } else { c }))
            .collect()
    }

    /// Takes up to `MAX_IOVECS` chunks off the front (the unsent part of
    /// the first), for a send whose memory must not move.
    // Only completion back ends send owned chunks, and not every target
    // has one (wasm, macOS).
    #[allow(dead_code)]
    pub(crate) fn take_front(&mut self) -> Vec<Vec<u8>> {
        let n = self.chunks.len().min(MAX_IOVECS);
        let mut out: Vec<Vec<u8>> = self.chunks.drain(..n).collect();
        if self.offset > 0 {
            if let Some(first) = out.first_mut() {
                first.drain(..self.offset);
            }
            self.offset = 0;
        }
        self.size -= out.iter().map(Vec::len).sum::<usize>();
        out
    }

    /// Puts chunks back at the front (a send's unsent rest).
    #[allow(dead_code)] // as `take_front`
    pub(crate) fn push_front(&mut self, chunks: Vec<Vec<u8>>) {
        for c in chunks.into_iter().rev().filter(|c| !c.is_empty()) {
            if self.offset > 0 {
                // Only the first chunk can be partly sent; settle it first.
                if let Some(first) = self.chunks.front_mut() {
                    first.drain(..self.offset);
                }
                self.offset = 0;
            }
            self.size += c.len();
            self.chunks.push_front(c);
        }
    }

    /// Drops `n` sent bytes from the front.
    pub(crate) fn consume(&mut self, mut n: usize) {
        self.size -= n;
        while n > 0 {
            let first = self.chunks.front().expect("consumed more than buffered").len() - self.offset;
            if n >= first {
                self.chunks.pop_front();
                self.offset = 0;
                n -= first;
            } else {
                self.offset += n;
                n = 0;
            }
        }
    }
}

/// The marks that decide when to pause and resume the protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limits {
    pub(crate) high: usize,
    pub(crate) low: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { high: DEFAULT_HIGH, low: DEFAULT_HIGH / 4 }
    }
}

impl Limits {
    /// asyncio's `_set_write_buffer_limits`: only `high` gives
    /// `low = high / 4`; only `low` gives `high = 4 * low`.
    ///
    /// # Errors
    /// `ValueError('high (10) must be >= low (20) must be >= 0')`.
    pub(crate) fn new(high: Option<i64>, low: Option<i64>) -> Result<Limits> {
        // Python's ints do not overflow; a `low` near i64::MAX saturates.
        let high = high.unwrap_or_else(|| low.map_or(DEFAULT_HIGH as i64, |l| l.saturating_mul(4)));
        let low = low.unwrap_or(high / 4);
        if !(high >= low && low >= 0) {
            return Err(Error::Value(format!("high ({high}) must be >= low ({low}) must be >= 0")));
        }
        Ok(Limits { high: high as usize, low: low as usize })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_follow_asyncio() {
        assert_eq!(Limits::default(), Limits { high: 65536, low: 16384 });
        assert_eq!(Limits::new(Some(1000), None).unwrap(), Limits { high: 1000, low: 250 });
        assert_eq!(Limits::new(None, Some(100)).unwrap(), Limits { high: 400, low: 100 });
        assert_eq!(Limits::new(Some(10), Some(20)).unwrap_err().message(), "high (10) must be >= low (20) must be >= 0");
    }

    #[test]
    fn consume_across_chunks() {
        let mut b = WriteBuffer::default();
        b.push(b"abc");
        b.push(b"");
        b.push(b"defg");
        assert_eq!(b.len(), 7);
        b.consume(4);
        let s = b.slices();
        assert_eq!(&*s[0], b"efg");
        b.consume(3);
        assert!(b.is_empty());
    }
}
