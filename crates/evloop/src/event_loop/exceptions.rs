//! The loop's exception handler methods (reference §2.8).

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::EventLoop;
use crate::exception::{format_context, panic_text, ExceptionContext, ExceptionHandler};

impl EventLoop {
    /// Installs a custom handler, or restores the default with `None`.
    pub fn set_exception_handler(&self, handler: Option<ExceptionHandler>) {
        *self.inner.exception_handler.borrow_mut() = handler;
    }

    /// The custom handler, `None` while the default is active.
    pub fn get_exception_handler(&self) -> Option<ExceptionHandler> {
        self.inner.exception_handler.borrow().clone()
    }

    /// Logs `context` at ERROR level on the `evloop` log target, as
    /// asyncio logs on the `asyncio` logger.
    pub fn default_exception_handler(&self, context: &ExceptionContext) {
        log::error!(target: "evloop", "{}", format_context(context));
    }

    /// Passes `context` to the custom handler, or to the default one. A
    /// handler that panics is reported to the default handler with the
    /// original context; nothing escapes to the caller.
    pub fn call_exception_handler(&self, context: ExceptionContext) {
        let handler = self.get_exception_handler();
        match handler {
            None => {
                if catch_unwind(AssertUnwindSafe(|| self.default_exception_handler(&context))).is_err() {
                    log::error!(target: "evloop", "Exception in default exception handler");
                }
            }
            Some(handler) => {
                if let Err(payload) = catch_unwind(AssertUnwindSafe(|| handler(self, &context))) {
                    let report = ExceptionContext::new("Unhandled error in exception handler")
                        .with_exception(panic_text(&*payload))
                        .with("context", format!("{context:?}"));
                    if catch_unwind(AssertUnwindSafe(|| self.default_exception_handler(&report))).is_err() {
                        log::error!(
                            target: "evloop",
                            "Exception in default exception handler while handling an unexpected error in custom exception handler"
                        );
                    }
                }
            }
        }
    }
}
