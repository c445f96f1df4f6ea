//! Policies and get_event_loop (reference §3.4, §8.1 L-39). One test: the
//! policy is process-wide.

use std::sync::Arc;

use evloop::{
    get_event_loop, get_event_loop_policy, new_event_loop, set_event_loop, set_event_loop_policy, EventLoop,
    EventLoopPolicy, SelectorKind,
};

/// The seed's example: every new loop is a select-based SelectorEventLoop.
struct SelectPolicy;

impl EventLoopPolicy for SelectPolicy {
    fn new_event_loop(&self) -> evloop::Result<EventLoop> {
        EventLoop::with_selector(SelectorKind::Select)
    }
}

#[test]
fn policies_and_the_current_loop() {
    // No loop set: 3.14's RuntimeError (the documented choice).
    let e = get_event_loop().unwrap_err();
    assert_eq!(e.name(), "RuntimeError");
    assert_eq!(e.message(), "There is no current event loop in thread 'MainThread'.".replace("MainThread", &thread_label()));

    let lp = new_event_loop().unwrap();
    assert_eq!(lp.selector_name(), "epoll");
    set_event_loop(Some(lp.clone()));
    assert!(get_event_loop().unwrap().ptr_eq(&lp));

    // Inside a callback, get_event_loop() is the running loop.
    let other = EventLoop::with_selector(SelectorKind::Poll).unwrap();
    let seen = std::rc::Rc::new(std::cell::Cell::new(false));
    let (o2, s2) = (other.clone(), seen.clone());
    other.call_soon(move || { s2.set(get_event_loop().unwrap().ptr_eq(&o2)); o2.stop() }).unwrap();
    other.run_forever().unwrap();
    assert!(seen.get());

    set_event_loop_policy(Some(Arc::new(SelectPolicy)));
    assert_eq!(new_event_loop().unwrap().selector_name(), "select");
    let via_run = evloop::run(|lp| async move { lp.selector_name() }).unwrap();
    assert_eq!(via_run, "select");
    set_event_loop_policy(None);
    assert_eq!(get_event_loop_policy().new_event_loop().unwrap().selector_name(), "epoll");
    set_event_loop(None);
    assert!(get_event_loop().is_err());
}

/// Test threads carry the test's name; the main thread is 'MainThread'.
fn thread_label() -> String {
    match std::thread::current().name() {
        Some("main") => "MainThread".into(),
        Some(n) => n.into(),
        None => format!("{:?}", std::thread::current().id()),
    }
}
