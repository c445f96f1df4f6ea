//! A UDP echo server on the evloop crate alone (`create_datagram_endpoint`).
//!
//! ```text
//! cargo run --release --example udp_echo_server -- 127.0.0.1:0 [--selector epoll|poll|select | --proactor]
//! ```
//! Prints the bound address (`127.0.0.1:PORT`) as its first line, sends every
//! datagram back to its sender, and runs until killed. The benchmarks drive it.

use std::cell::RefCell;
use std::rc::Rc;

use evloop::{Address, DatagramOptions, DatagramProtocol, DatagramTransport, EndpointAddr, EventLoop, SelectorKind};

#[derive(Default)]
struct Echo {
    transport: RefCell<Option<DatagramTransport>>,
}

impl DatagramProtocol for Echo {
    fn connection_made(&self, transport: &DatagramTransport) -> evloop::Result<()> {
        *self.transport.borrow_mut() = Some(transport.clone());
        Ok(())
    }

    fn datagram_received(&self, data: &[u8], addr: Option<Address>) -> evloop::Result<()> {
        if let Some(t) = self.transport.borrow().as_ref() {
            t.sendto(data, addr.as_ref())?;
        }
        Ok(())
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut addr = "127.0.0.1:0".to_string();
    let mut selector = SelectorKind::Default;
    let mut proactor = false;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--proactor" => proactor = true,
            "--selector" => {
                let name = args.next().ok_or("--selector needs a name")?;
                selector = SelectorKind::from_name(&name).ok_or(format!("unknown selector {name:?}"))?;
            }
            other => addr = other.to_string(),
        }
    }
    let (host, port) = addr.rsplit_once(':').ok_or("the address is HOST:PORT")?;
    let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
    let port: u16 = port.parse()?;

    let lp = if proactor { EventLoop::proactor()? } else { EventLoop::with_selector(selector)? };
    let opts = DatagramOptions { local_addr: Some(EndpointAddr::Host(host, port)), ..Default::default() };
    let create = lp.create_datagram_endpoint(|| Rc::new(Echo::default()) as Rc<dyn DatagramProtocol>, opts);
    let task = lp.create_task(create)?;
    let (transport, _protocol) = lp.run_until_complete(&task)??;
    match transport.sockname() {
        Some(Address::Inet(a)) => println!("{a}"),
        other => println!("{other:?}"),
    }
    lp.run_forever()?;
    Ok(())
}
