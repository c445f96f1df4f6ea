//! Fuzz target `stream_reader`: asyncio's `StreamReader` under arbitrary
//! chunking.
//!
//! The input is decoded into a reader `limit` and a list of operations:
//! `feed_data` of a chunk (of any size, empty included), `feed_eof`,
//! `set_exception`, the reads (`readline`, `readuntil` with one or several
//! separators, `readexactly(n)`, `read(n)`, negative sizes included) and
//! cancelling the read that waits. Each read runs as a task on a
//! virtual-time loop, which is run until nothing is ready before the next
//! operation. A model written from CPython 3.13's `asyncio/streams.py` (a
//! plain `Vec<u8>`, the same checks in the same order, the waiting read's
//! `offset` kept across wake-ups) predicts every outcome: the bytes, the
//! error class and its fields, and the buffer left. Any difference, and
//! any panic, is a failure.
//!
//! This file only uses `evloop` and `std`: the fuzz crate compiles it as
//! a module, and so does `crates/evloop/tests/hardening_fuzz.rs` (regression
//! inputs and a short seeded run in the normal test suite).

use std::cell::RefCell;
use std::rc::Rc;

use evloop::{Error, EventLoop, StreamReader, Task};

/// At most this many operations per input (the input may be longer).
const MAX_OPS: usize = 200;

/// The bytes chunks are made of: separators are likely.
const ALPHABET: &[u8] = b"ab\n\rx\0";

/// Runs one input; panics on any divergence from the model.
pub fn run(data: &[u8]) {
    LOOP.with(|lp| Harness::new(lp, data).run());
}

thread_local! {
    /// One virtual-time loop per thread, reused by every input (no fds).
    static LOOP: EventLoop = EventLoop::virtual_time();
}

/// Reads the input a byte at a time; 0 once it is exhausted.
struct Input<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }
    fn done(&self) -> bool {
        self.pos >= self.data.len()
    }
    fn chunk(&mut self, max: usize) -> Vec<u8> {
        let len = self.byte() as usize % (max + 1);
        (0..len)
            .map(|_| {
                let b = self.byte();
                if b & 0x80 != 0 { b } else { ALPHABET[b as usize % ALPHABET.len()] }
            })
            .collect()
    }
}

/// A read operation.
#[derive(Clone, Debug)]
enum Read {
    Line,
    Until(Vec<Vec<u8>>),
    Exactly(isize),
    Some(isize),
}

impl Read {
    fn decode(kind: u8, input: &mut Input<'_>) -> Read {
        match kind {
            0 => Read::Line,
            1 => {
                // 0 separators (an error), mostly 1, sometimes 2 or 3; a
                // separator may be empty (an error).
                let count = [1, 1, 1, 2, 2, 3, 0, 1][input.byte() as usize % 8];
                Read::Until((0..count).map(|_| input.chunk(3)).collect())
            }
            2 => Read::Exactly(input.byte() as isize % 72 - 4),
            _ => Read::Some(input.byte() as isize % 72 - 3),
        }
    }
}

/// What a read ended with, comparable between the loop and the model.
#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    Data(Vec<u8>),
    Incomplete { partial: Vec<u8>, expected: Option<usize> },
    Overrun { message: String, consumed: usize },
    /// Any other error, as "Class: message".
    Error(String),
}

impl Outcome {
    fn of(result: evloop::Result<Vec<u8>>) -> Outcome {
        match result {
            Ok(d) => Outcome::Data(d),
            Err(Error::IncompleteRead { partial, expected }) => Outcome::Incomplete { partial, expected },
            Err(Error::LimitOverrun { message, consumed }) => Outcome::Overrun { message, consumed },
            Err(e) => Outcome::Error(e.to_string()),
        }
    }
    fn err(e: &Error) -> Outcome {
        Outcome::Error(e.to_string())
    }
}

// ------------------------------------------------------------------ model

/// What `_wait_for_data` would be reached by: the read waits.
enum Step {
    Done(Outcome),
    Wait,
}

/// A read in progress in the model, with the state its coroutine keeps
/// across waits.
struct Pending {
    op: usize,
    read: Read,
    /// `readuntil`'s `offset` (bytes known to hold no separator).
    offset: usize,
    /// `read(-1)`'s blocks so far.
    blocks: Vec<u8>,
}

struct Model {
    limit: usize,
    buf: Vec<u8>,
    eof: bool,
    exception: Option<Error>,
    pending: Option<Pending>,
}

impl Model {
    /// Starts a read: the checks a coroutine makes before its first wait.
    /// `Err` is an outcome reached before the loop part.
    fn start(&self, read: &Read) -> Result<(), Outcome> {
        let exc = || self.exception.as_ref().map(Outcome::err);
        match read {
            Read::Line => exc().map_or(Ok(()), Err),
            Read::Until(seps) => {
                if seps.is_empty() {
                    return Err(Outcome::err(&Error::Value("Separator should contain at least one element".into())));
                }
                if seps.iter().any(Vec::is_empty) {
                    return Err(Outcome::err(&Error::Value("Separator should be at least one-byte string".into())));
                }
                exc().map_or(Ok(()), Err)
            }
            Read::Exactly(n) => {
                if *n < 0 {
                    return Err(Outcome::err(&Error::Value("readexactly size can not be less than zero".into())));
                }
                if let Some(e) = exc() {
                    return Err(e);
                }
                if *n == 0 {
                    return Err(Outcome::Data(Vec::new()));
                }
                Ok(())
            }
            Read::Some(n) => {
                if let Some(e) = exc() {
                    return Err(e);
                }
                if *n == 0 {
                    return Err(Outcome::Data(Vec::new()));
                }
                Ok(())
            }
        }
    }

    /// The loop part of a read, up to its next wait (or its end).
    fn step(&mut self, p: &mut Pending) -> Step {
        match p.read.clone() {
            Read::Line => match self.until(&[b"\n".to_vec()], &mut p.offset) {
                Step::Done(Outcome::Incomplete { partial, .. }) => Step::Done(Outcome::Data(partial)),
                Step::Done(Outcome::Overrun { message, consumed }) => {
                    if self.buf.get(consumed..).is_some_and(|rest| rest.starts_with(b"\n")) {
                        self.buf.drain(..consumed + 1);
                    } else {
                        self.buf.clear();
                    }
                    Step::Done(Outcome::err(&Error::Value(message)))
                }
                other => other,
            },
            Read::Until(seps) => self.until(&seps, &mut p.offset),
            Read::Exactly(n) => {
                let n = n as usize;
                if self.buf.len() >= n {
                    return Step::Done(Outcome::Data(self.buf.drain(..n).collect()));
                }
                if self.eof {
                    let partial = std::mem::take(&mut self.buf);
                    return Step::Done(Outcome::Incomplete { partial, expected: Some(n) });
                }
                Step::Wait
            }
            Read::Some(n) if n > 0 => {
                if self.buf.is_empty() && !self.eof {
                    return Step::Wait;
                }
                let k = (n as usize).min(self.buf.len());
                Step::Done(Outcome::Data(self.buf.drain(..k).collect()))
            }
            Read::Some(_) => loop {
                // read(-1): read(limit) until an empty block.
                if let Some(e) = &self.exception {
                    return Step::Done(Outcome::err(e));
                }
                if self.buf.is_empty() && !self.eof {
                    return Step::Wait;
                }
                let k = self.limit.min(self.buf.len());
                if k == 0 {
                    return Step::Done(Outcome::Data(std::mem::take(&mut p.blocks)));
                }
                p.blocks.extend(self.buf.drain(..k));
            },
        }
    }

    /// `readuntil`'s loop (CPython 3.13, separators sorted by length).
    fn until(&mut self, seps: &[Vec<u8>], offset: &mut usize) -> Step {
        let mut seps = seps.to_vec();
        seps.sort_by_key(Vec::len);
        let min = seps[0].len();
        let max = seps[seps.len() - 1].len();
        if self.buf.len() >= *offset + min {
            let mut found: Option<(usize, usize)> = None;
            for sep in &seps {
                let last = self.buf.len().checked_sub(sep.len());
                let hit = last.and_then(|last| (*offset..=last).find(|&i| self.buf[i..].starts_with(sep)));
                if let Some(i) = hit {
                    let end = i + sep.len();
                    if found.is_none_or(|(_, e)| end < e) {
                        found = Some((i, end));
                    }
                }
            }
            if let Some((start, end)) = found {
                if start > self.limit {
                    return Step::Done(Outcome::Overrun {
                        message: "Separator is found, but chunk is longer than limit".into(),
                        consumed: start,
                    });
                }
                return Step::Done(Outcome::Data(self.buf.drain(..end).collect()));
            }
            *offset = (self.buf.len() + 1).saturating_sub(max);
            if *offset > self.limit {
                return Step::Done(Outcome::Overrun {
                    message: "Separator is not found, and chunk exceed the limit".into(),
                    consumed: *offset,
                });
            }
        }
        if self.eof {
            return Step::Done(Outcome::Incomplete { partial: std::mem::take(&mut self.buf), expected: None });
        }
        Step::Wait
    }

    /// The waiting read resumes (after `feed_data`/`feed_eof`).
    fn wake(&mut self, outcomes: &mut [Option<Outcome>]) {
        if let Some(mut p) = self.pending.take() {
            match self.step(&mut p) {
                Step::Done(o) => outcomes[p.op] = Some(o),
                Step::Wait => self.pending = Some(p),
            }
        }
    }
}

fn wait_name(read: &Read) -> &'static str {
    match read {
        Read::Line | Read::Until(_) => "readuntil",
        Read::Exactly(_) => "readexactly",
        Read::Some(_) => "read",
    }
}

// ------------------------------------------------------------------ harness

struct Harness<'a> {
    lp: EventLoop,
    input: Input<'a>,
    reader: StreamReader,
    model: Model,
    tasks: Vec<Option<Task<evloop::Result<Vec<u8>>>>>,
    /// The model's outcome of each read, once it has one.
    expected: Vec<Option<Outcome>>,
    /// Operations so far, for the failure message.
    log: Rc<RefCell<Vec<String>>>,
}

impl<'a> Harness<'a> {
    fn new(lp: &EventLoop, data: &'a [u8]) -> Harness<'a> {
        let mut input = Input { data, pos: 0 };
        let limit = match input.byte() % 4 {
            0 => 1 + input.byte() as usize % 8,
            1 => 1 + input.byte() as usize % 64,
            2 => 1 + input.byte() as usize,
            _ if input.byte() % 2 == 0 => evloop::DEFAULT_LIMIT,
            _ => usize::MAX,
        };
        let reader = StreamReader::with_limit(lp, limit).expect("limit > 0");
        let model = Model { limit, buf: Vec::new(), eof: false, exception: None, pending: None };
        Harness {
            lp: lp.clone(),
            input,
            reader,
            model,
            tasks: Vec::new(),
            expected: Vec::new(),
            log: Rc::new(RefCell::new(vec![format!("limit={limit}")])),
        }
    }

    fn run(mut self) {
        for _ in 0..MAX_OPS {
            if self.input.done() {
                break;
            }
            let op = self.input.byte();
            match op % 12 {
                0..=3 => {
                    let chunk = self.input.chunk(if op & 0x40 != 0 { 200 } else { 24 });
                    if self.model.eof {
                        continue; // feed_data after feed_eof is asyncio's assertion
                    }
                    self.note(format!("feed_data({:?})", String::from_utf8_lossy(&chunk)));
                    self.reader.feed_data(&chunk);
                    if !chunk.is_empty() {
                        self.model.buf.extend_from_slice(&chunk);
                        self.model.wake(&mut self.expected);
                    }
                }
                4 => {
                    self.note("feed_eof()".into());
                    self.reader.feed_eof();
                    self.model.eof = true;
                    self.model.wake(&mut self.expected);
                }
                5 => {
                    let exc = Error::Runtime(format!("boom {}", self.tasks.len()));
                    self.note(format!("set_exception({exc})"));
                    self.reader.set_exception(exc.clone());
                    self.model.exception = Some(exc.clone());
                    if let Some(p) = self.model.pending.take() {
                        self.expected[p.op] = Some(Outcome::err(&exc));
                    }
                }
                6 => {
                    let Some(p) = self.model.pending.take() else { continue };
                    self.note(format!("cancel(#{})", p.op));
                    let task = self.tasks[p.op].as_ref().expect("the waiting read's task");
                    assert!(task.cancel(), "the waiting read was not done");
                    self.tasks[p.op] = None;
                    self.expected[p.op] = Some(Outcome::err(&Error::Cancelled(String::new())));
                }
                kind => {
                    let read = Read::decode(kind - 7, &mut self.input);
                    self.start_read(read);
                }
            }
            self.settle();
        }
        self.finish();
    }

    fn note(&self, s: String) {
        self.log.borrow_mut().push(s);
    }

    fn start_read(&mut self, read: Read) {
        let op = self.tasks.len();
        self.note(format!("#{op} {read:?}"));
        let r = self.reader.clone();
        let fut: std::pin::Pin<Box<dyn std::future::Future<Output = evloop::Result<Vec<u8>>>>> = match &read {
            Read::Line => Box::pin(r.readline()),
            Read::Until(seps) => {
                let refs: Vec<&[u8]> = seps.iter().map(Vec::as_slice).collect();
                Box::pin(r.readuntil_any(&refs))
            }
            Read::Exactly(n) => Box::pin(r.readexactly(*n)),
            Read::Some(n) => Box::pin(r.read(*n)),
        };
        self.tasks.push(Some(self.lp.create_task(fut).expect("loop open")));
        self.expected.push(None);
        // The model: a new read runs its checks, then its loop; if it must
        // wait while another read waits, `_wait_for_data` raises.
        match self.model.start(&read) {
            Err(o) => self.expected[op] = Some(o),
            Ok(()) => {
                let mut p = Pending { op, read, offset: 0, blocks: Vec::new() };
                match self.model.step(&mut p) {
                    Step::Done(o) => self.expected[op] = Some(o),
                    Step::Wait if self.model.pending.is_some() => {
                        self.expected[op] = Some(Outcome::err(&Error::Runtime(format!(
                            "{}() called while another coroutine is already waiting for incoming data",
                            wait_name(&p.read)
                        ))));
                    }
                    Step::Wait => self.model.pending = Some(p),
                }
            }
        }
    }

    /// Runs the loop until nothing is ready, then compares.
    fn settle(&mut self) {
        for _ in 0..100_000 {
            if self.lp.stats().ready == 0 {
                break;
            }
            let stopper = self.lp.clone();
            self.lp.call_soon(move || stopper.stop()).expect("loop open");
            self.lp.run_forever().expect("run_forever");
        }
        assert_eq!(self.lp.stats().ready, 0, "the loop did not settle");
        self.compare();
    }

    fn compare(&self) {
        let ctx = || self.log.borrow().join("\n  ");
        for (op, task) in self.tasks.iter().enumerate() {
            let Some(task) = task else { continue };
            let real = if task.done() { Some(Outcome::of(task.result().expect("a read's task returns its result"))) } else { None };
            assert_eq!(real, self.expected[op], "read #{op} differs from the model after:\n  {}", ctx());
        }
        assert_eq!(self.reader.buffer_len(), self.model.buf.len(), "buffered bytes after:\n  {}", ctx());
        assert_eq!(
            self.reader.at_eof(),
            self.model.eof && self.model.buf.is_empty(),
            "at_eof() after:\n  {}",
            ctx()
        );
    }

    /// Leaves the loop clean for the next input: cancels what still waits.
    fn finish(self) {
        for task in self.tasks.iter().flatten() {
            task.cancel();
        }
        for _ in 0..16 {
            if self.lp.stats().ready == 0 {
                break;
            }
            let stopper = self.lp.clone();
            self.lp.call_soon(move || stopper.stop()).expect("loop open");
            self.lp.run_forever().expect("run_forever");
        }
    }
}
