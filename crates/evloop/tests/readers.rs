//! add_reader / add_writer on real sockets (reference §8.1 L-35, L-37,
//! and the level-triggered contract of §3.2).

mod util;

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::rc::Rc;

use evloop::EventLoop;
use util::{run_once, Log};

fn pair() -> (UnixStream, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    (a, b)
}

on_every_selector! {
    // L-37
    fn writer_fires_and_remove_reports_registration(lp: EventLoop) {
        let (a, _b) = pair();
        let log = Log::new();
        let (lp2, log2) = (lp.clone(), log.clone());
        let fd = a.as_raw_fd();
        lp.add_writer(fd, move || { log2.push("writable"); lp2.stop(); }).unwrap();
        lp.run_forever().unwrap();
        assert_eq!(log.get(), ["writable"]);
        assert!(lp.remove_writer(fd).unwrap());
        assert!(!lp.remove_writer(fd).unwrap());
        assert!(!lp.remove_reader(fd).unwrap());
    }

    // L-37: bytes written by a callback reach the reader.
    fn reader_receives_bytes(lp: EventLoop) {
        let (a, b) = pair();
        let got = Log::new();
        let (lp2, got2) = (lp.clone(), got.clone());
        let mut reader = a.try_clone().unwrap();
        lp.add_reader(a.as_raw_fd(), move || {
            let mut buf = [0u8; 64];
            let n = reader.read(&mut buf).unwrap();
            got2.push(buf[..n].to_vec());
            lp2.stop();
        })
        .unwrap();
        let mut writer = b.try_clone().unwrap();
        lp.call_soon(move || { writer.write_all(b"hello").unwrap(); }).unwrap();
        lp.run_forever().unwrap();
        assert_eq!(got.get(), [b"hello".to_vec()]);
        assert!(lp.remove_reader(a.as_raw_fd()).unwrap());
    }

    // §3.2: level-triggered. A reader that leaves data is called again on
    // the next iteration; once drained, it is not.
    fn readiness_is_level_triggered(lp: EventLoop) {
        let (a, mut b) = pair();
        b.write_all(b"0123456789").unwrap();
        let calls = Log::new();
        let calls2 = calls.clone();
        let mut reader = a.try_clone().unwrap();
        lp.add_reader(a.as_raw_fd(), move || {
            let mut buf = [0u8; 4];
            let n = reader.read(&mut buf).unwrap_or(0);
            calls2.push(n);
        })
        .unwrap();
        for _ in 0..5 {
            run_once(&lp);
        }
        // 4 + 4 + 2 bytes, then nothing more to report.
        assert_eq!(calls.get(), [4, 4, 2]);
        b.write_all(b"x").unwrap();
        run_once(&lp);
        assert_eq!(calls.get(), [4, 4, 2, 1]);
        lp.remove_reader(a.as_raw_fd()).unwrap();
    }

    // L-35: a cancelled reader is not run; its registration is removed.
    fn cancelled_reader_is_removed_not_run(lp: EventLoop) {
        let (a, mut b) = pair();
        let log = Log::new();
        let handle = lp.add_reader(a.as_raw_fd(), log.pusher_repeat("read")).unwrap();
        b.write_all(b"x").unwrap();
        handle.cancel();
        run_once(&lp);
        assert!(log.get().is_empty());
        assert!(!lp.remove_reader(a.as_raw_fd()).unwrap(), "the registration is gone");
    }

    // Replacing a reader cancels the old handle; reader and writer share one fd.
    fn reader_and_writer_on_one_fd(lp: EventLoop) {
        let (a, mut b) = pair();
        let log = Log::new();
        let fd = a.as_raw_fd();
        let old = lp.add_reader(fd, log.pusher_repeat("old")).unwrap();
        lp.add_reader(fd, log.pusher_repeat("new")).unwrap();
        assert!(old.cancelled());
        lp.add_writer(fd, log.pusher_repeat("w")).unwrap();
        b.write_all(b"x").unwrap();
        run_once(&lp);
        let mut got = log.get();
        got.sort();
        assert_eq!(got, ["new", "w"]);
        assert!(lp.remove_writer(fd).unwrap());
        run_once(&lp);
        assert_eq!(log.get().iter().filter(|s| **s == "w").count(), 1, "writer removed, reader kept");
        assert!(lp.remove_reader(fd).unwrap());
        let _keep = Rc::new(a);
    }
}

trait RepeatPusher {
    fn pusher_repeat(&self, value: &'static str) -> impl FnMut() + 'static;
}

impl RepeatPusher for Log<&'static str> {
    fn pusher_repeat(&self, value: &'static str) -> impl FnMut() + 'static {
        let log = self.clone();
        move || log.push(value)
    }
}

#[test]
fn select_rejects_fds_past_fd_setsize() {
    let lp = EventLoop::with_selector(evloop::SelectorKind::Select).unwrap();
    let err = lp.add_reader(4096, || ()).unwrap_err();
    assert_eq!(err.name(), "ValueError");
    assert_eq!(err.message(), "filedescriptor out of range in select()");
}

#[test]
fn bad_fd_is_an_os_error_with_code() {
    let lp = EventLoop::new().unwrap();
    let err = lp.add_reader(-1, || ()).unwrap_err();
    assert_eq!(err.code(), Some("EBADF"), "{err}");
}

#[test]
fn selector_names() {
    use evloop::SelectorKind::*;
    let names: Vec<_> =
        [Default, Epoll, Poll, Select].iter().map(|k| EventLoop::with_selector(*k).unwrap().selector_name()).collect();
    assert_eq!(names, ["epoll", "epoll", "poll", "select"]);
    assert_eq!(evloop::SelectorKind::from_name("select"), Some(Select));
    assert_eq!(evloop::SelectorKind::from_name("nope"), None);
}
