//! Live coverage in the demo newsroom as `newsroom.toml` writes it: a live article's entries,
//! each under its reporter's byline, and when the desk ended the coverage. `history.rs` posts
//! them through the live coverage use cases at their own times.

use serde::Deserialize;

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
