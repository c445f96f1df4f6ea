//! [`ReadBuf`]: memory a read writes into, possibly uninitialised.
//!
//! A socket read only writes bytes, so the memory it goes into need not
//! be zeroed first (zeroing a 256 KiB read buffer, or a JavaScript slab,
//! showed in profiles). Rust may not view uninitialised memory as `[u8]`,
//! so a read gets it as `[MaybeUninit<u8>]` wrapped here, and only the
//! part it wrote (`filled`) is ever seen as bytes. The shape follows the
//! standard library's unstable `BorrowedBuf`.

use std::mem::MaybeUninit;

/// Memory for one read: `filled` bytes written at its start, the rest
/// not yet written (and maybe uninitialised).
pub struct ReadBuf<'a> {
    memory: &'a mut [MaybeUninit<u8>],
    filled: usize,
}

impl<'a> ReadBuf<'a> {
    /// Wraps memory nothing was written into yet.
    pub fn uninit(memory: &'a mut [MaybeUninit<u8>]) -> ReadBuf<'a> {
        ReadBuf { memory, filled: 0 }
    }

    /// Wraps initialised memory (a protocol's own buffer); what it held is
    /// overwritten from the start.
    pub fn init(memory: &'a mut [u8]) -> ReadBuf<'a> {
        let len = memory.len();
        // SAFETY: `u8` and `MaybeUninit<u8>` have the same layout, and this
        // type only ever writes initialised bytes through the view, so the
        // memory stays initialised for its owner.
        let memory = unsafe { std::slice::from_raw_parts_mut(memory.as_mut_ptr().cast::<MaybeUninit<u8>>(), len) };
        ReadBuf { memory, filled: 0 }
    }

    /// How many bytes the memory holds in all.
    pub fn capacity(&self) -> usize {
        self.memory.len()
    }

    /// Room left after the filled part.
    pub fn remaining(&self) -> usize {
        self.memory.len() - self.filled
    }

    /// The bytes written so far.
    pub fn filled(&self) -> &[u8] {
        // SAFETY: the first `filled` bytes were written (`append`, or a
        // read whose count `advance` checked against the room it was given).
        unsafe { std::slice::from_raw_parts(self.memory.as_ptr().cast::<u8>(), self.filled) }
    }

    /// Copies as much of `data` as fits after the filled part; returns how
    /// much that was.
    pub fn append(&mut self, data: &[u8]) -> usize {
        let n = data.len().min(self.remaining());
        for (dst, src) in self.memory[self.filled..self.filled + n].iter_mut().zip(data) {
            dst.write(*src);
        }
        self.filled += n;
        n
    }

    /// Where a system call may write, and how much room it has.
    pub fn unfilled_ptr(&mut self) -> (*mut u8, usize) {
        let room = self.remaining();
        (self.memory[self.filled..].as_mut_ptr().cast::<u8>(), room)
    }

    /// Counts `n` more bytes as filled after a system call wrote them at
    /// [`unfilled_ptr`](Self::unfilled_ptr).
    ///
    /// # Safety
    /// The `n` bytes after the filled part must have been written.
    ///
    /// # Panics
    /// If `n` is more than the room left (a kernel never reports that).
    pub unsafe fn advance(&mut self, n: usize) {
        assert!(n <= self.remaining(), "a read reported more bytes than it was given room for");
        self.filled += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_fills_up_to_the_room_left() {
        let mut memory = [MaybeUninit::<u8>::uninit(); 4];
        let mut buf = ReadBuf::uninit(&mut memory);
        assert_eq!(buf.append(b"abc"), 3);
        assert_eq!(buf.append(b"def"), 1);
        assert_eq!(buf.filled(), b"abcd");
        assert_eq!(buf.remaining(), 0);
    }

    #[test]
    fn an_initialised_buffer_is_overwritten_from_the_start() {
        let mut memory = *b"xxxx";
        let mut buf = ReadBuf::init(&mut memory);
        buf.append(b"ab");
        assert_eq!(buf.filled(), b"ab");
        assert_eq!(&memory, b"abxx");
    }
}
