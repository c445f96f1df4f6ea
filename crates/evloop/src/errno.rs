//! Symbolic names of OS error numbers and the Python `OSError` subclass
//! each one maps to (PEP 3151), so errors carry `code` as `node:net` users
//! expect and `name` as asyncio users expect.

/// `(errno, name)` for the errors a loop can meet. Linux numbering, which is
/// also what the simulated network reports on every target.
const NAMES: &[(i32, &str)] = &[
    (1, "EPERM"),
    (2, "ENOENT"),
    (4, "EINTR"),
    (9, "EBADF"),
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
    fn numbers_match_the_platform() {
        #[cfg(target_os = "linux")]
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
}
