//! A Disqus export (Admin → Moderation → Export, `<disqus>` XML) to a [`Plan`] of threads: each
//! thread carries its page's URL and its comments, to be attached to the article that answers to
//! that URL on the site (by its old address, through the redirects an earlier import planned).

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;

use jiff::Timestamp;

use crate::content;
use crate::error::{ImportError, Location};
use crate::plan::{Comment, CommentState, ItemKind, Plan, Source, SourceId, Thread, WarningKind};
use crate::threads::{self, Readers};
use crate::wordpress::path_of;
use crate::xml::{Element, RecordReader};

const SOURCE: Source = Source::Disqus;

fn id(kind: &str, value: &str) -> SourceId {
    SourceId::new(SOURCE, kind, value)
}

fn is_true(element: &Element, name: &str) -> bool {
    element.text_of(name).eq_ignore_ascii_case("true")
}

/// Reads a Disqus export.
pub fn read<R: BufRead>(input: R) -> Result<Plan, ImportError> {
    let mut reader = RecordReader::new(input, 2);
    let mut threads: Vec<Element> = Vec::new();
    let mut posts: Vec<Element> = Vec::new();
    let mut checked = false;
    while let Some(record) = reader.next_record()? {
        if !checked {
            if reader.root() != Some("disqus") {
                return Err(ImportError::WrongKind {
                    expected: "Disqus",
                    location: Location::Text { line: 1, column: 1 },
                    found: format!(
                        "the document is <{}>, not <disqus>",
                        reader.root().unwrap_or("?")
                    ),
                });
            }
            checked = true;
        }
        match record.name.as_str() {
            "thread" => threads.push(record),
            "post" => posts.push(record),
            _ => {}
        }
    }
    if !checked && reader.root() != Some("disqus") {
        return Err(ImportError::WrongKind {
            expected: "Disqus",
            location: Location::File,
            found: format!(
                "the document is <{}>, not <disqus>",
                reader.root().unwrap_or("?")
            ),
        });
    }
    let mut plan = Plan::new(SOURCE);
    plan.site.format = "Disqus XML".into();
    let mut readers = Readers::default();
    let mut by_thread: BTreeMap<String, Vec<Comment>> = BTreeMap::new();
    let known: HashMap<&str, &Element> = threads
        .iter()
        .filter_map(|t| t.attr("dsq:id").map(|key| (key, t)))
        .collect();
    for post in &posts {
        let key = post.attr("dsq:id").unwrap_or("");
        let source_id = id("post", key);
        let author = post.child("author");
        let name = author.map_or("", |a| a.text_of("name"));
        let name = if name.is_empty() { "Anonymous" } else { name };
        let thread = post
            .child("thread")
            .and_then(|t| t.attr("dsq:id"))
            .unwrap_or("");
        if !known.contains_key(thread) {
            plan.report.skipped(
                ItemKind::Comment,
                &source_id,
                name,
                format!("its thread {thread} is not in the export"),
            );
            continue;
        }
        let state = if is_true(post, "isSpam") {
            CommentState::Spam
        } else if is_true(post, "isDeleted") {
            CommentState::Deleted
        } else {
            CommentState::Approved
        };
        let email = author.and_then(|a| threads::email(a.text_of("email")));
        let reader = readers.reader_for(SOURCE, name, email.as_deref(), None);
        let message = post.child("message").map_or("", |m| m.text.as_str());
        let posted_at = post.text_of("createdAt").parse::<Timestamp>().ok();
        if posted_at.is_none() {
            plan.report.warn(
                WarningKind::Unreadable,
                Some(&source_id),
                format!("its time {:?} is not a date", post.text_of("createdAt")),
            );
        }
        plan.report.planned(ItemKind::Comment, &source_id, name);
        by_thread
            .entry(thread.to_owned())
            .or_default()
            .push(Comment {
                source_id,
                parent: post
                    .child("parent")
                    .and_then(|p| p.attr("dsq:id"))
                    .map(|p| id("post", p)),
                reader,
                author_name: name.to_owned(),
                author_email: email,
                author_url: None,
                posted_at,
                body_markdown: content::html_to_markdown(message).markdown,
                state,
            });
    }
    for thread in &threads {
        let key = thread.attr("dsq:id").unwrap_or("");
        let source_id = id("thread", key);
        let title = content::plain_text(thread.text_of("title"));
        let link = thread.text_of("link").to_owned();
        let comments = by_thread.remove(key).unwrap_or_default();
        if comments.is_empty() {
            plan.report
                .skipped(ItemKind::Thread, &source_id, &title, "no comments");
            continue;
        }
        if link.is_empty() {
            plan.report.skipped(
                ItemKind::Thread,
                &source_id,
                &title,
                format!(
                    "no link to say which page its {} comments belong to",
                    comments.len()
                ),
            );
            continue;
        }
        plan.report.planned(ItemKind::Thread, &source_id, &title);
        plan.threads.push(Thread {
            source_id,
            identifier: thread.text_of("id").to_owned(),
            path: path_of(&link),
            url: link,
            title,
            closed: is_true(thread, "isClosed"),
            comments: threads::order(comments, &mut plan.report),
        });
    }
    for reader in &readers.list {
        plan.report
            .planned(ItemKind::Reader, &reader.source_id, &reader.name);
    }
    plan.readers = readers.list;
    Ok(plan)
}

/// Reports the threads whose address no article answers to. `answers` says whether an old path
/// (`/2013/02/12/slug/`) leads to an article on the site; the writer asks its redirects.
pub fn report_unmatched(plan: &mut Plan, answers: impl Fn(&str) -> bool) -> usize {
    let mut unmatched = 0;
    for thread in &plan.threads {
        if !answers(&thread.path) {
            unmatched += 1;
            plan.report.warn(
                WarningKind::UnmatchedThread,
                Some(&thread.source_id),
                format!(
                    "no article answers to {}; its {} comments are not attached",
                    thread.url,
                    thread.comments.len()
                ),
            );
        }
    }
    unmatched
}
