//! Loop microbenchmarks: `call_soon` drained, timers scheduled and half
//! cancelled, and the cost of an empty iteration.
//!
//! ```text
//! cargo run --release --example bench_loop -- [N]
//! ```
//! Prints one JSON object per figure (name, count, seconds, per_op_us, ops_per_s).

use std::cell::Cell;
use std::rc::Rc;
use std::time::Instant;

use evloop::EventLoop;

fn report(name: &str, count: u64, secs: f64) {
    println!(
        "{{\"name\":\"{name}\",\"count\":{count},\"seconds\":{secs:.6},\"per_op_us\":{:.4},\"ops_per_s\":{:.0}}}",
        secs * 1e6 / count as f64,
        count as f64 / secs
    );
}

fn main() -> evloop::Result<()> {
    let n: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let lp = EventLoop::new()?;

    // 1. n call_soon callbacks scheduled, then drained in one run.
    let count = Rc::new(Cell::new(0u64));
    let start = Instant::now();
    for _ in 0..n {
        let c = count.clone();
        lp.call_soon(move || c.set(c.get() + 1))?;
    }
    let stopper = lp.clone();
    lp.call_soon(move || stopper.stop())?;
    lp.run_forever()?;
    report("call_soon+run", n, start.elapsed().as_secs_f64());
    assert_eq!(count.get(), n);

    // 2. n timers scheduled, half cancelled, the rest run.
    let fired = Rc::new(Cell::new(0u64));
    let start = Instant::now();
    let mut handles = Vec::with_capacity(n as usize);
    let base = lp.time();
    for i in 0..n {
        let f = fired.clone();
        handles.push(lp.call_at(base + (i % 1000) as f64 * 1e-6, move || f.set(f.get() + 1))?);
    }
    for h in handles.iter().step_by(2) {
        h.cancel();
    }
    let stopper = lp.clone();
    lp.call_at(base + 0.002, move || stopper.stop())?;
    lp.run_forever()?;
    report("timers schedule+half cancel+run", n, start.elapsed().as_secs_f64());
    assert_eq!(fired.get(), n / 2);

    // 3. Empty iterations: a callback that re-schedules itself.
    let iters = n;
    let left = Rc::new(Cell::new(iters));
    fn tick(lp: EventLoop, left: Rc<Cell<u64>>) {
        if left.get() == 0 {
            lp.stop();
            return;
        }
        left.set(left.get() - 1);
        let lp2 = lp.clone();
        lp.call_soon(move || tick(lp2, left)).unwrap();
    }
    let start = Instant::now();
    let (lp2, l2) = (lp.clone(), left.clone());
    lp.call_soon(move || tick(lp2, l2))?;
    lp.run_forever()?;
    report("iteration (one callback each)", iters, start.elapsed().as_secs_f64());
    lp.close()
}
