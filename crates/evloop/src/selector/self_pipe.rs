//! A non-blocking pipe that wakes `poll(2)`/`select(2)` from another thread.

use std::io;
use std::os::fd::RawFd;

use super::Wake;

/// Both ends of the pipe; the read end is watched by the selector itself.
pub(crate) struct SelfPipe {
    pub(crate) read_fd: RawFd,
    write_fd: RawFd,
}

impl SelfPipe {
    pub(crate) fn new() -> io::Result<SelfPipe> {
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two descriptors pipe2 writes.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(SelfPipe { read_fd: fds[0], write_fd: fds[1] })
    }

    /// Empties the pipe after a wake-up so the next `select` can block.
    pub(crate) fn drain(&self) {
        let mut buf = [0u8; 256];
        // SAFETY: reading into a local buffer of the given length.
        while unsafe { libc::read(self.read_fd, buf.as_mut_ptr().cast(), buf.len()) } > 0 {}
    }
}

impl Wake for SelfPipe {
    fn wake(&self) -> io::Result<()> {
        // SAFETY: writing one byte from a valid buffer to our own pipe.
        let n = unsafe { libc::write(self.write_fd, [1u8].as_ptr().cast(), 1) };
        if n < 0 {
            let err = io::Error::last_os_error();
            // A full pipe already holds a wake-up.
            if err.kind() != io::ErrorKind::WouldBlock {
                return Err(err);
            }
        }
        Ok(())
    }
}

impl Drop for SelfPipe {
    fn drop(&mut self) {
        // SAFETY: both fds are owned by this value and closed exactly once.
        unsafe {
            libc::close(self.read_fd);
            libc::close(self.write_fd);
        }
    }
}
