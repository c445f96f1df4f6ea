//! The one error type of the core.
//!
//! Each variant mirrors the Python exception class asyncio raises in the same
//! situation, so bindings can map [`Error::name`] to a class of the same name
//! and conformance tests can match asyncio's message texts.

use std::fmt;
use std::io;
use std::sync::Arc;

/// An error raised by the loop, a handle, a future or a selector.
#[derive(Clone, Debug)]
pub enum Error {
    /// `RuntimeError`: the loop is in the wrong state for the call.
    Runtime(String),
    /// `ValueError`: an argument has the right type but a bad value.
    Value(String),
    /// `TypeError`: an argument has the wrong type (or is missing).
    Type(String),
    /// `InvalidStateError`: a future is not in the state the call needs.
    InvalidState(String),
    /// `CancelledError`: the future or task was cancelled.
    Cancelled(String),
    /// `OSError` and its subclasses: a system call failed.
    Os(OsError),
    /// `ssl.SSLError` (an `OSError`), or `ssl.SSLCertVerificationError`
    /// when [`SslError::verify`] is set: a TLS handshake or record failed.
    Ssl(SslError),
    /// `socket.gaierror`: name resolution failed; `errno` is the negative
    /// `EAI_*` number, as Python reports it.
    Gai(OsError),
    /// `ExceptionGroup`: several errors at once (`create_connection`'s
    /// `all_errors`); JS gets an `AggregateError` of them.
    Group {
        /// asyncio's text (`"create_connection failed"`).
        message: String,
        /// The errors, in the order they happened.
        errors: Vec<Error>,
    },
    /// An error raised by user code (a callback, a task body).
    User(Arc<dyn std::error::Error + Send + Sync>),
    /// `asyncio.IncompleteReadError` (an `EOFError`): EOF came before the
    /// stream delivered what a read needed.
    IncompleteRead {
        /// The bytes read before EOF.
        partial: Vec<u8>,
        /// The bytes expected (`None`: until a separator, "undefined").
        expected: Option<usize>,
    },
    /// `asyncio.LimitOverrunError`: a separator search went past the
    /// stream's limit.
    LimitOverrun {
        /// asyncio's text.
        message: String,
        /// How many bytes are to be consumed.
        consumed: usize,
    },
}

/// A failed system call, with the positive errno as Python reports it.
#[derive(Clone, Debug)]
pub struct OsError {
    /// The positive OS error number (`EADDRINUSE` is 98 on Linux).
    pub errno: i32,
    /// The call that failed: `"bind"`, `"listen"`, `"epoll_wait"`, ...
    pub syscall: &'static str,
    /// The full message, asyncio's text where asyncio has one.
    pub message: String,
}

/// A TLS failure, as Python's `ssl` module words it.
#[derive(Clone, Debug)]
pub struct SslError {
    /// OpenSSL's reason code (`"CERTIFICATE_VERIFY_FAILED"`,
    /// `"TLSV1_ALERT_UNKNOWN_CA"`, ...): Python's `SSLError.reason`.
    pub reason: String,
    /// The full text: `[SSL: REASON] description`.
    pub message: String,
    /// For a certificate that failed verification: OpenSSL's verify code
    /// and message (`SSLCertVerificationError.verify_code` /
    /// `verify_message`).
    pub verify: Option<(i32, String)>,
}

impl Error {
    /// `RuntimeError('Event loop is closed')`.
    pub fn loop_closed() -> Error {
        Error::Runtime("Event loop is closed".into())
    }

    /// An OS error from `io::Error`, naming the failing call.
    pub fn os(syscall: &'static str, err: io::Error) -> Error {
        let errno = err.raw_os_error().unwrap_or(0);
        let message = match crate::errno::name(errno) {
            Some(_) => format!("[Errno {errno}] {}", os_text(&err)),
            None => err.to_string(),
        };
        Error::Os(OsError { errno, syscall, message })
    }

    /// An OS error with a message of our own (asyncio's texts), keeping the
    /// errno of the failure.
    pub fn os_with_message(syscall: &'static str, errno: i32, message: impl Into<String>) -> Error {
        Error::Os(OsError { errno, syscall, message: message.into() })
    }

    /// The errno of an OS error.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Os(e) | Error::Gai(e) => Some(e.errno),
            // SSL_ERROR_SSL, the errno Python's ssl errors carry.
            Error::Ssl(_) => Some(1),
            _ => None,
        }
    }

    /// Wraps any user error (for example the reason a task failed).
    pub fn user(err: impl std::error::Error + Send + Sync + 'static) -> Error {
        Error::User(Arc::new(err))
    }

    /// The Python class this error corresponds to (`"RuntimeError"`,
    /// `"ConnectionRefusedError"`, ...). Bindings use it to pick the class.
    pub fn name(&self) -> &'static str {
        match self {
            Error::Runtime(_) => "RuntimeError",
            Error::Value(_) => "ValueError",
            Error::Type(_) => "TypeError",
            Error::InvalidState(_) => "InvalidStateError",
            Error::Cancelled(_) => "CancelledError",
            Error::Os(e) => crate::errno::python_class(e.errno),
            Error::Gai(_) => "gaierror",
            Error::Ssl(e) if e.verify.is_some() => "SSLCertVerificationError",
            Error::Ssl(_) => "SSLError",
            Error::Group { .. } => "ExceptionGroup",
            Error::User(_) => "Exception",
            Error::IncompleteRead { .. } => "IncompleteReadError",
            Error::LimitOverrun { .. } => "LimitOverrunError",
        }
    }

    /// The symbolic OS error code (`"EADDRINUSE"`), where there is one.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            Error::Os(e) => crate::errno::name(e.errno),
            Error::Gai(e) => Some(crate::errno::gai_code(e.errno)),
            _ => None,
        }
    }

    /// The message alone, without the class name.
    pub fn message(&self) -> String {
        match self {
            Error::Runtime(m)
            | Error::Value(m)
            | Error::Type(m)
            | Error::InvalidState(m)
            | Error::Cancelled(m) => m.clone(),
            Error::Os(e) | Error::Gai(e) => e.message.clone(),
            Error::Ssl(e) => e.message.clone(),
            Error::Group { message, errors } => {
                let n = errors.len();
                format!("{message} ({n} sub-exception{})", if n == 1 { "" } else { "s" })
            }
            Error::User(e) => e.to_string(),
            Error::IncompleteRead { partial, expected } => {
                let expected = expected.map_or_else(|| "undefined".to_string(), |n| n.to_string());
                format!("{} bytes read on a total of {expected} expected bytes", partial.len())
            }
            Error::LimitOverrun { message, .. } => message.clone(),
        }
    }
}

/// The text of an OS error without io::Error's " (os error N)" suffix. On
/// wasm, std knows no OS texts; the errors there come from the simulated
/// network, which uses Linux numbers, so Linux's texts are used.
fn os_text(err: &io::Error) -> String {
    #[cfg(target_arch = "wasm32")]
    if let Some(text) = err.raw_os_error().and_then(crate::errno::strerror) {
        return text.to_string();
    }
    strip_os_suffix(&err.to_string()).to_string()
}

/// `io::Error`'s Display appends " (os error N)"; Python puts the number first.
fn strip_os_suffix(s: &str) -> &str {
    match s.rfind(" (os error ") {
        Some(i) => &s[..i],
        None => s,
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name(), self.message())
    }
}

impl std::error::Error for Error {}

impl From<io::Error> for Error {
    fn from(err: io::Error) -> Error {
        Error::os("", err)
    }
}

/// Shorthand for results of the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;
