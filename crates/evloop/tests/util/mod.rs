//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::cell::RefCell;
use std::rc::Rc;

use evloop::EventLoop;

pub mod net;
pub mod proc;
pub mod tls;

/// Defines each test body once and runs it on every selector, as asyncio's
/// test suite runs its loop tests on each selector class.
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
                    body(evloop::EventLoop::with_selector(evloop::SelectorKind::Epoll).unwrap())
                }
                #[test]
                fn poll() {
                    body(evloop::EventLoop::with_selector(evloop::SelectorKind::Poll).unwrap())
                }
                #[test]
                fn select() {
                    body(evloop::EventLoop::with_selector(evloop::SelectorKind::Select).unwrap())
                }
                #[test]
                fn proactor() {
                    body(evloop::EventLoop::proactor().unwrap())
                }
            }
        )*
    };
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
