//! Many connections at once on one proactor loop: more operations in
//! flight and more completions per iteration than the ring's queues hold
//! (1024 submissions, 2048 completions), every byte echoed back in order.

#![cfg(target_os = "linux")]

mod util;

use std::cell::RefCell;
use std::rc::Rc;

use evloop::{EventLoop, Protocol, Transport};
use util::net::*;

/// A client that sends `rounds` messages one after the other, each once
/// the previous one came back.
struct Pinger {
    id: usize,
    rounds: usize,
    sent: RefCell<usize>,
    got: RefCell<Vec<u8>>,
    transport: RefCell<Option<Transport>>,
    done: Rc<RefCell<usize>>,
}

impl Pinger {
    fn message(&self, round: usize) -> Vec<u8> {
        format!("{}:{}|", self.id, round).into_bytes().repeat(40)
    }
}

impl Protocol for Pinger {
    fn connection_made(&self, t: &Transport) -> evloop::Result<()> {
        *self.transport.borrow_mut() = Some(t.clone());
        t.write(&self.message(0))?;
        *self.sent.borrow_mut() = 1;
        Ok(())
    }
    fn data_received(&self, data: &[u8]) -> evloop::Result<()> {
        self.got.borrow_mut().extend_from_slice(data);
        let expected: Vec<u8> = (0..*self.sent.borrow()).flat_map(|r| self.message(r)).collect();
        if self.got.borrow().len() == expected.len() {
            assert!(*self.got.borrow() == expected, "echo of client {} in order", self.id);
            let t = self.transport.borrow().clone().unwrap();
            if *self.sent.borrow() == self.rounds {
                t.close();
                *self.done.borrow_mut() += 1;
            } else {
                let n = *self.sent.borrow();
                t.write(&self.message(n))?;
                *self.sent.borrow_mut() += 1;
            }
        }
        Ok(())
    }
}

#[test]
fn more_connections_than_the_queues_hold() {
    let clients = 1500;
    let lp = EventLoop::proactor().unwrap();
    let made = Made::default();
    let (server, addr) =
        serve_with(&lp, &made, || Recorder { echo: true, ..Default::default() }, evloop::ServerOptions { backlog: 2048, ..Default::default() });
    let done = Rc::new(RefCell::new(0usize));
    let mut tasks = Vec::new();
    for id in 0..clients {
        let d = done.clone();
        let fut = lp.create_connection(
            move || Rc::new(Pinger { id, rounds: 5, sent: RefCell::new(0), got: RefCell::new(Vec::new()), transport: RefCell::new(None), done: d }) as Rc<dyn Protocol>,
            Some("127.0.0.1".into()),
            Some(addr.port()),
            Default::default(),
        );
        tasks.push(lp.create_task(async move { fut.await.map(|_| ()) }).unwrap());
    }
    run_until(&lp, "every client done", || *done.borrow() == clients);
    for t in &tasks {
        assert!(t.done() && t.result().is_ok());
    }
    run_until(&lp, "server side closed", || server.client_count() == 0);
    assert_eq!(made.len(), clients);
    let closed = server.close_and_wait();
    lp.run_until_complete(&closed).unwrap();
    run_until(&lp, "nothing in flight", || lp.proactor_in_flight() == 0);
    lp.close().unwrap();
}
