//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::cell::RefCell;
use std::rc::Rc;

use evloop::EventLoop;

pub mod counting_alloc;
pub mod net;
pub mod proc;
pub mod tls;

/// Defines each test body once and runs it on every selector, as asyncio's
/// test suite runs its loop tests on each selector class. The loop is
/// closed after the body (if it did not close it), as asyncio's test case
/// tear-down does: that releases the connections a body left open, whose
/// protocols and transports hold each other, so nothing is left alive at
/// exit for LeakSanitizer to report (`pnpm stress`, `asan-leaks`).
#[macro_export]
macro_rules! on_every_selector {
    ($(fn $name:ident($lp:ident: EventLoop) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                fn body($lp: evloop::EventLoop) $body
                #[test]
                fn epoll() {
                    $crate::util::run_and_close(evloop::EventLoop::with_selector(evloop::SelectorKind::Epoll).unwrap(), body)
                }
                #[test]
                fn poll() {
                    $crate::util::run_and_close(evloop::EventLoop::with_selector(evloop::SelectorKind::Poll).unwrap(), body)
                }
                #[test]
                fn select() {
                    $crate::util::run_and_close(evloop::EventLoop::with_selector(evloop::SelectorKind::Select).unwrap(), body)
                }
                #[test]
                fn proactor() {
                    $crate::util::run_and_close(evloop::EventLoop::proactor().unwrap(), body)
                }
            }
        )*
    };
}

/// A loop that is closed when the test lets go of it (unless it was
/// closed already), after everything the test declared later: for tests
/// that make their own loop, as `on_every_selector!` closes its loops.
pub struct Closing(pub EventLoop);

/// `lp`, closed at the end of the test's scope.
pub fn closing(lp: EventLoop) -> Closing {
    Closing(lp)
}

impl std::ops::Deref for Closing {
    type Target = EventLoop;
    fn deref(&self) -> &EventLoop {
        &self.0
    }
}

impl Drop for Closing {
    fn drop(&mut self) {
        if !self.0.is_closed() && !self.0.is_running() {
            let _ = self.0.close();
        }
    }
}

/// Runs a test body on `lp`, then closes `lp` unless the body did.
pub fn run_and_close(lp: EventLoop, body: fn(EventLoop)) {
    body(lp.clone());
    if !lp.is_closed() && !lp.is_running() {
        lp.close().unwrap();
    }
}

/// One iteration: `call_soon(stop); run_forever()` (reference §8 `runOnce`).
pub fn run_once(lp: &EventLoop) {
    let stopper = lp.clone();
    lp.call_soon(move || stopper.stop()).unwrap();
    lp.run_forever().unwrap();
}

/// One iteration that may wait for I/O, at most 50 ms (a timer bounds it).
pub fn run_once_waiting(lp: &EventLoop) {
    let t = lp.call_later(0.05, || ()).unwrap();
    lp.run_iteration().unwrap();
    t.cancel();
}

/// A shared list that callbacks append to.
#[derive(Clone, Default)]
pub struct Log<T>(Rc<RefCell<Vec<T>>>);

impl<T: Clone + 'static> Log<T> {
    pub fn new() -> Log<T> {
        Log(Rc::new(RefCell::new(Vec::new())))
    }
    /// A callback that appends `value`.
    pub fn pusher(&self, value: T) -> impl FnOnce() + 'static {
        let log = self.clone();
        move || log.push(value)
    }
    pub fn push(&self, value: T) {
        self.0.borrow_mut().push(value);
    }
    pub fn get(&self) -> Vec<T> {
        self.0.borrow().clone()
    }
    pub fn len(&self) -> usize {
        self.0.borrow().len()
    }
}

pub mod logs {
    //! Captures `log` records per thread (each test runs on its own thread,
    //! and the loop runs callbacks on the thread that runs it).
    use std::cell::RefCell;
    use std::sync::Once;

    thread_local! {
        static RECORDS: RefCell<Vec<(log::Level, String)>> = const { RefCell::new(Vec::new()) };
    }

    struct Capture;

    impl log::Log for Capture {
        fn enabled(&self, _: &log::Metadata) -> bool {
            true
        }
        fn log(&self, record: &log::Record) {
            if record.target() == "evloop" || record.target().starts_with("evloop::") {
                RECORDS.with(|r| r.borrow_mut().push((record.level(), record.args().to_string())));
            }
        }
        fn flush(&self) {}
    }

    static CAPTURE: Capture = Capture;
    static INSTALL: Once = Once::new();

    /// Starts capturing on this thread and drops what was captured so far.
    pub fn start() {
        INSTALL.call_once(|| {
            log::set_logger(&CAPTURE).expect("no other logger in tests");
            log::set_max_level(log::LevelFilter::Trace);
        });
        RECORDS.with(|r| r.borrow_mut().clear());
    }

    /// What was logged on this thread since `start()`.
    pub fn take() -> Vec<(log::Level, String)> {
        RECORDS.with(|r| std::mem::take(&mut *r.borrow_mut()))
    }
}
