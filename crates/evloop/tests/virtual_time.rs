//! The virtual-time loop: the same scheduling, no real waiting.

mod util;

use evloop::EventLoop;
use util::Log;

#[test]
fn an_hour_passes_at_once() {
    let lp = EventLoop::virtual_time();
    assert_eq!(lp.selector_name(), "virtual");
    let log = Log::new();
    let (lp2, log2) = (lp.clone(), log.clone());
    lp.call_later(3600.0, move || { log2.push(lp2.time()); lp2.stop() }).unwrap();
    lp.call_later(1.5, log.pusher(1.5)).unwrap();
    let real = std::time::Instant::now();
    lp.run_forever().unwrap();
    assert!(real.elapsed().as_secs() < 3600);
    assert_eq!(log.get(), [1.5, 3600.0]);
    assert_eq!(lp.time(), 3600.0);
}

#[test]
fn far_timers_take_24_hour_steps() {
    let lp = EventLoop::virtual_time();
    let stopper = lp.clone();
    lp.call_later(3.0 * 86400.0, move || stopper.stop()).unwrap();
    lp.run_forever().unwrap();
    assert_eq!(lp.time(), 3.0 * 86400.0);
    assert_eq!(lp.stats().iterations, 3, "three 24 h waits; the timer runs after the third");
}

#[test]
fn waiting_forever_is_an_error_not_a_hang() {
    let lp = EventLoop::virtual_time();
    let e = lp.run_forever().unwrap_err();
    assert_eq!(e.name(), "RuntimeError");
    assert!(e.message().contains("nothing is scheduled"), "{e}");
    assert!(!lp.is_running());
}

#[test]
fn tasks_sleep_in_virtual_time() {
    let lp = EventLoop::virtual_time();
    let lp2 = lp.clone();
    let task = lp
        .create_task(async move {
            lp2.sleep(10.0).unwrap().await.unwrap();
            lp2.sleep(20.0).unwrap().await.unwrap();
            lp2.time()
        })
        .unwrap();
    assert_eq!(lp.run_until_complete(&task).unwrap(), 30.0);
}
