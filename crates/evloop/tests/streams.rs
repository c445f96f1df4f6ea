//! Streams (asyncio's `streams.py`): reader parsing with arbitrary chunking,
//! the error texts, and servers/clients over real loopback.

mod util;

use std::cell::{Cell, RefCell};
use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::rc::Rc;

use evloop::{Error, EventLoop, ExtraInfo, StreamOptions, StreamReader, StreamWriter};
use util::net::*;
use util::{logs, run_once};

type Bytes = Vec<u8>;

/// Runs `fut` as a task while feeding `data` to `r` in chunks of `size`
/// (one chunk per iteration), then EOF; returns the task's result.
fn fed_in_chunks<T: Clone + 'static>(
    lp: &EventLoop,
    r: &StreamReader,
    data: &[u8],
    size: usize,
    fut: impl std::future::Future<Output = T> + 'static,
) -> T {
    let task = lp.create_task(fut).unwrap();
    for chunk in data.chunks(size) {
        r.feed_data(chunk);
        run_once(lp);
    }
    r.feed_eof();
    lp.run_until_complete(&task).unwrap()
}

/// A finished read task's result.
fn now<T: Clone + 'static>(lp: &EventLoop, fut: impl std::future::Future<Output = T> + 'static) -> T {
    block_on(lp, fut)
}

fn reader(lp: &EventLoop, limit: usize) -> StreamReader {
    StreamReader::with_limit(lp, limit).unwrap()
}

// ----- parsing, no sockets -----

#[test]
fn every_read_kind_under_every_chunking() {
    let data = b"hello world\nab\r\ncdefXYZtail-end";
    let expected: Vec<Bytes> = vec![
        b"hello world\n".to_vec(),
        b"ab\r\n".to_vec(),
        b"cdef".to_vec(),
        b"XY".to_vec(),
        b"Z".to_vec(),
        b"tail-end".to_vec(),
        b"".to_vec(),
        b"".to_vec(),
    ];
    let lp = util::closing(EventLoop::new().unwrap());
    for size in 1..=data.len() {
        let r = reader(&lp, 16);
        let rr = r.clone();
        let got = fed_in_chunks(&lp, &r, data, size, async move {
            Ok::<_, Error>(vec![
                rr.readline().await?,
                rr.readuntil(b"\r\n").await?,
                rr.readexactly(4).await?,
                rr.readuntil_any(&[b"XYZ", b"XY"]).await?,
                rr.read(1).await?,
                rr.read(-1).await?,
                rr.read(-1).await?,
                rr.readline().await?,
            ])
        });
        assert_eq!(got.unwrap(), expected, "chunk size {size}");
        assert!(r.at_eof());
    }
    // Everything buffered before the first read.
    let r = reader(&lp, 16);
    r.feed_data(data);
    r.feed_eof();
    let rr = r.clone();
    let got = now(&lp, async move {
        let mut out = vec![rr.readline().await?, rr.readuntil(b"\r\n").await?, rr.readexactly(4).await?];
        out.push(rr.readuntil_any(&[b"XYZ", b"XY"]).await?);
        out.push(rr.read(1).await?);
        out.push(rr.read(-1).await?);
        Ok::<_, Error>(out)
    });
    assert_eq!(got.unwrap(), expected[..6]);
}

#[test]
fn read_returns_what_is_buffered_and_read_all_collects_past_the_limit() {
    let lp = util::closing(EventLoop::new().unwrap());
    let r = reader(&lp, 4);
    r.feed_data(b"abc");
    let rr = r.clone();
    assert_eq!(now(&lp, async move { rr.read(0).await }).unwrap(), b"");
    let rr = r.clone();
    assert_eq!(now(&lp, async move { rr.read(10).await }).unwrap(), b"abc");
    let body: Vec<u8> = (0..100u8).collect();
    let rr = r.clone();
    let got = fed_in_chunks(&lp, &r, &body, 7, async move { rr.read(-1).await });
    assert_eq!(got.unwrap(), body);
    let rr = r.clone();
    assert_eq!(now(&lp, async move { rr.read(5).await }).unwrap(), b"", "empty at EOF");
}

#[test]
fn readline_returns_the_partial_line_at_eof() {
    let lp = util::closing(EventLoop::new().unwrap());
    let r = reader(&lp, 16);
    let rr = r.clone();
    let got = fed_in_chunks(&lp, &r, b"one\ntwo", 2, async move {
        Ok::<_, Error>((rr.readline().await?, rr.readline().await?, rr.readline().await?))
    });
    assert_eq!(got.unwrap(), (b"one\n".to_vec(), b"two".to_vec(), b"".to_vec()));
}

#[test]
fn incomplete_read_error_text_and_fields() {
    let lp = util::closing(EventLoop::new().unwrap());
    let r = reader(&lp, 16);
    let rr = r.clone();
    let e = fed_in_chunks(&lp, &r, b"abc", 1, async move { rr.readexactly(5).await }).unwrap_err();
    assert_eq!(e.name(), "IncompleteReadError");
    assert_eq!(e.to_string(), "IncompleteReadError: 3 bytes read on a total of 5 expected bytes");
    match &e {
        Error::IncompleteRead { partial, expected } => {
            assert_eq!(partial, b"abc");
            assert_eq!(*expected, Some(5));
        }
        other => panic!("{other:?}"),
    }
    assert!(r.at_eof(), "the partial data was consumed");

    let r = reader(&lp, 16);
    r.feed_data(b"no separator");
    r.feed_eof();
    let rr = r.clone();
    let e = now(&lp, async move { rr.readuntil(b"!").await }).unwrap_err();
    assert_eq!(e.message(), "12 bytes read on a total of undefined expected bytes");
    assert!(matches!(e, Error::IncompleteRead { ref partial, expected: None } if partial == b"no separator"));
    assert!(r.at_eof());

    let r = reader(&lp, 16);
    r.feed_eof();
    let rr = r.clone();
    let e = now(&lp, async move { rr.readexactly(1).await }).unwrap_err();
    assert_eq!(e.message(), "0 bytes read on a total of 1 expected bytes");
}

#[test]
fn limit_overrun_error_text_and_fields() {
    let lp = util::closing(EventLoop::new().unwrap());
    // Not found: consumed is what can be skipped (all but max_seplen - 1 bytes).
    for (sep, consumed) in [(&b"\n"[..], 8), (&b"XYZ"[..], 6)] {
        let r = reader(&lp, 4);
        r.feed_data(b"abcdefgh");
        let rr = r.clone();
        let sep = sep.to_vec();
        let e = now(&lp, async move { rr.readuntil(&sep).await }).unwrap_err();
        assert_eq!(e.to_string(), "LimitOverrunError: Separator is not found, and chunk exceed the limit");
        assert!(matches!(e, Error::LimitOverrun { consumed: c, .. } if c == consumed), "{e:?}");
        assert_eq!(r.buffer_len(), 8, "readuntil leaves the data buffered");
    }
    // Found beyond the limit.
    let r = reader(&lp, 4);
    r.feed_data(b"abcdefg\n");
    let rr = r.clone();
    let e = now(&lp, async move { rr.readuntil(b"\n").await }).unwrap_err();
    assert_eq!(e.message(), "Separator is found, but chunk is longer than limit");
    assert!(matches!(e, Error::LimitOverrun { consumed: 7, .. }));
    assert_eq!(r.buffer_len(), 8);
    // A chunk of exactly `limit` bytes before the separator is fine.
    let r = reader(&lp, 4);
    let rr = r.clone();
    assert_eq!(fed_in_chunks(&lp, &r, b"abcd\n", 1, async move { rr.readuntil(b"\n").await }).unwrap(), b"abcd\n");
}

#[test]
fn readline_maps_limit_overrun_to_value_error_and_discards() {
    let lp = util::closing(EventLoop::new().unwrap());
    // Found: the long line, separator included, is dropped.
    let r = reader(&lp, 4);
    r.feed_data(b"abcdefg\nnext\n");
    let rr = r.clone();
    let (first, second) = now(&lp, async move { (rr.readline().await, rr.readline().await) });
    let e = first.unwrap_err();
    assert_eq!((e.name(), e.message().as_str()), ("ValueError", "Separator is found, but chunk is longer than limit"));
    assert_eq!(second.unwrap(), b"next\n");
    // Not found: the whole buffer is dropped; the line's tail comes next.
    let r = reader(&lp, 4);
    r.feed_data(b"abcde");
    let rr = r.clone();
    let e = now(&lp, async move { rr.readline().await }).unwrap_err();
    assert_eq!((e.name(), e.message().as_str()), ("ValueError", "Separator is not found, and chunk exceed the limit"));
    assert_eq!(r.buffer_len(), 0);
    let rr = r.clone();
    let got = fed_in_chunks(&lp, &r, b"fg\nxy\n", 1, async move { Ok::<_, Error>((rr.readline().await?, rr.readline().await?)) });
    assert_eq!(got.unwrap(), (b"fg\n".to_vec(), b"xy\n".to_vec()));
}

#[test]
fn argument_errors() {
    let lp = util::closing(EventLoop::new().unwrap());
    let e = StreamReader::with_limit(&lp, 0).err().unwrap();
    assert_eq!(e.to_string(), "ValueError: Limit cannot be <= 0");
    assert_eq!(StreamReader::new(&lp).limit(), evloop::DEFAULT_LIMIT);
    assert_eq!(evloop::DEFAULT_LIMIT, 65536);
    let r = reader(&lp, 16);
    r.feed_data(b"data");
    let rr = r.clone();
    let errs = now(&lp, async move {
        vec![
            rr.readuntil(b"").await.unwrap_err().to_string(),
            rr.readuntil_any(&[]).await.unwrap_err().to_string(),
            rr.readuntil_any(&[b"a", b""]).await.unwrap_err().to_string(),
            rr.readexactly(-1).await.unwrap_err().to_string(),
        ]
    });
    assert_eq!(
        errs,
        [
            "ValueError: Separator should be at least one-byte string",
            "ValueError: Separator should contain at least one element",
            "ValueError: Separator should be at least one-byte string",
            "ValueError: readexactly size can not be less than zero",
        ]
    );
    assert_eq!(r.buffer_len(), 4, "nothing consumed");
    let lp2 = lp.clone();
    let e = now(&lp, async move { lp2.open_connection(Some("127.0.0.1".into()), Some(1), StreamOptions { limit: 0, ..Default::default() }).await.map(|_| ()) });
    assert_eq!(e.unwrap_err().message(), "Limit cannot be <= 0");
}

#[test]
fn one_waiting_read_at_a_time() {
    let lp = util::closing(EventLoop::new().unwrap());
    let r = reader(&lp, 16);
    let first = lp.create_task(r.read(5)).unwrap();
    run_once(&lp);
    let others = [
        ("readuntil", lp.create_task(r.readline()).unwrap()),
        ("readuntil", lp.create_task(r.readuntil(b"x")).unwrap()),
        ("read", lp.create_task(r.read(1)).unwrap()),
        ("read", lp.create_task(r.read(-1)).unwrap()),
        ("readexactly", lp.create_task(r.readexactly(2)).unwrap()),
    ];
    run_once(&lp);
    for (name, task) in &others {
        let e = task.result().unwrap().unwrap_err();
        assert_eq!(e.to_string(), format!("RuntimeError: {name}() called while another coroutine is already waiting for incoming data"));
    }
    assert!(!first.done());
    r.feed_data(b"x\n");
    assert_eq!(lp.run_until_complete(&first).unwrap().unwrap(), b"x\n");
    // A cancelled wait frees the slot and consumes nothing.
    let waiting = lp.create_task(r.readexactly(3)).unwrap();
    run_once(&lp);
    r.feed_data(b"ab");
    waiting.cancel();
    run_once(&lp);
    let rr = r.clone();
    let got = fed_in_chunks(&lp, &r, b"c\n", 1, async move { rr.readline().await });
    assert_eq!(got.unwrap(), b"abc\n");
}

#[test]
fn set_exception_fails_the_waiting_and_later_reads() {
    let lp = util::closing(EventLoop::new().unwrap());
    let r = reader(&lp, 16);
    assert!(r.exception().is_none());
    let waiting = lp.create_task(r.readline()).unwrap();
    run_once(&lp);
    r.set_exception(Error::Value("boom".into()));
    let e = lp.run_until_complete(&waiting).unwrap().unwrap_err();
    assert_eq!(e.to_string(), "ValueError: boom");
    assert_eq!(r.exception().unwrap().to_string(), "ValueError: boom");
    r.feed_data(b"data\n");
    let rr = r.clone();
    let errs = now(&lp, async move {
        vec![rr.read(0).await.is_err(), rr.read(-1).await.is_err(), rr.readline().await.is_err(), rr.readexactly(1).await.is_err()]
    });
    assert_eq!(errs, [true; 4]);
}

#[test]
fn reader_repr() {
    let lp = util::closing(EventLoop::new().unwrap());
    assert_eq!(format!("{:?}", StreamReader::new(&lp)), "<StreamReader>");
    let r = reader(&lp, 4);
    r.feed_data(b"abc");
    r.feed_eof();
    assert_eq!(format!("{r:?}"), "<StreamReader 3 bytes eof limit=4>");
}

// ----- over sockets -----

fn local_port(server: &evloop::Server) -> u16 {
    inet(&server.sockets()[0].getsockname().unwrap()).port()
}

/// A blocking client whose receive buffer is small (set before connecting,
/// so the window stays small): a peer that stops reading fills up fast.
fn small_window_client(addr: SocketAddr) -> TcpStream {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    s.set_recv_buffer_size(4096).unwrap();
    s.connect(&addr.into()).unwrap();
    let s: TcpStream = s.into();
    s.set_read_timeout(Some(std::time::Duration::from_secs(20))).unwrap();
    s
}

/// Shared storage for what server handlers hand out.
type Shared<T> = Rc<RefCell<Vec<T>>>;

fn temp_socket_path(lp: &EventLoop) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("evloop-streams-{}-{}-{n}", std::process::id(), lp.selector_name()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("s.sock").to_string_lossy().into_owned()
}

/// The echo handler: echoes lines until EOF, then closes.
async fn echo_lines(r: StreamReader, w: StreamWriter) {
    loop {
        let line = r.readline().await.unwrap();
        if line.is_empty() {
            break;
        }
        w.write(&line).unwrap();
        w.drain().await.unwrap();
    }
    w.close();
    w.wait_closed().await.unwrap();
}

/// The client side of the echo exchange: lines one by one, then two at
/// once, then EOF; returns the echoed lines and what followed the EOF.
async fn exchange(r: StreamReader, w: StreamWriter) -> evloop::Result<(Vec<Bytes>, Bytes)> {
    let mut got = Vec::new();
    for line in [&b"one\n"[..], b"two\n", b"three\n"] {
        w.write(line)?;
        w.drain().await?;
        got.push(r.readline().await?);
    }
    w.writelines([&b"four\n"[..], b"five\n"])?;
    got.push(r.readline().await?);
    got.push(r.readexactly(5).await?);
    assert!(w.can_write_eof());
    w.write_eof();
    let rest = r.read(-1).await?;
    assert!(r.at_eof());
    w.close();
    assert!(w.is_closing());
    w.wait_closed().await?;
    Ok((got, rest))
}

fn lines(v: &[&str]) -> Vec<Bytes> {
    v.iter().map(|s| s.as_bytes().to_vec()).collect()
}

on_every_selector! {
    fn echo_server_exchanges_lines(lp: EventLoop) {
        let server = block_on(&lp, lp.start_server(echo_lines, Some("127.0.0.1".into()), Some(0), Default::default())).unwrap();
        let port = local_port(&server);
        let (r, w) = block_on(&lp, lp.open_connection(Some("127.0.0.1".into()), Some(port), Default::default())).unwrap();
        match w.get_extra_info("peername") {
            Some(ExtraInfo::Address(a)) => assert_eq!(inet(&a).port(), port),
            other => panic!("{other:?}"),
        }
        assert!(w.transport().ptr_eq(&r.transport().unwrap()));
        let (got, rest) = block_on(&lp, exchange(r, w)).unwrap();
        assert_eq!(got, lines(&["one\n", "two\n", "three\n", "four\n", "five\n"]));
        assert_eq!(rest, b"");
        server.close();
        block_on(&lp, server.wait_closed()).unwrap();
    }

    fn unix_echo_server(lp: EventLoop) {
        let path = temp_socket_path(&lp);
        let server = block_on(&lp, lp.start_unix_server(echo_lines, Some(path.clone()), Default::default())).unwrap();
        let (r, w) = block_on(&lp, lp.open_unix_connection(Some(path.clone()), Default::default())).unwrap();
        let (got, rest) = block_on(&lp, exchange(r, w)).unwrap();
        assert_eq!(got, lines(&["one\n", "two\n", "three\n", "four\n", "five\n"]));
        assert_eq!(rest, b"");
        server.close();
        block_on(&lp, server.wait_closed()).unwrap();
        assert!(!std::path::Path::new(&path).exists());
    }

    fn drain_waits_while_the_client_does_not_read(lp: EventLoop) {
        // 0: writing, 1: waiting in drain(), 2: drain() returned.
        let state = Rc::new(Cell::new(0u8));
        let sent = Rc::new(Cell::new(0usize));
        let after = Rc::new(Cell::new(usize::MAX));
        let (st, se, af) = (state.clone(), sent.clone(), after.clone());
        let handler = move |_r: StreamReader, w: StreamWriter| {
            let (state, sent, after) = (st.clone(), se.clone(), af.clone());
            async move {
                if let Some(ExtraInfo::Socket(s)) = w.get_extra_info("socket") {
                    s.setsockopt(libc::SOL_SOCKET, libc::SO_SNDBUF, 8192).unwrap();
                }
                let chunk = vec![b'x'; 256 * 1024];
                loop {
                    w.write(&chunk).unwrap();
                    sent.set(sent.get() + chunk.len());
                    let paused = w.protocol().is_paused();
                    if paused {
                        state.set(1);
                    }
                    w.drain().await.unwrap();
                    if paused {
                        break;
                    }
                }
                state.set(2);
                after.set(w.transport().get_write_buffer_size());
                w.close();
                w.wait_closed().await.unwrap();
            }
        };
        let server = block_on(&lp, lp.start_server(handler, Some("127.0.0.1".into()), Some(0), Default::default())).unwrap();
        let addr = inet(&server.sockets()[0].getsockname().unwrap());
        let mut c = small_window_client(addr);
        run_until(&lp, "drain() waiting", || state.get() == 1);
        iterate(&lp, 5);
        assert_eq!(state.get(), 1, "drain() stays pending while the client does not read");
        let mut received = 0usize;
        run_until(&lp, "drain() returned", || {
            received += read_available(&mut c).0.len();
            state.get() == 2
        });
        assert!(after.get() <= 16384, "resumed at the low-water mark");
        run_until(&lp, "everything sent", || {
            let (data, eof) = read_available(&mut c);
            received += data.len();
            eof
        });
        assert_eq!(received, sent.get());
    }

    fn reader_pauses_the_transport_past_twice_the_limit(lp: EventLoop) {
        let conns: Shared<(StreamReader, StreamWriter)> = Rc::default();
        let keep = conns.clone();
        let handler = move |r: StreamReader, w: StreamWriter| {
            keep.borrow_mut().push((r, w));
            async {}
        };
        let opts = StreamOptions { limit: 16, ..Default::default() };
        let server = block_on(&lp, lp.start_server(handler, Some("127.0.0.1".into()), Some(0), opts)).unwrap();
        let mut c = client(inet(&server.sockets()[0].getsockname().unwrap()));
        let body: Vec<u8> = (0..200u8).collect();
        send(&mut c, &body);
        run_until(&lp, "buffer past 2 * limit", || conns.borrow().first().is_some_and(|(r, _)| r.buffer_len() > 32));
        let (r, w) = conns.borrow()[0].clone();
        let t = w.transport();
        assert!(!t.is_reading(), "paused past 2 * limit");
        assert!(format!("{r:?}").ends_with(" paused>"), "{r:?}");
        let buffered = r.buffer_len();
        let t2 = t.clone();
        let rr = r.clone();
        let (got, flags) = block_on(&lp, async move {
            let mut got = rr.read(buffered as isize - 17).await.unwrap();
            let above = t2.is_reading();
            got.extend(rr.read(1).await.unwrap());
            let at_limit = t2.is_reading();
            // More than the limit at once: waiting resumes a paused transport.
            got.extend(rr.readexactly(200 - got.len() as isize).await.unwrap());
            (got, (above, at_limit))
        });
        assert_eq!(flags, (false, true), "resumes only at limit or below");
        assert_eq!(got, body);
        drop(c);
        let rr = r.clone();
        assert_eq!(block_on(&lp, async move { rr.read(-1).await }).unwrap(), b"");
    }

    fn wait_closed_and_drain_after_close(lp: EventLoop) {
        let seen: Shared<Bytes> = Rc::default();
        let sink = seen.clone();
        let handler = move |r: StreamReader, w: StreamWriter| {
            let sink = sink.clone();
            async move {
                let all = r.read(-1).await.unwrap();
                sink.borrow_mut().push(all);
                w.close();
            }
        };
        let server = block_on(&lp, lp.start_server(handler, Some("127.0.0.1".into()), Some(0), Default::default())).unwrap();
        let (r, w) = block_on(&lp, lp.open_connection(Some("127.0.0.1".into()), Some(local_port(&server)), Default::default())).unwrap();
        let out = block_on(&lp, async move {
            w.write(b"bye").unwrap();
            w.close();
            assert!(w.is_closing());
            let drained = w.drain().await;
            let closed = w.wait_closed().await;
            w.write(b"dropped").unwrap();
            (drained.map_err(|e| e.to_string()), closed.map_err(|e| e.to_string()), r.at_eof())
        });
        assert_eq!(out, (Err("ConnectionResetError: Connection lost".to_string()), Ok(()), true));
        run_until(&lp, "server read to EOF", || seen.borrow().len() == 1);
        assert_eq!(seen.borrow()[0], b"bye");
        server.close();
        block_on(&lp, server.wait_closed()).unwrap();
    }

    fn reset_while_draining_fails_drain_and_wait_closed(lp: EventLoop) {
        type Outcome = (String, String, Option<String>);
        let outcome: Shared<Outcome> = Rc::default();
        let waiting = Rc::new(Cell::new(false));
        let (out, wt) = (outcome.clone(), waiting.clone());
        let handler = move |r: StreamReader, w: StreamWriter| {
            let (out, waiting) = (out.clone(), wt.clone());
            async move {
                if let Some(ExtraInfo::Socket(s)) = w.get_extra_info("socket") {
                    s.setsockopt(libc::SOL_SOCKET, libc::SO_SNDBUF, 8192).unwrap();
                }
                let chunk = vec![b'x'; 256 * 1024];
                while !w.protocol().is_paused() {
                    w.write(&chunk).unwrap();
                }
                waiting.set(true);
                let drained = w.drain().await.unwrap_err();
                let closed = w.wait_closed().await.unwrap_err();
                out.borrow_mut().push((drained.name().to_string(), closed.name().to_string(), r.exception().map(|e| e.name().to_string())));
            }
        };
        let server = block_on(&lp, lp.start_server(handler, Some("127.0.0.1".into()), Some(0), Default::default())).unwrap();
        let c = small_window_client(inet(&server.sockets()[0].getsockname().unwrap()));
        run_until(&lp, "drain() waiting", || waiting.get());
        socket2::SockRef::from(&c).set_linger(Some(std::time::Duration::ZERO)).unwrap();
        drop(c);
        run_until(&lp, "drain() failed", || outcome.borrow().len() == 1);
        let (drained, closed, reader_exc) = outcome.borrow()[0].clone();
        assert!(["ConnectionResetError", "BrokenPipeError"].contains(&drained.as_str()), "{drained}");
        assert_eq!(closed, drained);
        assert_eq!(reader_exc.as_deref(), Some(drained.as_str()));
    }

    // asyncio 3.13: a clean loss wakes a waiting drain() without an error;
    // only a later drain() raises ConnectionResetError('Connection lost').
    fn clean_loss_while_draining(lp: EventLoop) {
        let outcome: Shared<(Result<(), String>, Result<(), String>)> = Rc::default();
        let writers: Shared<StreamWriter> = Rc::default();
        let (out, ws) = (outcome.clone(), writers.clone());
        let handler = move |_r: StreamReader, w: StreamWriter| {
            let out = out.clone();
            ws.borrow_mut().push(w.clone());
            async move {
                let chunk = vec![b'x'; 1 << 20];
                while !w.protocol().is_paused() {
                    w.write(&chunk).unwrap();
                }
                let first = w.drain().await.map_err(|e| e.to_string());
                let second = w.drain().await.map_err(|e| e.to_string());
                out.borrow_mut().push((first, second));
            }
        };
        let server = block_on(&lp, lp.start_server(handler, Some("127.0.0.1".into()), Some(0), Default::default())).unwrap();
        let _c = small_window_client(inet(&server.sockets()[0].getsockname().unwrap()));
        run_until(&lp, "drain() waiting", || writers.borrow().first().is_some_and(|w| w.protocol().is_paused()));
        iterate(&lp, 1);
        assert!(outcome.borrow().is_empty());
        writers.borrow()[0].transport().abort();
        run_until(&lp, "drain() woke", || outcome.borrow().len() == 1);
        assert_eq!(outcome.borrow()[0], (Ok(()), Err("ConnectionResetError: Connection lost".to_string())));
    }

    fn handler_panic_is_reported_and_closes(lp: EventLoop) {
        let reports = util::Log::new();
        let sink = reports.clone();
        lp.set_exception_handler(Some(Rc::new(move |_: &EventLoop, ctx: &evloop::ExceptionContext| {
            let keys: Vec<String> = ctx.extra.iter().map(|(k, _)| k.clone()).collect();
            sink.push((ctx.message.clone(), ctx.exception.clone(), keys));
        })));
        let handler = |_r: StreamReader, w: StreamWriter| async move {
            w.write(b"partial").unwrap();
            panic!("handler failed");
        };
        let server = block_on(&lp, lp.start_server(handler, Some("127.0.0.1".into()), Some(0), Default::default())).unwrap();
        let mut c = client(inet(&server.sockets()[0].getsockname().unwrap()));
        run_until(&lp, "reported", || reports.len() == 1);
        let (message, exception, keys) = reports.get()[0].clone();
        assert_eq!(message, "Unhandled exception in client_connected_cb");
        assert!(exception.unwrap().contains("handler failed"));
        assert_eq!(keys, ["transport"]);
        let mut all = Vec::new();
        run_until(&lp, "closed", || {
            let (data, eof) = read_available(&mut c);
            all.extend(data);
            eof
        });
        assert_eq!(all, b"partial");
    }

    fn dropping_an_open_writer_closes_it(lp: EventLoop) {
        logs::start();
        let handler = |_r: StreamReader, w: StreamWriter| async move {
            w.write(b"hi").unwrap();
        };
        let server = block_on(&lp, lp.start_server(handler, Some("127.0.0.1".into()), Some(0), Default::default())).unwrap();
        let mut c = client(inet(&server.sockets()[0].getsockname().unwrap()));
        let mut all = Vec::new();
        run_until(&lp, "closed", || {
            let (data, eof) = read_available(&mut c);
            all.extend(data);
            eof
        });
        assert_eq!(all, b"hi");
        let warnings: Vec<String> = logs::take().into_iter().map(|(_, m)| m).filter(|m| m.starts_with("unclosed <StreamWriter")).collect();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        let mut rest = Vec::new();
        c.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty());
    }
}
