//! What happens to a demo story after it goes out, replayed in the order it happened: the
//! save that updated it, its corrections and updates, and its live coverage (started when it
//! was published, each entry posted at its minute, ended when the desk ended it).

use std::collections::HashMap;

use dateline_core::live::EntryText;
use dateline_usecases::articles::{self, ArticleChanges};
use dateline_usecases::live::{self, EntryDraft};
use dateline_usecases::{Actor, Context};
use jiff::{SignedDuration, Timestamp};

use crate::DemoError;
use crate::live::EntryDoc;
use crate::newsroom::{ArticleDoc, NoteDoc};

/// One thing the newsroom did to a published story.
enum Event<'a> {
    /// An edit: the story shows "Updated" from then on.
    Save,
    Note(&'a NoteDoc),
    StartCoverage,
    Entry(&'a EntryDoc),
    EndCoverage,
}

/// Replays `doc`'s history on article `article_id`, published at `published`, oldest first;
/// at the same minute, in the order a desk works: coverage starts before its first entry,
/// and ends after its last.
pub(crate) async fn replay(
    ctx: &Context,
    desk: &Actor,
    article_id: i64,
    doc: &ArticleDoc,
    authors: &HashMap<String, i64>,
    published: Timestamp,
) -> Result<(), DemoError> {
    let hours = |n: i64| published + SignedDuration::from_hours(n);
    let minutes = |n: i64| published + SignedDuration::from_mins(n);
    let mut events: Vec<(Timestamp, u8, Event<'_>)> = Vec::new();
    if let Some(after) = doc.updated_hours_after {
        events.push((hours(after), 1, Event::Save));
    }
    for note in &doc.note {
        events.push((hours(note.hours_after), 1, Event::Note(note)));
    }
    if let Some(coverage) = &doc.live {
        events.push((published, 0, Event::StartCoverage));
        for entry in &coverage.entry {
            events.push((minutes(entry.minutes_after), 1, Event::Entry(entry)));
        }
        if let Some(ended) = coverage.ended_minutes_after {
            events.push((minutes(ended), 2, Event::EndCoverage));
        }
    }
    // Stable: what the document lists first at one moment happens first.
    events.sort_by_key(|(at, order, _)| (*at, *order));
    for (at, _, event) in events {
        match event {
            Event::Save => {
                let version = ctx
                    .store
                    .articles()
                    .by_id(article_id)
                    .await?
                    .ok_or_else(|| DemoError::Content(format!("{}: gone", doc.slug)))?
                    .version;
                articles::save(
                    ctx,
                    desk,
                    article_id,
                    version,
                    ArticleChanges::default(),
                    at,
                )
                .await?;
            }
            Event::Note(note) => {
                articles::add_note(ctx, desk, article_id, &note.kind, &note.text, None, at).await?;
            }
            Event::StartCoverage => {
                live::start(ctx, desk, article_id, at).await?;
            }
            Event::Entry(entry) => {
                let author_id = authors.get(&entry.author).copied().ok_or_else(|| {
                    DemoError::Content(format!(
                        "{}: unknown entry author {}",
                        doc.slug, entry.author
                    ))
                })?;
                let draft = EntryDraft {
                    text: EntryText {
                        headline: entry.headline.clone().unwrap_or_default(),
                        body: entry.body.clone(),
                        embed_url: String::new(),
                    },
                    image_id: None,
                    key_event: entry.key_event,
                    pinned: entry.pinned,
                };
                live::post_filed_by(ctx, desk, article_id, author_id, &draft, at).await?;
            }
            Event::EndCoverage => {
                live::end(ctx, desk, article_id, at).await?;
            }
        }
    }
    Ok(())
}
