//! Name resolution on simulated hosts: `getaddrinfo`/`getnameinfo` over
//! the simulation's host names after a drawn virtual delay, traced; and
//! what `create_connection`'s address options do on a simulated host.

mod sim_util;

use std::rc::Rc;

use evloop::net::{SOCK_DGRAM, SOCK_STREAM};
use evloop::{AddrInfoHints, Address, ConnectionOptions, Error, Protocol};
use sim_util::*;

#[test]
fn getaddrinfo_resolves_host_names_after_a_virtual_delay() {
    let sim = sim(11);
    sim.host("server").unwrap();
    let client = sim.host("client").unwrap();
    let task = client.create_task(client.getaddrinfo(Some("server".into()), Some("8080".into()), AddrInfoHints::default())).unwrap();
    let infos = sim.run_until_complete(&task).unwrap().unwrap();
    let kinds: Vec<(i32, i32, i32)> = infos.iter().map(|ai| (ai.family, ai.socktype, ai.proto)).collect();
    assert_eq!(kinds, [(2, SOCK_STREAM, 6), (2, SOCK_DGRAM, 17)]);
    assert!(infos.iter().all(|ai| ai.addr == Address::Sim { host: "server".into(), port: 8080 }));
    let t = sim.now();
    assert!((0.001..=0.05).contains(&t), "a drawn delay: {t}");
    let rec = sim.trace().into_iter().find(|r| r.kind == "resolve").unwrap();
    assert_eq!((rec.host.as_ref(), rec.str("call"), rec.str("query")), ("client", Some("getaddrinfo"), Some("server:8080")));
    // localhost and no host are the host itself; one type only when asked.
    let hints = AddrInfoHints { socktype: SOCK_STREAM, flags: 2, ..Default::default() };
    let task = client.create_task(client.getaddrinfo(Some("localhost".into()), None, hints)).unwrap();
    let infos = sim.run_until_complete(&task).unwrap().unwrap();
    assert_eq!(infos.len(), 1);
    assert_eq!(infos[0].addr, Address::Sim { host: "client".into(), port: 0 });
    assert_eq!(infos[0].canonname, "client");
}

#[test]
fn unknown_names_families_and_services_are_gaierrors() {
    let sim = sim(12);
    let client = sim.host("client").unwrap();
    let cases: [(Option<&str>, Option<&str>, AddrInfoHints, i32); 4] = [
        (Some("nowhere"), Some("80"), AddrInfoHints::default(), -2),
        (Some("client"), Some("http"), AddrInfoHints::default(), -8),
        (Some("client"), Some("80"), AddrInfoHints { family: 10, ..Default::default() }, -9),
        (Some("client"), Some("80"), AddrInfoHints { socktype: 3, ..Default::default() }, -7),
    ];
    for (host, port, hints, errno) in cases {
        let fut = client.getaddrinfo(host.map(Into::into), port.map(Into::into), hints);
        let e = sim.run_until_complete(&client.create_task(fut).unwrap()).unwrap().unwrap_err();
        assert_eq!((e.name(), e.errno()), ("gaierror", Some(errno)), "{host:?} {port:?} {hints:?}");
    }
    let e = sim.run_until_complete(&client.create_task(client.getaddrinfo(Some("nowhere".into()), None, Default::default())).unwrap());
    assert_eq!(e.unwrap().unwrap_err().message(), "[Errno -2] Name or service not known");
}

#[test]
fn getnameinfo_names_a_host_by_its_address() {
    let sim = sim(13);
    sim.host("server").unwrap();
    let client = sim.host("client").unwrap();
    let got = sim.run_until_complete(&client.create_task(client.getnameinfo("server".into(), 80, 0)).unwrap()).unwrap();
    assert_eq!(got.unwrap(), ("server".to_string(), "80".to_string()));
    let e = sim.run_until_complete(&client.create_task(client.getnameinfo("nowhere".into(), 80, 0)).unwrap()).unwrap().unwrap_err();
    assert_eq!((e.name(), e.errno()), ("gaierror", Some(-2)));
}

#[test]
fn lookups_are_deterministic() {
    let run = || {
        let sim = sim(14);
        sim.host("server").unwrap();
        let client = sim.host("client").unwrap();
        for _ in 0..3 {
            let t = client.create_task(client.getaddrinfo(Some("server".into()), Some("1".into()), Default::default())).unwrap();
            sim.run_until_complete(&t).unwrap().unwrap();
        }
        (sim.now(), sim.trace().len())
    };
    assert_eq!(run(), run());
}

fn connect_with(sim: &evloop::sim::Simulation, opts: ConnectionOptions, port: u16) -> evloop::Result<()> {
    let client = sim.loop_of("client").unwrap().unwrap();
    let c = Client::new();
    let fut = client.create_connection(move || c as Rc<dyn Protocol>, Some("server".into()), Some(port), opts);
    let task = client.create_task(async move { fut.await.map(|(t, _)| t.close()) }).unwrap();
    sim.run_until_complete(&task).unwrap()
}

#[test]
fn connection_options_are_honoured_or_refused() {
    let sim = sim(15);
    let server = sim.host("server").unwrap();
    echo_server(&server, 80);
    sim.host("client").unwrap();
    // One address per host: the race has one entrant, and wins.
    let race = ConnectionOptions { happy_eyeballs_delay: Some(0.1), interleave: Some(1), local_addr: Some(("client".into(), 0)), ..Default::default() };
    connect_with(&sim, race, 80).unwrap();
    // all_errors: the one refusal, as a group.
    let e = connect_with(&sim, ConnectionOptions { all_errors: true, ..Default::default() }, 81).unwrap_err();
    let Error::Group { errors, .. } = &e else { panic!("{e:?}") };
    assert_eq!(errors[0].message(), "[Errno 111] Connect call failed ('server', 81)");
    // Refused: another host's address, a chosen local port, IPv6, UDP.
    let e = connect_with(&sim, ConnectionOptions { local_addr: Some(("server".into(), 0)), ..Default::default() }, 80).unwrap_err();
    assert_eq!(e.code(), Some("EADDRNOTAVAIL"));
    let e = connect_with(&sim, ConnectionOptions { local_addr: Some(("client".into(), 5000)), ..Default::default() }, 80).unwrap_err();
    assert_eq!(e.name(), "ValueError");
    let e = connect_with(&sim, ConnectionOptions { family: evloop::Family::Inet6, ..Default::default() }, 80).unwrap_err();
    assert_eq!((e.name(), e.errno()), ("gaierror", Some(-9)));
    let e = connect_with(&sim, ConnectionOptions { proto: 17, ..Default::default() }, 80).unwrap_err();
    assert_eq!(e.code(), Some("EPROTONOSUPPORT"));
}
