//! Helpers for tests over real loopback sockets.
#![allow(dead_code)]

use std::cell::RefCell;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::rc::Rc;
use std::time::{Duration, Instant};

use evloop::{Address, Error, EventLoop, Protocol, Server, Transport};

/// Runs one iteration at a time until `done()` holds. The deadline only
/// guards against a hang (it fails the test); it asserts nothing about speed.
pub fn run_until(lp: &EventLoop, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "hung waiting for: {what}");
        super::run_once_waiting(lp);
    }
}

/// Runs `n` iterations.
pub fn iterate(lp: &EventLoop, n: usize) {
    for _ in 0..n {
        super::run_once(lp);
    }
}

/// One event a recording protocol saw.
#[derive(Clone, Debug, PartialEq)]
pub enum Ev {
    Made,
    Data(Vec<u8>),
    Eof,
    Lost(Option<String>),
    PauseWriting,
    ResumeWriting,
}

/// A protocol that records what happens to it and keeps its transport.
#[derive(Default)]
pub struct Recorder {
    pub events: RefCell<Vec<Ev>>,
    pub transport: RefCell<Option<Transport>>,
    /// What `eof_received` returns.
    pub keep_open: bool,
    /// Makes `data_received` fail with this error.
    pub fail_on_data: Option<Error>,
    /// Echo data back.
    pub echo: bool,
}

impl Recorder {
    pub fn events(&self) -> Vec<Ev> {
        self.events.borrow().clone()
    }
    pub fn transport(&self) -> Transport {
        self.transport.borrow().clone().expect("connection_made ran")
    }
    pub fn data(&self) -> Vec<u8> {
        self.events.borrow().iter().filter_map(|e| if let Ev::Data(d) = e { Some(d.clone()) } else { None }).flatten().collect()
    }
    pub fn lost(&self) -> bool {
        self.events.borrow().iter().any(|e| matches!(e, Ev::Lost(_)))
    }
}

impl Protocol for Recorder {
    fn connection_made(&self, t: &Transport) -> evloop::Result<()> {
        self.events.borrow_mut().push(Ev::Made);
        *self.transport.borrow_mut() = Some(t.clone());
        Ok(())
    }
    fn data_received(&self, data: &[u8]) -> evloop::Result<()> {
        self.events.borrow_mut().push(Ev::Data(data.to_vec()));
        if let Some(e) = &self.fail_on_data {
            return Err(e.clone());
        }
        if self.echo {
            self.transport().write(data)?;
        }
        Ok(())
    }
    fn eof_received(&self) -> evloop::Result<bool> {
        self.events.borrow_mut().push(Ev::Eof);
        Ok(self.keep_open)
    }
    fn connection_lost(&self, exc: Option<Error>) -> evloop::Result<()> {
        self.events.borrow_mut().push(Ev::Lost(exc.map(|e| e.to_string())));
        Ok(())
    }
    fn pause_writing(&self) -> evloop::Result<()> {
        self.events.borrow_mut().push(Ev::PauseWriting);
        Ok(())
    }
    fn resume_writing(&self) -> evloop::Result<()> {
        self.events.borrow_mut().push(Ev::ResumeWriting);
        Ok(())
    }
}

/// The server-side protocols a factory made, in order.
#[derive(Clone, Default)]
pub struct Made(pub Rc<RefCell<Vec<Rc<Recorder>>>>);

impl Made {
    pub fn factory(&self, make: impl Fn() -> Recorder + 'static) -> impl Fn() -> Rc<dyn Protocol> + 'static {
        let list = self.0.clone();
        move || {
            let p = Rc::new(make());
            list.borrow_mut().push(p.clone());
            p as Rc<dyn Protocol>
        }
    }
    pub fn len(&self) -> usize {
        self.0.borrow().len()
    }
    pub fn get(&self, i: usize) -> Rc<Recorder> {
        self.0.borrow()[i].clone()
    }
    /// Runs `lp` until the factory has made exactly `count` protocols and
    /// the last has its transport (`connection_made` ran), and returns that
    /// protocol; `what` names the wait in a timeout's panic.
    pub fn wait_connected(&self, lp: &EventLoop, count: usize, what: &str) -> Rc<Recorder> {
        run_until(lp, what, || self.len() == count && self.get(count - 1).transport.borrow().is_some());
        self.get(count - 1)
    }
}

/// Runs a future to completion on the loop as a task.
pub fn block_on<T: Clone + 'static>(lp: &EventLoop, fut: impl std::future::Future<Output = T> + 'static) -> T {
    let task = lp.create_task(fut).unwrap();
    lp.run_until_complete(&task).unwrap()
}

/// `create_server` on 127.0.0.1 with an ephemeral port.
pub fn serve(lp: &EventLoop, made: &Made, make: impl Fn() -> Recorder + 'static) -> (Server, SocketAddr) {
    serve_with(lp, made, make, Default::default())
}

pub fn serve_with(
    lp: &EventLoop,
    made: &Made,
    make: impl Fn() -> Recorder + 'static,
    opts: evloop::ServerOptions,
) -> (Server, SocketAddr) {
    let fut = lp.create_server(made.factory(make), Some("127.0.0.1".into()), Some(0), opts);
    let server = block_on(lp, fut).unwrap();
    let addr = inet(&server.sockets()[0].getsockname().unwrap());
    (server, addr)
}

pub fn inet(a: &Address) -> SocketAddr {
    match a {
        Address::Inet(s) => *s,
        other => panic!("not an IP address: {other:?}"),
    }
}

/// A plain blocking client (independent of the loop under test).
pub fn client(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s
}

/// Reads what the client has received so far without blocking.
pub fn read_available(s: &mut TcpStream) -> (Vec<u8>, bool) {
    s.set_nonblocking(true).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    let mut eof = false;
    loop {
        match s.read(&mut buf) {
            Ok(0) => {
                eof = true;
                break;
            }
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(_) => {
                eof = true;
                break;
            }
        }
    }
    s.set_nonblocking(false).unwrap();
    (out, eof)
}

pub fn send(s: &mut TcpStream, data: &[u8]) {
    s.write_all(data).unwrap();
}

/// Number of open fds of this process.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}
