//! Pipe transports (asyncio's `_UnixReadPipeTransport` and
//! `_UnixWritePipeTransport`) over real pipes, FIFOs and socket pairs, on
//! every loop kind: the order of the protocol calls, EOF, flow control,
//! `write_eof`, the reader going away, and what is refused.

#![cfg(target_os = "linux")]

mod util;

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::rc::Rc;

use evloop::{EventLoop, Protocol, Transport};
use util::net::*;

fn os_pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: a valid out array of two fds.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: fresh fds we own.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

/// The (device, inode) behind `fd`, `None` if it is not open.
fn identity(fd: i32) -> Option<(u64, u64)> {
    // SAFETY: fstat only writes into the zeroed struct.
    unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        (libc::fstat(fd, &mut st) == 0).then_some((st.st_dev as u64, st.st_ino as u64))
    }
}

/// Whether `fd` still refers to the file it did (`was`). Tests run on
/// parallel threads: a closed fd's number may already be someone else's.
fn still_open(fd: i32, was: Option<(u64, u64)>) -> bool {
    was.is_some() && identity(fd) == was
}

fn connect(lp: &EventLoop, pipe: OwnedFd, write: bool) -> (Transport, Rc<Recorder>) {
    let rec = Rc::new(Recorder::default());
    let r2 = rec.clone();
    let direction = if write { evloop::PipeDirection::Write } else { evloop::PipeDirection::Read };
    let fut = lp.connect_pipe_with(move || Ok(r2), pipe, direction);
    let (t, _) = block_on(lp, async move { fut.await.map_err(|e| e.to_string()) }).unwrap();
    (t, rec)
}

fn lost_with(rec: &Recorder) -> Option<Option<String>> {
    rec.events().into_iter().find_map(|e| if let Ev::Lost(x) = e { Some(x) } else { None })
}

on_every_selector! {
    fn read_pipe_delivers_then_eof_then_lost(lp: EventLoop) {
        let (r, w) = os_pipe();
        let raw = r.as_raw_fd();
        let was = identity(raw);
        let (t, rec) = connect(&lp, r, false);
        assert_eq!(rec.events(), [Ev::Made]);
        assert!(t.is_reading());
        assert!(!t.can_write_eof());
        assert!(t.write(b"x").is_err(), "a read pipe has no write()");
        let mut w = File::from(w);
        w.write_all(b"hello ").unwrap();
        run_until(&lp, "data", || rec.data().len() == 6);
        w.write_all(b"pipe").unwrap();
        drop(w);
        run_until(&lp, "lost", || rec.lost());
        assert_eq!(rec.data(), b"hello pipe");
        let ev = rec.events();
        assert_eq!(&ev[ev.len() - 2..], [Ev::Eof, Ev::Lost(None)], "eof_received, then connection_lost(None)");
        assert!(!still_open(raw, was), "the transport closed its pipe");
        lp.close().unwrap();
    }

    fn read_pipe_pauses_and_resumes(lp: EventLoop) {
        let (r, w) = os_pipe();
        let (t, rec) = connect(&lp, r, false);
        t.pause_reading();
        assert!(!t.is_reading());
        let mut w = File::from(w);
        w.write_all(b"held").unwrap();
        iterate(&lp, 5);
        assert_eq!(rec.data(), b"", "nothing while paused");
        t.resume_reading();
        run_until(&lp, "data after resume", || rec.data() == b"held");
        t.close();
        run_until(&lp, "lost", || rec.lost());
        assert_eq!(lost_with(&rec), Some(None));
        lp.close().unwrap();
    }

    fn write_pipe_flushes_a_large_write_with_flow_control_then_write_eof_closes(lp: EventLoop) {
        let (r, w) = os_pipe();
        let (t, rec) = connect(&lp, w, true);
        assert!(t.can_write_eof());
        assert!(!t.is_reading());
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
        t.write(&data).unwrap();
        assert!(t.get_write_buffer_size() > 0, "a pipe holds far less than 3 MB");
        assert_eq!(rec.events(), [Ev::Made, Ev::PauseWriting]);
        t.write_eof();
        assert!(t.is_closing(), "write_eof() on a pipe is close()");
        let reader = std::thread::spawn(move || {
            let mut all = Vec::new();
            File::from(r).read_to_end(&mut all).unwrap();
            all
        });
        run_until(&lp, "lost", || rec.lost());
        assert_eq!(rec.events(), [Ev::Made, Ev::PauseWriting, Ev::ResumeWriting, Ev::Lost(None)]);
        assert!(reader.join().unwrap() == data, "every byte, in order, then EOF");
        lp.close().unwrap();
    }

    fn write_pipe_reader_closing_with_an_empty_buffer_is_a_clean_loss(lp: EventLoop) {
        let (r, w) = os_pipe();
        let (_t, rec) = connect(&lp, w, true);
        drop(r);
        run_until(&lp, "lost", || rec.lost());
        assert_eq!(lost_with(&rec), Some(None));
        lp.close().unwrap();
    }

    fn write_pipe_reader_closing_with_bytes_buffered_is_a_broken_pipe(lp: EventLoop) {
        let (r, w) = os_pipe();
        let (t, rec) = connect(&lp, w, true);
        t.write(&vec![7u8; 1 << 20]).unwrap();
        assert!(t.get_write_buffer_size() > 0);
        drop(r);
        run_until(&lp, "lost", || rec.lost());
        let exc = lost_with(&rec).unwrap().expect("an error");
        assert!(exc.contains("Broken pipe"), "{exc}");
        // Writes after the loss are dropped, not errors.
        t.write(b"late").unwrap();
        lp.close().unwrap();
    }

    fn pipe_transports_take_socket_pairs_and_fifos(lp: EventLoop) {
        let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        let (t, rec) = connect(&lp, OwnedFd::from(a), true);
        t.write(b"over a socket").unwrap();
        t.close();
        run_until(&lp, "lost", || rec.lost());
        let mut got = Vec::new();
        (&b).read_to_end(&mut got).unwrap();
        assert_eq!(got, b"over a socket");

        let dir = std::env::temp_dir().join(format!("evloop-fifo-{}-{}", std::process::id(), lp.time()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("fifo");
        let cpath = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        // SAFETY: a valid path string.
        assert_eq!(unsafe { libc::mkfifo(cpath.as_ptr(), 0o600) }, 0);
        // Read end first (non-blocking open), then the writer.
        let rd = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(&path).unwrap();
        let wr = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        let (_t, rec) = connect(&lp, OwnedFd::from(rd), false);
        (&wr).write_all(b"through a fifo").unwrap();
        drop(wr);
        run_until(&lp, "lost", || rec.lost());
        assert_eq!(rec.data(), b"through a fifo");
        std::fs::remove_dir_all(&dir).unwrap();
        lp.close().unwrap();
    }

    fn regular_files_are_refused(lp: EventLoop) {
        let path = std::env::temp_dir().join(format!("evloop-regular-{}-{}", std::process::id(), lp.time()));
        let f = File::create(&path).unwrap();
        let rec: Rc<dyn Protocol> = Rc::new(Recorder::default());
        let fut = lp.connect_pipe_with(move || Ok(rec), OwnedFd::from(f), evloop::PipeDirection::Write);
        let err = block_on(&lp, async move { fut.await.map(|_| ()).map_err(|e| (e.name(), e.to_string())) }).unwrap_err();
        assert_eq!(err.0, "ValueError");
        assert!(err.1.contains("Pipe transport is only for pipes, sockets and character devices"), "{}", err.1);
        let f = File::open(&path).unwrap();
        let read = evloop::check_pipe(std::os::fd::AsFd::as_fd(&f), evloop::PipeDirection::Read).unwrap_err();
        assert_eq!(read.message(), "Pipe transport is for pipes/sockets only.");
        std::fs::remove_file(&path).unwrap();
        lp.close().unwrap();
    }
}

use std::os::unix::fs::OpenOptionsExt;
