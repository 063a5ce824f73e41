//! Varnish for tests: `varnishd` unprivileged (`-j none`), small and fast, on a free loopback port,
//! running the shipped `deploy/varnish/dateline.vcl` with a site file naming the test's nodes.
//! Stopped when dropped, also when the test panics.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use dateline_storage::testing::{free_ports, tied_to_this_test};

/// The variable naming `varnishd` when it is not `/usr/sbin/varnishd`.
pub const VARNISHD_VAR: &str = "DATELINE_TEST_VARNISHD";

/// How long varnishd may take to compile the VCL and accept connections: about half a second
/// on an idle machine, several on a loaded two-core one.
const START_DEADLINE: Duration = Duration::from_secs(60);

pub struct Varnish {
    manager: Option<Child>,
    folder: tempfile::TempDir,
    pub address: SocketAddr,
}

impl Varnish {
    /// Starts varnishd in front of `nodes`, allowing `purgers` to purge.
    pub fn start(nodes: &[SocketAddr], purgers: &[&str]) -> Varnish {
        let varnishd = varnishd();
        let folder = tempfile::tempdir().expect("temporary folder for Varnish");
        std::fs::write(
            folder.path().join("dateline-site.vcl"),
            site_vcl(nodes, purgers),
        )
        .expect("write dateline-site.vcl");
        let [port] = free_ports::<1>();
        let address: SocketAddr = ([127, 0, 0, 1], port).into();
        let vcl = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/varnish/dateline.vcl");
        let log = std::fs::File::create(folder.path().join("varnishd.log")).expect("log");
        // -F keeps the manager in the foreground, so it is our child to stop; -j none runs
        // without switching users; the site file comes from vcl_path (the test's folder).
        let manager = tied_to_this_test(&varnishd)
            .arg("-F")
            .args(["-j", "none", "-T", "none"])
            .arg("-n")
            .arg(folder.path().join("n"))
            .arg("-P")
            .arg(folder.path().join("pid"))
            .arg("-a")
            .arg(address.to_string())
            .arg("-f")
            .arg(&vcl)
            .arg("-p")
            .arg(format!("vcl_path={}", folder.path().display()))
            .args([
                "-s",
                "malloc,64m",
                "-p",
                "thread_pools=1",
                "-p",
                "vsl_space=1M",
            ])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|error| panic!("starting {}: {error}", varnishd.display()));
        let mut varnish = Varnish {
            manager: Some(manager),
            folder,
            address,
        };
        varnish.wait_until_listening();
        varnish
    }

    fn wait_until_listening(&mut self) {
        let started = Instant::now();
        while TcpStream::connect(self.address).is_err() {
            if let Some(manager) = &mut self.manager
                && let Ok(Some(status)) = manager.try_wait()
            {
                panic!(
                    "varnishd exited ({status}) before listening:\n{}",
                    self.log()
                );
            }
            assert!(
                started.elapsed() < START_DEADLINE,
                "varnishd did not listen within {START_DEADLINE:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.folder.path().join("varnishd.log")).unwrap_or_default()
    }
}

impl Drop for Varnish {
    fn drop(&mut self) {
        if let Some(mut manager) = self.manager.take() {
            // The cache process is the manager's child and exits when the manager is gone.
            let _ = manager.kill();
            let _ = manager.wait();
        }
    }
}

/// `varnishd` from `DATELINE_TEST_VARNISHD` or Debian's place; a panic that says how to get it.
fn varnishd() -> PathBuf {
    let path = std::env::var_os(VARNISHD_VAR)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/sbin/varnishd"));
    assert!(
        path.is_file(),
        "{} is missing: the CDN tests run the real Varnish. Install it with `apt-get install \
         varnish varnish-modules` (.ci/run and scripts/test do), or set {VARNISHD_VAR}.",
        path.display()
    );
    path
}

/// The site part of the VCL for these nodes and purgers, as an operator would write it.
fn site_vcl(nodes: &[SocketAddr], purgers: &[&str]) -> String {
    let mut vcl = String::new();
    for (n, node) in nodes.iter().enumerate() {
        vcl.push_str(&format!(
            "backend node{n} {{ .host = \"{}\"; .port = \"{}\"; }}\n",
            node.ip(),
            node.port()
        ));
    }
    vcl.push_str("acl dateline_purgers {\n");
    for purger in purgers {
        vcl.push_str(&format!("    \"{purger}\";\n"));
    }
    vcl.push_str("}\nsub vcl_init {\n    new dateline_nodes = directors.round_robin();\n");
    for n in 0..nodes.len() {
        vcl.push_str(&format!("    dateline_nodes.add_backend(node{n});\n"));
    }
    vcl.push_str("}\n");
    vcl
}

/// An answer as a client sees it.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// One HTTP/1.1 request to `address` (`Connection: close`) from the local address `from`, with
/// extra `headers`. Blocking: run it off the async workers.
pub fn request(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    from: std::net::IpAddr,
) -> Answer {
    let socket = match from {
        std::net::IpAddr::V4(_) => tokio::net::TcpSocket::new_v4(),
        std::net::IpAddr::V6(_) => tokio::net::TcpSocket::new_v6(),
    }
    .expect("socket");
    socket
        .bind((from, 0).into())
        .expect("bind the client address");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let stream = runtime
        .block_on(socket.connect(address))
        .expect("connect to Varnish");
    let mut stream = stream.into_std().expect("std stream");
    stream.set_nonblocking(false).expect("blocking");
    let mut text = format!("{method} {path} HTTP/1.1\r\nHost: news.test\r\nConnection: close\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    stream.write_all(text.as_bytes()).expect("send");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).expect("read");
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_owned(),
    }
}
