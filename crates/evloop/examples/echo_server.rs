//! A TCP echo server on the evloop crate alone; over TLS with `--cert`.
//!
//! ```text
//! cargo run --release --example echo_server -- 127.0.0.1:0 [--selector epoll|poll|select | --proactor] [--cert CERT.pem [--key KEY.pem]]
//! ```
//! Prints the bound address (`127.0.0.1:PORT`) as its first line, echoes
//! every byte (every decrypted byte, over TLS) back, and runs until killed.
//! The benchmarks drive it.

use std::cell::RefCell;
use std::rc::Rc;

use evloop::tls::{Purpose, SslContext, TlsOptions};
use evloop::{EventLoop, Protocol, SelectorKind, ServerOptions, Transport};

#[derive(Default)]
struct Echo {
    transport: RefCell<Option<Transport>>,
}

impl Protocol for Echo {
    fn connection_made(&self, transport: &Transport) -> evloop::Result<()> {
        *self.transport.borrow_mut() = Some(transport.clone());
        Ok(())
    }

    fn data_received(&self, data: &[u8]) -> evloop::Result<()> {
        if let Some(t) = self.transport.borrow().as_ref() {
            t.write(data)?;
        }
        Ok(())
    }

    fn connection_lost(&self, _exc: Option<evloop::Error>) -> evloop::Result<()> {
        // Drop the transport: it holds us, we hold it.
        self.transport.borrow_mut().take();
        Ok(())
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut addr = "127.0.0.1:0".to_string();
    let mut selector = SelectorKind::Default;
    let mut proactor = false;
    let (mut cert, mut key) = (None, None);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--proactor" => proactor = true,
            "--selector" => {
                let name = args.next().ok_or("--selector needs a name")?;
                selector = SelectorKind::from_name(&name).ok_or(format!("unknown selector {name:?}"))?;
            }
            "--cert" => cert = Some(args.next().ok_or("--cert needs a file")?),
            "--key" => key = Some(args.next().ok_or("--key needs a file")?),
            other => addr = other.to_string(),
        }
    }
    let (host, port) = addr.rsplit_once(':').ok_or("the address is HOST:PORT")?;
    let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
    let port: u16 = port.parse()?;

    let mut opts = ServerOptions::default();
    if let Some(cert) = cert {
        let ctx = SslContext::new(Purpose::Server);
        ctx.load_cert_chain(&cert, key.as_deref())?;
        opts.tls = TlsOptions { ssl: Some(ctx), ..Default::default() };
    }

    let lp = if proactor { EventLoop::proactor()? } else { EventLoop::with_selector(selector)? };
    let create = lp.create_server(|| Rc::new(Echo::default()) as Rc<dyn Protocol>, Some(host.as_str().into()), Some(port), opts);
    let task = lp.create_task(create)?;
    let server = lp.run_until_complete(&task)??;
    match server.sockets()[0].getsockname()? {
        evloop::Address::Inet(a) => println!("{a}"),
        other => println!("{other}"),
    }
    lp.run_forever()?;
    Ok(())
}
