//! Symbolic names of OS error numbers and the Python `OSError` subclass
//! each one maps to (PEP 3151), so errors carry `code` as `node:net` users
//! expect and `name` as asyncio users expect.

/// `(errno, name)` for the errors a loop can meet. Linux numbering, which is
/// also what the simulated network reports on every target.
const NAMES: &[(i32, &str)] = &[
    (1, "EPERM"),
    (2, "ENOENT"),
    (3, "ESRCH"),
    (4, "EINTR"),
    (7, "E2BIG"),
    (8, "ENOEXEC"),
    (9, "EBADF"),
    (10, "ECHILD"),
    (11, "EAGAIN"),
    (12, "ENOMEM"),
    (13, "EACCES"),
    (17, "EEXIST"),
    (20, "ENOTDIR"),
    (21, "EISDIR"),
    (22, "EINVAL"),
    (23, "ENFILE"),
    (24, "EMFILE"),
    (32, "EPIPE"),
    (38, "ENOSYS"),
    (88, "ENOTSOCK"),
    (89, "EDESTADDRREQ"),
    (90, "EMSGSIZE"),
    (93, "EPROTONOSUPPORT"),
    (95, "EOPNOTSUPP"),
    (97, "EAFNOSUPPORT"),
    (98, "EADDRINUSE"),
    (99, "EADDRNOTAVAIL"),
    (100, "ENETDOWN"),
    (101, "ENETUNREACH"),
    (103, "ECONNABORTED"),
    (104, "ECONNRESET"),
    (105, "ENOBUFS"),
    (106, "EISCONN"),
    (107, "ENOTCONN"),
    (110, "ETIMEDOUT"),
    (111, "ECONNREFUSED"),
    (113, "EHOSTUNREACH"),
    (114, "EALREADY"),
    (115, "EINPROGRESS"),
];

pub(crate) const EMFILE: i32 = 24;
pub(crate) const ENFILE: i32 = 23;
pub(crate) const ENOBUFS: i32 = 105;
pub(crate) const ENOMEM: i32 = 12;
pub(crate) const ECONNRESET: i32 = 104;
pub(crate) const ECONNABORTED: i32 = 103;
// Used by the simulated network (`crate::sim`), which reports Linux numbers
// on every target.
pub(crate) const EBADF: i32 = 9;
pub(crate) const EPIPE: i32 = 32;
pub(crate) const EAFNOSUPPORT: i32 = 97;
pub(crate) const EADDRINUSE: i32 = 98;
pub(crate) const EADDRNOTAVAIL: i32 = 99;
pub(crate) const ENOTCONN: i32 = 107;
pub(crate) const ETIMEDOUT: i32 = 110;
pub(crate) const ECONNREFUSED: i32 = 111;
pub(crate) const EDESTADDRREQ: i32 = 89;
pub(crate) const EHOSTUNREACH: i32 = 113;
/// `EAI_NONAME` (Linux): a name that does not resolve (`code` "ENOTFOUND").
pub(crate) const EAI_NONAME: i32 = -2;

/// Linux's `strerror` text for the errors of [`NAMES`]. Targets whose std
/// has no OS error texts (wasm32-unknown-unknown says "operation
/// successful" for every number) use it, so the simulation's messages read
/// as on Linux everywhere.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) fn strerror(errno: i32) -> Option<&'static str> {
    Some(match errno {
        1 => "Operation not permitted",
        2 => "No such file or directory",
        3 => "No such process",
        4 => "Interrupted system call",
        7 => "Argument list too long",
        8 => "Exec format error",
        9 => "Bad file descriptor",
        10 => "No child processes",
        11 => "Resource temporarily unavailable",
        12 => "Cannot allocate memory",
        13 => "Permission denied",
        17 => "File exists",
        20 => "Not a directory",
        21 => "Is a directory",
        22 => "Invalid argument",
        23 => "Too many open files in system",
        24 => "Too many open files",
        32 => "Broken pipe",
        38 => "Function not implemented",
        88 => "Socket operation on non-socket",
        89 => "Destination address required",
        90 => "Message too long",
        93 => "Protocol not supported",
        95 => "Operation not supported",
        97 => "Address family not supported by protocol",
        98 => "Address already in use",
        99 => "Cannot assign requested address",
        100 => "Network is down",
        101 => "Network is unreachable",
        103 => "Software caused connection abort",
        104 => "Connection reset by peer",
        105 => "No buffer space available",
        106 => "Transport endpoint is already connected",
        107 => "Transport endpoint is not connected",
        110 => "Connection timed out",
        111 => "Connection refused",
        113 => "No route to host",
        114 => "Operation already in progress",
        115 => "Operation now in progress",
        _ => return None,
    })
}

/// The symbolic name of `errno`, if it is one the loop knows.
pub fn name(errno: i32) -> Option<&'static str> {
    NAMES.iter().find(|(n, _)| *n == errno).map(|(_, s)| *s)
}

/// The `OSError` subclass Python raises for `errno`.
pub fn python_class(errno: i32) -> &'static str {
    match name(errno) {
        Some("ECONNREFUSED") => "ConnectionRefusedError",
        Some("ECONNRESET") => "ConnectionResetError",
        Some("ECONNABORTED") => "ConnectionAbortedError",
        Some("EPIPE") => "BrokenPipeError",
        Some("ETIMEDOUT") => "TimeoutError",
        Some("ENOENT") => "FileNotFoundError",
        Some("EEXIST") => "FileExistsError",
        Some("EACCES") | Some("EPERM") => "PermissionError",
        Some("EINTR") => "InterruptedError",
        Some("ESRCH") => "ProcessLookupError",
        Some("ECHILD") => "ChildProcessError",
        Some("EISDIR") => "IsADirectoryError",
        Some("ENOTDIR") => "NotADirectoryError",
        Some("EAGAIN") | Some("EALREADY") | Some("EINPROGRESS") => "BlockingIOError",
        _ => "OSError",
    }
}

/// The `code` of a resolution error, as Node's `dns` reports it: a name
/// that does not resolve is `ENOTFOUND`, the rest keep their `EAI_*` name.
/// Linux numbering.
pub fn gai_code(errno: i32) -> &'static str {
    match errno {
        -2 | -5 => "ENOTFOUND",
        -3 => "EAI_AGAIN",
        -4 => "EAI_FAIL",
        -6 => "EAI_FAMILY",
        -7 => "EAI_SOCKTYPE",
        -8 => "EAI_SERVICE",
        -9 => "EAI_ADDRFAMILY",
        -10 => "EAI_MEMORY",
        -11 => "EAI_SYSTEM",
        -1 => "EAI_BADFLAGS",
        _ => "EAI_FAIL",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(target_os = "linux")]
    fn numbers_match_the_platform() {
        for (n, name) in super::NAMES {
            let expected = match *name {
                "EADDRINUSE" => libc::EADDRINUSE,
                "ECONNREFUSED" => libc::ECONNREFUSED,
                "EMFILE" => libc::EMFILE,
                "ETIMEDOUT" => libc::ETIMEDOUT,
                _ => *n,
            };
            assert_eq!(*n, expected, "{name}");
        }
    }

    #[test]
    fn every_name_has_linux_text() {
        for (n, name) in super::NAMES {
            assert!(super::strerror(*n).is_some(), "{name}");
        }
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn the_text_is_the_platform_text() {
        for (n, _) in super::NAMES {
            let os = std::io::Error::from_raw_os_error(*n).to_string();
            assert!(os.starts_with(super::strerror(*n).unwrap()), "{os}");
        }
    }
}
