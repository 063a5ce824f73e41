//! Live coverage in the demo newsroom: a live article's entries as a desk would have posted
//! them, oldest first, through the store's live coverage (one transaction each, with its change
//! and audit lines), and its end when the coverage has one.

use std::collections::HashMap;

use dateline_core::live::{EntryText, check_entry};
use dateline_db::{Actor, NewEntry, Store};
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

use crate::DemoError;

/// `[article.live]`: the article is live coverage.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LiveDoc {
    /// Minutes after publication the newsroom ended the coverage; none: it is still running.
    pub ended_minutes_after: Option<i64>,
    /// Oldest first, as they were posted.
    pub entry: Vec<EntryDoc>,
}

/// `[[article.live.entry]]`: one entry.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EntryDoc {
    /// Minutes after publication.
    pub minutes_after: i64,
    /// The author slug whose byline it goes out under.
    pub author: String,
    pub headline: Option<String>,
    pub body: String,
    #[serde(default)]
    pub key_event: bool,
    #[serde(default)]
    pub pinned: bool,
}

/// Makes `article_id` (published at `published`) live coverage and posts `doc`'s entries.
pub(crate) async fn add_coverage(
    store: &Store,
    article_id: i64,
    slug: &str,
    doc: &LiveDoc,
    authors: &HashMap<String, i64>,
    published: Timestamp,
) -> Result<(), DemoError> {
    let desk = Actor::system("demo");
    let live = store.live();
    live.start(article_id, &desk, published).await?;
    for entry in &doc.entry {
        let checked = check_entry(&EntryText {
            headline: entry.headline.clone().unwrap_or_default(),
            body: entry.body.clone(),
            embed_url: String::new(),
        })
        .map_err(|refused| {
            DemoError::Content(format!("{slug}: an entry is refused: {refused:?}"))
        })?;
        let author_id = authors.get(&entry.author).copied().ok_or_else(|| {
            DemoError::Content(format!("{slug}: unknown entry author {}", entry.author))
        })?;
        live.post(
            article_id,
            &NewEntry {
                headline: checked.headline,
                body: checked.body,
                image_id: None,
                embed_url: None,
                key_event: entry.key_event,
                pinned: entry.pinned,
                author_id: Some(author_id),
            },
            &desk,
            published + SignedDuration::from_mins(entry.minutes_after),
        )
        .await?;
    }
    if let Some(minutes) = doc.ended_minutes_after {
        live.end(
            article_id,
            &desk,
            published + SignedDuration::from_mins(minutes),
        )
        .await?;
    }
    Ok(())
}
