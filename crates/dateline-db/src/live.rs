//! Live coverage: the entries of live articles, and the coverage itself (started, ended).
//!
//! Every write is one transaction that first takes the article's row (bumping its
//! `live_revision`, so concurrent posts to one article serialise on PostgreSQL too), checks the
//! rules only the database can see (still live coverage, not ended, the pinned limit), writes,
//! appends to the `changes` log the tags the change touched and to the audit log who made it.
//! An entry names only `live:<article>` (the live page, and the front and section cards of it),
//! plus the key-event feeds when a key event changed; a key event also queues the narration,
//! which reads the key events.

use std::collections::HashMap;

use dateline_core::live::{ENTRIES_PER_PAGE, limits};
use dateline_core::{
    Article, ArticleStatus, AuthorRef, EntryByline, EntryNote, Image, LiveEntry, LiveRefusal,
    NoteKind, StorySummary, cache_tags,
};
use jiff::Timestamp;

use crate::audit::{Actor, AuditEntry, record_audit};
use crate::catalog::placeholders;
use crate::changes::record_change;
use crate::narration::queue_narration;
use crate::{DbError, Result, Store, StoryFilter, from_micros, on_reader, on_writer, to_micros};

/// The `articles.kind` of live coverage.
pub(crate) const LIVE_KIND: &str = "live";

/// The `changes` kind of an entry change (its entity is the article).
pub(crate) const CHANGE_KIND: &str = "live";

/// The store's live coverage: `store.live()`.
pub struct Live<'a> {
    store: &'a Store,
}

impl Store {
    pub fn live(&self) -> Live<'_> {
        Live { store: self }
    }
}

/// An entry as posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    pub headline: Option<String>,
    /// Markdown.
    pub body: String,
    pub image_id: Option<i64>,
    pub embed_url: Option<String>,
    pub key_event: bool,
    pub pinned: bool,
    /// The byline it goes out under; `None` shows the poster's name.
    pub author_id: Option<i64>,
}

/// An entry's text after an edit (its flags change through their own calls).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryText {
    pub headline: Option<String>,
    pub body: String,
    pub image_id: Option<i64>,
    pub embed_url: Option<String>,
}

/// One page of a live article as readers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LivePage {
    /// Pinned entries, newest first: on the first page only.
    pub pinned: Vec<LiveEntry>,
    /// This page of the stream, newest first.
    pub entries: Vec<LiveEntry>,
    /// Entries in the stream (pinned ones not counted): what the pages are counted from.
    pub total: i64,
    /// Every key event, newest first: the summary list at the top links to them.
    pub key_events: Vec<KeyEventRef>,
    /// The pictures of the entries shown.
    pub images: Vec<Image>,
    /// The newest entry id (0 with none): where the reader's event stream starts.
    pub newest_id: i64,
}

/// A key event in the summary list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEventRef {
    pub entry_id: i64,
    pub title: String,
    pub posted_at: Timestamp,
}

/// What a reader's open page needs to hear: entries newer than the one it shows, and whether
/// anything else changed (an edit, a deletion, the end of coverage).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveNews {
    /// Newest first, at most [`LiveNews::MAX_NEWER`].
    pub newer: Vec<i64>,
    pub revision: i64,
    pub ended: bool,
    /// Readers may see the article: once it is not, its open streams must say nothing more.
    pub published: bool,
}

impl LiveNews {
    /// More new entries than this and the page is better reloaded than patched.
    pub const MAX_NEWER: i64 = 100;
}

/// The newest entry of a live article, for its card on the front and section pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatestEntry {
    pub entry_id: i64,
    pub title: String,
    pub posted_at: Timestamp,
}

/// A key event as a feed item, with the live article it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedKeyEvent {
    pub entry: LiveEntry,
    pub article: StorySummary,
    pub language: String,
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    id: i64,
    article_id: i64,
    headline: Option<String>,
    body: String,
    image_id: Option<i64>,
    embed_url: Option<String>,
    key_event: bool,
    pinned: bool,
    author_id: Option<i64>,
    author_slug: Option<String>,
    author_name: Option<String>,
    posted_by_name: String,
    posted_at: i64,
    updated_at: i64,
    version: i64,
}

impl From<EntryRow> for LiveEntry {
    fn from(row: EntryRow) -> Self {
        let author = match (row.author_id, row.author_slug, row.author_name) {
            (Some(id), Some(slug), Some(name)) => Some(AuthorRef { id, slug, name }),
            _ => None,
        };
        LiveEntry {
            id: row.id,
            article_id: row.article_id,
            headline: row.headline,
            body: row.body,
            image_id: row.image_id,
            embed_url: row.embed_url,
            key_event: row.key_event,
            pinned: row.pinned,
            byline: EntryByline {
                name: author
                    .as_ref()
                    .map_or(row.posted_by_name, |a| a.name.clone()),
                author,
            },
            posted_at: from_micros(row.posted_at),
            updated_at: from_micros(row.updated_at),
            version: row.version,
            notes: Vec::new(),
        }
    }
}

const ENTRY_SELECT: &str = "SELECT e.id, e.article_id, e.headline, e.body, e.image_id, \
     e.embed_url, e.key_event, e.pinned, e.author_id, au.slug AS author_slug, \
     au.name AS author_name, e.posted_by_name, e.posted_at, e.updated_at, e.version \
     FROM live_entries e LEFT JOIN authors au ON au.id = e.author_id";

#[derive(sqlx::FromRow)]
struct NoteRow {
    id: i64,
    entry_id: i64,
    kind: String,
    body: String,
    published_at: i64,
}

impl From<NoteRow> for EntryNote {
    fn from(row: NoteRow) -> Self {
        EntryNote {
            id: row.id,
            entry_id: row.entry_id,
            // The CHECK constraint admits only known kinds.
            kind: NoteKind::parse(&row.kind).unwrap_or(NoteKind::Update),
            text: row.body,
            published_at: from_micros(row.published_at),
        }
    }
}

/// What a write learns about the live article it changes, inside its transaction.
struct Locked {
    live: bool,
    ended: bool,
    headline: String,
}

/// Takes article `$id`'s row for the rest of transaction `$tx` (bumping its live revision) and
/// reads what the rules need; `DbError::NotFound` when there is no such article.
macro_rules! lock_live_article {
    ($tx:expr, $id:expr) => {{
        let bumped =
            sqlx::query("UPDATE articles SET live_revision = live_revision + 1 WHERE id = $1")
                .bind($id)
                .execute(&mut *$tx)
                .await?
                .rows_affected();
        if bumped == 0 {
            return Err(DbError::NotFound);
        }
        let (kind, ended, headline): (String, Option<i64>, String) =
            sqlx::query_as("SELECT kind, coverage_ended_at, headline FROM articles WHERE id = $1")
                .bind($id)
                .fetch_one(&mut *$tx)
                .await?;
        Locked {
            live: kind == LIVE_KIND,
            ended: ended.is_some(),
            headline,
        }
    }};
}

/// Reads entry `$entry_id` (article, key event flag, pinned flag) inside `$tx`.
macro_rules! entry_place {
    ($tx:expr, $entry_id:expr) => {{
        let place: Option<(i64, bool, bool)> =
            sqlx::query_as("SELECT article_id, key_event, pinned FROM live_entries WHERE id = $1")
                .bind($entry_id)
                .fetch_optional(&mut *$tx)
                .await?;
        place.ok_or(DbError::NotFound)?
    }};
}

/// Refuses a change to the entries of what `locked` describes unless it is running coverage.
fn open_for_entries(locked: &Locked) -> Result<()> {
    if !locked.live {
        return Err(DbError::Refused(LiveRefusal::NotLive.into()));
    }
    if locked.ended {
        return Err(DbError::Refused(LiveRefusal::CoverageEnded.into()));
    }
    Ok(())
}

/// The tags an entry change touches: the live page and the cards showing its latest entry;
/// the key-event feeds when a key event is involved.
pub(crate) fn entry_tags(article_id: i64, key_event: bool) -> Vec<String> {
    let mut tags = vec![cache_tags::live(article_id)];
    if key_event {
        tags.push(cache_tags::KEY_EVENTS_LIST.to_owned());
    }
    tags
}

/// The tags a change of the coverage itself touches (it starts or ends): the article's pages
/// and cards, the live page, and the key-event feeds it may leave or join.
pub(crate) fn coverage_tags(article_id: i64) -> [String; 4] {
    [
        cache_tags::article(article_id),
        cache_tags::ANY_ARTICLE.to_owned(),
        cache_tags::live(article_id),
        cache_tags::KEY_EVENTS_LIST.to_owned(),
    ]
}

/// At most `max` characters of `text`, for an audit line.
fn excerpt(text: &str, max: usize) -> String {
    let mut short: String = text.chars().take(max).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

fn pinned_limit() -> DbError {
    DbError::Refused(
        LiveRefusal::TooManyPinned {
            max: limits::PINNED_ENTRIES,
        }
        .into(),
    )
}

impl Live<'_> {
    /// Makes article `article_id` live coverage. A published story starts its coverage `now`;
    /// a draft's starts when it is published. Doing it again changes nothing.
    pub async fn start(&self, article_id: i64, actor: &Actor, now: Timestamp) -> Result<Article> {
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let locked = lock_live_article!(tx, article_id);
            if !locked.live {
                sqlx::query(
                    "UPDATE articles SET kind = $1, coverage_started_at = CASE \
                     WHEN status = 'published' THEN $2 ELSE NULL END WHERE id = $3",
                )
                .bind(LIVE_KIND)
                .bind(to_micros(now))
                .bind(article_id)
                .execute(&mut *tx)
                .await?;
                // The page, and every card of it (the "Live" badge), change.
                record_change!(
                    tx,
                    now,
                    "article",
                    Some(article_id),
                    [
                        cache_tags::article(article_id),
                        cache_tags::ANY_ARTICLE.to_owned(),
                        cache_tags::live(article_id),
                    ]
                );
                let entry = AuditEntry::about(
                    actor,
                    "live.start",
                    "article",
                    article_id,
                    format!("live coverage: {}", excerpt(&locked.headline, 120)),
                );
                record_audit!(tx, now, entry);
            }
            tx.commit().await?;
        });
        self.store
            .articles()
            .by_id(article_id)
            .await?
            .ok_or(DbError::NotFound)
    }

    /// Ends the live coverage of `article_id` at `now`: the page says so and its entries no
    /// longer change (corrections still can be added).
    pub async fn end(&self, article_id: i64, actor: &Actor, now: Timestamp) -> Result<Article> {
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let locked = lock_live_article!(tx, article_id);
            open_for_entries(&locked)?;
            let ended = sqlx::query(
                "UPDATE articles SET coverage_ended_at = $1 WHERE id = $2 \
                 AND status = 'published'",
            )
            .bind(to_micros(now))
            .bind(article_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if ended == 0 {
                return Err(DbError::Refused(LiveRefusal::NotStarted.into()));
            }
            record_change!(
                tx,
                now,
                "article",
                Some(article_id),
                coverage_tags(article_id)
            );
            let entry = AuditEntry::about(
                actor,
                "live.end",
                "article",
                article_id,
                format!("ended live coverage: {}", excerpt(&locked.headline, 120)),
            );
            record_audit!(tx, now, entry);
            tx.commit().await?;
        });
        self.store
            .articles()
            .by_id(article_id)
            .await?
            .ok_or(DbError::NotFound)
    }

    /// Posts an entry to live article `article_id` at `at`.
    pub async fn post(
        &self,
        article_id: i64,
        entry: &NewEntry,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<LiveEntry> {
        let id: i64 = on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let locked = lock_live_article!(tx, article_id);
            open_for_entries(&locked)?;
            if entry.pinned {
                let pinned: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM live_entries WHERE article_id = $1 AND pinned = TRUE",
                )
                .bind(article_id)
                .fetch_one(&mut *tx)
                .await?;
                if pinned >= limits::PINNED_ENTRIES as i64 {
                    return Err(pinned_limit());
                }
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO live_entries (article_id, headline, body, image_id, embed_url, \
                 key_event, pinned, author_id, posted_by_staff_id, posted_by_name, posted_at, \
                 updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, 1) \
                 RETURNING id",
            )
            .bind(article_id)
            .bind(&entry.headline)
            .bind(&entry.body)
            .bind(entry.image_id)
            .bind(&entry.embed_url)
            .bind(entry.key_event)
            .bind(entry.pinned)
            .bind(entry.author_id)
            .bind(actor.staff_id)
            .bind(&actor.name)
            .bind(to_micros(at))
            .fetch_one(&mut *tx)
            .await?;
            record_change!(tx, at, CHANGE_KIND, Some(article_id), entry_tags(article_id, entry.key_event));
            if entry.key_event {
                let _queued = queue_narration!(tx, at, article_id);
            }
            let audit = AuditEntry::about(
                actor,
                "live.post",
                "article",
                article_id,
                format!("entry {id} on “{}”: {}", excerpt(&locked.headline, 80), excerpt(&entry.body, 160)),
            );
            record_audit!(tx, at, audit);
            tx.commit().await?;
            id
        });
        self.entry(id).await?.ok_or(DbError::NotFound)
    }

    /// Replaces the text of entry `entry_id`, which must still be at `expected_version`.
    pub async fn edit(
        &self,
        entry_id: i64,
        expected_version: i64,
        text: &EntryText,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<LiveEntry> {
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let (article_id, key_event, _) = entry_place!(tx, entry_id);
            let locked = lock_live_article!(tx, article_id);
            open_for_entries(&locked)?;
            let updated = sqlx::query(
                "UPDATE live_entries SET headline = $1, body = $2, image_id = $3, embed_url = $4, \
                 updated_at = $5, version = version + 1 WHERE id = $6 AND version = $7",
            )
            .bind(&text.headline)
            .bind(&text.body)
            .bind(text.image_id)
            .bind(&text.embed_url)
            .bind(to_micros(now))
            .bind(entry_id)
            .bind(expected_version)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated == 0 {
                let current_version: i64 =
                    sqlx::query_scalar("SELECT version FROM live_entries WHERE id = $1")
                        .bind(entry_id)
                        .fetch_one(&mut *tx)
                        .await?;
                return Err(DbError::Conflict { current_version });
            }
            record_change!(tx, now, CHANGE_KIND, Some(article_id), entry_tags(article_id, key_event));
            if key_event {
                let _queued = queue_narration!(tx, now, article_id);
            }
            let audit = AuditEntry::about(
                actor,
                "live.edit",
                "article",
                article_id,
                format!("entry {entry_id}: {}", excerpt(&text.body, 160)),
            );
            record_audit!(tx, now, audit);
            tx.commit().await?;
        });
        self.entry(entry_id).await?.ok_or(DbError::NotFound)
    }

    /// Pins entry `entry_id` above the stream, or unpins it.
    pub async fn set_pinned(
        &self,
        entry_id: i64,
        pinned: bool,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<LiveEntry> {
        self.set_flag(entry_id, Flag::Pinned, pinned, actor, now)
            .await
    }

    /// Marks entry `entry_id` as a key event (in the summary list, the feeds and the
    /// narration), or takes the mark off.
    pub async fn set_key_event(
        &self,
        entry_id: i64,
        key_event: bool,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<LiveEntry> {
        self.set_flag(entry_id, Flag::KeyEvent, key_event, actor, now)
            .await
    }

    async fn set_flag(
        &self,
        entry_id: i64,
        flag: Flag,
        on: bool,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<LiveEntry> {
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let (article_id, key_event, pinned) = entry_place!(tx, entry_id);
            let locked = lock_live_article!(tx, article_id);
            open_for_entries(&locked)?;
            let current = match flag {
                Flag::Pinned => pinned,
                Flag::KeyEvent => key_event,
            };
            if current != on {
                if flag == Flag::Pinned && on {
                    let pinned: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM live_entries WHERE article_id = $1 AND pinned = TRUE",
                    )
                    .bind(article_id)
                    .fetch_one(&mut *tx)
                    .await?;
                    if pinned >= limits::PINNED_ENTRIES as i64 {
                        return Err(pinned_limit());
                    }
                }
                let sql = match flag {
                    Flag::Pinned => "UPDATE live_entries SET pinned = $1, updated_at = $2, \
                                     version = version + 1 WHERE id = $3",
                    Flag::KeyEvent => "UPDATE live_entries SET key_event = $1, updated_at = $2, \
                                       version = version + 1 WHERE id = $3",
                };
                sqlx::query(sql)
                    .bind(on)
                    .bind(to_micros(now))
                    .bind(entry_id)
                    .execute(&mut *tx)
                    .await?;
                let touches_key_events = key_event || (flag == Flag::KeyEvent && on);
                record_change!(
                    tx,
                    now,
                    CHANGE_KIND,
                    Some(article_id),
                    entry_tags(article_id, touches_key_events)
                );
                if flag == Flag::KeyEvent {
                    let _queued = queue_narration!(tx, now, article_id);
                }
                let action = match (flag, on) {
                    (Flag::Pinned, true) => "live.pin",
                    (Flag::Pinned, false) => "live.unpin",
                    (Flag::KeyEvent, true) => "live.key_event",
                    (Flag::KeyEvent, false) => "live.not_key_event",
                };
                let audit = AuditEntry::about(
                    actor,
                    action,
                    "article",
                    article_id,
                    format!("entry {entry_id} on “{}”", excerpt(&locked.headline, 80)),
                );
                record_audit!(tx, now, audit);
            }
            tx.commit().await?;
        });
        self.entry(entry_id).await?.ok_or(DbError::NotFound)
    }

    /// Deletes entry `entry_id` for good; the audit log keeps the start of its text.
    pub async fn delete(&self, entry_id: i64, actor: &Actor, now: Timestamp) -> Result<()> {
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let (article_id, key_event, _) = entry_place!(tx, entry_id);
            let locked = lock_live_article!(tx, article_id);
            open_for_entries(&locked)?;
            let body: String = sqlx::query_scalar("DELETE FROM live_entries WHERE id = $1 RETURNING body")
                .bind(entry_id)
                .fetch_one(&mut *tx)
                .await?;
            record_change!(tx, now, CHANGE_KIND, Some(article_id), entry_tags(article_id, key_event));
            if key_event {
                let _queued = queue_narration!(tx, now, article_id);
            }
            let audit = AuditEntry::about(
                actor,
                "live.delete",
                "article",
                article_id,
                format!("entry {entry_id} on “{}”: {}", excerpt(&locked.headline, 80), excerpt(&body, 160)),
            );
            record_audit!(tx, now, audit);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Adds a correction, clarification or update to entry `entry_id` at `at` (also after the
    /// coverage ended: mistakes are corrected whenever they are found).
    pub async fn add_note(
        &self,
        entry_id: i64,
        kind: NoteKind,
        text: &str,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<EntryNote> {
        let text = dateline_core::notes::check_note_text(text)
            .map_err(|refusal| DbError::Refused(refusal.into()))?;
        let row: NoteRow = on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let (article_id, key_event, _) = entry_place!(tx, entry_id);
            let locked = lock_live_article!(tx, article_id);
            if !locked.live {
                return Err(DbError::Refused(LiveRefusal::NotLive.into()));
            }
            let row: NoteRow = sqlx::query_as(
                "INSERT INTO live_entry_notes (entry_id, kind, body, published_at, \
                 written_by_staff_id, written_by_name) VALUES ($1, $2, $3, $4, $5, $6) \
                 RETURNING id, entry_id, kind, body, published_at",
            )
            .bind(entry_id)
            .bind(kind.as_str())
            .bind(text)
            .bind(to_micros(at))
            .bind(actor.staff_id)
            .bind(&actor.name)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE live_entries SET updated_at = $1, version = version + 1 WHERE id = $2",
            )
            .bind(to_micros(at))
            .bind(entry_id)
            .execute(&mut *tx)
            .await?;
            record_change!(tx, at, CHANGE_KIND, Some(article_id), entry_tags(article_id, key_event));
            let audit = AuditEntry::about(
                actor,
                match kind {
                    NoteKind::Correction => "live.correct",
                    NoteKind::Clarification => "live.clarify",
                    NoteKind::Update => "live.update_note",
                },
                "article",
                article_id,
                format!("entry {entry_id} on “{}”: {}", excerpt(&locked.headline, 80), excerpt(text, 160)),
            );
            record_audit!(tx, at, audit);
            tx.commit().await?;
            row
        });
        Ok(row.into())
    }

    /// One entry with its notes.
    pub async fn entry(&self, entry_id: i64) -> Result<Option<LiveEntry>> {
        let sql = format!("{ENTRY_SELECT} WHERE e.id = $1");
        let row: Option<EntryRow> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(entry_id).fetch_optional(pool).await?
        });
        let mut entries: Vec<LiveEntry> = row.into_iter().map(LiveEntry::from).collect();
        self.attach_notes(&mut entries).await?;
        Ok(entries.pop())
    }

    /// Page `page` (from 1) of live article `article_id`'s stream, with its pinned entries on
    /// the first page, its key events and the pictures shown.
    pub async fn page(&self, article_id: i64, page: i64) -> Result<LivePage> {
        let offset = (page.max(1) - 1) * ENTRIES_PER_PAGE;
        let stream_sql = format!(
            "{ENTRY_SELECT} WHERE e.article_id = $1 AND e.pinned = FALSE \
             ORDER BY e.id DESC LIMIT $2 OFFSET $3"
        );
        let pinned_sql = format!(
            "{ENTRY_SELECT} WHERE e.article_id = $1 AND e.pinned = TRUE ORDER BY e.id DESC"
        );
        let key_sql = format!(
            "{ENTRY_SELECT} WHERE e.article_id = $1 AND e.key_event = TRUE ORDER BY e.id DESC"
        );
        let (stream, pinned, keys, total, newest): (
            Vec<EntryRow>,
            Vec<EntryRow>,
            Vec<EntryRow>,
            i64,
            Option<i64>,
        ) = on_reader!(self.store, pool => {
            let stream = sqlx::query_as(sqlx::AssertSqlSafe(stream_sql))
                .bind(article_id)
                .bind(ENTRIES_PER_PAGE)
                .bind(offset)
                .fetch_all(pool)
                .await?;
            let pinned = if page <= 1 {
                sqlx::query_as(sqlx::AssertSqlSafe(pinned_sql))
                    .bind(article_id)
                    .fetch_all(pool)
                    .await?
            } else {
                Vec::new()
            };
            let keys = sqlx::query_as(sqlx::AssertSqlSafe(key_sql))
                .bind(article_id)
                .fetch_all(pool)
                .await?;
            let (total, newest): (i64, Option<i64>) = sqlx::query_as(
                "SELECT COUNT(CASE WHEN pinned = FALSE THEN 1 END), MAX(id) FROM live_entries \
                 WHERE article_id = $1",
            )
            .bind(article_id)
            .fetch_one(pool)
            .await?;
            (stream, pinned, keys, total, newest)
        });
        let mut entries: Vec<LiveEntry> = stream.into_iter().map(LiveEntry::from).collect();
        let mut pinned: Vec<LiveEntry> = pinned.into_iter().map(LiveEntry::from).collect();
        let key_events = keys
            .into_iter()
            .map(|row| {
                let entry = LiveEntry::from(row);
                KeyEventRef {
                    entry_id: entry.id,
                    title: dateline_core::live::entry_title(&entry),
                    posted_at: entry.posted_at,
                }
            })
            .collect();
        self.attach_notes(&mut entries).await?;
        self.attach_notes(&mut pinned).await?;
        let image_ids: Vec<i64> = pinned
            .iter()
            .chain(&entries)
            .filter_map(|e| e.image_id)
            .collect();
        let images = self.store.library().images_by_ids(&image_ids).await?;
        Ok(LivePage {
            pinned,
            entries,
            total,
            key_events,
            images,
            newest_id: newest.unwrap_or(0),
        })
    }

    /// Entries of `article_id` newer than `after_id`, newest first, at most `limit`, with their
    /// pictures: what a reader's "show" adds to the page.
    pub async fn after(
        &self,
        article_id: i64,
        after_id: i64,
        limit: i64,
    ) -> Result<(Vec<LiveEntry>, Vec<Image>)> {
        let sql = format!(
            "{ENTRY_SELECT} WHERE e.article_id = $1 AND e.id > $2 ORDER BY e.id DESC LIMIT $3"
        );
        let rows: Vec<EntryRow> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(article_id)
                .bind(after_id)
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        let mut entries: Vec<LiveEntry> = rows.into_iter().map(LiveEntry::from).collect();
        self.attach_notes(&mut entries).await?;
        let image_ids: Vec<i64> = entries.iter().filter_map(|e| e.image_id).collect();
        let images = self.store.library().images_by_ids(&image_ids).await?;
        Ok((entries, images))
    }

    /// Whether entry `entry_id` belongs to `article_id` (0 stands for "before the first").
    pub async fn is_entry_of(&self, article_id: i64, entry_id: i64) -> Result<bool> {
        if entry_id == 0 {
            return Ok(true);
        }
        let found: Option<i64> = on_reader!(self.store, pool => {
            sqlx::query_scalar("SELECT id FROM live_entries WHERE id = $1 AND article_id = $2")
                .bind(entry_id)
                .bind(article_id)
                .fetch_optional(pool)
                .await?
        });
        Ok(found.is_some())
    }

    /// The page (from 1) of `article_id` that shows entry `entry_id`: pinned entries are on the
    /// first. `None` when the entry is not one of the article's.
    pub async fn page_of(&self, article_id: i64, entry_id: i64) -> Result<Option<i64>> {
        let place: Option<(bool, i64)> = on_reader!(self.store, pool => {
            sqlx::query_as(
                "SELECT e.pinned, (SELECT COUNT(*) FROM live_entries n WHERE n.article_id = $2 \
                 AND n.pinned = FALSE AND n.id > e.id) FROM live_entries e \
                 WHERE e.id = $1 AND e.article_id = $2",
            )
            .bind(entry_id)
            .bind(article_id)
            .fetch_optional(pool)
            .await?
        });
        Ok(place.map(|(pinned, newer)| {
            if pinned {
                1
            } else {
                newer / ENTRIES_PER_PAGE + 1
            }
        }))
    }

    /// What readers of `article_id` whose page shows up to entry `since` have not seen yet.
    /// Two small reads, whatever the number of readers: the event hub asks once per interval.
    pub async fn news(&self, article_id: i64, since: i64) -> Result<LiveNews> {
        // The article's live revision, when coverage ended, and its status.
        type Coverage = (i64, Option<i64>, String);
        let (newer, state): (Vec<i64>, Option<Coverage>) = on_reader!(self.store, pool => {
            let newer = sqlx::query_scalar(
                "SELECT id FROM live_entries WHERE article_id = $1 AND id > $2 \
                 ORDER BY id DESC LIMIT $3",
            )
            .bind(article_id)
            .bind(since)
            .bind(LiveNews::MAX_NEWER)
            .fetch_all(pool)
            .await?;
            let state = sqlx::query_as(
                "SELECT live_revision, coverage_ended_at, status FROM articles WHERE id = $1",
            )
            .bind(article_id)
            .fetch_optional(pool)
            .await?;
            (newer, state)
        });
        let (revision, ended, status) = state.ok_or(DbError::NotFound)?;
        Ok(LiveNews {
            newer,
            revision,
            ended: ended.is_some(),
            published: status == ArticleStatus::Published.as_str(),
        })
    }

    /// The newest entry of each of `article_ids` that is live coverage running now.
    pub async fn latest_entries(&self, article_ids: &[i64]) -> Result<HashMap<i64, LatestEntry>> {
        if article_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "{ENTRY_SELECT} JOIN articles a ON a.id = e.article_id WHERE e.id IN \
             (SELECT MAX(l.id) FROM live_entries l WHERE l.article_id IN ({}) GROUP BY l.article_id) \
             AND a.kind = 'live' AND a.coverage_ended_at IS NULL",
            placeholders(1, article_ids.len())
        );
        let rows: Vec<EntryRow> = on_reader!(self.store, pool => {
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for id in article_ids {
                query = query.bind(*id);
            }
            query.fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .map(|row| {
                let entry = LiveEntry::from(row);
                (
                    entry.article_id,
                    LatestEntry {
                        entry_id: entry.id,
                        title: dateline_core::live::entry_title(&entry),
                        posted_at: entry.posted_at,
                    },
                )
            })
            .collect())
    }

    /// Which of `article_ids` are live coverage running now (published, not ended).
    /// `status || ''`: with a bare `status`, SQLite walked the whole published range of an
    /// index led by `status` (100,000 entries, 15 ms) instead of looking the few ids up.
    pub async fn running(&self, article_ids: &[i64]) -> Result<Vec<i64>> {
        if article_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id FROM articles WHERE kind = 'live' AND status || '' = 'published' \
             AND coverage_ended_at IS NULL AND id IN ({})",
            placeholders(1, article_ids.len())
        );
        let ids: Vec<i64> = on_reader!(self.store, pool => {
            let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
            for id in article_ids {
                query = query.bind(*id);
            }
            query.fetch_all(pool).await?
        });
        Ok(ids)
    }

    /// The key events of `article_id`, oldest first: what its narration reads.
    pub async fn key_events(&self, article_id: i64) -> Result<Vec<LiveEntry>> {
        let sql =
            format!("{ENTRY_SELECT} WHERE e.article_id = $1 AND e.key_event = TRUE ORDER BY e.id");
        let rows: Vec<EntryRow> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(article_id).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(LiveEntry::from).collect())
    }

    /// Key events of published live coverage in a feed's scope, newest first, at most `limit`:
    /// each one a feed item.
    pub async fn feed_key_events(
        &self,
        filter: StoryFilter,
        limit: i64,
    ) -> Result<Vec<FeedKeyEvent>> {
        let (join, condition) = match filter {
            StoryFilter::All => ("", "$1 = $1"),
            StoryFilter::Section(_) => ("", "a.section_id = $1"),
            StoryFilter::Author(_) => (
                " JOIN article_authors fa ON fa.article_id = a.id",
                "fa.author_id = $1",
            ),
            StoryFilter::Tag(_) => (
                " JOIN article_tags ft ON ft.article_id = a.id",
                "ft.tag_id = $1",
            ),
        };
        let value = match filter {
            StoryFilter::All => 0,
            StoryFilter::Section(id) | StoryFilter::Author(id) | StoryFilter::Tag(id) => id,
        };
        let sql = format!(
            "{ENTRY_SELECT} JOIN articles a ON a.id = e.article_id{join} \
             WHERE e.key_event = TRUE AND a.kind = 'live' AND a.status = 'published' \
             AND {condition} ORDER BY e.id DESC LIMIT $2"
        );
        let rows: Vec<EntryRow> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(value)
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        let mut entries: Vec<LiveEntry> = rows.into_iter().map(LiveEntry::from).collect();
        self.attach_notes(&mut entries).await?;
        let mut article_ids: Vec<i64> = entries.iter().map(|e| e.article_id).collect();
        article_ids.sort_unstable();
        article_ids.dedup();
        let stories = self.store.public().stories_by_ids(&article_ids).await?;
        let mut languages = HashMap::new();
        for id in &article_ids {
            if let Some(article) = self.store.articles().by_id(*id).await? {
                languages.insert(*id, article.language);
            }
        }
        Ok(entries
            .into_iter()
            .filter_map(|entry| {
                let article = stories.iter().find(|s| s.id == entry.article_id)?.clone();
                let language = languages.get(&entry.article_id)?.clone();
                Some(FeedKeyEvent {
                    entry,
                    article,
                    language,
                })
            })
            .collect())
    }

    async fn attach_notes(&self, entries: &mut [LiveEntry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "SELECT id, entry_id, kind, body, published_at FROM live_entry_notes \
             WHERE entry_id IN ({}) ORDER BY published_at DESC, id DESC",
            placeholders(1, entries.len())
        );
        let rows: Vec<NoteRow> = on_reader!(self.store, pool => {
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for entry in entries.iter() {
                query = query.bind(entry.id);
            }
            query.fetch_all(pool).await?
        });
        for row in rows {
            if let Some(entry) = entries.iter_mut().find(|e| e.id == row.entry_id) {
                entry.notes.push(row.into());
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flag {
    Pinned,
    KeyEvent,
}
