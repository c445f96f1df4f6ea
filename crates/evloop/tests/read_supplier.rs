//! A protocol that supplies the memory its bytes are read into
//! (`Protocol::read_supplier`): every byte `data_received` gets lies in
//! memory the protocol lent, arrives once and in order, whatever the back
//! end (every selector, the proactor, the simulation), and leases shorter
//! than the data are filled in turn.

mod sim_util;
mod util;

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::io::Read;
use std::mem::MaybeUninit;
use std::ptr::NonNull;
use std::rc::Rc;

use evloop::{Protocol, ReadLease, ReadSupplier, Result, Transport};

/// One allocation a supplier lends parts of; freed when the supplier and
/// every lease let go of it.
struct Slab {
    base: NonNull<u8>,
    len: usize,
}

impl Slab {
    fn new(len: usize) -> Rc<Slab> {
        let memory: Box<[MaybeUninit<u8>]> = Box::new_uninit_slice(len);
        let base = NonNull::new(Box::into_raw(memory).cast::<u8>()).unwrap();
        Rc::new(Slab { base, len })
    }

    fn holds(&self, data: &[u8]) -> bool {
        let start = self.base.as_ptr() as usize;
        let p = data.as_ptr() as usize;
        p >= start && p + data.len() <= start + self.len
    }
}

impl Drop for Slab {
    fn drop(&mut self) {
        let slice = std::ptr::slice_from_raw_parts_mut(self.base.as_ptr().cast::<MaybeUninit<u8>>(), self.len);
        // SAFETY: made by Box::into_raw in `new` with this length, freed once.
        drop(unsafe { Box::from_raw(slice) });
    }
}

/// Lends a small slab part by part (as a binding lends a runtime's
/// memory), a new slab when one is used up.
struct SlabReads {
    size: usize,
    current: RefCell<Rc<Slab>>,
    used: Cell<usize>,
    every: RefCell<Vec<Rc<Slab>>>,
}

impl SlabReads {
    fn new(size: usize) -> SlabReads {
        let first = Slab::new(size);
        SlabReads { size, current: RefCell::new(first.clone()), used: Cell::new(0), every: RefCell::new(vec![first]) }
    }
}

impl ReadSupplier for SlabReads {
    fn lend(&self, max: usize) -> ReadLease {
        if self.used.get() == self.size {
            let next = Slab::new(self.size);
            self.every.borrow_mut().push(next.clone());
            *self.current.borrow_mut() = next;
            self.used.set(0);
        }
        let slab = self.current.borrow().clone();
        let used = self.used.get();
        let capacity = max.min(self.size - used);
        // SAFETY: bytes used..used+capacity of the slab, which the lease
        // keeps alive; no lease before this one covers them (`settle`
        // moves past what was filled, and nothing is lent in between).
        let base = unsafe { NonNull::new_unchecked(slab.base.as_ptr().add(used)) };
        unsafe { ReadLease::from_raw(base, capacity, slab as Rc<dyn Any>) }
    }

    fn settle(&self, lease: &ReadLease) {
        self.used.set(self.used.get() + lease.filled().len());
    }
}

/// Echoes (if asked) and records what it gets, and where it got it.
struct Supplied {
    reads: SlabReads,
    transport: RefCell<Option<Transport>>,
    data: RefCell<Vec<u8>>,
    outside: Cell<usize>,
    echo: bool,
}

impl Supplied {
    fn new(slab: usize, echo: bool) -> Rc<Supplied> {
        Rc::new(Supplied {
            reads: SlabReads::new(slab),
            transport: RefCell::default(),
            data: RefCell::default(),
            outside: Cell::new(0),
            echo,
        })
    }

    fn slabs(&self) -> usize {
        self.reads.every.borrow().len()
    }
}

impl Protocol for Supplied {
    fn connection_made(&self, t: &Transport) -> Result<()> {
        *self.transport.borrow_mut() = Some(t.clone());
        Ok(())
    }
    fn data_received(&self, data: &[u8]) -> Result<()> {
        if !self.reads.every.borrow().iter().any(|s| s.holds(data)) {
            self.outside.set(self.outside.get() + 1);
        }
        self.data.borrow_mut().extend_from_slice(data);
        if self.echo {
            if let Some(t) = &*self.transport.borrow() {
                t.write(data)?;
            }
        }
        Ok(())
    }
    fn read_supplier(&self) -> Option<&dyn ReadSupplier> {
        Some(&self.reads)
    }
}

on_every_selector! {
    fn reads_land_in_supplied_memory_in_order(lp: EventLoop) {
        let made: Rc<RefCell<Vec<Rc<Supplied>>>> = Rc::default();
        let list = made.clone();
        let factory = move || {
            let p = Supplied::new(4096, true);
            list.borrow_mut().push(p.clone());
            p as Rc<dyn Protocol>
        };
        let fut = lp.create_server(factory, Some("127.0.0.1".into()), Some(0), Default::default());
        let server = util::net::block_on(&lp, fut).unwrap();
        let addr = util::net::inet(&server.sockets()[0].getsockname().unwrap());
        let payload = sim_util::payload(300_000, 7);
        let mut c = util::net::client(addr);
        let sent = payload.clone();
        let mut writer = c.try_clone().unwrap();
        let sender = std::thread::spawn(move || util::net::send(&mut writer, &sent));
        let reader = std::thread::spawn(move || {
            let mut back = vec![0; 300_000];
            c.read_exact(&mut back).unwrap();
            back
        });
        util::net::run_until(&lp, "every byte read", || made.borrow().first().is_some_and(|p| p.data.borrow().len() == payload.len()));
        util::net::run_until(&lp, "every byte echoed", || reader.is_finished());
        sender.join().unwrap();
        assert!(reader.join().unwrap() == payload, "the echo is the payload");
        let p = made.borrow()[0].clone();
        assert!(*p.data.borrow() == payload, "bytes arrive once and in order");
        assert_eq!(p.outside.get(), 0, "every delivery lies in supplied memory");
        assert!(p.slabs() > 1, "a used-up slab is replaced");
        server.close();
    }
}

#[test]
fn the_simulation_reads_into_supplied_memory() {
    use sim_util::*;
    let sim = sim(11);
    let server = sim.host("server").unwrap();
    let client = sim.host("client").unwrap();
    let made: Rc<RefCell<Vec<Rc<Supplied>>>> = Rc::default();
    let list = made.clone();
    let create = server.create_server(
        move || {
            let p = Supplied::new(1000, false);
            list.borrow_mut().push(p.clone());
            p as Rc<dyn Protocol>
        },
        None,
        Some(80),
        Default::default(),
    );
    server.create_task(async move { std::mem::forget(create.await.expect("server")) }).unwrap();
    let c = Client::new();
    let t = sim.run_until_complete(&connect(&client, &c, "server", 80)).unwrap().unwrap();
    let data = payload(50_000, 3);
    t.write(&data).unwrap();
    run_until(&sim, 30.0, || made.borrow().first().is_some_and(|p| p.data.borrow().len() == data.len()));
    let p = made.borrow()[0].clone();
    assert!(*p.data.borrow() == data);
    assert_eq!(p.outside.get(), 0);
    assert!(p.slabs() > 1);
}
