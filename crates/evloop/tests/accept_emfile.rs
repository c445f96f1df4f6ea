//! S-27: running out of fds on accept is reported, the listener stays
//! open, and accepting resumes after the retry delay. Its own binary,
//! because it lowers the process's fd limit.

mod util;

use std::rc::Rc;

use evloop::EventLoop;
use util::net::*;

#[test]
fn emfile_on_accept_is_reported_and_recovers() {
    let lp = EventLoop::new().unwrap();
    let reports = util::Log::new();
    let sink = reports.clone();
    lp.set_exception_handler(Some(Rc::new(move |_: &EventLoop, ctx: &evloop::ExceptionContext| {
        let keys: Vec<String> = ctx.extra.iter().map(|(k, _)| k.clone()).collect();
        sink.push((ctx.message.clone(), ctx.exception.clone().unwrap_or_default(), keys));
    })));
    let made = Made::default();
    let (server, addr) = serve(&lp, &made, Recorder::default);
    let _c = client(addr);

    // Use up every fd under a lowered limit.
    let mut old = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: reading and setting this process's own limit.
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut old) };
    let low = libc::rlimit { rlim_cur: (open_fds() + 16) as libc::rlim_t, rlim_max: old.rlim_max };
    unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &low) };
    let mut hog = Vec::new();
    loop {
        // SAFETY: dup of stdin; each fd is closed below.
        let fd = unsafe { libc::dup(0) };
        if fd < 0 {
            break;
        }
        hog.push(fd);
    }
    run_until(&lp, "EMFILE reported", || !reports.get().is_empty());
    let (message, exception, keys) = reports.get()[0].clone();
    assert_eq!(message, "socket.accept() out of system resource");
    assert!(exception.starts_with("OSError: [Errno 24]"), "{exception}");
    assert_eq!(keys, ["socket"]);
    assert_eq!(made.len(), 0);
    assert!(server.sockets()[0].fileno() >= 0, "the listening socket stays open");
    assert!(server.is_serving());

    for fd in hog {
        // SAFETY: closing the fds dup'ed above.
        unsafe { libc::close(fd) };
    }
    unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &old) };
    run_until(&lp, "accepted after the retry delay", || made.len() == 1);
    assert_eq!(reports.get().len(), 1, "reported once");
}
