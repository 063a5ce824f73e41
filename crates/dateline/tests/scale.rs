//! Issue 16, the whole scale-out on loopback: one PostgreSQL, one SeaweedFS bucket and one
//! Varnish (the shipped VCL), all started here, in front of three `dateline serve` nodes of the
//! real binary. What one node writes, every node and the CDN show; an edit purges exactly the
//! pages that carry its tags; an image stored through one node is served by another; tips
//! through different nodes count against one limit; killing a node loses nothing it
//! acknowledged while the others keep serving.

#[path = "cdn/varnish.rs"]
mod varnish;

mod support;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use dateline_core::Role;
use dateline_db::{Actor, BackendKind, NewStaff, Store};
use dateline_storage::testing::SeaweedFs;
use sha2::{Digest, Sha256};

use support::{Site, request, send_tip, tip_form};
use varnish::{Answer, Varnish};

const NODES: usize = 3;
const TOKEN: &str = "dlt_scale_test_editor_token";
/// How long the CDN may take to show a change: the second, with room for three debug
/// builds sharing two loaded cores (`bench/scale.sh` measures the real figure on release builds).
const VISIBLE_WITHIN: Duration = Duration::from_secs(3);

async fn through_varnish(varnish: &Varnish, path: &str) -> Answer {
    let (address, path) = (varnish.address, path.to_owned());
    tokio::task::spawn_blocking(move || {
        varnish::request(address, "GET", &path, &[], IpAddr::V4(Ipv4Addr::LOCALHOST))
    })
    .await
    .expect("request thread")
}

/// Asks Varnish for `path` until the page contains `text`; how long that took.
async fn until_shown(varnish: &Varnish, path: &str, text: &str) -> Duration {
    let started = Instant::now();
    loop {
        let answer = through_varnish(varnish, path).await;
        if answer.status == 200 && answer.body.contains(text) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < VISIBLE_WITHIN,
            "{path} did not show “{text}” through Varnish within {VISIBLE_WITHIN:?}: {} {:?}",
            answer.status,
            answer.headers
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// A JSON call to the Admin API of the node on `port`.
async fn admin(port: u16, method: &str, path: &str, json: serde_json::Value) -> serde_json::Value {
    let body = json.to_string();
    let (status, answer) = request(
        port,
        method,
        path,
        &[
            ("Authorization", format!("Bearer {TOKEN}")),
            ("Content-Type", "application/json".to_owned()),
        ],
        body.as_bytes(),
    )
    .await
    .expect("the Admin API answers");
    assert!(
        (200..300).contains(&status),
        "{method} {path}: {status} {answer}"
    );
    serde_json::from_str(&answer).unwrap_or(serde_json::Value::Null)
}

/// The newsroom the test writes as: Politics and Business with an article each, and an editor
/// with an Admin API token.
async fn newsroom(store: &Store) {
    let (politics, author) = dateline_db::testing::politics_desk(store).await;
    let business = store
        .site()
        .create_section(
            &dateline_db::SectionInput {
                slug: "business".into(),
                name: "Business".into(),
                description: String::new(),
                position: 1,
            },
            jiff::Timestamp::now(),
        )
        .await
        .expect("section");
    for (section, slug, headline) in [
        (politics, "vote-delayed", "Vote delayed"),
        (business.id, "port-reopens", "Port reopens"),
    ] {
        let mut input = dateline_db::ArticleInput {
            section_id: section,
            slug: slug.into(),
            headline: headline.into(),
            standfirst: "What happened.".into(),
            body: "It happened.".into(),
            dateline_place: None,
            hero_image_id: None,
            author_ids: vec![author],
            tags: Vec::new(),
            language: "en".into(),
            comments_open: true,
            status: dateline_core::ArticleStatus::Published,
            first_published_at: None,
            updated_at: None,
        };
        input.first_published_at = Some(jiff::Timestamp::now());
        store
            .articles()
            .create(&input, jiff::Timestamp::now())
            .await
            .expect("article");
    }
    let editor = store
        .people()
        .create_staff(
            &NewStaff {
                email: "desk@news.example".into(),
                display_name: "Desk".into(),
                role: Role::Editor,
                password_hash: None,
                author_id: Some(author),
            },
            jiff::Timestamp::now(),
        )
        .await
        .expect("editor");
    store
        .sessions()
        .create_api_token(
            "scale test",
            Role::Editor,
            &hex::encode(Sha256::digest(TOKEN.as_bytes())),
            jiff::Timestamp::now() + dateline_db::API_TOKEN_DEFAULT_LIFETIME,
            &Actor::staff(editor.id, editor.display_name.clone()),
            jiff::Timestamp::now(),
        )
        .await
        .expect("token");
}

fn a_picture() -> Vec<u8> {
    let picture = image::RgbImage::from_fn(640, 480, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(picture)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("encode");
    out.into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_behind_varnish_share_one_site() {
    let folder = tempfile::tempdir().expect("folder");
    let database_url =
        dateline_db::testing::empty_database_url(BackendKind::Postgres, folder.path()).await;
    let seaweed = SeaweedFs::start().await;
    let mut nodes: Vec<Site> = (0..NODES)
        .map(|_| Site::new(database_url.clone()))
        .collect();
    let addresses: Vec<SocketAddr> = nodes
        .iter()
        .map(|node| SocketAddr::from(([127, 0, 0, 1], node.port)))
        .collect();
    let varnish = tokio::task::block_in_place(|| Varnish::start(&addresses, &["127.0.0.1"]));
    for node in &mut nodes {
        node.env = vec![
            ("DATELINE_STORAGE_URL".into(), seaweed.storage_url()),
            (
                "DATELINE_CDN_PURGE_URLS".into(),
                format!("http://{}", varnish.address),
            ),
            ("DATELINE_NARRATION".into(), "off".into()),
        ];
    }
    let identity = folder.path().join("tips-identity.txt");
    nodes[0].run(&[
        "tips",
        "keygen",
        "--recovery",
        "scale",
        "--output",
        identity.to_str().expect("path"),
    ]);
    let store = Store::open(&database_url).await.expect("the site's store");
    newsroom(&store).await;
    for (n, node) in nodes.iter_mut().enumerate() {
        node.start(&format!("node{n}.log")).await;
    }
    let ports: Vec<u16> = nodes.iter().map(|node| node.port).collect();

    // The CDN holds the pages: the second ask is a hit.
    for path in [
        "/",
        "/politics",
        "/business",
        "/politics/vote-delayed",
        "/business/port-reopens",
    ] {
        let first = through_varnish(&varnish, path).await;
        assert_eq!(first.status, 200, "{path}: {first:?}\n{}", nodes[0].log());
        let again = through_varnish(&varnish, path).await;
        assert_eq!(again.header("X-Cache"), Some("HIT"), "{path}: {again:?}");
    }

    // Publish on node 1: the new article, the front and its section through the CDN.
    let created = admin(
        ports[0],
        "POST",
        "/api/v1/admin/articles",
        serde_json::json!({
            "section": "politics",
            "headline": "Senate passes the budget",
            "slug": "senate-passes-budget",
            "standfirst": "After a night of votes.",
            "body": "The vote was 52 to 48.",
        }),
    )
    .await;
    let id = created["id"].as_i64().expect("article id");
    admin(
        ports[0],
        "POST",
        &format!("/api/v1/admin/articles/{id}/publish"),
        serde_json::json!({}),
    )
    .await;
    let published = Instant::now();
    for path in ["/politics/senate-passes-budget", "/", "/politics"] {
        until_shown(&varnish, path, "Senate passes the budget").await;
    }
    eprintln!(
        "publish to visible through Varnish: {:?}",
        published.elapsed()
    );

    // An edit purges the pages with the article's tags; the others stay cached.
    let business_before = through_varnish(&varnish, "/business/port-reopens").await;
    assert_eq!(business_before.header("X-Cache"), Some("HIT"));
    let version = admin(
        ports[1],
        "GET",
        &format!("/api/v1/admin/articles/{id}"),
        serde_json::Value::Null,
    )
    .await["version"]
        .as_i64()
        .expect("version");
    admin(
        ports[1],
        "PUT",
        &format!("/api/v1/admin/articles/{id}"),
        serde_json::json!({"version": version, "headline": "Senate passes the budget after an all-night session"}),
    )
    .await;
    until_shown(
        &varnish,
        "/politics/senate-passes-budget",
        "all-night session",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    for path in ["/business/port-reopens", "/business"] {
        let kept = through_varnish(&varnish, path).await;
        assert_eq!(
            kept.header("X-Cache"),
            Some("HIT"),
            "{path} was not purged: {kept:?}"
        );
        let age: u64 = kept.header("Age").and_then(|a| a.parse().ok()).unwrap_or(0);
        assert!(age >= 1, "{path} kept its age: {kept:?}");
    }

    // An image uploaded through node 2 is served by node 3, the same bytes.
    let picture = a_picture();
    let (status, uploaded) = request(
        ports[1],
        "POST",
        "/api/v1/admin/images?alt=A%20harbour%20crane",
        &[
            ("Authorization", format!("Bearer {TOKEN}")),
            ("Content-Type", "image/jpeg".to_owned()),
        ],
        &picture,
    )
    .await
    .expect("upload");
    assert_eq!(status, 201, "{uploaded}");
    let media_path = uploaded
        .split('"')
        .find(|part| part.contains("/media/images/"))
        .and_then(|url| url.find("/media/").map(|at| url[at..].to_owned()))
        .expect("a variant URL");
    let (via_two, two) = request(ports[1], "GET", &media_path, &[], b"")
        .await
        .expect("node 2");
    let (via_three, three) = request(ports[2], "GET", &media_path, &[], b"")
        .await
        .expect("node 3");
    assert_eq!((via_two, via_three), (200, 200), "{media_path}");
    assert_eq!(two, three, "the same bytes from either node");

    // Tips through different nodes count against one limit (10 per address an hour).
    for n in 0..10 {
        let port = ports[n % NODES];
        let (action, _) = tip_form(port).await.expect("form");
        let (status, page) = send_tip(port, &action, &format!("tip {n}"), None)
            .await
            .expect("tip");
        assert_eq!(status, 200, "tip {n} through node {}: {page}", n % NODES);
    }
    for &port in &ports {
        let (action, _) = tip_form(port).await.expect("form");
        let (status, _) = send_tip(port, &action, "one too many", None)
            .await
            .expect("tip");
        assert_eq!(
            status, 429,
            "node on {port} knows the address spent its allowance"
        );
    }

    // Kill node 3 while tips with proofs of work arrive: what it acknowledged is stored, and
    // the other nodes keep serving.
    let mut acknowledged = Vec::new();
    for n in 0..4 {
        let port = ports[2];
        let Ok((action, token)) = tip_form(port).await else {
            break;
        };
        let nonce = dateline_tips::solve_proof_of_work(&token);
        let message = format!("under load {n}");
        if n == 2 {
            nodes[2].kill();
        }
        if let Ok((200, page)) = send_tip(port, &action, &message, Some(&nonce)).await
            && page.contains("your tip was received")
        {
            acknowledged.push(message);
        }
    }
    assert!(
        !acknowledged.is_empty(),
        "node 3 acknowledged tips before it died"
    );
    assert_eq!(
        store.tips().list(None).await.expect("tips").len(),
        10 + acknowledged.len(),
        "every acknowledged tip is stored, and nothing else"
    );
    for &port in &ports[..2] {
        let (status, page) = request(port, "GET", "/politics/senate-passes-budget", &[], b"")
            .await
            .expect("a surviving node answers");
        assert_eq!(status, 200);
        assert!(page.contains("all-night session"));
    }
    let cached = through_varnish(&varnish, "/business/port-reopens").await;
    assert_eq!(cached.status, 200, "the CDN still serves: {cached:?}");

    // A newer release migrated the database: a node of this release refuses to start on it,
    // and says why.
    let pool = sqlx::PgPool::connect(&database_url).await.expect("pool");
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9999, 'a newer release', true, '\\x00'::bytea, 1)",
    )
    .execute(&pool)
    .await
    .expect("a newer migration");
    pool.close().await;
    let mut late = Site::new(database_url.clone());
    late.env = nodes[0].env.clone();
    let listen = format!("127.0.0.1:{}", late.port);
    let refused = late
        .command(&["serve", "--no-demo", "--listen", &listen])
        .output()
        .expect("run serve");
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{said}");
    assert!(
        said.contains("schema is at migration 9999") && said.contains("newer release"),
        "{said}"
    );
    store.close().await;
}
