//! Real export files (see `fixtures/SOURCES.md`) read into plans. The expected counts were taken
//! from the files with other tools, as each test's comment says, not from this crate.

use std::collections::HashSet;
use std::io::BufReader;
use std::path::PathBuf;

use dateline_core::markdown::render_html;
use dateline_core::model::ArticleStatus;
use dateline_import::plan::{CommentState, ItemKind, Outcome, Plan, RedirectTarget, WarningKind};
use dateline_import::{ImportError, Location, Options, disqus, ghost, wordpress};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn read_wordpress(name: &str) -> Plan {
    let file = std::fs::File::open(fixture(name)).expect("fixture");
    wordpress::read(BufReader::new(file), &Options::default()).expect("a readable export")
}

fn read_ghost(name: &str) -> Plan {
    let file = std::fs::File::open(fixture(name)).expect("fixture");
    ghost::read(BufReader::new(file)).expect("a readable export")
}

fn skipped_with_prefix(plan: &Plan, kind: ItemKind, prefix: &str) -> usize {
    plan.report
        .items
        .iter()
        .filter(|i| i.kind == kind && i.source_id.as_str().starts_with(prefix))
        .filter(|i| matches!(i.outcome, Outcome::Skipped(_)))
        .count()
}

/// Every body, standfirst and comment renders inert on the public page.
fn assert_inert(plan: &Plan) {
    let bodies = plan
        .articles
        .iter()
        .flat_map(|a| {
            std::iter::once(a.body.markdown.clone())
                .chain(std::iter::once(a.standfirst.clone()))
                .chain(a.comments.iter().map(|c| c.body_markdown.clone()))
        })
        .chain(plan.pages.iter().map(|p| p.body.markdown.clone()));
    for markdown in bodies {
        let html = render_html(&markdown).to_ascii_lowercase();
        for bad in [
            "<script",
            "onerror",
            "onload",
            "onclick",
            "javascript:",
            "data:text",
            "<iframe",
            "<style",
        ] {
            assert!(!html.contains(bad), "{bad} in {html}");
        }
    }
}

#[test]
fn wordpress_theme_unit_test_data_counts_match_the_file() {
    // xmllint --xpath "count(//item[*[local-name()='post_type']='post'])" …: 58 posts (56 publish,
    // 1 draft, 1 future), 21 pages, 37 attachments (34 jpg + 1 gif pictures, 1 mov, 1 mp3),
    // 70 nav_menu_item; 28 comments on posts (4 pingbacks or trackbacks) and 5 on pages;
    // 68 wp:category, 110 wp:tag, 2 wp:author.
    let plan = read_wordpress("wordpress-themeunittestdata.wordpress.xml");
    let report = &plan.report;
    assert_eq!(plan.articles.len(), 58);
    assert_eq!(
        plan.articles
            .iter()
            .filter(|a| a.status == ArticleStatus::Published)
            .count(),
        56
    );
    assert_eq!(
        plan.articles
            .iter()
            .filter(|a| a.status == ArticleStatus::Draft)
            .count(),
        1
    );
    assert_eq!(
        plan.articles
            .iter()
            .filter(|a| a.status == ArticleStatus::Scheduled)
            .count(),
        1
    );
    assert_eq!(plan.pages.len(), 21);
    let attachments = plan
        .images
        .iter()
        .filter(|i| i.source_id.as_str().starts_with("wordpress:attachment:"))
        .count();
    assert_eq!(attachments, 35);
    assert_eq!(report.skipped_count(ItemKind::Image), 2);
    assert_eq!(report.skipped_count(ItemKind::Other), 70);
    let comments: usize = plan.articles.iter().map(|a| a.comments.len()).sum();
    assert_eq!(comments, 24);
    assert_eq!(report.planned_count(ItemKind::Comment), 24);
    assert_eq!(report.skipped_count(ItemKind::Comment), 4 + 5);
    assert_eq!(plan.authors.len(), 2);
    // Every declared category is accounted for: a section, a tag, or skipped as unused.
    let categories: HashSet<&str> = report
        .items
        .iter()
        .filter_map(|i| {
            let id = i.source_id.as_str();
            id.strip_prefix("wordpress:category:")
                .or_else(|| id.strip_prefix("wordpress:category-tag:"))
        })
        .collect();
    assert_eq!(categories.len(), 68);
    let tags: HashSet<&str> = report
        .items
        .iter()
        .filter_map(|i| i.source_id.as_str().strip_prefix("wordpress:tag:"))
        .collect();
    // 110 declared wp:tag, and 4 slugs posts use without a declaration (python: the set of
    // `domain="post_tag" nicename` values minus the wp:tag_slug values: columns, content,
    // sample, test-tag); 64 distinct tags are on posts.
    assert_eq!(tags.len(), 110 + 4);
    assert_eq!(
        plan.tags
            .iter()
            .filter(|t| t.source_id.as_str().starts_with("wordpress:tag:"))
            .count(),
        64
    );
    assert_eq!(
        skipped_with_prefix(&plan, ItemKind::Tag, "wordpress:tag:"),
        110 + 4 - 64
    );
    assert!(report.warnings_of(WarningKind::FlattenedCategory).count() > 0);
    // Threads keep their depth: the comments template post nests replies.
    let deepest = plan
        .articles
        .iter()
        .map(|a| {
            a.comments
                .iter()
                .map(|c| {
                    let mut depth = 0;
                    let mut parent = c.parent.clone();
                    while let Some(p) = parent {
                        depth += 1;
                        parent = a
                            .comments
                            .iter()
                            .find(|x| x.source_id == p)
                            .and_then(|x| x.parent.clone());
                    }
                    depth
                })
                .max()
                .unwrap_or(0)
        })
        .max()
        .unwrap_or(0);
    assert!(deepest >= 3, "deepest reply chain {deepest}");
    // Long and special-character titles arrive whole.
    assert!(plan.articles.iter().any(|a| a.headline.starts_with(
        "Taumatawhakatangihangakoauauotamateaturipukakapikimaungahoronukupokaiwhenuakitanatahu"
    )));
    assert!(
        plan.articles
            .iter()
            .any(|a| a.headline.contains("~`!@#$%^&*()-_=+{}[]/\\;:'\"?,.>"))
    );
    // Every published post answers at ?p= and at its old permalink.
    let published = plan
        .articles
        .iter()
        .find(|a| a.status == ArticleStatus::Published)
        .expect("one");
    let number = published.source_id.as_str().rsplit(':').next().expect("id");
    let old_path = published
        .old_url
        .as_deref()
        .map(|u| u.split_once(".com").map_or(u, |(_, p)| p))
        .expect("a link");
    for from in [format!("/?p={number}"), old_path.to_owned()] {
        assert!(
            plan.redirects
                .iter()
                .any(|r| r.from == from
                    && r.to == RedirectTarget::Article(published.source_id.clone())),
            "{from}"
        );
    }
    assert!(
        plan.redirects
            .iter()
            .any(|r| r.from == "/feed/" && r.to == RedirectTarget::SiteFeed)
    );
    assert!(plan.redirects.iter().any(|r| r.from.starts_with("/category/") && matches!(r.to, RedirectTarget::Section(_))));
    assert!(
        plan.redirects
            .iter()
            .any(|r| r.from.starts_with("/tag/") && matches!(r.to, RedirectTarget::Tag(_)))
    );
    assert!(
        plan.redirects
            .iter()
            .any(|r| r.from == "/author/themedemos/" && matches!(r.to, RedirectTarget::Author(_)))
    );
    // Featured images become heroes with their attachment's alt text.
    assert!(plan.articles.iter().any(|a| a.hero.is_some()));
    assert_inert(&plan);
}

#[test]
fn wordpress_block_test_data_reads_gutenberg() {
    // xmllint: 61 posts (all publish), 1 page, 9 attachments (7 jpg, 1 mov, 1 mp3),
    // 1 wp_navigation, 2 comments on posts; 7 wp:category, 4 wp:tag, 2 wp:author.
    let plan = read_wordpress("wordpress-64-block-test-data.xml");
    assert_eq!(plan.articles.len(), 61);
    assert_eq!(plan.pages.len(), 1);
    assert_eq!(
        plan.images
            .iter()
            .filter(|i| i.source_id.as_str().starts_with("wordpress:attachment:"))
            .count(),
        7
    );
    assert_eq!(plan.report.skipped_count(ItemKind::Image), 2);
    assert_eq!(plan.report.skipped_count(ItemKind::Other), 1);
    assert_eq!(
        plan.articles
            .iter()
            .map(|a| a.comments.len())
            .sum::<usize>(),
        2
    );
    assert_eq!(plan.authors.len(), 2);
    for article in &plan.articles {
        assert!(
            !article.body.markdown.contains("<!-- wp:"),
            "{}",
            article.headline
        );
        assert!(
            !article.body.markdown.contains("wp-block"),
            "{}: {}",
            article.headline,
            article.body.markdown
        );
    }
    // Embeds and dynamic blocks are placeholders, and the report says so per item.
    assert!(
        plan.report
            .warnings_of(WarningKind::Placeholder)
            .any(|w| w.item.is_some())
    );
    assert!(
        plan.articles
            .iter()
            .any(|a| a.body.markdown.contains("\n- ")),
        "a list survives"
    );
    assert!(
        plan.articles
            .iter()
            .any(|a| a.body.markdown.contains("```")),
        "a code block survives"
    );
    assert!(
        plan.articles
            .iter()
            .any(|a| a.body.markdown.contains("| --- |")),
        "a table survives"
    );
    assert_inert(&plan);
}

#[test]
fn wordpress_wxr_1_0_from_isso_threads_comments() {
    // grep: 3 items (one without post_type or status: WordPress's defaults, post and draft);
    // 8 wp:comment, comment 7 answers 6 and 8 and 9 answer 7; no wp:author.
    let plan = read_wordpress("wordpress-isso.xml");
    assert_eq!(plan.site.format, "WXR ", "the file names no WXR version");
    assert_eq!(plan.articles.len(), 3);
    let article = &plan.articles[0];
    assert_eq!(article.comments.len(), 7);
    assert_eq!(plan.articles[1].comments.len(), 1);
    let seven = article
        .comments
        .iter()
        .position(|c| c.source_id.as_str() == "wordpress:comment:7")
        .expect("7");
    let six = article
        .comments
        .iter()
        .position(|c| c.source_id.as_str() == "wordpress:comment:6")
        .expect("6");
    assert!(six < seven);
    assert_eq!(
        article.comments[seven].parent.as_ref().map(|p| p.as_str()),
        Some("wordpress:comment:6")
    );
    // Addresses are trimmed; the creator with no wp:author gets a profile.
    assert!(article.comments.iter().all(|c| {
        c.author_email
            .as_deref()
            .is_none_or(|e| !e.contains(char::is_whitespace))
    }));
    assert_eq!(plan.authors.len(), 1);
    assert_eq!(plan.authors[0].name, "Tester");
}

#[test]
fn hostile_export_ends_up_inert_and_unicode_survives() {
    let plan = read_wordpress("wordpress-hostile.xml");
    assert_inert(&plan);
    let article = &plan.articles[0];
    assert_eq!(article.headline, "Привет, мир — “quotes” & emoji 📰 styled");
    assert!(
        article
            .body
            .markdown
            .contains("Ünïcödé ✓ 日本語 text survives."),
        "{}",
        article.body.markdown
    );
    assert!(
        article.body.markdown.contains("a bad link"),
        "the words of a removed link stay"
    );
    assert_eq!(article.standfirst, "Standfirst with markup");
    assert_eq!(
        article.slug, "quotes-and-emoji-styled",
        "a Cyrillic slug has no ASCII letters: the title gives one"
    );
    assert_eq!(plan.authors[0].name, "Renée Ñúñez");
    assert!(
        plan.report
            .warnings_of(WarningKind::UnsafeMarkupRemoved)
            .any(|w| w.item == Some(article.source_id.clone()))
    );
    assert!(
        plan.report
            .warnings_of(WarningKind::HtmlBlock)
            .any(|w| w.item == Some(article.source_id.clone())),
        "the merged-cell table"
    );
    assert!(
        plan.report
            .warnings_of(WarningKind::Placeholder)
            .any(|w| w.item == Some(article.source_id.clone())),
        "the iframe"
    );
    // The hierarchy was flattened and reported; the published time is GMT.
    assert_eq!(plan.sections.len(), 1);
    assert_eq!(plan.sections[0].flattened_from, vec!["World".to_owned()]);
    assert_eq!(
        plan.report
            .warnings_of(WarningKind::FlattenedCategory)
            .count(),
        1
    );
    assert_eq!(
        article.published_at.map(|t| t.to_string()).as_deref(),
        Some("2024-05-12T07:30:00Z")
    );
    // Comments: four deep, states kept, one reader per address, a missing parent reported.
    let states: Vec<CommentState> = article.comments.iter().map(|c| c.state).collect();
    assert_eq!(
        states,
        [
            CommentState::Approved,
            CommentState::Pending,
            CommentState::Spam,
            CommentState::Trash,
            CommentState::Approved
        ]
    );
    assert_eq!(
        article.comments[3].parent.as_ref().map(|p| p.as_str()),
        Some("wordpress:comment:3")
    );
    assert_eq!(
        article.comments[0].author_url, None,
        "a javascript: address is no web address"
    );
    assert_eq!(
        plan.readers.len(),
        3,
        "Zoë (one address, two cases), Ann, Lost"
    );
    assert_eq!(
        plan.report.warnings_of(WarningKind::OrphanComment).count(),
        1
    );
    // The draft has only a local time: the offset the published post shows (+02:00) applies.
    let draft = &plan.articles[1];
    assert_eq!(draft.status, ArticleStatus::Draft);
    assert_eq!(
        draft.published_at.map(|t| t.to_string()).as_deref(),
        Some("2024-06-01T06:00:00Z")
    );
    assert_eq!(plan.site.utc_offset.as_deref(), Some("+02"));
    assert!(draft.headline.len() > 250);
    // Old addresses under the blog's folder.
    assert!(
        plan.redirects
            .iter()
            .any(|r| r.from == "/news/2024/05/12/%d0%bf%d1%80%d0%b8%d0%b2%d0%b5%d1%82/")
    );
    assert!(
        plan.redirects
            .iter()
            .any(|r| r.from == "/news/category/world/europe/"
                && matches!(r.to, RedirectTarget::Section(_)))
    );
    assert!(plan.redirects.iter().any(|r| r.from == "/news/?p=5"));
    assert!(
        !plan.redirects.iter().any(|r| r.from == "/news/?p=6"),
        "a draft was never public"
    );
}

#[test]
fn ghost_exports_from_2_to_4_and_lexical() {
    // jq '.db[0].data | {posts: (.posts|length), pages: ([.posts[]|select(.type=="page")]|length),
    //   tags: (.tags|length), users: (.users|length)}': v2 and v3 have 7 posts, no pages, 1 tag,
    // 2 users, all Mobiledoc; v4 has 7 posts and 4 pages (type "page"), 1 tag, 2 users.
    for (name, posts, pages, version) in [
        ("ghost-v2_export.json", 7, 0, "Ghost 2.9.0"),
        ("ghost-v3_export.json", 7, 0, "Ghost 3.0.0"),
        ("ghost-v4_export.json", 7, 4, "Ghost 4.1.0"),
    ] {
        let plan = read_ghost(name);
        assert_eq!(plan.site.format, version);
        assert_eq!(plan.articles.len(), posts, "{name}");
        assert_eq!(plan.pages.len(), pages, "{name}");
        assert_eq!(plan.authors.len(), 2, "{name}");
        assert_eq!(
            plan.sections.len(),
            1,
            "{name}: the one tag is every post's primary tag"
        );
        assert!(
            plan.articles
                .iter()
                .all(|a| a.section.is_some() && !a.authors.is_empty()),
            "{name}"
        );
        assert!(
            plan.articles
                .iter()
                .all(|a| !a.body.markdown.trim().is_empty()),
            "{name}"
        );
        let kinds: Vec<&str> = plan
            .report
            .not_imported
            .iter()
            .map(|n| n.kind.as_str())
            .collect();
        assert!(kinds.contains(&"settings"), "{name}: {kinds:?}");
        assert!(plan.redirects.iter().any(|r| r.from == "/rss/"), "{name}");
        assert_inert(&plan);
    }
    // jq: 3 posts, one with a Lexical document, two with HTML only; 2 tags, 2 users.
    let plan = read_ghost("ghost-migrate-lexical.json");
    assert_eq!(plan.articles.len(), 3);
    assert!(
        plan.images
            .iter()
            .any(|i| i.url.ends_with("lexical-image.jpg"))
    );
    assert!(plan.articles.iter().any(|a| a.hero.is_some()));
}

#[test]
fn disqus_threads_and_orphans() {
    // The isso sample: threads 2, 3 and 7; posts 4, 5, 9 and 11 on thread 2 (9 deleted, 11
    // answering it), 8 on thread 7, and 6 on thread 1337, which is not in the file.
    let file = std::fs::File::open(fixture("disqus-isso.xml")).expect("fixture");
    let mut plan = disqus::read(BufReader::new(file)).expect("readable");
    assert_eq!(plan.threads.len(), 2);
    assert_eq!(
        plan.report.skipped_count(ItemKind::Thread),
        1,
        "thread 3 has no comments"
    );
    assert_eq!(plan.report.planned_count(ItemKind::Comment), 5);
    assert_eq!(
        plan.report.skipped_count(ItemKind::Comment),
        1,
        "post 6's thread is missing"
    );
    let first = &plan.threads[0];
    assert_eq!(first.path, "/");
    let deleted = first
        .comments
        .iter()
        .find(|c| c.source_id.as_str() == "disqus:post:9")
        .expect("9");
    assert_eq!(deleted.state, CommentState::Deleted);
    let reply = first
        .comments
        .iter()
        .position(|c| c.source_id.as_str() == "disqus:post:11")
        .expect("11");
    let parent = first
        .comments
        .iter()
        .position(|c| c.source_id.as_str() == "disqus:post:9")
        .expect("9");
    assert!(parent < reply);
    let unmatched = disqus::report_unmatched(&mut plan, |path| path == "/");
    assert_eq!(unmatched, 1);
    assert_eq!(
        plan.report
            .warnings_of(WarningKind::UnmatchedThread)
            .count(),
        1
    );
}

fn location(error: &ImportError) -> Location {
    error.location().cloned().expect("a location")
}

#[test]
fn malformed_and_wrong_files_are_refused_with_where() {
    let full = std::fs::read_to_string(fixture("wordpress-themeunittestdata.wordpress.xml"))
        .expect("fixture");
    let cut = &full[..full.len() / 2];
    let error = wordpress::read(cut.as_bytes(), &Options::default()).expect_err("truncated");
    assert!(
        matches!(location(&error), Location::Text { line, .. } if line > 1000),
        "{error}"
    );
    assert!(
        error.to_string().contains("not closed") || error.to_string().contains("truncated"),
        "{error}"
    );

    let broken = full.replacen("</wp:author>", "</wp:autor>", 1);
    let error = wordpress::read(broken.as_bytes(), &Options::default()).expect_err("mismatched");
    assert!(
        matches!(location(&error), Location::Text { line: 37, .. }),
        "{error}"
    );

    let disqus_file = std::fs::read(fixture("disqus-isso.xml")).expect("fixture");
    let error =
        wordpress::read(disqus_file.as_slice(), &Options::default()).expect_err("wrong kind");
    assert!(matches!(error, ImportError::WrongKind { .. }), "{error}");
    let error = disqus::read(full.as_bytes()).expect_err("wrong kind");
    assert!(matches!(error, ImportError::WrongKind { .. }), "{error}");

    let ghost_text = std::fs::read_to_string(fixture("ghost-v4_export.json")).expect("fixture");
    let error =
        ghost::read(&ghost_text.as_bytes()[..ghost_text.len() / 3]).expect_err("truncated JSON");
    assert!(
        matches!(location(&error), Location::Text { line, .. } if line > 100),
        "{error}"
    );
    let error = ghost::read(
        r#"{"db":[{"data":{"posts":[{"id":"1","title":["not","text"]}]}}]}"#.as_bytes(),
    )
    .expect_err("a list for a title");
    assert_eq!(
        location(&error),
        Location::JsonPath("db[0].data.posts[0].title".into()),
        "{error}"
    );
    let error = ghost::read(r#"{"posts":[]}"#.as_bytes()).expect_err("not Ghost");
    assert!(matches!(error, ImportError::WrongKind { .. }), "{error}");
    let error = ghost::read(full.as_bytes()).expect_err("XML is not JSON");
    assert_eq!(
        location(&error),
        Location::Text { line: 1, column: 1 },
        "{error}"
    );
}

/// Every importer, given a file it cannot take (cut short, not even the right notation, another
/// system's export, a feed that is not an export, nothing at all), refuses the whole file with
/// a message that says where: a line and column, a JSON path, or the file as a whole when the
/// file has nothing to point at. A refused file plans nothing, so nothing is half-imported.
#[test]
fn every_importer_refuses_what_it_cannot_read_and_says_where() {
    let wxr = std::fs::read(fixture("wordpress-isso.xml")).expect("fixture");
    let disqus_xml = std::fs::read(fixture("disqus-isso.xml")).expect("fixture");
    let ghost_json = std::fs::read(fixture("ghost-v4_export.json")).expect("fixture");
    let rss = br#"<?xml version="1.0"?>
<rss version="2.0"><channel><title>A feed</title>
<item><title>Not an export</title><link>https://example.com/a</link></item>
</channel></rss>"#
        .to_vec();
    let manifest = br#"{"format": "dateline-export", "version": 1, "tables": {}}"#.to_vec();
    let half = |bytes: &[u8]| bytes[..bytes.len() / 2].to_vec();

    type Reader = fn(&[u8]) -> Result<Plan, ImportError>;
    let importers: [(&str, Reader); 3] = [
        ("wordpress", |b| wordpress::read(b, &Options::default())),
        ("ghost", |b| ghost::read(b)),
        ("disqus", |b| disqus::read(b)),
    ];
    // (what, file, importer, malformed rather than the wrong kind, where it must point).
    enum Where {
        Line,
        LineOne,
        File,
        /// The JSON document as a whole (`$`).
        Root,
    }
    let cases: Vec<(&str, Vec<u8>, &str, bool, Where)> = vec![
        (
            "a truncated WXR",
            half(&wxr),
            "wordpress",
            true,
            Where::Line,
        ),
        (
            "a truncated Disqus export",
            half(&disqus_xml),
            "disqus",
            true,
            Where::Line,
        ),
        (
            "a truncated Ghost export",
            half(&ghost_json),
            "ghost",
            true,
            Where::Line,
        ),
        (
            "Ghost JSON as WXR",
            ghost_json.clone(),
            "wordpress",
            true,
            Where::LineOne,
        ),
        (
            "Ghost JSON as Disqus",
            ghost_json.clone(),
            "disqus",
            true,
            Where::LineOne,
        ),
        ("WXR as Ghost", wxr.clone(), "ghost", true, Where::LineOne),
        (
            "Disqus as Ghost",
            disqus_xml.clone(),
            "ghost",
            true,
            Where::LineOne,
        ),
        ("WXR as Disqus", wxr.clone(), "disqus", false, Where::Line),
        (
            "Disqus as WXR",
            disqus_xml.clone(),
            "wordpress",
            false,
            Where::Line,
        ),
        (
            "an RSS feed as WXR",
            rss.clone(),
            "wordpress",
            false,
            Where::File,
        ),
        (
            "a Dateline manifest as Ghost",
            manifest,
            "ghost",
            false,
            Where::Root,
        ),
        (
            "an empty file as WXR",
            Vec::new(),
            "wordpress",
            true,
            Where::File,
        ),
        (
            "an empty file as Ghost",
            Vec::new(),
            "ghost",
            true,
            Where::File,
        ),
        (
            "an empty file as Disqus",
            Vec::new(),
            "disqus",
            true,
            Where::File,
        ),
    ];
    let mut wrong = Vec::new();
    for (what, file, name, malformed, place) in cases {
        let read = importers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, read)| *read)
            .expect("an importer");
        let error = match read(&file) {
            Ok(plan) => {
                wrong.push(format!("{what}: read, {} articles", plan.articles.len()));
                continue;
            }
            Err(error) => error,
        };
        let message = error.to_string();
        let kind_ok = matches!(
            (&error, malformed),
            (ImportError::Malformed { .. }, true) | (ImportError::WrongKind { .. }, false)
        );
        let place_ok = match (error.location(), place) {
            (Some(Location::Text { line, .. }), Where::Line) => *line > 1 || !malformed,
            (Some(Location::Text { line: 1, .. }), Where::LineOne) => true,
            (Some(Location::File), Where::File) => true,
            (Some(Location::JsonPath(path)), Where::Root) => path == "$",
            _ => false,
        };
        let says_where = match error.location() {
            Some(Location::Text { line, column }) => {
                message.contains(&format!("line {line}, column {column}"))
            }
            Some(Location::File) => message.contains("in the file") || message.contains("(in"),
            Some(Location::JsonPath(path)) => message.contains(path.as_str()),
            None => false,
        };
        if !(kind_ok && place_ok && says_where) {
            wrong.push(format!("{what}: {error:?} / {message}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn the_plan_round_trips_through_json() {
    let plan = read_wordpress("wordpress-hostile.xml");
    let json = serde_json::to_string(&plan).expect("serialisable");
    let back: Plan = serde_json::from_str(&json).expect("deserialisable");
    assert_eq!(back, plan);
    assert!(json.contains("\"outcome\":\"planned\""), "{}", &json[..200]);
}

#[test]
fn a_rerun_plans_the_same_ids() {
    let first = read_wordpress("wordpress-themeunittestdata.wordpress.xml");
    let second = read_wordpress("wordpress-themeunittestdata.wordpress.xml");
    let ids = |p: &Plan| {
        p.report
            .items
            .iter()
            .map(|i| i.source_id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&first), ids(&second));
    let unique: HashSet<_> = first
        .articles
        .iter()
        .map(|a| &a.source_id)
        .chain(first.pages.iter().map(|p| &p.source_id))
        .collect();
    assert_eq!(unique.len(), first.articles.len() + first.pages.len());
}

#[test]
fn the_generator_writes_what_it_is_asked() {
    let mut out = Vec::new();
    let size = dateline_import::generate::Size {
        posts: 120,
        comments: 700,
        ..dateline_import::generate::Size::BENCHMARK
    };
    dateline_import::generate::wxr(&mut out, size).expect("written");
    let plan = wordpress::read(out.as_slice(), &Options::default()).expect("readable");
    assert_eq!(plan.articles.len(), 120);
    assert_eq!(
        plan.articles
            .iter()
            .map(|a| a.comments.len())
            .sum::<usize>(),
        700
    );
    assert_inert(&plan);
}

#[test]
fn html_blocks_we_keep_survive_the_page_renderer() {
    let converted = dateline_import::content::wordpress_to_markdown(
        "<table><tr><td rowspan=\"2\">a</td><td>b</td></tr><tr><td>c</td></tr></table>\n\n[caption id=\"x\"]<img src=\"https://x.example/a.jpg\" alt=\"Alt\"> Words[/caption]",
    );
    let html = render_html(&converted.markdown);
    for kept in [
        "<table>",
        "<td rowspan=\"2\">a</td>",
        "<figure>",
        "<figcaption>Words</figcaption>",
        "alt=\"Alt\"",
    ] {
        assert!(html.contains(kept), "{kept} in {html}");
    }
}

#[test]
fn missing_picture_files_are_reported_and_paths_stay_inside_the_folder() {
    let mut export = Vec::new();
    let size = dateline_import::generate::Size {
        posts: 3,
        comments: 0,
        ..dateline_import::generate::Size::BENCHMARK
    };
    dateline_import::generate::wxr(&mut export, size).expect("written");
    let mut plan = wordpress::read(export.as_slice(), &Options::default()).expect("readable");
    // Three body pictures, each a resized copy under wp-content/uploads.
    assert_eq!(plan.images.len(), 3);
    let uploads = tempfile::tempdir().expect("temp dir");
    let present = plan.images[1].file.clone().expect("a file");
    let path = uploads.path().join(&present);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("folders");
    std::fs::write(&path, b"jpeg").expect("written");
    plan.images[0].file = Some("../../etc/passwd".into());
    assert_eq!(plan.check_image_files(uploads.path()), 2);
    assert_eq!(
        plan.images[0].file, None,
        "a path out of the folder is dropped"
    );
    assert_eq!(plan.images[1].file.as_deref(), Some(present.as_str()));
    assert_eq!(
        plan.report.warnings_of(WarningKind::MissingImage).count(),
        2
    );
}
