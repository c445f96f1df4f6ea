//! The exception handler: where errors that no caller can receive go
//! (a panicking callback, a failed accept), as asyncio's
//! `call_exception_handler(context)`.

use std::any::Any;
use std::fmt;
use std::rc::Rc;

use crate::EventLoop;

/// The `context` dict of asyncio: a message plus optional details.
#[derive(Clone, Default)]
pub struct ExceptionContext {
    /// What happened (`"Exception in callback <cb>"`).
    pub message: String,
    /// The error's text, where there is one.
    pub exception: Option<String>,
    /// The error itself, where the core has one, so that a binding hands its
    /// handler the same class, `errno` and `syscall` a caller would get.
    pub error: Option<crate::Error>,
    /// The handle whose callback failed, as its repr.
    pub handle: Option<String>,
    /// Any other keys, with their values rendered as text.
    pub extra: Vec<(String, String)>,
    /// Whatever a binding wants its handler to get back unchanged (for
    /// example the JavaScript context object or error).
    pub payload: Option<Rc<dyn Any>>,
}

impl ExceptionContext {
    /// A context with just a message.
    pub fn new(message: impl Into<String>) -> ExceptionContext {
        ExceptionContext { message: message.into(), ..Default::default() }
    }

    /// Sets the `exception` text.
    pub fn with_exception(mut self, exception: impl Into<String>) -> ExceptionContext {
        self.exception = Some(exception.into());
        self
    }

    /// Sets the `exception` from an error: its text, and the error itself.
    pub fn with_error(mut self, error: crate::Error) -> ExceptionContext {
        self.exception = Some(error.to_string());
        self.error = Some(error);
        self
    }

    /// Sets the `handle` repr.
    pub fn with_handle(mut self, handle: impl Into<String>) -> ExceptionContext {
        self.handle = Some(handle.into());
        self
    }

    /// Adds another key.
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> ExceptionContext {
        self.extra.push((key.into(), value.into()));
        self
    }

    /// Attaches a binding's own value.
    pub fn with_payload(mut self, payload: Rc<dyn Any>) -> ExceptionContext {
        self.payload = Some(payload);
        self
    }
}

impl fmt::Debug for ExceptionContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_context(self))
    }
}

/// A custom handler, called as `handler(loop, context)`.
pub type ExceptionHandler = Rc<dyn Fn(&EventLoop, &ExceptionContext)>;

/// The default handler's text: the message (or asyncio's stand-in when it
/// is empty), one `key: value` line per other key in sorted order, then the
/// exception, which asyncio prints as the traceback after the lines.
pub fn format_context(ctx: &ExceptionContext) -> String {
    let mut out = if ctx.message.is_empty() {
        "Unhandled exception in event loop".to_string()
    } else {
        ctx.message.clone()
    };
    let mut keys: Vec<(&str, &str)> = ctx.extra.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    if let Some(h) = &ctx.handle {
        keys.push(("handle", h));
    }
    keys.sort_by(|a, b| a.0.cmp(b.0));
    for (k, v) in keys {
        out.push('\n');
        out.push_str(k);
        out.push_str(": ");
        out.push_str(v);
    }
    if let Some(e) = &ctx.exception {
        out.push('\n');
        out.push_str(e);
    }
    out
}

/// The text of a caught panic, for the `exception` key.
pub(crate) fn panic_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        format!("panic: {s}")
    } else if let Some(s) = payload.downcast_ref::<String>() {
        format!("panic: {s}")
    } else if let Some(f) = payload.downcast_ref::<crate::Fatal>() {
        format!("fatal: {}", f.0)
    } else {
        "panic: <non-string payload>".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_text_sorts_keys_and_ends_with_the_exception() {
        let ctx = ExceptionContext::new("custom").with("foo", "1").with_handle("<Handle cb>").with_exception("boom");
        assert_eq!(format_context(&ctx), "custom\nfoo: 1\nhandle: <Handle cb>\nboom");
        assert_eq!(format_context(&ExceptionContext::new("")), "Unhandled exception in event loop");
    }
}
