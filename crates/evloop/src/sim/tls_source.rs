//! A simulated host's TLS randomness and clock: each new TLS connection
//! draws its generator's seed from the host's `tls:<host>` stream (seeded
//! from the seed and the name only, recorded and replayed like the other
//! streams) and reads the host's wall clock, virtual time plus skew.

use std::rc::{Rc, Weak};

use super::rng::Rng;
use super::{Core, HostId, WALL_CLOCK_START};
use crate::tls::SimSource;

/// The source of host `h`'s next TLS connection (`None` once the
/// simulation is gone).
pub(super) fn for_host(core: &Weak<Core>, h: HostId) -> Option<SimSource> {
    let c = core.upgrade()?;
    let seed = {
        let w = c.world.borrow();
        let name = w.hosts[h].name.clone();
        let mut streams = c.tls.borrow_mut();
        let stream = streams.entry(h).or_insert_with(|| w.ledger.stream(format!("tls:{name}"), Rng::for_tls(w.opts.seed, &name)));
        // Two draws of 53 bits each make the 64-bit seed.
        let hi = (stream.next_f64() * (1u64 << 53) as f64) as u64;
        let lo = (stream.next_f64() * (1u64 << 53) as f64) as u64;
        (hi << 32) ^ lo
    };
    let core = core.clone();
    let wall_time: Rc<dyn Fn() -> f64> = Rc::new(move || match core.upgrade() {
        Some(c) => {
            let w = c.world.borrow();
            WALL_CLOCK_START + w.now() + w.hosts[h].skew
        }
        None => WALL_CLOCK_START,
    });
    Some(SimSource::new(seed, wall_time))
}
