//! `sock_sendfile` and the transport's `sendfile`, as asyncio 3.13 sends
//! a file: `sendfile(2)` on the socket where it can (waiting for the
//! socket to be writable between chunks), else the fallback that reads
//! the file off the loop's thread (the default executor) and sends what
//! it read. Either way the file's position ends after the last byte sent.

use std::cell::Cell;

use super::wait::ready;
use super::{check, would_block};
use crate::error::{Error, Result};
use crate::selector::{Fd, Interest};
use crate::transport::{SendfileMode, Transport};
use crate::EventLoop;

/// asyncio's `SENDFILE_FALLBACK_READBUFFER_SIZE` (sockets).
const SOCK_FALLBACK_BLOCK: u64 = 256 * 1024;
/// The block of the transport fallback (asyncio's 16 KiB).
const TRANSPORT_FALLBACK_BLOCK: u64 = 16 * 1024;
/// The most one `sendfile(2)` is asked for (Linux sends at most this anyway).
const MAX_CHUNK: u64 = 0x7fff_f000;

/// The native path's outcome: done, or not possible for this file.
enum Native {
    Sent(u64),
    /// asyncio's `SendfileNotAvailableError` (a `RuntimeError`), with its text.
    NotAvailable(&'static str),
}

/// asyncio's `_check_sendfile_params` (the types are the caller's).
fn check_count(count: Option<u64>) -> Result<()> {
    if count == Some(0) {
        return Err(Error::Value("count must be a positive integer (got 0)".into()));
    }
    Ok(())
}

fn socket_type(fd: Fd) -> i32 {
    let mut v: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: v and len are valid for the call.
    let rc = unsafe { libc::getsockopt(fd, libc::SOL_SOCKET, libc::SO_TYPE, (&mut v as *mut libc::c_int).cast(), &mut len) };
    if rc == 0 { v } else { -1 }
}

/// Sets the file's position after what was sent (asyncio's
/// `_sock_sendfile_update_filepos` and the fallback's `seek`), also when
/// the call is dropped half-way.
struct FilePos {
    file: Fd,
    end: Cell<u64>,
    sent: Cell<u64>,
}

impl FilePos {
    fn new(file: Fd, offset: u64) -> FilePos {
        FilePos { file, end: Cell::new(offset), sent: Cell::new(0) }
    }
    fn add(&self, n: u64) {
        self.end.set(self.end.get() + n);
        self.sent.set(self.sent.get() + n);
    }
}

impl Drop for FilePos {
    fn drop(&mut self) {
        if self.sent.get() > 0 {
            // SAFETY: lseek on the caller's fd; an error (a pipe) is ignored as asyncio's hasattr(seek) is.
            unsafe { libc::lseek(self.file, self.end.get() as libc::off_t, libc::SEEK_SET) };
        }
    }
}

/// Up to `len` bytes of `file` at `pos` (a pipe: the next bytes).
fn read_at(file: Fd, pos: u64, len: usize) -> Result<Vec<u8>> {
    let mut buf = vec![0u8; len];
    loop {
        // SAFETY: buf is valid for len bytes.
        let mut n = unsafe { libc::pread(file, buf.as_mut_ptr().cast(), len, pos as libc::off_t) };
        if n < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESPIPE) {
            // SAFETY: as above.
            n = unsafe { libc::read(file, buf.as_mut_ptr().cast(), len) };
        }
        if n >= 0 {
            buf.truncate(n as usize);
            return Ok(buf);
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(Error::os("read", e));
        }
    }
}

/// `sendfile(2)` from `file` at `offset` until `count` bytes (or EOF) are
/// sent; `fd` returns the socket's fd while it is still open.
async fn native(lp: &EventLoop, fd: &dyn Fn() -> Option<Fd>, file: Fd, offset: u64, count: Option<u64>) -> Result<Native> {
    // SAFETY: an all-zero stat is a valid out-parameter.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: st is valid for the call; a bad fd gives an error.
    if unsafe { libc::fstat(file, &mut st) } != 0 {
        return Ok(Native::NotAvailable("not a regular file"));
    }
    let fsize = st.st_size.max(0) as u64;
    let blocksize = count.unwrap_or(fsize);
    if blocksize == 0 {
        return Ok(Native::Sent(0));
    }
    let pos = FilePos::new(file, offset);
    loop {
        let total = pos.sent.get();
        let want = match count {
            Some(c) if c <= total => return Ok(Native::Sent(total)),
            Some(c) => c - total,
            None => blocksize,
        };
        let Some(sock) = fd() else {
            return Err(Error::os_with_message("sendfile", libc::ECONNRESET, "Connection is closed by peer"));
        };
        let mut off = pos.end.get() as libc::off_t;
        // SAFETY: both fds are the caller's; off is valid for the call.
        let r = unsafe { libc::sendfile(sock, file, &mut off, want.min(MAX_CHUNK) as usize) };
        if r < 0 {
            let e = std::io::Error::last_os_error();
            if would_block(&e) {
                ready(lp, sock, Interest::WRITE, "sock_sendfile").await?;
                continue;
            }
            if total == 0 {
                // Not a file sendfile(2) can read (a pipe, a socket): the fallback sends it.
                return Ok(Native::NotAvailable("os.sendfile call failed"));
            }
            if e.raw_os_error() == Some(libc::ENOTCONN) {
                return Err(Error::os_with_message("sendfile", libc::ENOTCONN, "socket is not connected"));
            }
            return Err(Error::os("sendfile", e));
        }
        if r == 0 {
            return Ok(Native::Sent(total));
        }
        pos.add(r as u64);
        // As asyncio: the next chunk once the socket is writable again, so a
        // large file shares the loop with everything else.
        ready(lp, sock, Interest::WRITE, "sock_sendfile").await?;
    }
}

impl EventLoop {
    /// asyncio's `sock_sendfile`: sends `count` bytes (all, if `None`) of
    /// `file` from `offset` on the connected non-blocking stream socket
    /// `sock`, with `sendfile(2)`, or, where that cannot read the file
    /// and `fallback` is true, by reading it (off the loop's thread) and
    /// sending what was read. Returns the bytes sent; the file's position
    /// is then `offset` plus that.
    ///
    /// # Errors
    /// `ValueError` for a socket that is not `SOCK_STREAM` or blocking,
    /// or `count == Some(0)`; `RuntimeError("os.sendfile call failed")`
    /// (asyncio's `SendfileNotAvailableError`) without `fallback`; the
    /// socket's and the file's OS errors.
    pub async fn sock_sendfile(&self, sock: Fd, file: Fd, offset: u64, count: Option<u64>, fallback: bool) -> Result<u64> {
        check(self, "sock_sendfile", sock)?;
        if socket_type(sock) != libc::SOCK_STREAM {
            return Err(Error::Value("only SOCK_STREAM type sockets are supported".into()));
        }
        check_count(count)?;
        match native(self, &|| Some(sock), file, offset, count).await? {
            Native::Sent(n) => return Ok(n),
            Native::NotAvailable(why) if !fallback => return Err(Error::Runtime(why.into())),
            Native::NotAvailable(_) => {}
        }
        fallback_blocks(self, file, offset, count, SOCK_FALLBACK_BLOCK, async |data: &[u8]| self.sock_sendall(sock, data).await)
            .await
    }

    /// asyncio's `loop.sendfile(transport, file, offset, count, fallback)`:
    /// sends part of `file` through `transport`. A TCP or Unix socket
    /// transport first sends what it has buffered, pauses reading, and
    /// uses `sendfile(2)` (its `write()` raises `RuntimeError` meanwhile);
    /// a TLS or simulated transport, or a file `sendfile(2)` cannot read,
    /// takes the fallback: reads of the file written through the
    /// transport, each once the transport's buffer is empty.
    ///
    /// # Errors
    /// `RuntimeError('Transport is closing')`; `RuntimeError` for a pipe
    /// transport, or when the fallback is needed and disabled;
    /// `ValueError` for `count == Some(0)`; OS errors.
    pub async fn sendfile(&self, transport: &Transport, file: Fd, offset: u64, count: Option<u64>, fallback: bool) -> Result<u64> {
        if transport.is_closing() {
            return Err(Error::Runtime("Transport is closing".into()));
        }
        let mode = transport.sendfile_mode();
        if mode == SendfileMode::Unsupported {
            return Err(Error::Runtime(format!("sendfile is not supported for transport {transport:?}")));
        }
        check_count(count)?;
        if mode == SendfileMode::TryNative {
            match self.transport_native(transport, file, offset, count).await? {
                Native::Sent(n) => return Ok(n),
                Native::NotAvailable(why) if !fallback => return Err(Error::Runtime(why.into())),
                Native::NotAvailable(_) => {}
            }
        }
        if !fallback {
            return Err(Error::Runtime(format!(
                "fallback is disabled and native sendfile is not supported for transport {transport:?}"
            )));
        }
        self.transport_fallback(transport, file, offset, count).await
    }

    /// asyncio's `_sendfile_native` of a selector transport.
    async fn transport_native(&self, t: &Transport, file: Fd, offset: u64, count: Option<u64>) -> Result<Native> {
        t.begin_sendfile()?;
        let _restore = Restore::new(t, true);
        t.wait_buffer_empty().await?;
        native(self, &|| t.open_fd(), file, offset, count).await
    }

    /// asyncio's `_sendfile_fallback`.
    async fn transport_fallback(&self, t: &Transport, file: Fd, offset: u64, count: Option<u64>) -> Result<u64> {
        let _restore = Restore::new(t, false);
        fallback_blocks(self, file, offset, count, TRANSPORT_FALLBACK_BLOCK, async |data: &[u8]| {
            t.wait_buffer_empty().await?;
            if t.is_closing() {
                return Err(Error::os_with_message("sendfile", libc::ECONNRESET, "Connection closed by peer"));
            }
            t.write(data)
        })
        .await
    }
}

/// asyncio's fallbacks: the file read in blocks off the loop's thread (the
/// default executor), each block handed to `send`; the count sent.
async fn fallback_blocks(
    lp: &EventLoop,
    file: Fd,
    offset: u64,
    count: Option<u64>,
    block: u64,
    mut send: impl AsyncFnMut(&[u8]) -> Result<()>,
) -> Result<u64> {
    let block = count.map_or(block, |c| c.min(block));
    let pos = FilePos::new(file, offset);
    loop {
        let len = match count {
            Some(c) => block.min(c - pos.sent.get()),
            None => block,
        };
        if len == 0 {
            return Ok(pos.sent.get());
        }
        let at = pos.end.get();
        let data = lp.run_in_executor(move || read_at(file, at, len as usize))?.await??;
        if data.is_empty() {
            return Ok(pos.sent.get());
        }
        send(&data).await?;
        pos.add(data.len() as u64);
    }
}

/// Reading is paused while a sendfile runs, and resumed after it (also
/// when the call is dropped), as asyncio's `finally` blocks do.
struct Restore<'a> {
    t: &'a Transport,
    resume: bool,
    native: bool,
}

impl<'a> Restore<'a> {
    fn new(t: &'a Transport, native: bool) -> Restore<'a> {
        let resume = t.is_reading();
        t.pause_reading();
        Restore { t, resume, native }
    }
}

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        if self.native {
            self.t.end_sendfile();
        }
        if self.resume {
            self.t.resume_reading();
        }
    }
}
