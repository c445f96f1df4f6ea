//! Faults: what each one does to the world (partition, heal, hold,
//! release, link settings, crash, restart, pause, resume, clock skew,
//! signals),
//! and [`Fault`], the same faults as values, which
//! [`Simulation::schedule`](super::Simulation::schedule) applies later.
//!
//! Each fault takes effect at the current virtual time, is counted in
//! `stats().faults` and recorded as a `fault` trace record.

use std::rc::Rc;

use super::network::World;
use super::{check_latency, check_loss, check_probability, Core, HostId, LinkOptions, Simulation, TraceValue};
use crate::error::{Error, Result};
use crate::EventLoop;

/// A fault as a value (the shape of a `fault` trace record), for
/// [`Simulation::schedule`](super::Simulation::schedule).
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// [`Simulation::partition`].
    Partition {
        /// One group.
        a: Vec<String>,
        /// The other group.
        b: Vec<String>,
        /// Only messages from `a` to `b`.
        one_way: bool,
    },
    /// [`Simulation::heal`]: every partition, those touching `a`, or those between `a` and `b`.
    Heal {
        /// A group.
        a: Option<Vec<String>>,
        /// The other group (only with `a`).
        b: Option<Vec<String>>,
    },
    /// [`Simulation::hold`] of `a -> b`.
    Hold {
        /// Sender.
        a: String,
        /// Receiver.
        b: String,
    },
    /// [`Simulation::release`] of `a -> b`.
    Release {
        /// Sender.
        a: String,
        /// Receiver.
        b: String,
    },
    /// [`Simulation::set_link`].
    Link {
        /// One end.
        a: String,
        /// The other end.
        b: String,
        /// The settings.
        opts: LinkOptions,
    },
    /// [`Simulation::crash`].
    Crash(String),
    /// [`Simulation::restart`].
    Restart(String),
    /// [`Simulation::pause`].
    Pause(String),
    /// [`Simulation::resume`].
    Resume(String),
    /// [`Simulation::set_clock_skew`].
    Skew {
        /// The host.
        host: String,
        /// The offset of its wall clock.
        seconds: f64,
    },
    /// [`Simulation::signal`].
    Signal {
        /// The host.
        host: String,
        /// The signal number.
        sig: i32,
    },
}

impl Fault {
    /// The name its trace record carries (`partition`, `heal`, ..., `skew`).
    pub fn name(&self) -> &'static str {
        match self {
            Fault::Partition { .. } => "partition",
            Fault::Heal { .. } => "heal",
            Fault::Hold { .. } => "hold",
            Fault::Release { .. } => "release",
            Fault::Link { .. } => "link",
            Fault::Crash(_) => "crash",
            Fault::Restart(_) => "restart",
            Fault::Pause(_) => "pause",
            Fault::Resume(_) => "resume",
            Fault::Skew { .. } => "skew",
            Fault::Signal { .. } => "signal",
        }
    }

    /// Checks what can be checked before the hosts exist: values, and a
    /// `heal` with `b` but no `a`. Host names are looked up when the fault
    /// is applied.
    ///
    /// # Errors
    /// `ValueError` naming the bad field.
    pub fn validate(&self) -> Result<()> {
        match self {
            Fault::Heal { a: None, b: Some(_) } => Err(Error::Value("heal: b needs a".into())),
            Fault::Link { opts, .. } => {
                if let Some(l) = opts.latency {
                    check_latency(l)?;
                }
                if let Some(l) = opts.loss {
                    check_loss(l)?;
                }
                for (name, p) in [("duplicate", opts.duplicate), ("reorder", opts.reorder)] {
                    if let Some(p) = p {
                        check_probability(name, p)?;
                    }
                }
                Ok(())
            }
            Fault::Skew { seconds, .. } if !seconds.is_finite() => {
                Err(Error::Value(format!("clock skew must be finite, got {seconds}")))
            }
            Fault::Signal { sig, .. } => check_signal(*sig),
            _ => Ok(()),
        }
    }
}

impl Simulation {
    /// Applies `fault` now, as the method of the same name does.
    ///
    /// # Errors
    /// As that method: `ValueError` for an unknown host or a bad value.
    pub fn apply(&self, fault: &Fault) -> Result<()> {
        match fault {
            Fault::Partition { a, b, one_way } => self.partition(&strs(a), &strs(b), *one_way),
            Fault::Heal { a, b } => {
                let (a, b) = (a.as_deref().map(strs), b.as_deref().map(strs));
                self.heal(a.as_deref(), b.as_deref())
            }
            Fault::Hold { a, b } => self.hold(a, b),
            Fault::Release { a, b } => self.release(a, b),
            Fault::Link { a, b, opts } => self.set_link(a, b, opts.clone()),
            Fault::Crash(h) => self.crash(h),
            Fault::Restart(h) => {
                self.restart(h)?;
                let id = self.core.world.borrow().lookup(h)?;
                self.core.restarted.borrow_mut().push(id);
                Ok(())
            }
            Fault::Pause(h) => self.pause(h),
            Fault::Resume(h) => self.resume(h),
            Fault::Skew { host, seconds } => self.set_clock_skew(host, *seconds),
            Fault::Signal { host, sig } => self.signal(host, *sig),
        }
    }

    /// Hosts restarted by scheduled faults since the last call, in order:
    /// a binding that wraps each life's loop (the wasm one) picks up the
    /// new loops with [`loop_of`](Self::loop_of).
    pub fn take_restarted(&self) -> Vec<String> {
        let ids = std::mem::take(&mut *self.core.restarted.borrow_mut());
        let w = self.core.world.borrow();
        ids.into_iter().map(|h| w.hosts[h].name.to_string()).collect()
    }

    /// Separates the groups: messages from `a` to `b` (and from `b` to `a`
    /// unless `one_way`) are dropped, and streams re-send them.
    ///
    /// # Errors
    /// `ValueError` for an unknown host.
    pub fn partition(&self, a: &[&str], b: &[&str], one_way: bool) -> Result<()> {
        let mut w = self.core.world.borrow_mut();
        let (ga, gb) = (ids(&w, a)?, ids(&w, b)?);
        w.partition(&ga, &gb, one_way);
        let f = vec![("a", a.join(",").as_str().into()), ("b", b.join(",").as_str().into()), ("one_way", one_way.into())];
        fault(&mut w, None, "partition", f);
        Ok(())
    }

    /// Removes partitions: every one (no groups), those touching one
    /// group, or those between the two groups.
    ///
    /// # Errors
    /// `ValueError` for an unknown host.
    pub fn heal(&self, a: Option<&[&str]>, b: Option<&[&str]>) -> Result<()> {
        let mut w = self.core.world.borrow_mut();
        let ga = a.map(|g| ids(&w, g)).transpose()?;
        let gb = b.map(|g| ids(&w, g)).transpose()?;
        w.heal(ga.as_deref(), gb.as_deref());
        let mut f = Vec::new();
        if let Some(a) = a {
            f.push(("a", a.join(",").as_str().into()));
        }
        if let Some(b) = b {
            f.push(("b", b.join(",").as_str().into()));
        }
        fault(&mut w, None, "heal", f);
        Ok(())
    }

    /// Messages from `a` to `b` wait (and are counted as held) until
    /// [`release`](Self::release).
    ///
    /// # Errors
    /// `ValueError` for an unknown host.
    pub fn hold(&self, a: &str, b: &str) -> Result<()> {
        let mut w = self.core.world.borrow_mut();
        let (x, y) = (w.lookup(a)?, w.lookup(b)?);
        w.hold(x, y);
        fault(&mut w, None, "hold", vec![("a", a.into()), ("b", b.into())]);
        Ok(())
    }

    /// Lets the messages held from `a` to `b` go, in order.
    ///
    /// # Errors
    /// `ValueError` for an unknown host.
    pub fn release(&self, a: &str, b: &str) -> Result<()> {
        let mut w = self.core.world.borrow_mut();
        let (x, y) = (w.lookup(a)?, w.lookup(b)?);
        // Recorded first: the released messages' fates follow it in the trace.
        fault(&mut w, None, "release", vec![("a", a.into()), ("b", b.into())]);
        w.release(x, y);
        Ok(())
    }

    /// Per-link latency and loss, for `a -> b` and (unless `one_way`) `b -> a`.
    ///
    /// # Errors
    /// `ValueError` for an unknown host or a bad value.
    pub fn set_link(&self, a: &str, b: &str, opts: LinkOptions) -> Result<()> {
        if let Some(l) = opts.latency {
            check_latency(l)?;
        }
        for (name, p) in [("loss", opts.loss), ("duplicate", opts.duplicate), ("reorder", opts.reorder)] {
            if let Some(p) = p {
                check_probability(name, p)?;
            }
        }
        let mut w = self.core.world.borrow_mut();
        let (x, y) = (w.lookup(a)?, w.lookup(b)?);
        w.set_link(x, y, &opts);
        if !opts.one_way {
            w.set_link(y, x, &opts);
        }
        let mut f = vec![("a", a.into()), ("b", b.into()), ("one_way", opts.one_way.into())];
        if let Some((lo, hi)) = opts.latency {
            f.push(("latency_min", lo.into()));
            f.push(("latency_max", hi.into()));
        }
        if let Some(p) = opts.duplicate {
            f.push(("duplicate", p.into()));
        }
        if let Some(p) = opts.reorder {
            f.push(("reorder", p.into()));
        }
        if let Some(l) = opts.loss {
            f.push(("loss", l.into()));
        }
        fault(&mut w, None, "link", f);
        Ok(())
    }

    /// The host's process dies: its loop is closed and dropped (timers never
    /// fire), its sockets vanish, and peers' connections are reset one link
    /// latency later. Crashing a crashed host does nothing.
    ///
    /// # Errors
    /// `ValueError` for an unknown host.
    pub fn crash(&self, name: &str) -> Result<()> {
        let h = self.core.world.borrow().lookup(name)?;
        self.core.crash(h);
        Ok(())
    }

    /// A fresh loop under the same name (crashing the host first if it is
    /// up) runs the program again. Returns the new loop.
    ///
    /// # Errors
    /// `ValueError` for an unknown host.
    pub fn restart(&self, name: &str) -> Result<EventLoop> {
        let h = self.core.world.borrow().lookup(name)?;
        Ok(self.core.restart(h))
    }

    /// Nothing on the host runs until [`resume`](Self::resume); the network
    /// still delivers to it.
    ///
    /// # Errors
    /// `ValueError` for an unknown host.
    pub fn pause(&self, name: &str) -> Result<()> {
        self.core.set_paused(name, true)
    }

    /// The host runs again; timers that fell due meanwhile run late, in order.
    ///
    /// # Errors
    /// `ValueError` for an unknown host.
    pub fn resume(&self, name: &str) -> Result<()> {
        self.core.set_paused(name, false)
    }

    /// Sets (does not add to) the offset of the host's [`wall_time`](Self::wall_time).
    ///
    /// # Errors
    /// `ValueError` for an unknown host or a non-finite offset.
    pub fn set_clock_skew(&self, name: &str, seconds: f64) -> Result<()> {
        if !seconds.is_finite() {
            return Err(Error::Value(format!("clock skew must be finite, got {seconds}")));
        }
        let mut w = self.core.world.borrow_mut();
        let h = w.lookup(name)?;
        w.hosts[h].skew = seconds;
        fault(&mut w, Some(h), "skew", vec![("seconds", seconds.into())]);
        Ok(())
    }
}

impl Simulation {
    /// Signal `sig` reaches the host's process: its handler (the host's
    /// `add_signal_handler`) is queued as a loop callback. A host without a
    /// handler for it, or a crashed one, lets it pass (the fault is still
    /// traced and counted); no simulated signal ends a host.
    ///
    /// # Errors
    /// `ValueError` for an unknown host or a signal number outside 1..=64.
    pub fn signal(&self, name: &str, sig: i32) -> Result<()> {
        check_signal(sig)?;
        let lp = {
            let mut w = self.core.world.borrow_mut();
            let h = w.lookup(name)?;
            let handled = w.hosts[h].lp.as_ref().is_some_and(|lp| lp.signal_handlers().contains(&sig));
            fault(&mut w, Some(h), "signal", vec![("sig", sig.into()), ("handled", handled.into())]);
            w.hosts[h].lp.clone()
        };
        if let Some(lp) = lp {
            lp.handle_signal(sig);
        }
        Ok(())
    }
}

fn check_signal(sig: i32) -> Result<()> {
    if (1..=64).contains(&sig) {
        Ok(())
    } else {
        Err(Error::Value(format!("invalid signal number {sig}")))
    }
}

fn ids(w: &World, names: &[&str]) -> Result<Vec<HostId>> {
    names.iter().map(|n| w.lookup(n)).collect()
}

/// Counts and traces a fault (on `host`, or `""` for one between groups).
fn fault(w: &mut World, host: Option<HostId>, name: &'static str, mut fields: Vec<(&'static str, TraceValue)>) {
    *w.stats.faults.entry(name).or_insert(0) += 1;
    fields.insert(0, ("fault", name.into()));
    match host {
        Some(h) => w.record(h, "fault", fields),
        None => w.record_as(&Rc::from(""), "fault", fields),
    }
}


fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

impl Core {
    fn crash(&self, h: HostId) {
        let lp = {
            let mut w = self.world.borrow_mut();
            if w.hosts[h].crashed {
                return;
            }
            fault(&mut w, Some(h), "crash", Vec::new());
            let hs = &mut w.hosts[h];
            hs.crashed = true;
            hs.paused = false;
            hs.wake = None;
            hs.gen += 1;
            let lp = hs.lp.take();
            w.crash_host(h);
            lp
        };
        let Some(lp) = lp else { return };
        if self.running.get() == Some(h) {
            // Stop the batch after the running callback; closed after it.
            lp.raise_fatal(Error::Runtime("host crashed".into()));
            *self.crashed_running.borrow_mut() = Some(lp);
        } else {
            // Outside any borrow: closing drops transports and sockets.
            super::end::end_life(&lp);
            drop(lp);
        }
    }

    fn restart(&self, h: HostId) -> EventLoop {
        self.crash(h);
        {
            let mut w = self.world.borrow_mut();
            let hs = &mut w.hosts[h];
            hs.crashed = false;
            hs.life += 1;
            fault(&mut w, Some(h), "restart", Vec::new());
        }
        let lp = self.new_life(h);
        if self.world.borrow().started {
            self.queue_program(h);
        }
        lp
    }

    fn set_paused(&self, name: &str, paused: bool) -> Result<()> {
        let mut w = self.world.borrow_mut();
        let h = w.lookup(name)?;
        w.hosts[h].paused = paused;
        fault(&mut w, Some(h), if paused { "pause" } else { "resume" }, Vec::new());
        let flag = w.hosts[h].flag.clone();
        drop(w);
        self.dirty_of(h, &flag).mark();
        Ok(())
    }
}

