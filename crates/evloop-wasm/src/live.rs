//! `liveObjects()`: what the module holds on this thread, for leak tests
//! (tests/node/sim-free.test.ts) and tools: the core's live loops, tasks,
//! futures, transports and servers (`evloop::live_objects`), and the
//! binding's own simulations and protocol objects (which hold JS values).
//! After every simulation was closed, or collected, all of them are back
//! to where they were before it.

use std::cell::Cell;

use js_sys::Object;
use wasm_bindgen::prelude::*;

use crate::convert::set;

thread_local! {
    static SIMULATIONS: Cell<u32> = const { Cell::new(0) };
    static PROTOCOLS: Cell<u32> = const { Cell::new(0) };
}

/// What a counted binding object is.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    Simulation,
    Protocol,
}

fn with(kind: Kind, f: impl FnOnce(&Cell<u32>)) {
    let _ = match kind {
        Kind::Simulation => SIMULATIONS.try_with(f),
        Kind::Protocol => PROTOCOLS.try_with(f),
    };
}

/// Held by a counted binding object: counts it while it lives.
pub(crate) struct Counted(Kind);

impl Counted {
    pub(crate) fn new(kind: Kind) -> Counted {
        with(kind, |c| c.set(c.get() + 1));
        Counted(kind)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        with(self.0, |c| c.set(c.get().saturating_sub(1)));
    }
}

/// `{ simulations, protocols, loops, tasks, futures, transports, servers, heapBytes }`:
/// the live objects now, and the bytes the module's allocator has handed out.
#[wasm_bindgen(js_name = liveObjects)]
pub fn live_objects() -> JsValue {
    let core = evloop::live_objects();
    let obj: JsValue = Object::new().into();
    let get = |k: &'static std::thread::LocalKey<Cell<u32>>| k.try_with(Cell::get).unwrap_or(0);
    set(&obj, "simulations", &JsValue::from(get(&SIMULATIONS)));
    set(&obj, "protocols", &JsValue::from(get(&PROTOCOLS)));
    set(&obj, "loops", &JsValue::from(core.loops as f64));
    set(&obj, "tasks", &JsValue::from(core.tasks as f64));
    set(&obj, "futures", &JsValue::from(core.futures as f64));
    set(&obj, "transports", &JsValue::from(core.transports as f64));
    set(&obj, "servers", &JsValue::from(core.servers as f64));
    set(&obj, "heapBytes", &JsValue::from(crate::heap::bytes_in_use() as f64));
    obj
}
