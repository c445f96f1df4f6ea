//! A socket closed with data it never read resets its peer (issue 22, found
//! by the random call sequences): a client paused for writing, whose server
//! side paused reading and then closed, used to wait forever, since the bytes
//! the server left unread kept the window shut and nothing more could arrive
//! to draw a reset. TCP (Linux `tcp_close`) answers a close with unread data
//! with an RST, so the writer learns at once: `ECONNRESET`.

mod sim_util;

use std::cell::RefCell;
use std::rc::Rc;

use evloop::sim::Simulation;
use evloop::{Protocol, Result, Transport};
use sim_util::*;

/// The server side: stops reading at once and keeps its transport, so the
/// test can close it.
#[derive(Default)]
struct Sink(RefCell<Option<Transport>>);

impl Protocol for Sink {
    fn connection_made(&self, t: &Transport) -> Result<()> {
        t.pause_reading();
        *self.0.borrow_mut() = Some(t.clone());
        Ok(())
    }
}

/// A client connected to a `Sink` server; the sink is returned to close it.
fn connected(sim: &Simulation) -> (Rc<Client>, Transport, Rc<Sink>) {
    let server = sim.host("server").unwrap();
    let client = sim.host("client").unwrap();
    let sink = Rc::new(Sink::default());
    let s = sink.clone();
    let create = server.create_server(move || s.clone() as Rc<dyn Protocol>, None, Some(9), Default::default());
    server.create_task(async move { std::mem::forget(create.await.unwrap()) }).unwrap();
    let c = Client::new();
    let t = sim.run_until_complete(&connect(&client, &c, "server", 9)).unwrap().unwrap();
    run_until(sim, 1.0, || sink.0.borrow().is_some());
    (c, t, sink)
}

#[test]
fn closing_with_unread_data_resets_a_paused_writer() {
    let sim = sim(22);
    let (c, t, sink) = connected(&sim);
    // More than the window: the rest waits in the client's transport.
    t.write(&payload(1_000_000, 3)).unwrap();
    sim.run_for(1.0).unwrap();
    assert_eq!(t.get_write_buffer_size(), 1_000_000 - 256 * 1024);
    // The server side closes with 256 KiB unread.
    sink.0.borrow().as_ref().unwrap().close();
    run_until(&sim, 5.0, || c.is_lost());
    let e = c.lost_error().expect("a reset, not a clean end");
    assert_eq!(e.code(), Some("ECONNRESET"), "{e}");
    assert!(sim.trace().iter().any(|r| r.kind == "deliver" && r.str("msg") == Some("rst")));
}

#[test]
fn a_closing_writer_is_reset_too() {
    // The sequence's clean end: the client closes first (its buffer still
    // waits to drain), then the server side closes with data unread.
    let sim = sim(23);
    let (c, t, sink) = connected(&sim);
    t.write(&payload(600_000, 4)).unwrap();
    sim.run_for(1.0).unwrap();
    t.close();
    sink.0.borrow().as_ref().unwrap().close();
    run_until(&sim, 5.0, || c.is_lost());
    assert_eq!(c.lost_error().and_then(|e| e.code()), Some("ECONNRESET"));
    // Nothing is left waiting: the simulation runs dry.
    sim.run_for(5.0).unwrap();
    assert!(!sim.step().unwrap());
}

#[test]
fn closing_after_reading_everything_is_still_a_clean_close() {
    // Without unread data a close sends a FIN, as before.
    let sim = sim(24);
    let (c, t, sink) = connected(&sim);
    t.write(b"hello").unwrap();
    sim.run_for(1.0).unwrap();
    let st = sink.0.borrow().clone().unwrap();
    st.resume_reading();
    sim.run_for(1.0).unwrap();
    st.close();
    run_until(&sim, 5.0, || c.is_lost());
    assert!(c.lost_error().is_none(), "{:?}", c.lost_error());
    assert!(c.eof.get());
}
