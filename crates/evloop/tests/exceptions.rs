//! Exception handler and debug mode (reference §8.1 L-22..L-24, L-29).

mod util;

use std::rc::Rc;

use evloop::{EventLoop, ExceptionContext};
use util::{logs, run_once, Log};

on_every_selector! {
    // L-22
    fn handler_get_set_and_restore(lp: EventLoop) {
        assert!(lp.get_exception_handler().is_none());
        let h: evloop::ExceptionHandler = Rc::new(|_: &EventLoop, _: &ExceptionContext| ());
        lp.set_exception_handler(Some(h.clone()));
        assert!(Rc::ptr_eq(&lp.get_exception_handler().unwrap(), &h));
        lp.set_exception_handler(None);
        assert!(lp.get_exception_handler().is_none());
        logs::start();
        lp.call_exception_handler(ExceptionContext::new("back to default"));
        assert_eq!(logs::take(), [(log::Level::Error, "back to default".to_string())]);
    }

    // L-23
    fn broken_handler_falls_back_to_the_default(lp: EventLoop) {
        logs::start();
        lp.set_exception_handler(Some(Rc::new(|_: &EventLoop, _: &ExceptionContext| panic!("handler broke"))));
        lp.call_soon(|| panic!("first")).unwrap();
        let log = Log::new();
        lp.call_soon(log.pusher("still running")).unwrap();
        run_once(&lp);
        assert_eq!(log.get(), ["still running"]);
        let records = logs::take();
        assert_eq!(records.len(), 1, "{records:?}");
        let text = &records[0].1;
        assert!(text.starts_with("Unhandled error in exception handler\ncontext: Exception in callback"), "{text}");
        assert!(text.ends_with("panic: handler broke"), "{text}");
    }

    // L-24
    fn context_passes_through_unchanged(lp: EventLoop) {
        let got = Log::new();
        let sink = got.clone();
        lp.set_exception_handler(Some(Rc::new(move |_: &EventLoop, ctx: &ExceptionContext| {
            sink.push((ctx.message.clone(), ctx.extra.clone(), ctx.exception.clone()));
        })));
        lp.call_exception_handler(ExceptionContext::new("custom").with("foo", "1"));
        assert_eq!(got.get(), [("custom".to_string(), vec![("foo".to_string(), "1".to_string())], None)]);
        lp.set_exception_handler(None);
        logs::start();
        lp.call_exception_handler(ExceptionContext::new("custom").with("foo", "1"));
        assert_eq!(logs::take()[0].1, "custom\nfoo: 1");
    }

    // L-29
    fn slow_callbacks_are_reported_in_debug_mode(lp: EventLoop) {
        assert_eq!(lp.slow_callback_duration(), 0.1);
        lp.set_debug(true);
        lp.set_slow_callback_duration(0.01);
        logs::start();
        lp.call_soon(|| std::thread::sleep(std::time::Duration::from_millis(30))).unwrap();
        lp.call_soon(|| ()).unwrap();
        run_once(&lp);
        let warnings: Vec<_> = logs::take().into_iter().filter(|(l, _)| *l == log::Level::Warn).collect();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].1.starts_with("Executing <Handle "), "{}", warnings[0].1);
        assert!(warnings[0].1.ends_with(" seconds") && warnings[0].1.contains(" took "), "{}", warnings[0].1);
        // Debug off: no report.
        lp.set_debug(false);
        lp.call_soon(|| std::thread::sleep(std::time::Duration::from_millis(30))).unwrap();
        run_once(&lp);
        assert!(logs::take().is_empty());
    }
}
