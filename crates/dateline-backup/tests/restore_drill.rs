//! The restore drill (issue 14): a demo site with comments, a tip and a correction, served on a
//! real listener, is backed up while a load generator reads pages and posts comments; the
//! archive is restored into a fresh data folder and database and served again. Every public
//! page must be byte-identical, every comment acknowledged before the backup started must be
//! there, and the tip must still decrypt with the editor's identity using stock `age`.
//! Damaged archives and non-empty targets are refused before anything is written.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dateline_backup::{BackupError, Destination, OnProgress, Site, Target, TargetObjects};
use dateline_db::{
    Actor, ArticleLookup, BackendKind, CommentAuthor, NewComment, NewTip, NewTipAttachment,
    NewTipRecipient, Store,
};
use dateline_storage::MediaStore;
use dateline_web::{AppState, WebConfig};

/// Both sites claim the same public address, so canonical links and feeds can match byte for
/// byte although they listen on different ports.
const BASE_URL: &str = "https://news.example";
const TIP_TEXT: &str = "The harbour authority's audit was rewritten before it was published.";
const ATTACHMENT_TEXT: &str = "Draft audit, page 4: the figures that were removed.";
const ATTACHMENT_KEY: &str = "tips/drill/0001.age";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_restore_drill() {
    restore_drill(BackendKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_restore_drill() {
    restore_drill(BackendKind::Postgres).await;
}

fn quiet() -> OnProgress {
    Arc::new(|_| {})
}

struct Served {
    address: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

async fn serve(store: &Store, media: &MediaStore) -> Served {
    let state = AppState::new(
        store.clone(),
        media.clone(),
        WebConfig {
            base_url: BASE_URL.to_owned(),
            theme_folder: None,
            page_cache_bytes: 8 * 1024 * 1024,
            ..WebConfig::default()
        },
    )
    .await
    .expect("site state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listen");
    let address = listener.local_addr().expect("address");
    let site = axum::ServiceExt::<axum::extract::Request>::into_make_service_with_connect_info::<
        SocketAddr,
    >(dateline_web::service(state));
    let task = tokio::spawn(async move {
        axum::serve(listener, site).await.expect("serve");
    });
    Served { address, task }
}

async fn get(client: &reqwest::Client, address: SocketAddr, path: &str) -> (u16, Vec<u8>) {
    let response = client
        .get(format!("http://{address}{path}"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let status = response.status().as_u16();
    let body = response.bytes().await.expect("body").to_vec();
    (status, body)
}

/// Every public page reachable from the front page, the sitemaps, the feeds and the
/// corrections page, by following same-site links: path → body.
async fn crawl(client: &reqwest::Client, address: SocketAddr) -> BTreeMap<String, Vec<u8>> {
    let mut pages = BTreeMap::new();
    let mut queue: Vec<String> = [
        "/",
        "/sitemap.xml",
        "/feeds/rss.xml",
        "/feeds/atom.xml",
        "/corrections",
    ]
    .map(str::to_owned)
    .to_vec();
    let mut seen: BTreeSet<String> = queue.iter().cloned().collect();
    while let Some(path) = queue.pop() {
        let (status, body) = get(client, address, &path).await;
        if status != 200 {
            // A feed name this site does not publish: not a page.
            continue;
        }
        let text = String::from_utf8_lossy(&body).into_owned();
        pages.insert(path, body);
        for link in links(&text) {
            if seen.insert(link.clone()) {
                queue.push(link);
            }
        }
        assert!(pages.len() < 2_000, "the crawl does not end");
    }
    pages
}

/// Same-site page links in HTML (`href="/…"`) and XML (`<loc>`, `<link>` with the base URL).
fn links(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (open, close) in [
        ("href=\"", '"'),
        ("<loc>", '<'),
        ("<link>", '<'),
        ("href='", '\''),
    ] {
        for piece in text.split(open).skip(1) {
            let Some(end) = piece.find(close) else {
                continue;
            };
            let raw = piece[..end].replace("&amp;", "&");
            let path = raw.strip_prefix(BASE_URL).unwrap_or(&raw);
            if !path.starts_with('/') || path.starts_with("//") {
                continue;
            }
            let path = path.split('#').next().unwrap_or_default();
            let public_page = ![
                "/newsroom",
                "/readers",
                "/tips",
                "/search",
                "/discussion",
                "/static",
                "/media",
                "/audio",
                "/api",
            ]
            .iter()
            .any(|private| path.starts_with(private));
            if public_page && !path.contains('?') {
                found.push(path.to_owned());
            }
        }
    }
    found
}

async fn restore_drill(kind: BackendKind) {
    let origin = tempfile::tempdir().expect("folder");
    let data_dir = origin.path().join("data");
    std::fs::create_dir_all(&data_dir).expect("data folder");
    let database_url = dateline_db::testing::empty_database_url(kind, &data_dir).await;
    let store = Store::open(&database_url).await.expect("open");
    let media = MediaStore::local(&data_dir.join("media")).expect("media");
    let now = jiff::Timestamp::now();
    let demo = dateline_demo::load_newsroom(&store, &media, now)
        .await
        .expect("demo newsroom");

    // The editor's tips identity lives in the data folder, as the demo keeps it.
    let identity = dateline_tips::generate_identity("drill editor", "drill");
    let identity_file = data_dir.join("demo-tips-identity.txt");
    std::fs::write(&identity_file, identity.file_text.as_bytes()).expect("identity");
    store
        .tips()
        .add_recipient(
            &NewTipRecipient {
                staff_id: Some(demo.admin_id),
                label: "drill".into(),
                public_key: identity.public_key.clone(),
                recovery: false,
                wrapped_identity: None,
            },
            &Actor::system("drill"),
            now,
        )
        .await
        .expect("recipient");
    let recipients =
        dateline_tips::Recipients::parse([identity.public_key.as_str()]).expect("recipients");
    let seal = |text: &str| dateline_tips::encrypt(&recipients, text.as_bytes()).expect("encrypt");
    media
        .put(ATTACHMENT_KEY, seal(ATTACHMENT_TEXT).into())
        .await
        .expect("attachment ciphertext");
    let reply = dateline_tips::generate_identity("tipster", "drill");
    let tip = store
        .tips()
        .create(
            &NewTip {
                kind: dateline_core::tips::TipKind::Tip,
                article_id: None,
                codename_key: "drill-codename".into(),
                reply_public_key: reply.public_key.clone(),
                message: seal(TIP_TEXT),
                contact: None,
                attachments: vec![NewTipAttachment {
                    object_key: ATTACHMENT_KEY.into(),
                    description: seal("audit.txt text/plain"),
                    size: 0,
                }],
            },
            now,
        )
        .await
        .expect("tip");

    // The load posts to the lead story, held for moderation: acknowledged (stored, answered),
    // yet not on a public page, so pages stay comparable while it runs.
    let (section, slug) = demo
        .lead_path
        .trim_start_matches('/')
        .split_once('/')
        .expect("lead path");
    let ArticleLookup::Found(lead) = store
        .articles()
        .published_at(section, slug)
        .await
        .expect("lead")
    else {
        panic!("no lead story at {}", demo.lead_path);
    };
    let lead_id = lead.article.id;
    store
        .comments()
        .set_article_comment_mode(
            lead_id,
            Some(dateline_core::comments::ModerationMode::Pre),
            &Actor::system("drill"),
            now,
        )
        .await
        .expect("pre-moderation");
    let reader = store
        .people()
        .reader_by_email("maria.ortiz@readers.example")
        .await
        .expect("reader")
        .expect("a demo reader");

    let site = serve(&store, &media).await;
    // reqwest is built without a crypto provider of its own (see the root Cargo.toml); these
    // requests are plain HTTP, but the client wants one installed all the same.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    let before = crawl(&client, site.address).await;
    for expected in ["/", "/corrections", "/sitemap.xml", demo.lead_path.as_str()] {
        assert!(
            before.contains_key(expected),
            "the crawl missed {expected}: {:?}",
            before.keys()
        );
    }
    for prefix in ["/authors/", "/tags/", "/feeds/", "/sitemaps/"] {
        assert!(
            before.keys().any(|path| path.starts_with(prefix)),
            "no {prefix} page crawled: {:?}",
            before.keys()
        );
    }
    let corrections = String::from_utf8_lossy(&before["/corrections"]).into_owned();
    // The demo's correction, as published.
    assert!(
        corrections.contains("misstated the number of early-voting sites"),
        "{corrections}"
    );

    // The load generator: readers fetching pages, a reader posting comments.
    let stop = Arc::new(AtomicBool::new(false));
    let acknowledged: Arc<Mutex<Vec<i64>>> = Arc::default();
    let reads = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let paths: Vec<String> = before.keys().cloned().collect();
    let mut load = Vec::new();
    for reader_task in 0..2 {
        let (stop, reads, client, paths, address) = (
            stop.clone(),
            reads.clone(),
            client.clone(),
            paths.clone(),
            site.address,
        );
        load.push(tokio::spawn(async move {
            let mut i = reader_task;
            while !stop.load(Ordering::Relaxed) {
                let (status, _) = get(&client, address, &paths[i % paths.len()]).await;
                assert_eq!(status, 200);
                reads.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
        }));
    }
    {
        let (stop, acknowledged, store) = (stop.clone(), acknowledged.clone(), store.clone());
        load.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let comment = store
                    .comments()
                    .post(
                        &NewComment {
                            article_id: lead_id,
                            parent_id: None,
                            author: CommentAuthor::Reader(reader.id),
                            body: format!("Comment {n} posted while the backup runs."),
                        },
                        jiff::Timestamp::now(),
                    )
                    .await
                    .expect("comment");
                acknowledged.lock().expect("lock").push(comment.id);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }));
    }
    while acknowledged.lock().expect("lock").len() < 10 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let acknowledged_before_backup: Vec<i64> = acknowledged.lock().expect("lock").clone();
    let archive = origin.path().join("site.tar.gz");
    let report = dateline_backup::backup(
        &Site {
            database_url: database_url.clone(),
            data_dir: data_dir.clone(),
            objects: media.object_store(),
        },
        Destination::File(archive.clone()),
        quiet(),
    )
    .await
    .expect("backup");
    stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await.expect("load task");
    }
    assert!(
        reads.load(Ordering::Relaxed) > 0,
        "pages were read during the backup"
    );
    assert!(
        report.manifest.counts.objects > 0,
        "{:?}",
        report.manifest.counts
    );
    assert_eq!(report.manifest.counts.data_files, 1, "the tips identity");
    assert!(report.manifest.counts.missing_objects.is_empty());

    // Tips stay ciphertext inside the archive.
    let unpacked = gunzip(&archive);
    assert!(!contains(&unpacked, TIP_TEXT.as_bytes()));
    assert!(!contains(&unpacked, ATTACHMENT_TEXT.as_bytes()));

    // A fresh folder and database to restore into.
    let fresh = tempfile::tempdir().expect("folder");
    let restored_dir = fresh.path().join("data");
    let restored_url = dateline_db::testing::empty_database_url(kind, &restored_dir).await;
    let restored_media_dir = restored_dir.join("media");
    std::fs::create_dir_all(&restored_media_dir).expect("media folder");
    let restored_media = MediaStore::local(&restored_media_dir).expect("media");
    let target = Target {
        database_url: restored_url.clone(),
        data_dir: restored_dir.clone(),
        objects: TargetObjects::Store(restored_media.object_store()),
    };

    // Damaged archives: refused, and nothing written.
    let bytes = std::fs::read(&archive).expect("archive");
    let truncated = origin.path().join("truncated.tar.gz");
    std::fs::write(&truncated, &bytes[..bytes.len() * 2 / 3]).expect("write");
    let flipped = origin.path().join("flipped.tar.gz");
    let mut damaged = bytes.clone();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0x20;
    std::fs::write(&flipped, &damaged).expect("write");
    let cut_at_end = origin.path().join("cut-at-end.tar.gz");
    std::fs::write(&cut_at_end, &bytes[..bytes.len() - 4]).expect("write");
    for bad in [&truncated, &flipped, &cut_at_end] {
        match dateline_backup::restore(bad, &target, quiet()).await {
            Err(BackupError::Damaged(message)) => {
                assert!(!message.is_empty());
                let shown = BackupError::Damaged(message).to_string();
                assert!(shown.contains("Nothing was written"), "{shown}");
            }
            other => panic!("{}: {other:?}", bad.display()),
        }
        assert_nothing_written(&target).await;
    }

    let restored = dateline_backup::restore(&archive, &target, quiet())
        .await
        .expect("restore");
    assert_eq!(restored.manifest, report.manifest);

    // A second restore into the now-filled target is refused, and changes nothing.
    match dateline_backup::restore(&archive, &target, quiet()).await {
        Err(BackupError::Refused(message)) => assert!(message.contains("not empty"), "{message}"),
        other => panic!("a restore over a restored site: {other:?}"),
    }

    // The restored site serves exactly what the original did.
    let restored_store = Store::open(&restored_url).await.expect("open restored");
    let restored_site = serve(&restored_store, &restored_media).await;
    let mut differing = Vec::new();
    for (path, body) in &before {
        let (status, again) = get(&client, restored_site.address, path).await;
        if status != 200 || again != *body {
            differing.push(path.clone());
        }
    }
    assert!(
        differing.is_empty(),
        "pages that differ after the restore: {differing:?}"
    );
    let after = crawl(&client, restored_site.address).await;
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>(),
        "the restored site links the same pages"
    );

    // Every comment acknowledged before the backup started is there.
    for id in &acknowledged_before_backup {
        let comment = restored_store
            .comments()
            .by_id(*id)
            .await
            .expect("comment restored");
        assert_eq!(comment.article_id, lead_id);
    }

    // The tip and its attachment decrypt with the editor's identity, as restored, using age.
    let restored_identity = restored_dir.join("demo-tips-identity.txt");
    let tips = restored_store.tips().list(None).await.expect("tips");
    let restored_tip = tips.iter().find(|t| t.id == tip.id).expect("tip restored");
    assert_eq!(
        age_decrypt(&restored_identity, &restored_tip.message),
        TIP_TEXT
    );
    let attachment = restored_media
        .get(ATTACHMENT_KEY)
        .await
        .expect("read")
        .expect("attachment restored");
    assert_eq!(
        age_decrypt(&restored_identity, &attachment),
        ATTACHMENT_TEXT
    );

    site.task.abort();
    restored_site.task.abort();
    store.close().await;
    restored_store.close().await;
}

async fn assert_nothing_written(target: &Target) {
    let files: Vec<_> = walk(&target.data_dir);
    assert!(files.is_empty(), "a refused restore wrote {files:?}");
    assert_eq!(
        dateline_db::backup::existing_contents(&target.database_url)
            .await
            .expect("look"),
        None
    );
    let TargetObjects::Store(objects) = &target.objects;
    let listed: Vec<_> = futures_util::TryStreamExt::try_collect::<Vec<_>>(objects.list(None))
        .await
        .expect("list");
    assert!(listed.is_empty(), "a refused restore stored {listed:?}");
}

fn walk(folder: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let Ok(listing) = std::fs::read_dir(folder) else {
        return files;
    };
    for item in listing.flatten() {
        if item.file_type().is_ok_and(|t| t.is_dir()) {
            files.extend(walk(&item.path()));
        } else {
            files.push(item.path());
        }
    }
    files
}

fn gunzip(path: &Path) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).expect("archive"))
        .read_to_end(&mut out)
        .expect("gunzip");
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// Stock `age -d -i IDENTITY`, the way an editor reads a tip by hand.
fn age_decrypt(identity: &Path, ciphertext: &[u8]) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(identity)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("age (apt install age)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(ciphertext)
        .expect("write");
    let output = child.wait_with_output().expect("age");
    assert!(
        output.status.success(),
        "age -d: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}
