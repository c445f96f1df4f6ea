//! A proactor whose receive blocks a binding supplies
//! (`EventLoop::proactor_with`, `transport/recv_memory.rs`): the kernel
//! writes into them, a protocol's supplier takes the pieces where they lie
//! (`ReadSupplier::adopt`) and may keep them, so a block is never handed to
//! the kernel twice; the ring grows when the kernel finds no block free; and
//! once `release_recv_memory()` returns, the kernel writes into none of
//! them again while receives go on in the loop's own memory.
//!
//! Supplied blocks are used where the kernel consumes buffers
//! incrementally (Linux 6.12); elsewhere the tests check the bytes only.

#![cfg(target_os = "linux")]

mod sim_util;
mod util;

use std::cell::{Cell, RefCell};
use std::io::Read;
use std::net::TcpStream;
use std::ptr::NonNull;
use std::rc::Rc;

use evloop::{EventLoop, HeapReads, Protocol, ReadLease, ReadSupplier, RecvBlock, RecvMemory, Result, Transport};
use util::net::*;

/// What blocks are filled with before the kernel writes into them.
const UNWRITTEN: u8 = 0xEE;

/// One supplied block's memory, freed when the ring and every keeper let go.
struct Mem {
    base: NonNull<u8>,
    len: usize,
}

impl Mem {
    fn new(len: usize) -> Rc<Mem> {
        let memory = vec![UNWRITTEN; len].into_boxed_slice();
        let base = NonNull::new(Box::into_raw(memory).cast::<u8>()).unwrap();
        Rc::new(Mem { base, len })
    }

    /// Whether no byte differs from `UNWRITTEN`.
    fn unwritten(&self) -> bool {
        // SAFETY: `len` bytes at `base`, alive with `self`; read with
        // volatile loads, as the kernel may write them (the test checks it
        // does not).
        (0..self.len).all(|i| unsafe { std::ptr::read_volatile(self.base.as_ptr().add(i)) } == UNWRITTEN)
    }

    fn fill_unwritten(&self) {
        // SAFETY: as in `unwritten`.
        unsafe { std::ptr::write_bytes(self.base.as_ptr(), UNWRITTEN, self.len) };
    }
}

impl Drop for Mem {
    fn drop(&mut self) {
        let slice = std::ptr::slice_from_raw_parts_mut(self.base.as_ptr(), self.len);
        // SAFETY: made by Box::into_raw in `new` with this length, freed once.
        drop(unsafe { Box::from_raw(slice) });
    }
}

/// Supplies blocks and remembers each.
#[derive(Default)]
struct Supply {
    made: RefCell<Vec<Rc<Mem>>>,
}

/// The loop's handle on the test's `Supply`.
struct Supplier(Rc<Supply>);

impl Supply {
    fn count(&self) -> usize {
        self.made.borrow().len()
    }
    /// Blocks something besides this list still holds (the ring, a keeper).
    fn held(&self) -> usize {
        self.made.borrow().iter().filter(|m| Rc::strong_count(m) > 1).count()
    }
}

impl RecvMemory for Supplier {
    fn block(&self, len: usize) -> Option<RecvBlock> {
        let mem = Mem::new(len);
        self.0.made.borrow_mut().push(mem.clone());
        let base = mem.base;
        // SAFETY: `len` bytes at `base`, kept by `mem` inside the block.
        Some(unsafe { RecvBlock::from_raw(base, len, Box::new(mem)) })
    }
}

/// Takes the pieces in blocks where they lie and (if asked) keeps them.
#[derive(Default)]
struct Adopter {
    keep: bool,
    /// The piece adopted last, until `data_received` has it.
    last: RefCell<Option<(Rc<RecvBlock>, usize, usize)>>,
    /// Every piece in order: where it lies (adopted), or a copy.
    kept: RefCell<Vec<Kept>>,
    adopted: Cell<usize>,
    copied: Cell<usize>,
}

impl ReadSupplier for Adopter {
    fn lend(&self, max: usize) -> ReadLease {
        HeapReads.lend(max)
    }
    fn release(&self, lease: ReadLease) {
        HeapReads.release(lease);
    }
    fn adopt(&self, bytes: &[u8], block: &Rc<RecvBlock>) -> bool {
        if block.keep().downcast_ref::<Rc<Mem>>().is_none() {
            return false;
        }
        let offset = block.offset_of(bytes).expect("the bytes lie in their block");
        *self.last.borrow_mut() = Some((block.clone(), offset, bytes.len()));
        true
    }
}

enum Kept {
    InBlock(Rc<RecvBlock>, usize, usize),
    Copy(Vec<u8>),
}

/// Records the bytes, and where they were.
#[derive(Default)]
struct Keeper {
    reads: Adopter,
    transport: RefCell<Option<Transport>>,
    data: RefCell<Vec<u8>>,
    /// Pauses reading after each piece (the test resumes it).
    pauses: bool,
}

impl Protocol for Keeper {
    fn connection_made(&self, t: &Transport) -> Result<()> {
        *self.transport.borrow_mut() = Some(t.clone());
        Ok(())
    }
    fn data_received(&self, data: &[u8]) -> Result<()> {
        let r = &self.reads;
        match r.last.borrow_mut().take() {
            Some((block, offset, len)) => {
                assert!(std::ptr::eq(unsafe { block.as_ptr().add(offset) }, data.as_ptr()) && len == data.len());
                r.adopted.set(r.adopted.get() + data.len());
                if r.keep {
                    r.kept.borrow_mut().push(Kept::InBlock(block, offset, len));
                }
            }
            None => {
                r.copied.set(r.copied.get() + data.len());
                if r.keep {
                    r.kept.borrow_mut().push(Kept::Copy(data.to_vec()));
                }
            }
        }
        self.data.borrow_mut().extend_from_slice(data);
        if self.pauses {
            self.transport.borrow().as_ref().unwrap().pause_reading();
        }
        Ok(())
    }
    fn read_supplier(&self) -> Option<&dyn ReadSupplier> {
        Some(&self.reads)
    }
}

impl Keeper {
    /// The kept pieces, those in blocks read again now.
    fn kept_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for piece in self.reads.kept.borrow().iter() {
            match piece {
                // SAFETY: a delivered piece of a block this keeper holds.
                Kept::InBlock(block, offset, len) => {
                    out.extend_from_slice(unsafe { std::slice::from_raw_parts(block.as_ptr().add(*offset), *len) })
                }
                Kept::Copy(bytes) => out.extend_from_slice(bytes),
            }
        }
        out
    }
}

struct Setup {
    lp: EventLoop,
    supply: Rc<Supply>,
    made: Rc<RefCell<Vec<Rc<Keeper>>>>,
    addr: std::net::SocketAddr,
    server: evloop::Server,
}

fn setup(keep: bool, pauses: bool) -> Setup {
    let supply = Rc::new(Supply::default());
    let lp = EventLoop::proactor_with(Some(Rc::new(Supplier(supply.clone())))).unwrap();
    let made: Rc<RefCell<Vec<Rc<Keeper>>>> = Rc::default();
    let list = made.clone();
    let factory = move || {
        let p = Rc::new(Keeper { reads: Adopter { keep, ..Default::default() }, pauses, ..Default::default() });
        list.borrow_mut().push(p.clone());
        p as Rc<dyn Protocol>
    };
    let opts = evloop::ServerOptions { backlog: 256, ..Default::default() };
    let server = block_on(&lp, lp.create_server(factory, Some("127.0.0.1".into()), Some(0), opts)).unwrap();
    let addr = inet(&server.sockets()[0].getsockname().unwrap());
    Setup { lp, supply, made, addr, server }
}

/// Sends `payloads[i]` on client `i`, each from a thread of its own, while
/// the loop runs until every protocol has all its bytes (`watch` runs
/// after each iteration).
fn send_all(s: &Setup, payloads: &[Vec<u8>], mut watch: impl FnMut()) -> Vec<TcpStream> {
    let clients: Vec<TcpStream> = payloads.iter().map(|_| client(s.addr)).collect();
    run_until(&s.lp, "every connection accepted", || s.made.borrow().len() == payloads.len());
    let senders: Vec<_> = clients
        .iter()
        .zip(payloads)
        .map(|(c, p)| {
            let (mut w, p) = (c.try_clone().unwrap(), p.clone());
            std::thread::spawn(move || send(&mut w, &p))
        })
        .collect();
    let total: usize = payloads.iter().map(Vec::len).sum();
    run_until(&s.lp, "every byte received", || {
        watch();
        s.made.borrow().iter().map(|p| p.data.borrow().len()).sum::<usize>() == total
    });
    for t in senders {
        t.join().unwrap();
    }
    clients
}

/// The protocols in the order of `payloads` (matched by their first bytes).
fn by_payload(s: &Setup, payloads: &[Vec<u8>]) -> Vec<Rc<Keeper>> {
    payloads
        .iter()
        .map(|p| s.made.borrow().iter().find(|k| k.data.borrow()[..16] == p[..16]).cloned().expect("a protocol per client"))
        .collect()
}

#[test]
fn kept_pieces_stay_intact_and_blocks_are_never_reused() {
    let s = setup(true, false);
    let payloads: Vec<Vec<u8>> = (0..10).map(|i| sim_util::payload(2_000_000 + i * 7_919, i as u8 + 1)).collect();
    let _clients = send_all(&s, &payloads, || {});
    let protocols = by_payload(&s, &payloads);
    for (p, sent) in protocols.iter().zip(&payloads) {
        assert!(*p.data.borrow() == *sent, "bytes arrive once and in order");
    }
    if s.supply.count() == 0 {
        eprintln!("no supplied blocks here (the kernel consumes provided buffers whole): bytes checked only");
        return;
    }
    let (adopted, copied): (usize, usize) = protocols.iter().map(|p| (p.reads.adopted.get(), p.reads.copied.get())).fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    // A receive that finds every block taken goes into the transport's own
    // buffer (and the protocol gets a copy); the ring grows to make that rare.
    assert!(copied * 10 < adopted, "most bytes were taken where the kernel wrote them ({adopted} adopted, {copied} copied)");
    for (p, sent) in protocols.iter().zip(&payloads) {
        assert!(p.kept_bytes() == *sent, "no kept piece was written again");
    }
    // 20 MB through blocks of 64 KiB, more than the 256 the ring can hold:
    // each block went to the kernel once, and the ring took new ones in
    // their place.
    assert!(s.supply.count() > 256, "blocks were replaced, not reused: {} made", s.supply.count());
    s.server.close();
}

#[test]
fn pieces_received_while_paused_are_delivered_where_they_lie() {
    // The protocol pauses after every piece and the test resumes it after
    // every iteration: what the multishot receive brings between the pause
    // and its end is kept until the resume, each piece in its block (the
    // ring's buffer back to the kernel at once).
    let s = setup(true, true);
    let payloads = vec![sim_util::payload(3_000_000, 9)];
    let mut resumes = 0;
    let _clients = send_all(&s, &payloads, || {
        for p in s.made.borrow().iter() {
            let t = p.transport.borrow().clone();
            if let Some(t) = t.filter(|t| !t.is_reading()) {
                t.resume_reading();
                resumes += 1;
            }
        }
    });
    let p = by_payload(&s, &payloads).remove(0);
    assert!(*p.data.borrow() == payloads[0], "bytes arrive once and in order");
    if s.supply.count() == 0 {
        eprintln!("no supplied blocks here: bytes checked only");
        return;
    }
    assert!(resumes > 10, "reading was paused and resumed again and again ({resumes})");
    assert_eq!(p.reads.copied.get(), 0, "no piece was copied, those kept while paused included");
    assert!(p.kept_bytes() == payloads[0], "no kept piece was written again");
    s.server.close();
}

#[test]
fn the_ring_grows_when_the_kernel_finds_no_block_free() {
    let s = setup(false, false);
    let payloads: Vec<Vec<u8>> = (0..100).map(|i| sim_util::payload(400_000, i as u8 + 100)).collect();
    let mut most_held = 0;
    let _clients = send_all(&s, &payloads, || most_held = most_held.max(s.supply.held()));
    for (p, sent) in by_payload(&s, &payloads).iter().zip(&payloads) {
        assert!(*p.data.borrow() == *sent, "bytes arrive once and in order");
    }
    if s.supply.count() == 0 {
        eprintln!("no supplied blocks here: bytes checked only");
        return;
    }
    // 40 MB from 100 senders at once, against 64 blocks of 64 KiB.
    assert!(most_held > 64, "the ring grew past its first 64 blocks (held at most {most_held})");
    assert!(most_held <= 256, "and no further than its 256 descriptors (held {most_held})");
    s.server.close();
}

#[test]
fn released_blocks_are_never_written_again_and_reads_go_on() {
    let s = setup(false, false);
    let first = sim_util::payload(300_000, 5);
    let mut clients = send_all(&s, std::slice::from_ref(&first), || {});
    let supplied = s.supply.count();
    s.lp.release_recv_memory();
    for m in s.supply.made.borrow().iter() {
        m.fill_unwritten();
    }
    let more = sim_util::payload(2_000_000, 6);
    let mut writer = clients[0].try_clone().unwrap();
    let sent = more.clone();
    let sender = std::thread::spawn(move || send(&mut writer, &sent));
    let p = s.made.borrow()[0].clone();
    let total = first.len() + more.len();
    run_until(&s.lp, "every later byte received", || p.data.borrow().len() == total);
    sender.join().unwrap();
    let data = p.data.borrow();
    assert!(data[..first.len()] == first[..] && data[first.len()..] == more[..], "bytes arrive once and in order");
    if supplied == 0 {
        eprintln!("no supplied blocks here: bytes checked only");
        return;
    }
    assert!(p.reads.copied.get() >= more.len(), "later bytes came through the loop's own memory");
    let written = s.supply.made.borrow().iter().filter(|m| !m.unwritten()).count();
    assert_eq!(written, 0, "no supplied block was written after release_recv_memory()");
    // The connection still works both ways afterwards.
    let t = p.transport.borrow().clone().unwrap();
    t.write(b"still here").unwrap();
    let mut back = [0u8; 10];
    run_until(&s.lp, "the write sent", || t.get_write_buffer_size() == 0);
    clients[0].read_exact(&mut back).unwrap();
    assert_eq!(&back, b"still here");
    s.server.close();
}
