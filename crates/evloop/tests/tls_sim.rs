//! TLS on the simulated network: the handshake costs its round trips in
//! virtual time, a seed repeats a run byte for byte (the trace, segment
//! sizes included), certificates are checked against the virtual clock,
//! and failures are the errors real sockets give.

mod sim_util;

use std::path::PathBuf;
use std::process::Command;
use std::rc::Rc;

use evloop::sim::{SimOptions, Simulation};
use evloop::tls::{Purpose, SslContext, TlsOptions, TlsVersion};
use evloop::{ConnectionOptions, Error, EventLoop, Protocol, ServerOptions, Transport};
use sim_util::*;

/// Certificates from `tests/shared/tls/make-sim-certs.sh` (Ed25519, valid
/// 2025-2036), in a temporary directory removed on drop.
struct SimCerts(PathBuf);

impl SimCerts {
    fn new(tag: &str) -> SimCerts {
        let dir = std::env::temp_dir().join(format!("evloop-sim-tls-{}-{tag}", std::process::id()));
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/shared/tls/make-sim-certs.sh");
        let out = Command::new("bash").arg(script).arg(&dir).output().expect("bash and openssl (scripts/setup.sh)");
        assert!(out.status.success(), "make-sim-certs.sh: {}", String::from_utf8_lossy(&out.stderr));
        SimCerts(dir)
    }
    fn path(&self, f: &str) -> String {
        self.0.join(f).to_string_lossy().into_owned()
    }
    fn server(&self, name: &str) -> SslContext {
        let ctx = SslContext::new(Purpose::Server);
        ctx.load_cert_chain(&self.path(&format!("{name}.pem")), Some(&self.path(&format!("{name}.key")))).unwrap();
        ctx
    }
    fn client(&self) -> SslContext {
        let ctx = SslContext::new(Purpose::Client);
        // cadata: PEM text, as a simulation without files takes it.
        let pem = std::fs::read_to_string(self.path("ca.pem")).unwrap();
        ctx.load_verify_locations(None, None, Some(&pem)).unwrap();
        ctx
    }
}

impl Drop for SimCerts {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tls_echo_server(lp: &EventLoop, ctx: SslContext) {
    let opts = ServerOptions { tls: TlsOptions { ssl: Some(ctx), ..Default::default() }, ..Default::default() };
    let create = lp.create_server(|| Rc::new(Echo::default()) as Rc<dyn Protocol>, None, Some(443), opts);
    lp.create_task(async move {
        std::mem::forget(create.await.expect("server"));
    })
    .unwrap();
}

fn tls_connect(lp: &EventLoop, client: &Rc<Client>, tls: TlsOptions) -> evloop::Task<evloop::Result<Transport>> {
    let p = client.clone();
    let opts = ConnectionOptions { tls, ..Default::default() };
    let fut = lp.create_connection(move || p as Rc<dyn Protocol>, Some("server".into()), Some(443), opts);
    lp.create_task(async move { fut.await.map(|(t, _)| t) }).unwrap()
}

/// One run: connect, echo, close. Returns the trace, when the client's
/// transport was ready, and the protocol version.
fn echo_run(certs: &SimCerts, seed: u64, version: Option<TlsVersion>) -> (String, f64, String) {
    let sim = Simulation::new(SimOptions { seed, ..Default::default() }).unwrap();
    let server = sim.host("server").unwrap();
    let client = sim.host("client").unwrap();
    tls_echo_server(&server, certs.server("server"));
    let ctx = certs.client();
    if let Some(v) = version {
        ctx.set_maximum_version(v);
    }
    let c = Client::new();
    let t = sim.run_until_complete(&tls_connect(&client, &c, TlsOptions { ssl: Some(ctx), ..Default::default() })).unwrap().unwrap();
    let ready = sim.now();
    let protocol = match t.get_extra_info("cipher") {
        Some(evloop::ExtraInfo::Cipher(Some(c))) => c.protocol,
        other => panic!("cipher: {other:?}"),
    };
    t.write(b"hello over simulated tls").unwrap();
    run_until(&sim, 5.0, || c.data.borrow().as_slice() == b"hello over simulated tls");
    t.close();
    run_until(&sim, 5.0, || c.is_lost());
    assert!(c.lost_error().is_none(), "{:?}", c.lost_error());
    sim.run_for(1.0).unwrap();
    (sim.trace_json(), ready, protocol)
}

#[test]
fn the_same_seed_repeats_a_tls_run_exactly() {
    let certs = SimCerts::new("seed");
    let (a, ready, protocol) = echo_run(&certs, 7, None);
    let (b, _, _) = echo_run(&certs, 7, None);
    assert_eq!(protocol, "TLSv1.3");
    assert_eq!(a, b, "two runs with seed 7 differ");
    // The handshake's records are sent as data segments the trace shows.
    assert!(a.matches("\"data\"").count() >= 4, "{a}");
    // TCP's round trip, then TLS 1.3's (each way at least the minimum latency, 1 ms).
    assert!(ready >= 4.0 * 0.001, "ready at {ready}");
    let (c, _, _) = echo_run(&certs, 8, None);
    assert_ne!(a, c, "another seed gives another run");
}

#[test]
fn tls_1_2_takes_one_more_round_trip() {
    let certs = SimCerts::new("tls12");
    let (a, ready12, protocol) = echo_run(&certs, 3, Some(TlsVersion::Tls12));
    let (b, _, _) = echo_run(&certs, 3, Some(TlsVersion::Tls12));
    assert_eq!(protocol, "TLSv1.2");
    assert_eq!(a, b);
    assert!(ready12 >= 6.0 * 0.001, "ready at {ready12}");
}

fn failed_connect(certs: &SimCerts, server_cert: &str, client_ctx: SslContext, hostname: Option<&str>) -> Error {
    let sim = sim(1);
    let server = sim.host("server").unwrap();
    let client = sim.host("client").unwrap();
    tls_echo_server(&server, certs.server(server_cert));
    let c = Client::new();
    let tls = TlsOptions { ssl: Some(client_ctx), server_hostname: hostname.map(String::from), ..Default::default() };
    sim.run_until_complete(&tls_connect(&client, &c, tls)).unwrap().unwrap_err()
}

fn verify_message(e: &Error) -> String {
    match e {
        Error::Ssl(s) => s.verify.clone().map(|(_, m)| m).unwrap_or_else(|| panic!("not a verification error: {e:?}")),
        other => panic!("not an SSLError: {other:?}"),
    }
}

#[test]
fn certificates_are_checked_against_the_virtual_clock() {
    let certs = SimCerts::new("expired");
    // Valid in 2024 only; the simulation's clock reads 2026-01-01.
    let e = failed_connect(&certs, "expired", certs.client(), None);
    assert_eq!(e.name(), "SSLCertVerificationError");
    assert_eq!(verify_message(&e), "certificate has expired");
}

#[test]
fn an_unknown_issuer_and_a_wrong_host_name_fail_as_on_sockets() {
    let certs = SimCerts::new("bad");
    let other = SslContext::new(Purpose::Client);
    other.load_verify_locations(Some(&certs.path("other-ca.pem")), None, None).unwrap();
    let e = failed_connect(&certs, "server", other, None);
    assert_eq!(verify_message(&e), "unable to get local issuer certificate");
    let e = failed_connect(&certs, "server", certs.client(), Some("example.com"));
    assert_eq!(verify_message(&e), "Hostname mismatch, certificate is not valid for 'example.com'.");
}

#[test]
fn a_server_that_never_answers_times_the_handshake_out_in_virtual_time() {
    let certs = SimCerts::new("timeout");
    let sim = sim(1);
    let server = sim.host("server").unwrap();
    let client = sim.host("client").unwrap();
    // A plain server that accepts and never writes.
    let create = server.create_server(|| Client::new() as Rc<dyn Protocol>, None, Some(443), ServerOptions::default());
    server.create_task(async move { std::mem::forget(create.await.unwrap()) }).unwrap();
    let c = Client::new();
    let tls = TlsOptions { ssl: Some(certs.client()), ssl_handshake_timeout: Some(5.0), ..Default::default() };
    let e = sim.run_until_complete(&tls_connect(&client, &c, tls)).unwrap().unwrap_err();
    assert_eq!(e.name(), "ConnectionAbortedError");
    assert_eq!(e.message(), "SSL handshake is taking longer than 5.0 seconds: aborting the connection");
    assert!(sim.now() >= 5.0 && sim.now() < 5.1, "{}", sim.now());
}

/// The ClientHello a TLS client of a fresh simulation sends (to a plain
/// server that records it): the client's random, session id and X25519
/// key share are drawn from the seed.
fn client_hello(certs: &SimCerts, seed: u64) -> Vec<u8> {
    let sim = Simulation::new(SimOptions { seed, ..Default::default() }).unwrap();
    let sink_host = sim.host("server").unwrap();
    let client = sim.host("client").unwrap();
    let sink = Client::new();
    let s = sink.clone();
    let create = sink_host.create_server(move || s.clone() as Rc<dyn Protocol>, None, Some(443), ServerOptions::default());
    sink_host.create_task(async move { std::mem::forget(create.await.unwrap()) }).unwrap();
    let _pending = tls_connect(&client, &Client::new(), TlsOptions { ssl: Some(certs.client()), ..Default::default() });
    let record_len = |d: &[u8]| if d.len() >= 5 { 5 + ((d[3] as usize) << 8 | d[4] as usize) } else { usize::MAX };
    run_until(&sim, 1.0, || {
        let d = sink.data.borrow();
        d.len() >= record_len(&d)
    });
    let d = sink.data.borrow();
    d[..record_len(&d)].to_vec()
}

#[test]
fn the_client_hello_is_drawn_from_the_seed() {
    let certs = SimCerts::new("hello");
    let a = client_hello(&certs, 11);
    assert!(a.len() > 100 && a[0] == 22, "a handshake record: {a:?}");
    assert_eq!(client_hello(&certs, 11), a);
    assert_ne!(client_hello(&certs, 12), a);
}
