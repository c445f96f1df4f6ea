//! The core's `log` records (asyncio's `logger.warning(...)`: "socket.send()
//! raised exception.", unclosed writers) for a binding's own logger: the one
//! filter and level mapping both bindings use, over their own delivery.

use crate::SLOW_CALLBACK_TARGET;

/// A `log::Log` that hands warnings and errors to `deliver(level, message)`
/// (`level` is "warn" or "error"); where it returns false (nowhere to deliver
/// now) the record goes to stderr. Slow-callback records are left out: the
/// bindings report slow callbacks themselves, with their callbacks' names.
pub struct ForwardLog {
    deliver: fn(&'static str, &str) -> bool,
}

impl ForwardLog {
    /// A logger over `deliver`.
    pub const fn new(deliver: fn(&'static str, &str) -> bool) -> ForwardLog {
        ForwardLog { deliver }
    }

    /// Makes this the process's logger, unless one is installed already.
    pub fn install(&'static self) {
        if log::set_logger(self).is_ok() {
            log::set_max_level(log::LevelFilter::Warn);
        }
    }
}

impl log::Log for ForwardLog {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Warn && metadata.target() != SLOW_CALLBACK_TARGET
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let level = if record.level() == log::Level::Error { "error" } else { "warn" };
        let message = record.args().to_string();
        if !(self.deliver)(level, &message) {
            eprintln!("evloop: {message}");
        }
    }

    fn flush(&self) {}
}
