//! Leaving and coming back (issue 15, "Round trip"): the demo site is exported with
//! `dateline export --to`, imported into an empty site with `dateline import dateline`, and both
//! are served by the real binary. Every public page reachable from the front page, the sitemaps,
//! the feeds and the corrections log (articles, sections, authors, tags, live pages, discussion
//! pages, pictures) must be byte-identical, apart from the values listed in
//! [`MUST_DIFFER`]. The WXR file is written by the same binary.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use support::{Site, request};

/// Both sites claim the same public address, so canonical links and feeds can match byte for
/// byte although they listen on different ports.
const BASE_URL: &str = "https://news.example";

/// What may differ between the two sites' pages, and why (docs/export-format.md, "What differs
/// after a round trip"): each is masked before pages are compared.
const MUST_DIFFER: &[(&str, &str)] = &[(
    "token=",
    "the tip form's token is derived from the tips installation secret, which is not exported",
)];

/// The "Related" block of an article page, compared unmasked: it comes from each site's own
/// search index, and both rank alike because BM25's statistics are the whole index's (not a
/// segment's) and equal scores are ordered by article id (`TantivyIndex::related`).
const RELATED_BLOCK: &str = "<section class=\"more-in-section related\"";

/// Replaces the value after each `marker` (up to a quote, `&`, `<` or white space) with `…`.
fn masked(text: &str) -> String {
    let mut out = text.to_owned();
    for (marker, _) in MUST_DIFFER {
        let mut result = String::with_capacity(out.len());
        let mut rest = out.as_str();
        while let Some(at) = rest.find(marker) {
            let value_start = at + marker.len();
            result.push_str(&rest[..value_start]);
            result.push('…');
            let value = &rest[value_start..];
            let end = value
                .find(|c: char| matches!(c, '"' | '\'' | '&' | '<') || c.is_whitespace())
                .unwrap_or(value.len());
            rest = &value[end..];
        }
        result.push_str(rest);
        out = result;
    }
    out
}

/// Same-site links in HTML (`href`, `src`) and XML (`<loc>`, `<link>`, `url`).
fn links(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (open, close) in [
        ("href=\"", '"'),
        ("src=\"", '"'),
        ("<loc>", '<'),
        ("<link>", '<'),
        ("\"url\":\"", '"'),
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
            let private = ["/newsroom", "/readers", "/search", "/api", "/audio"]
                .iter()
                .any(|prefix| path.starts_with(prefix));
            if !private && !path.contains('?') {
                found.push(path.to_owned());
            }
        }
    }
    found
}

/// Every public page of the site on `port`: path → (status, body).
async fn crawl(port: u16) -> BTreeMap<String, (u16, String)> {
    let mut pages = BTreeMap::new();
    let mut queue: Vec<String> = [
        "/",
        "/robots.txt",
        "/sitemap.xml",
        "/feeds/rss.xml",
        "/feeds/atom.xml",
        "/feeds/feed.json",
        "/corrections",
        "/tips",
    ]
    .map(str::to_owned)
    .to_vec();
    let mut seen: BTreeSet<String> = queue.iter().cloned().collect();
    while let Some(path) = queue.pop() {
        let (status, body) = request(port, "GET", &path, &[], b"")
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        if status == 200 && !path.starts_with("/media/") && !path.starts_with("/static/") {
            for link in links(&body) {
                if seen.insert(link.clone()) {
                    queue.push(link);
                }
            }
        }
        pages.insert(path, (status, body));
        assert!(pages.len() < 5_000, "the crawl does not end");
    }
    pages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exported_site_imports_with_identical_pages() {
    let origin_folder = tempfile::tempdir().expect("folder");
    let mut origin = Site::new(format!(
        "sqlite://{}",
        origin_folder.path().join("origin.sqlite").display()
    ));
    origin
        .env
        .push(("DATELINE_BASE_URL".into(), BASE_URL.into()));
    origin.run(&["demo", "--articles", "0"]);
    let export = origin_folder.path().join("export");
    let export_arg = export.to_str().expect("UTF-8 path");
    let said = origin.run(&["export", "--to", export_arg]);
    assert!(said.contains("Exported"), "{said}");
    let wxr = origin_folder.path().join("site.xml");
    let said = origin.run(&["export", "--wxr", wxr.to_str().expect("UTF-8 path")]);
    assert!(said.contains("posts"), "{said}");
    assert!(
        std::fs::read_to_string(&wxr)
            .expect("wxr")
            .contains("<wp:wxr_version>1.2</wp:wxr_version>")
    );

    let copy_folder = tempfile::tempdir().expect("folder");
    let mut copy = Site::new(format!(
        "sqlite://{}",
        copy_folder.path().join("copy.sqlite").display()
    ));
    copy.env.push(("DATELINE_BASE_URL".into(), BASE_URL.into()));
    let said = copy.run(&["import", "dateline", "--verify-only", export_arg]);
    assert!(said.contains("matches its manifest"), "{said}");
    let said = copy.run(&["import", "dateline", export_arg]);
    assert!(said.contains("Imported"), "{said}");
    // Into a site that now has content: refused, and it says why.
    let refused = copy
        .command(&["import", "dateline", export_arg])
        .output()
        .expect("run");
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("not empty"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    // "Related stories" come from the search index, which `serve` otherwise builds in the
    // background while the crawl runs: built whole first, both sites rank the same.
    origin.run(&["reindex"]);
    copy.run(&["reindex"]);
    // The origin's worker would go on narrating the demo's queue while the crawl runs, so its
    // pages would gain players the export (taken before) cannot have: both serve without it.
    for site in [&mut origin, &mut copy] {
        site.env.push(("DATELINE_NARRATION".into(), "off".into()));
    }
    origin.start("origin.log").await;
    copy.start("copy.log").await;
    let before = crawl(origin.port).await;
    let after = crawl(copy.port).await;
    for prefix in [
        "/authors/",
        "/tags/",
        "/feeds/",
        "/sitemaps/",
        "/discussion/",
        "/media/",
        "/corrections",
    ] {
        assert!(
            before.keys().any(|path| path.starts_with(prefix)),
            "no {prefix} page crawled: {:?}",
            before.keys()
        );
    }
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "the two sites link to different pages"
    );
    let mut differ = Vec::new();
    for (path, (status, body)) in &before {
        let (status_after, body_after) = &after[path];
        if status != status_after || masked(body) != masked(body_after) {
            differ.push(path.clone());
        }
    }
    if let Some(first) = differ.first() {
        let a = masked(&before[first].1);
        let b = masked(&after[first].1);
        let at = a
            .char_indices()
            .zip(b.chars())
            .find(|((_, x), y)| x != y)
            .map_or(a.len().min(b.len()), |((i, _), _)| i);
        let from = a.floor_char_boundary(at.saturating_sub(200));
        panic!(
            "{} of {} pages differ: {differ:?}\nfirst, {first}, from byte {at}:\n--- exported\n{}\n--- imported\n{}",
            differ.len(),
            before.len(),
            &a[from..a.floor_char_boundary((at + 200).min(a.len()))],
            &b[b.floor_char_boundary(from.min(b.len()))
                ..b.floor_char_boundary((at + 200).min(b.len()))]
        );
    }
    // The related stories were compared too, not just absent.
    assert!(
        before
            .values()
            .any(|(_, body)| body.contains(RELATED_BLOCK)),
        "no article page shows related stories"
    );
    println!(
        "{} public pages byte-identical after the round trip (masked: {:?})",
        before.len(),
        MUST_DIFFER.iter().map(|(m, _)| *m).collect::<Vec<_>>()
    );
}
