//! Importing real exports (the fixtures of `dateline-import`) into a real store, both backends.

use std::io::BufReader;
use std::path::PathBuf;

use dateline_core::comments::CommentStatus;
use dateline_core::{ArticleStatus, PageStatus};
use dateline_db::testing::TestStore;
use dateline_import::plan::{ItemKind, Plan};
use dateline_storage::MediaStore;
use dateline_usecases::import::{self, ImportReport};
use dateline_usecases::{Actor, Context};
use jiff::Timestamp;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../dateline-import/tests/fixtures")
        .join(name)
}

fn wordpress(name: &str) -> Plan {
    let file = std::fs::File::open(fixture(name)).expect("fixture");
    dateline_import::wordpress::read(BufReader::new(file), &Default::default()).expect("readable")
}

fn context(store: &TestStore) -> (Context, tempfile::TempDir) {
    let folder = tempfile::tempdir().expect("media folder");
    let media = MediaStore::local(folder.path()).expect("media");
    (Context::new(store.store.clone(), media), folder)
}

/// Before any scheduled time in the fixtures: the theme unit data's future post is in 2030.
fn now() -> Timestamp {
    "2026-12-07T05:00:00Z".parse().expect("time")
}

async fn import(ctx: &Context, plan: &Plan) -> ImportReport {
    let mut last = (0, 0);
    let report = import::run(ctx, &Actor::system("import"), plan, now(), |done, total| {
        last = (done, total);
    })
    .await
    .expect("import runs");
    assert_eq!(last.0, last.1, "the progress reaches its end");
    assert_eq!(last.1, import::item_count(plan));
    report
}

fn skipped(report: &ImportReport, kind: ItemKind) -> Vec<String> {
    report
        .items
        .iter()
        .filter(|i| i.kind == kind && i.outcome == "skipped")
        .map(|i| format!("{}: {}", i.source_id, i.reason.as_deref().unwrap_or("")))
        .collect()
}

async fn wordpress_theme_unit_data_lands_whole_and_a_second_run_changes_nothing(store: TestStore) {
    let (ctx, _media) = context(&store);
    let plan = wordpress("wordpress-themeunittestdata.wordpress.xml");
    let report = import(&ctx, &plan).await;

    // The file's counts (see dateline-import's test for how they were counted): 58 posts (56
    // published, 1 draft, 1 scheduled), 24 comments on them, 2 authors.
    assert_eq!(skipped(&report, ItemKind::Article), Vec::<String>::new());
    assert_eq!(report.count(ItemKind::Article, "created"), 58);
    let comments_skipped = skipped(&report, ItemKind::Comment);
    assert_eq!(
        comments_skipped.len(),
        4 + 5,
        "pingbacks and comments on pages, as read: {comments_skipped:#?}"
    );
    // Comment 881 is longer than readers may post now: it comes whole, noted.
    let long = report
        .items
        .iter()
        .find(|i| i.source_id.as_str() == "wordpress:comment:881")
        .expect("reported");
    assert_eq!(long.outcome, "created");
    assert!(long.notes[0].contains("kept whole"), "{:?}", long.notes);
    assert_eq!(report.count(ItemKind::Comment, "created"), 24);
    assert_eq!(report.count(ItemKind::Author, "created"), 2);
    assert_eq!(
        report.count(ItemKind::Section, "created"),
        plan.sections.len()
    );
    assert_eq!(
        report.count(ItemKind::Reader, "created") + report.count(ItemKind::Reader, "unchanged"),
        plan.readers.len()
    );
    let counts = store.imports().counts().await.expect("counts");
    assert_eq!(counts.get("article"), Some(&58));
    assert_eq!(counts.get("comment"), Some(&24));
    assert_eq!(counts.get("author"), Some(&2));
    let stats = store.articles().stats().await.expect("stats");
    assert_eq!((stats.total, stats.published), (58, 56));

    // Statuses and original dates are kept.
    for planned in &plan.articles {
        let id = store
            .imports()
            .entity(planned.source_id.as_str())
            .await
            .expect("lookup")
            .expect("imported");
        let article = store
            .articles()
            .by_id(id)
            .await
            .expect("read")
            .expect("there");
        assert_eq!(article.status, planned.status, "{}", planned.source_id);
        if planned.status == ArticleStatus::Published {
            assert_eq!(
                article.first_published_at, planned.published_at,
                "{}",
                planned.source_id
            );
        }
    }
    // Every published article's new address is in the report.
    let published_urls = report
        .items
        .iter()
        .filter(|i| i.kind == ItemKind::Article && i.url.is_some())
        .count();
    assert_eq!(published_urls, 56);
    let redirects = store.imports().redirect_count().await.expect("count");
    assert!(redirects > 56 * 2, "{redirects} old addresses");

    // A second run finds everything in place.
    let again = import(&ctx, &plan).await;
    assert_eq!(again.count(ItemKind::Article, "unchanged"), 58);
    assert_eq!(again.count(ItemKind::Article, "created"), 0);
    assert_eq!(again.count(ItemKind::Comment, "unchanged"), 24);
    assert_eq!(again.count(ItemKind::Author, "created"), 0);
    assert_eq!(store.imports().counts().await.expect("counts"), counts);
    assert_eq!(
        store.imports().redirect_count().await.expect("count"),
        redirects
    );
    let stats = store.articles().stats().await.expect("stats");
    assert_eq!((stats.total, stats.published), (58, 56));

    // A dry run writes nothing and says every post would update.
    let preview = import::preview(&ctx, &plan).await.expect("preview");
    assert!(preview.dry_run);
    assert_eq!(preview.count(ItemKind::Article, "would_update"), 58);
}

async fn an_edited_export_updates_what_the_first_run_wrote(store: TestStore) {
    let (ctx, _media) = context(&store);
    let mut plan = wordpress("wordpress-isso.xml");
    let first = import(&ctx, &plan).await;
    assert_eq!(skipped(&first, ItemKind::Article), Vec::<String>::new());
    let created = first.count(ItemKind::Article, "created");
    assert_eq!(created, plan.articles.len());
    plan.articles[0].headline = "A headline the old site changed".into();
    let second = import(&ctx, &plan).await;
    assert_eq!(second.count(ItemKind::Article, "updated"), 1);
    assert_eq!(second.count(ItemKind::Article, "unchanged"), created - 1);
    let id = store
        .imports()
        .entity(plan.articles[0].source_id.as_str())
        .await
        .expect("lookup")
        .expect("imported");
    let article = store
        .articles()
        .by_id(id)
        .await
        .expect("read")
        .expect("there");
    assert_eq!(article.headline, "A headline the old site changed");
    assert_eq!(
        store.articles().stats().await.expect("stats").total,
        created as i64
    );
}

async fn hostile_export_keeps_states_and_makes_claimable_readers(store: TestStore) {
    let (ctx, _media) = context(&store);
    let plan = wordpress("wordpress-hostile.xml");
    let report = import(&ctx, &plan).await;
    assert_eq!(skipped(&report, ItemKind::Article), Vec::<String>::new());
    // The long draft title (over 250 bytes, within the newsroom's 300 characters) comes whole.
    let draft = store
        .imports()
        .entity(plan.articles[1].source_id.as_str())
        .await
        .expect("lookup")
        .expect("imported");
    let draft = store
        .articles()
        .by_id(draft)
        .await
        .expect("read")
        .expect("there");
    assert_eq!(draft.headline, plan.articles[1].headline);
    assert_eq!(draft.status, ArticleStatus::Draft);

    let article = &plan.articles[0];
    let id = store
        .imports()
        .entity(article.source_id.as_str())
        .await
        .expect("lookup")
        .expect("imported");
    let mut states = Vec::new();
    for comment in &article.comments {
        if let Some(comment_id) = store
            .imports()
            .entity(comment.source_id.as_str())
            .await
            .expect("lookup")
        {
            let stored = store.comments().by_id(comment_id).await.expect("comment");
            assert_eq!(stored.article_id, id);
            assert_eq!(stored.created_at, comment.posted_at.expect("time"));
            states.push(stored.status);
        }
    }
    assert_eq!(
        states,
        [
            CommentStatus::Approved,
            CommentStatus::Pending,
            CommentStatus::Rejected,
            CommentStatus::Deleted,
            CommentStatus::Approved
        ]
    );
    // The reply to a trashed comment stays under it (a tombstone keeps the thread).
    let reply = store
        .imports()
        .entity(article.comments[3].source_id.as_str())
        .await
        .expect("lookup")
        .expect("imported");
    let parent = store
        .imports()
        .entity(article.comments[2].source_id.as_str())
        .await
        .expect("lookup")
        .expect("imported");
    assert_eq!(
        store
            .comments()
            .by_id(reply)
            .await
            .expect("reply")
            .parent_id,
        Some(parent)
    );

    // Commenters are readers who cannot sign in: no password, address not verified, until the
    // address's owner claims it with an emailed link.
    for reader in &plan.readers {
        let id = store
            .imports()
            .entity(reader.source_id.as_str())
            .await
            .expect("lookup")
            .expect("imported");
        let stored = store.people().reader_by_id(id).await.expect("reader");
        assert_eq!(stored.verified_at, None);
        assert_eq!(
            store.people().reader_password_hash(id).await.expect("hash"),
            None
        );
    }
    // Authors get a staff account that is disabled and has no password.
    let staff = store.people().staff_members().await.expect("staff");
    assert_eq!(
        staff.len(),
        plan.authors.iter().filter(|a| a.email.is_some()).count()
    );
    for member in &staff {
        assert!(member.disabled_at.is_some(), "{}", member.email);
        assert_eq!(
            store
                .people()
                .staff_password_hash(member.id)
                .await
                .expect("hash"),
            None
        );
    }
}

fn ghost(name: &str) -> Plan {
    let file = std::fs::File::open(fixture(name)).expect("fixture");
    dateline_import::ghost::read(BufReader::new(file)).expect("readable")
}

async fn ghost_exports_from_2_to_4_import_with_their_old_addresses(store: TestStore) {
    let (ctx, _media) = context(&store);
    let mut articles = 0;
    for name in [
        "ghost-v2_export.json",
        "ghost-v3_export.json",
        "ghost-v4_export.json",
    ] {
        let plan = ghost(name);
        let report = import(&ctx, &plan).await;
        assert_eq!(
            skipped(&report, ItemKind::Article),
            Vec::<String>::new(),
            "{name}"
        );
        // The three files are one fixture site in three formats: the same ids, so the later
        // ones update (or leave) what the first created.
        let written = report.count(ItemKind::Article, "created")
            + report.count(ItemKind::Article, "updated")
            + report.count(ItemKind::Article, "unchanged");
        assert_eq!(written, plan.articles.len(), "{name}");
        articles += report.count(ItemKind::Article, "created");
        assert_eq!(
            report.count(ItemKind::Author, "created")
                + report.count(ItemKind::Author, "updated")
                + report.count(ItemKind::Author, "unchanged"),
            plan.authors.len()
        );
        assert!(!report.not_imported.is_empty() || name != "ghost-v4_export.json");
        // Ghost's `/slug/` answers with the article, when it is published.
        for planned in plan
            .articles
            .iter()
            .filter(|a| a.status == ArticleStatus::Published)
        {
            let moved = store
                .imports()
                .moved_to(&format!("/{}/", planned.slug))
                .await
                .expect("lookup");
            assert!(
                matches!(moved, Some(dateline_db::MovedTo::Article { .. })),
                "{name} {}: {moved:?}",
                planned.slug
            );
        }
    }
    assert_eq!(
        store
            .imports()
            .counts()
            .await
            .expect("counts")
            .get("article")
            .copied(),
        Some(articles as i64)
    );
    assert_eq!(
        store.articles().stats().await.expect("stats").total,
        articles as i64
    );
}

async fn disqus_comments_join_the_articles_they_were_about(store: TestStore) {
    let (ctx, _media) = context(&store);
    let site = wordpress("wordpress-isso.xml");
    import(&ctx, &site).await;
    let file = std::fs::File::open(fixture("disqus-isso.xml")).expect("fixture");
    let mut plan = dateline_import::disqus::read(BufReader::new(file)).expect("readable");
    // The isso sample's threads are about another site: thread 7 is taken to be about the
    // imported post `/2014/test/` (its old address), thread 2 (`/`) stays about nothing.
    let thread = plan
        .threads
        .iter_mut()
        .find(|t| t.source_id.as_str().ends_with(":7"))
        .expect("thread 7");
    thread.path = "/2014/test/".into();
    let thread_comments = thread.comments.len();
    let report = import(&ctx, &plan).await;
    assert_eq!(report.count(ItemKind::Thread, "unchanged"), 1);
    let unmatched = skipped(&report, ItemKind::Thread);
    assert!(
        unmatched.iter().any(|t| t.contains("no article answers")),
        "{unmatched:?}"
    );
    assert_eq!(report.count(ItemKind::Comment, "created"), thread_comments);
    let again = import(&ctx, &plan).await;
    assert_eq!(again.count(ItemKind::Comment, "created"), 0);
    assert_eq!(again.count(ItemKind::Comment, "unchanged"), thread_comments);
}

async fn only_the_platform_or_an_admin_imports(store: TestStore) {
    let (ctx, _media) = context(&store);
    let plan = wordpress("wordpress-isso.xml");
    let editor = dateline_core::StaffMember {
        id: 1,
        email: "ed@example.org".into(),
        display_name: "Ed".into(),
        role: dateline_core::Role::Editor,
        author_id: None,
        created_at: now(),
        disabled_at: None,
    };
    let refused = import::run(&ctx, &Actor::staff(editor), &plan, now(), |_, _| {}).await;
    assert!(
        matches!(
            refused,
            Err(dateline_usecases::UseCaseError::NotPermitted { .. })
        ),
        "{refused:?}"
    );
    assert!(store.imports().counts().await.expect("counts").is_empty());
    assert_eq!(store.articles().stats().await.expect("stats").total, 0);
}

/// A small picture file as a camera or an editor would save it.
fn picture(width: u32, height: u32, format: image::ImageFormat) -> Vec<u8> {
    let pixels = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 7) as u8, (y * 11) as u8, ((x + y) * 3) as u8])
    });
    let mut bytes = std::io::Cursor::new(Vec::new());
    pixels.write_to(&mut bytes, format).expect("encoded");
    bytes.into_inner()
}

async fn entity(store: &TestStore, source: &str) -> i64 {
    store
        .imports()
        .entity(source)
        .await
        .expect("lookup")
        .unwrap_or_else(|| panic!("{source} imported"))
}

async fn wordpress_pages_and_pictures_land_with_heroes_and_library_addresses(store: TestStore) {
    let (ctx, _media) = context(&store);
    let uploads = tempfile::tempdir().expect("uploads folder");
    let folder = uploads.path().join("2024/05");
    std::fs::create_dir_all(&folder).expect("folders");
    std::fs::write(
        folder.join("harbour.jpg"),
        picture(64, 48, image::ImageFormat::Jpeg),
    )
    .expect("written");
    std::fs::write(
        folder.join("map.png"),
        picture(40, 30, image::ImageFormat::Png),
    )
    .expect("written");
    let mut plan = wordpress("wordpress-pages-and-pictures.xml");
    assert_eq!(
        plan.check_image_files(uploads.path()),
        1,
        "lost.jpg is missing"
    );
    let report = import(&ctx, &plan).await;

    // Counts per kind, as the file has them: 3 pictures (1 missing) and the hostile page's
    // `<img src="x">`, which names no file; 2 posts, 4 pages.
    assert_eq!(report.count(ItemKind::Image, "created"), 2);
    let lost = skipped(&report, ItemKind::Image);
    assert_eq!(lost.len(), 2, "{lost:?}");
    assert!(lost[0].contains("lost.jpg is not in"), "{lost:?}");
    assert!(
        lost[1].contains("not in the pictures' folder (x)"),
        "{lost:?}"
    );
    assert_eq!(skipped(&report, ItemKind::Article), Vec::<String>::new());
    assert_eq!(report.count(ItemKind::Article, "created"), 2);
    assert_eq!(skipped(&report, ItemKind::Page), Vec::<String>::new());
    assert_eq!(report.count(ItemKind::Page, "created"), 4);
    let counts = store.imports().counts().await.expect("counts");
    assert_eq!(counts.get("image"), Some(&2));
    assert_eq!(counts.get("page"), Some(&4));

    // The featured image is the hero, with the words WordPress had for it.
    let harbour = entity(&store, "wordpress:attachment:10").await;
    let dawn = entity(&store, "wordpress:post:30").await;
    let dawn = store
        .articles()
        .by_id(dawn)
        .await
        .expect("read")
        .expect("there");
    assert_eq!(dawn.hero_image_id, Some(harbour));
    let image = store
        .library()
        .image(harbour)
        .await
        .expect("read")
        .expect("there");
    assert_eq!(image.alt, "Boats moored in a harbour at sunrise");
    assert_eq!(
        image.caption.as_deref(),
        Some("Fishing boats come in at 5 am.")
    );
    assert_eq!((image.width, image.height), (64, 48));
    // A picture without alt text gets its title, and the report asks for a description.
    let map = entity(&store, "wordpress:attachment:11").await;
    assert_eq!(
        store
            .library()
            .image(map)
            .await
            .expect("read")
            .expect("there")
            .alt,
        "Map of the quay"
    );
    let map_item = report
        .items
        .iter()
        .find(|i| i.source_id.as_str() == "wordpress:attachment:11")
        .expect("reported");
    assert!(
        map_item.notes[0].contains("describe the picture"),
        "{:?}",
        map_item.notes
    );
    // The body shows the library's copies; the missing picture keeps its old address.
    assert_eq!(
        dawn.body.matches("/media/images/").count(),
        2,
        "{}",
        dawn.body
    );
    assert!(!dawn.body.contains("harbour-300x200.jpg"), "{}", dawn.body);
    assert!(
        !dawn.body.contains("uploads/2024/05/map.png"),
        "{}",
        dawn.body
    );
    assert!(
        dawn.body.contains("uploads/2024/05/lost.jpg"),
        "{}",
        dawn.body
    );
    // A story whose featured image is missing imports without a hero, and says so.
    let gone = entity(&store, "wordpress:post:31").await;
    let gone_article = store
        .articles()
        .by_id(gone)
        .await
        .expect("read")
        .expect("there");
    assert_eq!(gone_article.hero_image_id, None);
    let gone_item = report
        .items
        .iter()
        .find(|i| i.source_id.as_str() == "wordpress:post:31")
        .expect("reported");
    assert!(
        gone_item.notes.iter().any(|n| n.contains("featured image")),
        "{:?}",
        gone_item.notes
    );

    // Pages: flattened, at an address of their own, drafts kept as drafts, hostile markup inert.
    let page = |source: &'static str| {
        let store = &store;
        async move {
            let id = entity(store, source).await;
            store
                .static_pages()
                .by_id(id)
                .await
                .expect("read")
                .expect("there")
        }
    };
    let about = page("wordpress:page:20").await;
    assert_eq!(
        (about.slug.as_str(), about.status),
        ("about", PageStatus::Published)
    );
    assert_eq!(
        about.first_published_at,
        Some("2024-04-01T07:00:00Z".parse().expect("time"))
    );
    let html = dateline_core::markdown::render_html(&about.body);
    for hostile in [
        "<script",
        "onclick",
        "javascript:",
        "onerror",
        "document.cookie",
    ] {
        assert!(!html.contains(hostile), "{hostile} in {html}");
    }
    assert!(about.body.contains("/media/images/"), "{}", about.body);
    let team = page("wordpress:page:21").await;
    assert_eq!(team.slug, "team");
    let team_item = report
        .items
        .iter()
        .find(|i| i.source_id.as_str() == "wordpress:page:21")
        .expect("reported");
    assert!(
        team_item
            .notes
            .iter()
            .any(|n| n.contains("About the Herald") && n.contains("flattened")),
        "{:?}",
        team_item.notes
    );
    assert_eq!(team_item.url.as_deref(), Some("/team"));
    assert_eq!(page("wordpress:page:22").await.slug, "search-page");
    assert_eq!(page("wordpress:page:23").await.status, PageStatus::Draft);
    assert_eq!(
        store
            .static_pages()
            .published_links()
            .await
            .expect("links")
            .len(),
        3
    );
    // Old page addresses answer with the page.
    for old in ["/about/", "/?page_id=20", "/?p=20"] {
        assert_eq!(
            store.imports().moved_to(old).await.expect("lookup"),
            Some(dateline_db::MovedTo::Page("about".into())),
            "{old}"
        );
    }
    assert_eq!(
        store
            .imports()
            .moved_to("/about/team/")
            .await
            .expect("lookup"),
        Some(dateline_db::MovedTo::Page("team".into()))
    );

    // A second run finds everything in place and adds no picture.
    let again = import(&ctx, &plan).await;
    assert_eq!(again.count(ItemKind::Image, "unchanged"), 2);
    assert_eq!(again.count(ItemKind::Page, "unchanged"), 4);
    assert_eq!(again.count(ItemKind::Article, "unchanged"), 2);
    assert_eq!(store.imports().counts().await.expect("counts"), counts);
    assert_eq!(
        store
            .library()
            .library_images("", 0, 50)
            .await
            .expect("library")
            .total,
        2
    );
}

/// A re-run brings pictures up to date (issue 15: "a re-run updates what it imported earlier"):
/// a file the old site replaced replaces the library's copy under the same id, so the hero and
/// the body follow; changed words replace the old ones unless the newsroom has described the
/// picture since; a picture that was missing and is now there arrives and becomes its story's
/// hero. Nothing is duplicated, and a third run changes nothing.
async fn a_rerun_brings_pictures_and_heroes_up_to_date(store: TestStore) {
    let (ctx, _media) = context(&store);
    let uploads = tempfile::tempdir().expect("uploads folder");
    let folder = uploads.path().join("2024/05");
    std::fs::create_dir_all(&folder).expect("folders");
    let write =
        |name: &str, bytes: Vec<u8>| std::fs::write(folder.join(name), bytes).expect("written");
    write("harbour.jpg", picture(64, 48, image::ImageFormat::Jpeg));
    write("map.png", picture(40, 30, image::ImageFormat::Png));
    let mut plan = wordpress("wordpress-pages-and-pictures.xml");
    plan.check_image_files(uploads.path());
    let first = import(&ctx, &plan).await;
    assert_eq!(first.count(ItemKind::Image, "created"), 2);
    let harbour = entity(&store, "wordpress:attachment:10").await;
    let map = entity(&store, "wordpress:attachment:11").await;
    let dawn = entity(&store, "wordpress:post:30").await;
    let gone = entity(&store, "wordpress:post:31").await;
    let harbour_before = store
        .library()
        .image(harbour)
        .await
        .expect("read")
        .expect("there");
    let dawn_before = store
        .articles()
        .by_id(dawn)
        .await
        .expect("read")
        .expect("there");
    let harbour_address = |image: &dateline_core::Image| {
        let jpegs = image.variants_of("jpeg");
        dateline_core::paths::media(&jpegs.last().expect("a JPEG").key)
    };
    assert!(
        dawn_before.body.contains(&harbour_address(&harbour_before)),
        "{}",
        dawn_before.body
    );

    // The newsroom describes the map in the library.
    let map_before = store
        .library()
        .image(map)
        .await
        .expect("read")
        .expect("there");
    store
        .library()
        .update(
            map,
            &dateline_db::ImageEdit {
                alt: "Map of the quay with the ferry berths marked".into(),
                caption: map_before.caption.clone(),
                credit: map_before.credit.clone(),
                source_type: map_before.source_type,
            },
            &dateline_db::Actor::system("desk"),
            now(),
        )
        .await
        .expect("edited");

    // Meanwhile the old site replaced the harbour picture and reworded it, gave the map alt
    // text, and the lost picture turned up.
    write("harbour.jpg", picture(96, 72, image::ImageFormat::Jpeg));
    write("lost.jpg", picture(30, 20, image::ImageFormat::Jpeg));
    let find = |plan: &mut Plan, source: &str| -> usize {
        plan.images
            .iter()
            .position(|i| i.source_id.as_str() == source)
            .expect("planned")
    };
    let at = find(&mut plan, "wordpress:attachment:10");
    plan.images[at].caption = Some("The boats at dawn, from the lighthouse.".into());
    plan.images[at].credit = Some("Harbour Herald".into());
    let at = find(&mut plan, "wordpress:attachment:11");
    plan.images[at].alt = "A map".into();
    let second = import(&ctx, &plan).await;
    assert_eq!(
        second.count(ItemKind::Image, "updated"),
        1,
        "{:?}",
        second.items
    );
    assert_eq!(second.count(ItemKind::Image, "created"), 1);
    assert_eq!(second.count(ItemKind::Image, "unchanged"), 1);
    let map_item = second
        .items
        .iter()
        .find(|i| i.source_id.as_str() == "wordpress:attachment:11")
        .expect("reported");
    assert!(
        map_item.notes.iter().any(|n| n.contains("theirs are kept")),
        "{:?}",
        map_item.notes
    );

    // The same picture, the new file and words.
    assert_eq!(entity(&store, "wordpress:attachment:10").await, harbour);
    let harbour_after = store
        .library()
        .image(harbour)
        .await
        .expect("read")
        .expect("there");
    assert_eq!((harbour_after.width, harbour_after.height), (96, 72));
    assert_ne!(harbour_after.original_key, harbour_before.original_key);
    assert_eq!(
        harbour_after.caption.as_deref(),
        Some("The boats at dawn, from the lighthouse.")
    );
    assert_eq!(harbour_after.credit.as_deref(), Some("Harbour Herald"));
    assert_eq!(harbour_after.alt, harbour_before.alt);
    // The hero is still that picture, and the story's text shows the new file.
    let dawn_after = store
        .articles()
        .by_id(dawn)
        .await
        .expect("read")
        .expect("there");
    assert_eq!(dawn_after.hero_image_id, Some(harbour));
    assert!(
        dawn_after.body.contains(&harbour_address(&harbour_after)),
        "{}",
        dawn_after.body
    );
    assert!(
        !dawn_after.body.contains(&harbour_address(&harbour_before)),
        "{}",
        dawn_after.body
    );
    // The newsroom's description stands.
    assert_eq!(
        store
            .library()
            .image(map)
            .await
            .expect("read")
            .expect("there")
            .alt,
        "Map of the quay with the ferry berths marked"
    );
    // The picture that turned up is the other story's hero now.
    let lost = entity(&store, "wordpress:attachment:12").await;
    assert_eq!(
        store
            .articles()
            .by_id(gone)
            .await
            .expect("read")
            .expect("there")
            .hero_image_id,
        Some(lost)
    );
    assert_eq!(
        store
            .library()
            .library_images("", 0, 50)
            .await
            .expect("library")
            .total,
        3
    );

    // Nothing changed since: nothing is written.
    let third = import(&ctx, &plan).await;
    assert_eq!(third.count(ItemKind::Image, "unchanged"), 3);
    assert_eq!(third.count(ItemKind::Article, "unchanged"), 2);

    // The file gone from the folder: the library keeps its copy, and new words still arrive.
    std::fs::remove_file(folder.join("harbour.jpg")).expect("removed");
    let at = find(&mut plan, "wordpress:attachment:10");
    plan.images[at].caption = Some("The boats at dawn.".into());
    let fourth = import(&ctx, &plan).await;
    assert_eq!(fourth.count(ItemKind::Image, "updated"), 1);
    let harbour_last = store
        .library()
        .image(harbour)
        .await
        .expect("read")
        .expect("there");
    assert_eq!(harbour_last.caption.as_deref(), Some("The boats at dawn."));
    assert_eq!(harbour_last.original_key, harbour_after.original_key);
    assert_eq!(
        store
            .articles()
            .by_id(dawn)
            .await
            .expect("read")
            .expect("there")
            .body,
        dawn_after.body
    );
}

dateline_db::both_backends!(
    a_rerun_brings_pictures_and_heroes_up_to_date,
    wordpress_pages_and_pictures_land_with_heroes_and_library_addresses,
    wordpress_theme_unit_data_lands_whole_and_a_second_run_changes_nothing,
    an_edited_export_updates_what_the_first_run_wrote,
    hostile_export_keeps_states_and_makes_claimable_readers,
    only_the_platform_or_an_admin_imports,
    ghost_exports_from_2_to_4_import_with_their_old_addresses,
    disqus_comments_join_the_articles_they_were_about,
);
