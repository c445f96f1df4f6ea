//! Certificates made at test time with `openssl` (Debian's), and the
//! contexts that use them.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use evloop::tls::{Purpose, SslContext};

/// A test CA and a server certificate it signed, for `localhost` and
/// `127.0.0.1`, in a temporary directory removed on drop.
pub struct Certs {
    pub dir: PathBuf,
    pub ca: String,
    pub cert: String,
    pub key: String,
    /// A client certificate the CA signed (`CN=evloop client`).
    pub client_cert: String,
    pub client_key: String,
}

fn openssl(dir: &PathBuf, args: &[&str]) {
    let out = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl is installed (scripts/setup.sh)");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

impl Certs {
    /// Makes a fresh CA and server certificate (EC P-256).
    pub fn new() -> Certs {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!("evloop-tls-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
        std::fs::create_dir_all(&dir).unwrap();
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
        openssl(&dir, &[&["req", "-x509"][..], &ec, &["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=evloop test CA"]].concat());
        openssl(&dir, &[&["req"][..], &ec, &["-keyout", "server.key", "-out", "server.csr", "-subj", "/O=evloop/CN=localhost"]].concat());
        std::fs::write(dir.join("ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n").unwrap();
        openssl(&dir, &["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext"]);
        openssl(&dir, &[&["req"][..], &ec, &["-keyout", "client.key", "-out", "client.csr", "-subj", "/CN=evloop client"]].concat());
        std::fs::write(dir.join("client-ext"), "extendedKeyUsage=clientAuth\n").unwrap();
        openssl(&dir, &["x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "client.pem", "-days", "2", "-extfile", "client-ext"]);
        let p = |f: &str| dir.join(f).to_string_lossy().into_owned();
        Certs { ca: p("ca.pem"), cert: p("server.pem"), key: p("server.key"), client_cert: p("client.pem"), client_key: p("client.key"), dir }
    }

    /// A server context with the certificate.
    pub fn server(&self) -> SslContext {
        let ctx = SslContext::new(Purpose::Server);
        ctx.load_cert_chain(&self.cert, Some(&self.key)).unwrap();
        ctx
    }

    /// A client context that trusts the test CA.
    pub fn client(&self) -> SslContext {
        let ctx = SslContext::new(Purpose::Client);
        ctx.load_verify_locations(Some(&self.ca), None, None).unwrap();
        ctx
    }
}

impl Drop for Certs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// An `openssl` child process, killed (by its pid) when dropped.
pub struct Child(pub std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `openssl s_server ... -accept 127.0.0.1:0 <args>`; returns it and the
/// port it printed (`ACCEPT 127.0.0.1:PORT`).
pub fn s_server(certs: &Certs, args: &[&str]) -> (Child, u16) {
    use std::io::BufRead;
    let mut child = Command::new("openssl")
        .args(["s_server", "-accept", "127.0.0.1:0", "-cert", &certs.cert, "-key", &certs.key])
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("openssl s_server");
    let stdout = child.stdout.take().unwrap();
    let mut lines = std::io::BufReader::new(stdout).lines();
    let port = loop {
        let line = lines.next().expect("s_server printed ACCEPT").unwrap();
        if let Some(addr) = line.strip_prefix("ACCEPT ") {
            break addr.rsplit(':').next().unwrap().parse().unwrap();
        }
    };
    // Keep draining its output so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (Child(child), port)
}
