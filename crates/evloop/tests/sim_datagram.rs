//! Datagrams over the simulated network: delivered with a latency, lost,
//! partitioned and crashed away like segments but never re-sent; duplicated
//! and reordered when a link says so; port unreachable on a connected
//! endpoint; options a simulation cannot honour refused by name.

mod sim_util;

use std::cell::RefCell;
use std::rc::Rc;

use evloop::sim::{LinkOptions, Simulation};
use evloop::{Address, DatagramOptions, DatagramProtocol, DatagramTransport, EndpointAddr, Error, EventLoop};
use sim_util::*;

#[derive(Default)]
struct Rec {
    got: RefCell<Vec<(Vec<u8>, Option<Address>)>>,
    errors: RefCell<Vec<String>>,
    echo: bool,
    t: RefCell<Option<DatagramTransport>>,
}

impl DatagramProtocol for Rec {
    fn connection_made(&self, t: &DatagramTransport) -> evloop::Result<()> {
        *self.t.borrow_mut() = Some(t.clone());
        Ok(())
    }
    fn datagram_received(&self, data: &[u8], addr: Option<Address>) -> evloop::Result<()> {
        if self.echo {
            self.t.borrow().as_ref().unwrap().sendto(data, addr.as_ref())?;
        }
        self.got.borrow_mut().push((data.to_vec(), addr));
        Ok(())
    }
    fn error_received(&self, exc: Error) -> evloop::Result<()> {
        self.errors.borrow_mut().push(format!("{}|{}", exc.name(), exc.code().unwrap_or("")));
        Ok(())
    }
}

fn endpoint(sim: &Simulation, lp: &EventLoop, rec: Rc<Rec>, opts: DatagramOptions) -> evloop::Result<DatagramTransport> {
    let fut = lp.create_datagram_endpoint_with(move || Ok(rec), opts);
    let task = lp.create_task(async move { fut.await.map(|(t, _)| t) }).unwrap();
    sim.run_until_complete(&task).unwrap()
}

fn bound(port: u16) -> DatagramOptions {
    DatagramOptions { local_addr: Some(EndpointAddr::Host("0.0.0.0".into(), port)), ..Default::default() }
}

fn to(host: &str, port: u16) -> DatagramOptions {
    DatagramOptions { remote_addr: Some(EndpointAddr::Host(host.into(), port)), ..Default::default() }
}

fn sim_addr(host: &str, port: u16) -> Address {
    Address::Sim { host: host.into(), port }
}

fn kinds(sim: &Simulation, kind: &str) -> Vec<String> {
    sim.trace().iter().filter(|r| r.kind == kind).map(|r| format!("{:?}", r.fields)).filter(|f| f.contains("datagram")).collect()
}

#[test]
fn echo_between_hosts_with_latency_and_a_trace() {
    let sim = sim(7);
    let server = sim.host("server").unwrap();
    let client = sim.host("client").unwrap();
    let srv = Rc::new(Rec { echo: true, ..Default::default() });
    let st = endpoint(&sim, &server, srv.clone(), bound(53)).unwrap();
    assert_eq!(st.sockname(), Some(sim_addr("server", 53)));
    assert_eq!(st.socket().socket_type(), 2, "SOCK_DGRAM");
    let cli = Rc::new(Rec::default());
    let ct = endpoint(&sim, &client, cli.clone(), to("server", 53)).unwrap();
    assert_eq!(ct.peername(), Some(sim_addr("server", 53)));
    let sent_at = sim.now();
    ct.sendto(b"query", None).unwrap();
    ct.sendto(b"", None).unwrap();
    run_until(&sim, 1.0, || cli.got.borrow().len() == 2);
    assert!(sim.now() > sent_at, "datagrams take a latency");
    let from_client = srv.got.borrow()[0].1.clone().unwrap();
    assert!(matches!(&from_client, Address::Sim { host, .. } if host == "client"));
    assert_eq!(cli.got.borrow()[0], (b"query".to_vec(), Some(sim_addr("server", 53))));
    assert_eq!(cli.got.borrow()[1].0, Vec::<u8>::new());
    assert_eq!(kinds(&sim, "send").len(), 4);
    assert_eq!(kinds(&sim, "deliver").len(), 4);
    let e = ct.sendto(b"x", Some(&sim_addr("server", 54))).unwrap_err();
    assert_eq!(e.to_string(), "ValueError: Invalid address: must be None or ('server', 53)");
}

#[test]
fn loss_partition_and_crash_drop_datagrams_for_good() {
    let sim = sim(3);
    let server = sim.host("server").unwrap();
    let client = sim.host("client").unwrap();
    let srv = Rc::new(Rec::default());
    endpoint(&sim, &server, srv.clone(), bound(9)).unwrap();
    let cli = Rc::new(Rec::default());
    let ct = endpoint(&sim, &client, cli.clone(), DatagramOptions { family: 2, ..Default::default() }).unwrap();
    let dest = sim_addr("server", 9);

    sim.set_link("client", "server", LinkOptions { loss: Some(1.0), one_way: true, ..Default::default() }).unwrap();
    ct.sendto(b"lost", Some(&dest)).unwrap();
    sim.run_for(5.0).unwrap();
    assert_eq!(sim.stats().dropped.loss, 1, "dropped once, never re-sent");
    sim.set_link("client", "server", LinkOptions { loss: Some(0.0), one_way: true, ..Default::default() }).unwrap();

    sim.partition(&["client"], &["server"], false).unwrap();
    ct.sendto(b"partitioned", Some(&dest)).unwrap();
    sim.run_for(5.0).unwrap();
    assert_eq!(sim.stats().dropped.partition, 1);
    sim.heal(None, None).unwrap();

    sim.crash("server").unwrap();
    ct.sendto(b"to a crashed host", Some(&dest)).unwrap();
    sim.run_for(5.0).unwrap();
    assert_eq!(sim.stats().dropped.crash, 1);
    assert!(srv.got.borrow().is_empty());
    let drops = kinds(&sim, "drop");
    assert_eq!(drops.len(), 3, "{drops:?}");
}

#[test]
fn a_connected_endpoint_to_an_unbound_port_gets_connection_refused() {
    let sim = sim(4);
    sim.host("server").unwrap();
    let client = sim.host("client").unwrap();
    let cli = Rc::new(Rec::default());
    let ct = endpoint(&sim, &client, cli.clone(), to("server", 1234)).unwrap();
    ct.sendto(b"anyone?", None).unwrap();
    run_until(&sim, 1.0, || !cli.errors.borrow().is_empty());
    assert_eq!(*cli.errors.borrow(), ["ConnectionRefusedError|ECONNREFUSED"]);
    assert!(!ct.is_closing());
    // An unconnected endpoint is not told (as Linux does not report it).
    let other = Rc::new(Rec::default());
    let ot = endpoint(&sim, &client, other.clone(), DatagramOptions { family: 2, ..Default::default() }).unwrap();
    ot.sendto(b"anyone?", Some(&sim_addr("server", 1234))).unwrap();
    sim.run_for(1.0).unwrap();
    assert!(other.errors.borrow().is_empty());
    // A host name nobody has: no route, at once.
    ot.sendto(b"x", Some(&sim_addr("nowhere", 1))).unwrap();
    assert_eq!(*other.errors.borrow(), ["OSError|EHOSTUNREACH"]);
}

#[test]
fn links_can_duplicate_and_reorder_datagrams() {
    let sim = sim(5);
    let server = sim.host("server").unwrap();
    let client = sim.host("client").unwrap();
    let srv = Rc::new(Rec::default());
    endpoint(&sim, &server, srv.clone(), bound(9)).unwrap();
    let cli = Rc::new(Rec::default());
    let ct = endpoint(&sim, &client, cli.clone(), to("server", 9)).unwrap();

    sim.set_link("client", "server", LinkOptions { duplicate: Some(1.0), ..Default::default() }).unwrap();
    ct.sendto(b"twice", None).unwrap();
    run_until(&sim, 1.0, || srv.got.borrow().len() == 2);
    sim.set_link("client", "server", LinkOptions { duplicate: Some(0.0), ..Default::default() }).unwrap();
    srv.got.borrow_mut().clear();

    // Without reordering a link is FIFO.
    let send_all = || {
        for i in 0..20u8 {
            ct.sendto(&[i], None).unwrap();
        }
    };
    let order = || srv.got.borrow().iter().map(|(d, _)| d[0]).collect::<Vec<u8>>();
    send_all();
    run_until(&sim, 1.0, || srv.got.borrow().len() == 20);
    assert_eq!(order(), (0..20).collect::<Vec<u8>>());
    srv.got.borrow_mut().clear();
    let lat = LinkOptions { latency: Some((0.001, 0.1)), reorder: Some(1.0), ..Default::default() };
    sim.set_link("client", "server", lat).unwrap();
    send_all();
    run_until(&sim, 1.0, || srv.got.borrow().len() == 20);
    let mut sorted = order();
    sorted.sort();
    assert_eq!(sorted, (0..20).collect::<Vec<u8>>());
    assert_ne!(order(), sorted, "reordered");
    let e = sim.set_link("client", "server", LinkOptions { duplicate: Some(2.0), ..Default::default() }).unwrap_err();
    assert_eq!(e.to_string(), "ValueError: duplicate must be a probability in [0, 1], got 2");
}

#[test]
fn options_the_simulation_cannot_honour_are_refused() {
    let sim = sim(6);
    let lp = sim.host("a").unwrap();
    let refused = |opts: DatagramOptions| endpoint(&sim, &lp, Rc::new(Rec::default()), opts).err().unwrap().to_string();
    assert_eq!(
        refused(DatagramOptions { reuse_port: true, ..bound(1) }),
        "ValueError: create_datagram_endpoint(): reuse_port is not supported by the simulated network"
    );
    assert_eq!(
        refused(DatagramOptions { allow_broadcast: true, ..bound(1) }),
        "ValueError: create_datagram_endpoint(): allow_broadcast is not supported by the simulated network"
    );
    assert!(refused(DatagramOptions { family: 10, ..bound(1) }).contains("family=10 (only AF_INET)"));
    assert!(refused(DatagramOptions { family: evloop::net::AF_UNIX, local_addr: Some(EndpointAddr::Path("/x".into())), ..Default::default() })
        .starts_with("OSError: [Errno 97]"));
    assert!(refused(DatagramOptions { sock: Some(3), ..Default::default() }).contains("no file descriptors"));
    assert_eq!(refused(to("nowhere", 1)), "gaierror: [Errno -2] Name or service not known");
    endpoint(&sim, &lp, Rc::new(Rec::default()), bound(1)).unwrap();
    assert!(refused(bound(1)).contains("EADDRINUSE") || refused(bound(1)).contains("[Errno 98]"));
}

#[test]
fn the_same_seed_gives_the_same_trace() {
    let run = || {
        let sim = sim_with(evloop::sim::SimOptions { seed: 11, loss: 0.3, ..Default::default() });
        let server = sim.host("server").unwrap();
        let client = sim.host("client").unwrap();
        let srv = Rc::new(Rec { echo: true, ..Default::default() });
        endpoint(&sim, &server, srv, bound(9)).unwrap();
        let cli = Rc::new(Rec::default());
        let ct = endpoint(&sim, &client, cli, to("server", 9)).unwrap();
        for i in 0..30u8 {
            ct.sendto(&[i; 10], None).unwrap();
        }
        sim.run_for(2.0).unwrap();
        format!("{:?}", sim.trace().iter().map(|r| (r.t, r.host.to_string(), r.kind, format!("{:?}", r.fields))).collect::<Vec<_>>())
    };
    assert_eq!(run(), run());
}
