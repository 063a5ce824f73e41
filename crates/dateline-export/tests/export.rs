//! The open export against real sites: the demo newsroom with a tip is exported, imported into an
//! empty site (SQLite and PostgreSQL) and exported again, and the two exports must hold the same
//! rows and objects; damaged folders and non-empty sites are refused with nothing written; the
//! WXR file reads back through Dateline's own WordPress importer with the same counts; and the
//! format document names every field the code writes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use dateline_db::export::TABLES;
use dateline_db::{BackendKind, NewTip, NewTipAttachment, Store};
use dateline_export::{ExportError, ExportOptions};
use dateline_storage::MediaStore;
use dateline_usecases::{Actor, Context};

const ATTACHMENT_KEY: &str = "tips/export-test/0001.age";

struct TestSite {
    folder: tempfile::TempDir,
    store: Store,
    media: MediaStore,
}

async fn empty_site(kind: BackendKind) -> TestSite {
    let folder = tempfile::tempdir().expect("folder");
    let url = dateline_db::testing::empty_database_url(kind, folder.path()).await;
    let store = Store::open(&url).await.expect("open");
    let media = MediaStore::local(&folder.path().join("media")).expect("media");
    TestSite {
        folder,
        store,
        media,
    }
}

/// The demo newsroom, plus a tip with an attachment (ciphertext stand-ins: the export must copy
/// them byte for byte, whatever they hold).
async fn demo_site(kind: BackendKind) -> TestSite {
    let site = empty_site(kind).await;
    let now = jiff::Timestamp::now();
    dateline_demo::load_newsroom(&site.store, &site.media, now)
        .await
        .expect("demo newsroom");
    site.media
        .put(
            ATTACHMENT_KEY,
            b"age-encryption.org/v1 attachment".to_vec().into(),
        )
        .await
        .expect("attachment");
    site.store
        .tips()
        .create(
            &NewTip {
                kind: dateline_core::tips::TipKind::Tip,
                article_id: None,
                codename_key: "export-test-codename".into(),
                reply_public_key: "age1exporttest".into(),
                message: vec![0, 159, 146, 150, 255],
                contact: None,
                attachments: vec![NewTipAttachment {
                    object_key: ATTACHMENT_KEY.into(),
                    description: vec![1, 2, 3],
                    size: 32,
                }],
            },
            now,
        )
        .await
        .expect("tip");
    site
}

async fn export_to(site: &TestSite, folder: &Path) -> dateline_export::ExportReport {
    dateline_export::export(
        &site.store,
        &site.media,
        folder,
        &ExportOptions::default(),
        |_, _| {},
    )
    .await
    .expect("export")
}

async fn import_from(site: &TestSite, folder: &Path) -> Result<(), ExportError> {
    let ctx = Context::new(site.store.clone(), site.media.clone());
    dateline_export::import(&ctx, &Actor::system("test"), folder, |_, _| {})
        .await
        .map(|_| ())
}

/// Every line of every table file, sorted (text keys sort differently in SQLite and
/// PostgreSQL, so lines are compared as a set when backends differ).
fn lines_by_file(folder: &Path) -> BTreeMap<String, Vec<String>> {
    TABLES
        .iter()
        .map(|table| {
            let text = std::fs::read_to_string(folder.join(table.file())).unwrap_or_default();
            let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
            lines.sort();
            (table.file(), lines)
        })
        .collect()
}

async fn round_trip(from: BackendKind, to: BackendKind) {
    let origin = demo_site(from).await;
    let work = tempfile::tempdir().expect("work");
    let first = work.path().join("first");
    let report = export_to(&origin, &first).await;
    let manifest = &report.manifest;
    for kind in [
        "articles",
        "article_revisions",
        "comments",
        "images",
        "tips",
        "authors",
    ] {
        assert!(
            manifest.tables[kind] > 0,
            "no {kind} exported: {manifest:?}"
        );
    }
    assert!(
        manifest
            .files
            .contains_key(&format!("media/{ATTACHMENT_KEY}"))
    );
    assert!(manifest.missing_objects.is_empty(), "{manifest:?}");

    let copy = empty_site(to).await;
    import_from(&copy, &first).await.expect("import");
    let second = work.path().join("second");
    let again = export_to(&copy, &second).await;
    assert_eq!(again.manifest.tables, manifest.tables);
    assert_eq!(lines_by_file(&second), lines_by_file(&first));
    if from == to {
        // Same backend, same order: the files are the same bytes.
        for (path, entry) in &manifest.files {
            assert_eq!(again.manifest.files.get(path), Some(entry), "{path}");
        }
    }
    let media: BTreeSet<&String> = manifest
        .files
        .keys()
        .filter(|p| p.starts_with("media/"))
        .collect();
    let media_again: BTreeSet<&String> = again
        .manifest
        .files
        .keys()
        .filter(|p| p.starts_with("media/"))
        .collect();
    assert_eq!(media, media_again);
    for path in media {
        assert_eq!(
            manifest.files[path].sha256, again.manifest.files[path].sha256,
            "{path}"
        );
    }

    // A second import into the now-filled site is refused, and says why.
    let error = import_from(&copy, &first).await.expect_err("not empty");
    assert!(error.to_string().contains("not empty"), "{error}");

    // Ids and sequences: the next section the new site makes gets a fresh id.
    let largest = std::fs::read_to_string(first.join("sections.jsonl"))
        .expect("sections")
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok()?["id"].as_i64())
        .max()
        .expect("sections");
    let section = copy
        .store
        .site()
        .create_section(
            &dateline_db::SectionInput {
                slug: "after-the-move".into(),
                name: "After the move".into(),
                description: String::new(),
                position: 99,
            },
            jiff::Timestamp::now(),
        )
        .await
        .expect("a new section");
    assert!(
        section.id > largest,
        "new id {} reuses an imported one",
        section.id
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_round_trip_keeps_every_row_and_object() {
    round_trip(BackendKind::Sqlite, BackendKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_export_imports_into_postgres() {
    round_trip(BackendKind::Sqlite, BackendKind::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_round_trip_keeps_every_row_and_object() {
    round_trip(BackendKind::Postgres, BackendKind::Postgres).await;
}

fn rewrite(folder: &Path, file: &str, change: impl FnOnce(String) -> String) {
    let path = folder.join(file);
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, change(text)).expect("write");
}

/// Makes the manifest agree with a file that was changed, as a careless (or hostile) edit
/// would, so the content checks are reached.
fn reseal(folder: &Path, file: &str) {
    use sha2::Digest as _;
    let bytes = std::fs::read(folder.join(file)).expect("read");
    let lines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("manifest.json")).expect("m"))
            .expect("manifest");
    manifest["files"][file] = serde_json::json!({
        "bytes": bytes.len(),
        "sha256": hex::encode(sha2::Sha256::digest(&bytes)),
        "lines": lines,
    });
    let table = file.trim_end_matches(".jsonl");
    manifest["tables"][table] = serde_json::json!(lines);
    std::fs::write(
        folder.join("manifest.json"),
        serde_json::to_string_pretty(&manifest).expect("json"),
    )
    .expect("write");
}

fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_folder(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// How many files are under `folder` (none if it does not exist).
fn files_under(folder: &Path) -> usize {
    std::fs::read_dir(folder).map_or(0, |entries| {
        entries
            .flatten()
            .map(|entry| {
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    files_under(&entry.path())
                } else {
                    1
                }
            })
            .sum()
    })
}

/// Whatever is wrong with the folder, the message names the file (and the line or row, where
/// there is one), and the site stays empty: no row, no stored object.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_export_is_refused_before_anything_is_written() {
    let origin = demo_site(BackendKind::Sqlite).await;
    let work = tempfile::tempdir().expect("work");
    let good = work.path().join("good");
    export_to(&origin, &good).await;
    // PostgreSQL aborts a transaction at its first error: the row at fault is found there too.
    let targets = [
        empty_site(BackendKind::Sqlite).await,
        empty_site(BackendKind::Postgres).await,
    ];

    type Damage = fn(&Path);
    let cases: Vec<(&str, Damage, &str)> = vec![
        (
            "a changed byte",
            |dir| {
                rewrite(dir, "articles.jsonl", |t| {
                    t.replacen("\"headline\":\"", "\"headline\":\"X", 1)
                })
            },
            "articles.jsonl does not match the manifest",
        ),
        (
            "a missing manifest",
            |dir| std::fs::remove_file(dir.join("manifest.json")).expect("rm"),
            "has no manifest.json",
        ),
        (
            "a newer format",
            |dir| {
                rewrite(dir, "manifest.json", |t| {
                    t.replacen("\"version\": 1,", "\"version\": 2,", 1)
                })
            },
            "format version 2; this Dateline reads version 1",
        ),
        (
            "a missing media file",
            |dir| {
                std::fs::remove_file(dir.join("media").join(ATTACHMENT_KEY)).expect("rm");
            },
            ATTACHMENT_KEY,
        ),
        (
            "a bad field, resealed",
            |dir| {
                rewrite(dir, "comments.jsonl", |t| {
                    let mut lines: Vec<String> = t.lines().map(str::to_owned).collect();
                    let last = lines.len() - 1;
                    lines[last] =
                        lines[last].replacen("\"depth\":", "\"depth\":\"deep\",\"x\":", 1);
                    lines.join("\n") + "\n"
                });
                reseal(dir, "comments.jsonl");
            },
            "comments.jsonl line",
        ),
        (
            "a reply to a comment that is not there, resealed",
            |dir| {
                rewrite(dir, "comments.jsonl", |t| {
                    let mut lines: Vec<String> = t.lines().map(str::to_owned).collect();
                    let last = lines.len() - 1;
                    let mut row: serde_json::Value =
                        serde_json::from_str(&lines[last]).expect("row");
                    row["parent_id"] = serde_json::json!(987_654_321);
                    lines[last] = row.to_string();
                    lines.join("\n") + "\n"
                });
                reseal(dir, "comments.jsonl");
            },
            "comments.jsonl line",
        ),
        (
            "an author's photo that is not there, resealed",
            |dir| {
                rewrite(dir, "authors.jsonl", |t| {
                    let mut lines: Vec<String> = t.lines().map(str::to_owned).collect();
                    let mut row: serde_json::Value = serde_json::from_str(&lines[0]).expect("row");
                    row["photo_image_id"] = serde_json::json!(987_654_321);
                    lines[0] = row.to_string();
                    lines.join("\n") + "\n"
                });
                reseal(dir, "authors.jsonl");
            },
            "authors.jsonl (the row with id",
        ),
        (
            "a changed picture",
            |dir| {
                let manifest = std::fs::read_to_string(dir.join("manifest.json")).expect("m");
                let manifest: serde_json::Value = serde_json::from_str(&manifest).expect("json");
                let picture = manifest["files"]
                    .as_object()
                    .expect("files")
                    .keys()
                    .find(|path| path.starts_with("media/images/"))
                    .expect("a picture")
                    .clone();
                let mut bytes = std::fs::read(dir.join(&picture)).expect("read");
                let last = bytes.len() - 1;
                bytes[last] ^= 0xff;
                std::fs::write(dir.join(&picture), bytes).expect("write");
            },
            "media/images/",
        ),
        (
            "a manifest cut short",
            |dir| {
                rewrite(dir, "manifest.json", |t| t[..t.len() / 2].to_owned());
            },
            "manifest.json: not JSON",
        ),
        (
            "a manifest that lists a file outside the export",
            |dir| {
                rewrite(dir, "manifest.json", |t| {
                    let mut manifest: serde_json::Value = serde_json::from_str(&t).expect("json");
                    manifest["files"]["../outside.txt"] =
                        serde_json::json!({"bytes": 1, "sha256": "00"});
                    serde_json::to_string_pretty(&manifest).expect("json")
                });
            },
            "outside media/",
        ),
    ];
    for (n, (what, damage, expected)) in cases.into_iter().enumerate() {
        let folder = work.path().join(format!("damaged-{n}"));
        copy_folder(&good, &folder);
        damage(&folder);
        for target in &targets {
            let error = import_from(target, &folder)
                .await
                .expect_err(what)
                .to_string();
            assert!(error.contains(expected), "{what}: {error}");
            assert!(
                target
                    .store
                    .site()
                    .sections()
                    .await
                    .expect("sections")
                    .is_empty(),
                "{what}: something was written"
            );
            assert_eq!(
                files_under(&target.folder.path().join("media")),
                0,
                "{what}: media were stored"
            );
        }
    }
    // And the good copy still goes in.
    for target in targets {
        import_from(&target, &good).await.expect("the good export");
        assert!(
            !target
                .store
                .site()
                .sections()
                .await
                .expect("sections")
                .is_empty()
        );
        drop(target.folder);
    }
}

/// The WXR file parses back through Dateline's own WordPress importer with every post, author,
/// picture, comment, static page and live coverage entry, threads and heroes intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wxr_reads_back_with_the_same_counts() {
    let site = demo_site(BackendKind::Sqlite).await;
    let mut wxr = Vec::new();
    let counts = dateline_export::wxr::write(&site.store, "https://news.example", &mut wxr)
        .await
        .expect("wxr");
    let work = tempfile::tempdir().expect("work");
    let folder = work.path().join("export");
    let manifest = export_to(&site, &folder).await.manifest;
    let rows = |file: &str| -> Vec<serde_json::Value> {
        std::fs::read_to_string(folder.join(file))
            .expect("read")
            .lines()
            .map(|line| serde_json::from_str(line).expect("row"))
            .collect()
    };
    let articles = rows("articles.jsonl");
    assert_eq!(counts.posts, manifest.tables["articles"]);
    assert_eq!(counts.authors, manifest.tables["authors"]);
    assert_eq!(counts.comments, manifest.tables["comments"]);
    assert_eq!(counts.attachments, manifest.tables["images"]);
    assert_eq!(counts.tags, manifest.tables["tags"]);

    let plan = dateline_import::wordpress::read(&wxr[..], &dateline_import::Options::default())
        .expect("Dateline's WordPress importer reads the file");
    assert_eq!(plan.articles.len() as u64, counts.posts);
    assert_eq!(plan.authors.len() as u64, counts.authors);
    assert_eq!(plan.images.len() as u64, counts.attachments);
    let planned_comments: usize = plan.articles.iter().map(|a| a.comments.len()).sum();
    assert_eq!(planned_comments as u64, counts.comments);
    // Sections and tags that carry articles (the importer skips empty ones, as it should).
    let used_sections: BTreeSet<i64> = articles
        .iter()
        .filter_map(|a| a["section_id"].as_i64())
        .collect();
    assert_eq!(plan.sections.len(), used_sections.len());
    let used_tags: BTreeSet<i64> = rows("article_tags.jsonl")
        .iter()
        .filter_map(|t| t["tag_id"].as_i64())
        .collect();
    assert_eq!(plan.tags.len(), used_tags.len());
    // Threads: every reply's parent is planned on the same article.
    let replies = rows("comments.jsonl")
        .iter()
        .filter(|c| !c["parent_id"].is_null())
        .count();
    assert!(replies > 0, "the demo has threaded comments");
    let mut planned_replies = 0;
    for article in &plan.articles {
        let ids: BTreeSet<_> = article.comments.iter().map(|c| &c.source_id).collect();
        for comment in &article.comments {
            if let Some(parent) = &comment.parent {
                planned_replies += 1;
                assert!(ids.contains(parent), "{comment:?}");
            }
        }
    }
    assert_eq!(planned_replies, replies);
    let heroes = articles
        .iter()
        .filter(|a| !a["hero_image_id"].is_null())
        .count();
    assert_eq!(
        plan.articles.iter().filter(|a| a.hero.is_some()).count(),
        heroes
    );

    // Static pages are pages, every one of them, published and draft alike.
    assert_eq!(counts.pages, manifest.tables["pages"]);
    assert!(counts.pages > 0, "the demo has pages");
    assert_eq!(plan.pages.len() as u64, counts.pages);
    let pages = rows("pages.jsonl");
    for page in &pages {
        let slug = page["slug"].as_str().expect("slug");
        let planned = plan
            .pages
            .iter()
            .find(|p| p.slug == slug)
            .unwrap_or_else(|| panic!("page {slug} is not planned"));
        assert_eq!(planned.title, page["title"].as_str().expect("title"));
        assert_eq!(
            planned.status == dateline_core::ArticleStatus::Published,
            page["status"] == "published",
            "{slug}"
        );
    }

    // Live coverage comes back as live coverage: the same entries on the same articles, the
    // same key events, nothing of it counted as readers' comments.
    assert_eq!(counts.live_entries, manifest.tables["live_entries"]);
    assert!(counts.live_entries > 0, "the demo has live coverage");
    let entries = rows("live_entries.jsonl");
    let live_articles: Vec<&serde_json::Value> =
        articles.iter().filter(|a| a["kind"] == "live").collect();
    assert!(!live_articles.is_empty());
    let planned_live: Vec<&dateline_import::plan::Article> =
        plan.articles.iter().filter(|a| a.live.is_some()).collect();
    assert_eq!(planned_live.len(), live_articles.len());
    for article in live_articles {
        let id = article["id"].as_i64().expect("id");
        let slug = article["slug"].as_str().expect("slug");
        let planned = planned_live
            .iter()
            .find(|a| a.slug == slug)
            .unwrap_or_else(|| panic!("live article {slug} is not planned as live"));
        let live = planned.live.as_ref().expect("live");
        assert_eq!(
            live.ended,
            !article["coverage_ended_at"].is_null(),
            "{slug}"
        );
        let own: Vec<&serde_json::Value> =
            entries.iter().filter(|e| e["article_id"] == id).collect();
        assert_eq!(live.entries.len(), own.len(), "{slug}");
        assert_eq!(
            live.entries.iter().filter(|e| e.key_event).count(),
            own.iter().filter(|e| e["key_event"] == true).count(),
            "{slug}"
        );
        for entry in &own {
            if let Some(headline) = entry["headline"].as_str() {
                assert!(
                    live.entries
                        .iter()
                        .any(|e| e.headline.as_deref() == Some(headline)),
                    "{slug}: entry headline {headline:?} lost"
                );
            }
        }
    }
    assert_eq!(
        plan.report
            .planned_count(dateline_import::plan::ItemKind::LiveEntry) as u64,
        counts.live_entries
    );

    let text = String::from_utf8(wxr).expect("UTF-8");
    assert!(text.contains("<wp:wxr_version>1.2</wp:wxr_version>"));

    // And the file goes back into an empty Dateline through the WordPress importer: the same
    // numbers of posts, pages, comments and live entries land, live coverage is live coverage
    // again, and a second run duplicates nothing.
    let copy = empty_site(BackendKind::Sqlite).await;
    let ctx = Context::new(copy.store.clone(), copy.media.clone());
    let now = jiff::Timestamp::now();
    let mut progress = (0, 0);
    let report = dateline_usecases::import::run(
        &ctx,
        &Actor::system("import"),
        &plan,
        now,
        |done, total| progress = (done, total),
    )
    .await
    .expect("import");
    assert_eq!(progress.0, progress.1, "the progress reaches its end");
    assert_eq!(progress.1, dateline_usecases::import::item_count(&plan));
    use dateline_import::plan::ItemKind;
    for (kind, expected) in [
        (ItemKind::Article, counts.posts),
        (ItemKind::Page, counts.pages),
        (ItemKind::Comment, counts.comments),
        (ItemKind::LiveEntry, counts.live_entries),
    ] {
        let skipped: Vec<_> = report
            .items
            .iter()
            .filter(|i| i.kind == kind && i.outcome == "skipped")
            .collect();
        assert!(skipped.is_empty(), "{kind:?}: {skipped:#?}");
        assert_eq!(report.count(kind, "created") as u64, expected, "{kind:?}");
    }
    let landed = copy.store.imports().counts().await.expect("counts");
    assert_eq!(landed["live_entry"] as u64, counts.live_entries);
    for planned in &planned_live {
        let id = copy
            .store
            .imports()
            .entity(planned.source_id.as_str())
            .await
            .expect("lookup")
            .expect("imported");
        let article = copy
            .store
            .articles()
            .by_id(id)
            .await
            .expect("read")
            .expect("there");
        assert!(article.is_live(), "{} is live coverage again", article.slug);
        let live = planned.live.as_ref().expect("live");
        let page = copy.store.live().page(id, 1).await.expect("live page");
        assert_eq!(page.total as usize, live.entries.len(), "{}", article.slug);
        assert_eq!(
            page.key_events.len(),
            live.entries.iter().filter(|e| e.key_event).count(),
            "{}",
            article.slug
        );
    }
    let again =
        dateline_usecases::import::run(&ctx, &Actor::system("import"), &plan, now, |_, _| {})
            .await
            .expect("import again");
    for kind in [
        ItemKind::Article,
        ItemKind::Page,
        ItemKind::Comment,
        ItemKind::LiveEntry,
    ] {
        assert_eq!(again.count(kind, "created"), 0, "{kind:?}");
    }
    assert_eq!(copy.store.imports().counts().await.expect("counts"), landed);
}

/// docs/export-format.md names every file and every field the code writes, and every field it
/// leaves out: the document is the contract other software reads.
#[test]
fn the_format_document_names_every_field() {
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/export-format.md"),
    )
    .expect("docs/export-format.md");
    for table in TABLES {
        let heading = format!("`{}`", table.file());
        let start = doc
            .lines()
            .position(|line| line.starts_with('#') && line.contains(&heading))
            .unwrap_or_else(|| panic!("docs/export-format.md has no heading for {heading}"));
        let section: String = doc
            .lines()
            .skip(start + 1)
            .take_while(|line| !(line.starts_with("### ") || line.starts_with("#### ")))
            .collect::<Vec<_>>()
            .join("\n");
        for name in table
            .columns
            .iter()
            .map(|c| c.name)
            .chain(table.omitted.iter().copied())
            .chain(table.derived.iter().copied())
        {
            assert!(
                section.contains(&format!("`{name}`")),
                "docs/export-format.md does not describe {}.{name}",
                table.name
            );
        }
    }
}
