//! A recording subprocess protocol and helpers for tests with real children.
#![allow(dead_code)]

use std::cell::RefCell;
use std::ffi::OsString;
use std::rc::Rc;

use evloop::subprocess::{SubprocessOptions, SubprocessProtocol, SubprocessTransport};
use evloop::{Error, EventLoop};

/// One call a recording subprocess protocol got.
#[derive(Clone, Debug, PartialEq)]
pub enum PEv {
    Made,
    Data(i32, Vec<u8>),
    PipeLost(i32, Option<String>),
    Exited,
    Lost,
}

#[derive(Default, Debug)]
pub struct ProcRecorder {
    pub events: RefCell<Vec<PEv>>,
    pub transport: RefCell<Option<SubprocessTransport>>,
}

impl ProcRecorder {
    pub fn events(&self) -> Vec<PEv> {
        self.events.borrow().clone()
    }
    /// Everything received on `fd`.
    pub fn output(&self, fd: i32) -> Vec<u8> {
        self.events
            .borrow()
            .iter()
            .filter_map(|e| match e {
                PEv::Data(f, d) if *f == fd => Some(d.clone()),
                _ => None,
            })
            .flatten()
            .collect()
    }
    pub fn received(&self, fd: i32) -> usize {
        self.events.borrow().iter().map(|e| if let PEv::Data(f, d) = e { if *f == fd { d.len() } else { 0 } } else { 0 }).sum()
    }
    pub fn lost(&self) -> bool {
        self.events.borrow().contains(&PEv::Lost)
    }
    /// The events without the data, for order checks.
    pub fn shape(&self) -> Vec<PEv> {
        let mut out: Vec<PEv> = Vec::new();
        for e in self.events() {
            let e = if let PEv::Data(fd, _) = e { PEv::Data(fd, Vec::new()) } else { e };
            if out.last() != Some(&e) {
                out.push(e);
            }
        }
        out
    }
}

impl SubprocessProtocol for ProcRecorder {
    fn connection_made(&self, t: &SubprocessTransport) -> evloop::Result<()> {
        self.events.borrow_mut().push(PEv::Made);
        *self.transport.borrow_mut() = Some(t.clone());
        Ok(())
    }
    fn pipe_data_received(&self, fd: i32, data: &[u8]) -> evloop::Result<()> {
        self.events.borrow_mut().push(PEv::Data(fd, data.to_vec()));
        Ok(())
    }
    fn pipe_connection_lost(&self, fd: i32, exc: Option<Error>) -> evloop::Result<()> {
        self.events.borrow_mut().push(PEv::PipeLost(fd, exc.map(|e| e.to_string())));
        Ok(())
    }
    fn process_exited(&self) -> evloop::Result<()> {
        self.events.borrow_mut().push(PEv::Exited);
        Ok(())
    }
    fn connection_lost(&self, _exc: Option<Error>) -> evloop::Result<()> {
        self.events.borrow_mut().push(PEv::Lost);
        Ok(())
    }
}

pub fn args(a: &[&str]) -> Vec<OsString> {
    a.iter().map(OsString::from).collect()
}

/// Starts `program args` and waits until it is connected.
pub fn exec(lp: &EventLoop, program: &str, a: &[&str], opts: SubprocessOptions) -> (SubprocessTransport, Rc<ProcRecorder>) {
    try_exec(lp, program, a, opts).unwrap()
}

pub fn try_exec(
    lp: &EventLoop,
    program: &str,
    a: &[&str],
    opts: SubprocessOptions,
) -> Result<(SubprocessTransport, Rc<ProcRecorder>), (String, String)> {
    let rec = Rc::new(ProcRecorder::default());
    let r2 = rec.clone();
    let fut = lp.subprocess_exec(move || Ok(r2), program, &args(a), opts);
    let task = lp.create_task(async move { fut.await.map(|(t, _)| t).map_err(|e| (e.name().to_string(), e.to_string())) }).unwrap();
    let t = lp.run_until_complete(&task).unwrap()?;
    Ok((t, rec))
}

/// Waits for the transport's `wait()` on the loop.
pub fn wait(lp: &EventLoop, t: &SubprocessTransport) -> i32 {
    let w = t.wait();
    let task = lp.create_task(async move { w.await.unwrap() }).unwrap();
    lp.run_until_complete(&task).unwrap()
}

/// Whether `pid` is a zombie child of this process (or still exists).
pub fn zombie(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => false,
        Ok(stat) => {
            // "pid (comm) S ppid ...": the state follows the last ')'.
            let rest = &stat[stat.rfind(')').unwrap() + 2..];
            let mut parts = rest.split(' ');
            let state = parts.next().unwrap();
            let ppid: i32 = parts.next().unwrap().parse().unwrap();
            state == "Z" && ppid == std::process::id() as i32
        }
    }
}
