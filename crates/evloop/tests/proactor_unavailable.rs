//! Where io_uring is refused, `EventLoop::proactor()` fails with an error
//! that says why, and nothing falls back to a selector. The refusal is made
//! real with a seccomp filter on one thread (as a container runtime's
//! default profile does): `io_uring_setup` fails there with ENOSYS or EPERM.
//! Its own binary: the filter stays on the thread that installed it.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

use evloop::EventLoop;

/// Installs, on the calling thread only, a filter making `io_uring_setup`
/// fail with `errno`.
fn refuse_io_uring(errno: u32) {
    // BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K, BPF_RET|BPF_K.
    const LD_W_ABS: u16 = 0x20;
    const JMP_JEQ_K: u16 = 0x15;
    const RET_K: u16 = 0x06;
    let filter = [
        libc::sock_filter { code: LD_W_ABS, jt: 0, jf: 0, k: 0 }, // seccomp_data.nr
        libc::sock_filter { code: JMP_JEQ_K, jt: 0, jf: 1, k: libc::SYS_io_uring_setup as u32 },
        libc::sock_filter { code: RET_K, jt: 0, jf: 0, k: 0x0005_0000 | errno }, // SECCOMP_RET_ERRNO
        libc::sock_filter { code: RET_K, jt: 0, jf: 0, k: 0x7fff_0000 },         // SECCOMP_RET_ALLOW
    ];
    let prog = libc::sock_fprog { len: filter.len() as u16, filter: filter.as_ptr() as *mut _ };
    // SAFETY: per-thread prctl calls with a valid filter program.
    unsafe {
        assert_eq!(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
        assert_eq!(libc::prctl(libc::PR_SET_SECCOMP, libc::SECCOMP_MODE_FILTER, &prog as *const _), 0);
    }
}

fn refused_with(errno: u32) -> evloop::Error {
    std::thread::spawn(move || {
        refuse_io_uring(errno);
        EventLoop::proactor().map(|_| ()).unwrap_err()
    })
    .join()
    .unwrap()
}

#[test]
fn enosys_says_why_and_does_not_fall_back() {
    let e = refused_with(libc::ENOSYS as u32);
    assert_eq!(e.name(), "OSError");
    assert_eq!(e.errno(), Some(libc::ENOSYS));
    let m = e.message();
    assert!(m.starts_with("[Errno 38] Function not implemented: io_uring is not available: io_uring_setup() failed"), "{m}");
    assert!(m.contains("seccomp"), "{m}");
}

#[test]
fn eperm_names_the_sysctl() {
    let e = refused_with(libc::EPERM as u32);
    assert_eq!(e.name(), "PermissionError");
    assert!(e.message().contains("kernel.io_uring_disabled"), "{}", e.message());
}

#[test]
fn other_threads_still_get_a_proactor() {
    let _ = refused_with(libc::ENOSYS as u32);
    let lp = EventLoop::proactor().unwrap();
    assert_eq!(lp.selector_name(), "io_uring");
    assert!(lp.is_proactor());
    assert!(!EventLoop::new().unwrap().is_proactor());
}
