//! Articles: writing them (with the change log and redirects in the same transaction) and reading
//! them the ways the public pages need.

use std::collections::{BTreeSet, HashMap};

use dateline_core::{
    Article, ArticlePage, ArticleRefusal, ArticleSnapshot, ArticleStatus, Author, AuthorRef,
    Refusal, Refusals, StorySummary, Tag, cache_tags, markdown, paths, slug,
};
use jiff::Timestamp;

use crate::audit::Actor;
use crate::catalog::placeholders;
use crate::changes::record_change;
use crate::imports::remember_source;
use crate::narration::queue_narration;
use crate::rows::{
    ARTICLE_COLUMNS, ArticleRow, AuthorRow, BylineRow, SectionRow, StoryRow, TagRow,
};
use crate::{Articles, DbError, Result, from_micros, on_reader, on_writer, to_micros};

/// What the newsroom (or the demo loader, or an import) writes.
#[derive(Debug, Clone)]
pub struct ArticleInput {
    pub section_id: i64,
    pub slug: String,
    pub headline: String,
    pub standfirst: String,
    pub body: String,
    pub dateline_place: Option<String>,
    pub hero_image_id: Option<i64>,
    /// Byline order.
    pub author_ids: Vec<i64>,
    /// Tag names; tags are created on first use.
    pub tags: Vec<String>,
    pub language: String,
    pub comments_open: bool,
    pub status: ArticleStatus,
    /// For published articles: when they first went out (defaults to now). Imports and the demo
    /// set it to keep history.
    pub first_published_at: Option<Timestamp>,
    /// When the text last changed (defaults to now).
    pub updated_at: Option<Timestamp>,
}

impl ArticleInput {
    /// The rules the table itself depends on, checked again whoever writes (the use cases check
    /// these and more before they get here).
    fn validate(&self) -> Result<()> {
        let mut refused: Vec<Refusal> = Vec::new();
        if self.headline.trim().is_empty() {
            refused.push(ArticleRefusal::HeadlineMissing.into());
        }
        if !slug::is_valid_slug(&self.slug) {
            refused.push(ArticleRefusal::SlugInvalid.into());
        }
        if self.author_ids.is_empty()
            && matches!(
                self.status,
                ArticleStatus::Published | ArticleStatus::Scheduled
            )
        {
            refused.push(
                ArticleRefusal::BylineEmpty {
                    status: self.status,
                }
                .into(),
            );
        }
        let unique: BTreeSet<i64> = self.author_ids.iter().copied().collect();
        if unique.len() != self.author_ids.len() {
            refused.push(ArticleRefusal::AuthorListedTwice.into());
        }
        match Refusals::from_list(refused) {
            Some(refusals) => Err(DbError::Refused(refusals)),
            None => Ok(()),
        }
    }

    /// The editable fields as a revision stores them.
    pub fn snapshot(&self) -> ArticleSnapshot {
        ArticleSnapshot {
            section_id: self.section_id,
            slug: self.slug.clone(),
            headline: self.headline.clone(),
            standfirst: self.standfirst.clone(),
            body: self.body.clone(),
            dateline_place: self.dateline_place.clone(),
            hero_image_id: self.hero_image_id,
            author_ids: self.author_ids.clone(),
            tags: self
                .tags
                .iter()
                .map(|t| t.trim().to_owned())
                .filter(|t| !slug::slugify(t).is_empty())
                .collect(),
            language: self.language.clone(),
            comments_open: self.comments_open,
        }
    }

    /// A save that brings back `snapshot` (restoring a revision); `status` is the article's own.
    pub fn from_snapshot(snapshot: ArticleSnapshot, status: ArticleStatus) -> Self {
        Self {
            section_id: snapshot.section_id,
            slug: snapshot.slug,
            headline: snapshot.headline,
            standfirst: snapshot.standfirst,
            body: snapshot.body,
            dateline_place: snapshot.dateline_place,
            hero_image_id: snapshot.hero_image_id,
            author_ids: snapshot.author_ids,
            tags: snapshot.tags,
            language: snapshot.language,
            comments_open: snapshot.comments_open,
            status,
            first_published_at: None,
            updated_at: None,
        }
    }

    fn reading_minutes(&self) -> i64 {
        i64::from(markdown::article_reading_minutes(
            &self.body,
            self.hero_image_id.is_some(),
        ))
    }
}

/// The result of looking up a public article URL.
#[derive(Debug)]
pub enum ArticleLookup {
    Found(Box<ArticlePage>),
    /// The article lives at another path now (its slug or section changed): answer 301.
    MovedTo(String),
    NotFound,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArticleStats {
    pub total: i64,
    pub published: i64,
}

/// What an article's lists depend on: used to name the cache tags a change touches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Placement {
    pub published: bool,
    pub first_published_at: Option<i64>,
    pub section_id: i64,
    pub author_ids: Vec<i64>,
    pub tag_ids: Vec<i64>,
}

impl Placement {
    fn list_tags(&self) -> Vec<String> {
        let mut tags = vec![
            cache_tags::FRONT_LIST.to_owned(),
            cache_tags::section_list(self.section_id),
        ];
        tags.extend(
            self.author_ids
                .iter()
                .map(|id| cache_tags::author_list(*id)),
        );
        tags.extend(self.tag_ids.iter().map(|id| cache_tags::tag_list(*id)));
        tags
    }
}

/// Tags for a change from `before` to `after`: the article itself always; the lists only when
/// which lists hold it, or where in them, could have changed.
pub(crate) fn change_tags(id: i64, before: Option<&Placement>, after: &Placement) -> Vec<String> {
    let mut tags = BTreeSet::from([cache_tags::article(id), cache_tags::ANY_ARTICLE.to_owned()]);
    let visible_before = before.is_some_and(|p| p.published);
    if (visible_before || after.published) && before != Some(after) {
        if let Some(before) = before.filter(|p| p.published) {
            tags.extend(before.list_tags());
        }
        if after.published {
            tags.extend(after.list_tags());
        }
    }
    tags.into_iter().collect()
}

/// Replaces the byline and tags of article `$id` inside `$tx`; evaluates to the tag ids.
macro_rules! write_byline_and_tags {
    ($tx:expr, $id:expr, $input:expr) => {{
        sqlx::query("DELETE FROM article_authors WHERE article_id = $1")
            .bind($id)
            .execute(&mut *$tx)
            .await?;
        for (position, author_id) in $input.author_ids.iter().enumerate() {
            sqlx::query(
                "INSERT INTO article_authors (article_id, author_id, position) VALUES ($1, $2, $3)",
            )
            .bind($id)
            .bind(*author_id)
            .bind(i64::try_from(position).unwrap_or(i64::MAX))
            .execute(&mut *$tx)
            .await?;
        }
        sqlx::query("DELETE FROM article_tags WHERE article_id = $1")
            .bind($id)
            .execute(&mut *$tx)
            .await?;
        let mut tag_ids: Vec<i64> = Vec::new();
        for name in &$input.tags {
            let name = name.trim();
            let tag_slug = slug::slugify(name);
            if tag_slug.is_empty() {
                continue;
            }
            sqlx::query(
                "INSERT INTO tags (slug, name) VALUES ($1, $2) ON CONFLICT (slug) DO NOTHING",
            )
            .bind(&tag_slug)
            .bind(name)
            .execute(&mut *$tx)
            .await?;
            let tag_id: i64 = sqlx::query_scalar("SELECT id FROM tags WHERE slug = $1")
                .bind(&tag_slug)
                .fetch_one(&mut *$tx)
                .await?;
            if !tag_ids.contains(&tag_id) {
                sqlx::query("INSERT INTO article_tags (article_id, tag_id) VALUES ($1, $2)")
                    .bind($id)
                    .bind(tag_id)
                    .execute(&mut *$tx)
                    .await?;
                tag_ids.push(tag_id);
            }
        }
        tag_ids.sort_unstable();
        tag_ids
    }};
}

/// Reads where article `$id` sits (status, section, byline, tags) inside `$tx`.
macro_rules! read_placement {
    ($tx:expr, $id:expr) => {{
        let row: Option<(String, Option<i64>, i64)> = sqlx::query_as(
            "SELECT status, first_published_at, section_id FROM articles WHERE id = $1",
        )
        .bind($id)
        .fetch_optional(&mut *$tx)
        .await?;
        match row {
            None => None,
            Some((status, first_published_at, section_id)) => {
                let author_ids: Vec<i64> = sqlx::query_scalar(
                    "SELECT author_id FROM article_authors WHERE article_id = $1 ORDER BY position",
                )
                .bind($id)
                .fetch_all(&mut *$tx)
                .await?;
                let mut tag_ids: Vec<i64> =
                    sqlx::query_scalar("SELECT tag_id FROM article_tags WHERE article_id = $1")
                        .bind($id)
                        .fetch_all(&mut *$tx)
                        .await?;
                tag_ids.sort_unstable();
                Some($crate::articles::Placement {
                    published: status == ArticleStatus::Published.as_str(),
                    first_published_at,
                    section_id,
                    author_ids,
                    tag_ids,
                })
            }
        }
    }};
}

/// Appends the next revision of article `$id` (as it now is in `$tx`) with `$snapshot`, saved by
/// `$actor` at `$at`; `$restored_from` names the revision number a restore brought back.
macro_rules! write_revision {
    ($tx:expr, $id:expr, $snapshot:expr, $actor:expr, $at:expr, $restored_from:expr) => {{
        let snapshot = serde_json::to_string(&$snapshot)
            .map_err(|e| DbError::Invalid(format!("revision: {e}")))?;
        let actor: &Actor = $actor;
        let restored_from: Option<i64> = $restored_from;
        sqlx::query(
            "INSERT INTO article_revisions (article_id, number, article_version, saved_at, \
             saved_by_staff_id, saved_by_name, restored_from, snapshot) \
             SELECT $1, COALESCE(MAX(r.number), 0) + 1, (SELECT version FROM articles WHERE id = $1), \
             $2, $3, $4, $5, $6 FROM article_revisions r WHERE r.article_id = $1",
        )
        .bind($id)
        .bind(to_micros($at))
        .bind(actor.staff_id)
        .bind(&actor.name)
        .bind(restored_from)
        .bind(&snapshot)
        .execute(&mut *$tx)
        .await?;
    }};
}

/// The corrections log's tag when article `$id` has corrections (its visibility changing moves
/// them in or out of the log), inside `$tx`.
macro_rules! corrections_list_tag {
    ($tx:expr, $id:expr) => {{
        let corrections: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM article_notes WHERE article_id = $1 AND kind = 'correction'",
        )
        .bind($id)
        .fetch_one(&mut *$tx)
        .await?;
        (corrections > 0).then(|| dateline_core::cache_tags::CORRECTIONS_LIST.to_owned())
    }};
}
pub(crate) use {corrections_list_tag, read_placement};

/// Who saved an article when no person did: the demo loader, imports and tests.
pub(crate) const IMPORT_ACTOR: &str = "import";

/// What a save does with `ArticleInput::status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatusOnSave {
    /// Imports and the demo set the status they carry.
    AsGiven,
    /// The newsroom's saves keep the article's status: changing it is a workflow step.
    Keep,
}

impl Articles<'_> {
    /// Writes an article as an import does (status as given; the revision is saved by "import").
    pub async fn create(self, input: &ArticleInput, now: Timestamp) -> Result<Article> {
        self.insert_article(input, &Actor::system(IMPORT_ACTOR), None, now)
            .await
    }

    /// A new article from the newsroom: it starts as a draft or in review (publishing and
    /// scheduling are workflow steps, see `articles().transition`), and its first revision is
    /// `actor`'s.
    pub async fn create_as(
        self,
        input: &ArticleInput,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Article> {
        if !matches!(input.status, ArticleStatus::Draft | ArticleStatus::InReview) {
            return Err(DbError::Refused(
                ArticleRefusal::NewArticleStatus {
                    status: input.status,
                }
                .into(),
            ));
        }
        self.insert_article(input, actor, None, now).await
    }

    /// Writes a new article; with `source` (an import item's id) it is remembered as what that
    /// item became, in the same transaction.
    pub(crate) async fn insert_article(
        self,
        input: &ArticleInput,
        actor: &Actor,
        source: Option<&str>,
        now: Timestamp,
    ) -> Result<Article> {
        input.validate()?;
        let first_published_at = match input.status {
            ArticleStatus::Published => Some(input.first_published_at.unwrap_or(now)),
            _ => input.first_published_at,
        };
        let updated_at = input.updated_at.or(first_published_at).unwrap_or(now);
        let id: i64 = on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO articles (section_id, slug, headline, standfirst, body, dateline_place, \
                 status, first_published_at, updated_at, created_at, hero_image_id, comments_open, \
                 language, reading_minutes, version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1) RETURNING id",
            )
            .bind(input.section_id)
            .bind(&input.slug)
            .bind(&input.headline)
            .bind(&input.standfirst)
            .bind(&input.body)
            .bind(&input.dateline_place)
            .bind(input.status.as_str())
            .bind(first_published_at.map(to_micros))
            .bind(to_micros(updated_at))
            .bind(to_micros(now.min(updated_at)))
            .bind(input.hero_image_id)
            .bind(input.comments_open)
            .bind(&input.language)
            .bind(input.reading_minutes())
            .fetch_one(&mut *tx)
            .await?;
            let tag_ids = write_byline_and_tags!(tx, id, input);
            write_revision!(tx, id, input.snapshot(), actor, now, None);
            let after = Placement {
                published: input.status == ArticleStatus::Published,
                first_published_at: first_published_at.map(to_micros),
                section_id: input.section_id,
                author_ids: input.author_ids.clone(),
                tag_ids,
            };
            record_change!(tx, now, "article", Some(id), change_tags(id, None, &after));
            // The source first: an imported article is archive, left out of the narration
            // queue (`narration::not_archive`).
            if let Some(source) = source {
                remember_source!(tx, source, "article", id, now);
            }
            let _queued = queue_narration!(tx, now, id);
            tx.commit().await?;
            id
        });
        self.by_id(id).await?.ok_or(DbError::NotFound)
    }

    /// Saves a new version of an article as an import does: the status is set as given and the
    /// revision is saved by "import". The newsroom uses [`Articles::save`].
    pub async fn update(
        self,
        id: i64,
        expected_version: i64,
        input: &ArticleInput,
        now: Timestamp,
    ) -> Result<Article> {
        self.write_article(
            id,
            expected_version,
            input,
            &Actor::system(IMPORT_ACTOR),
            StatusOnSave::AsGiven,
            None,
            now,
        )
        .await
    }

    /// Saves a new version of an article from the newsroom, as a new revision by `actor`.
    /// `expected_version` is the version the writer started from: if someone saved in between,
    /// nothing is written and `Conflict` carries the current version (load
    /// [`Articles::latest_revision`] to show it next to what was typed). The status is not changed
    /// by a save (`input.status` is ignored): that is [`Articles::transition`]'s job.
    pub async fn save(
        self,
        id: i64,
        expected_version: i64,
        input: &ArticleInput,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Article> {
        self.write_article(
            id,
            expected_version,
            input,
            actor,
            StatusOnSave::Keep,
            None,
            now,
        )
        .await
    }

    // The three doors of a save (import, newsroom, restore) differ only in these arguments;
    // `now` joined them when the clock became the caller's.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn write_article(
        self,
        id: i64,
        expected_version: i64,
        input: &ArticleInput,
        actor: &Actor,
        status_on_save: StatusOnSave,
        restored_from: Option<i64>,
        now: Timestamp,
    ) -> Result<Article> {
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let current: Option<(i64, String, String, Option<i64>, String)> = sqlx::query_as(
                "SELECT a.version, a.slug, s.slug, a.first_published_at, a.status FROM articles a \
                 JOIN sections s ON s.id = a.section_id WHERE a.id = $1",
            )
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((version, old_slug, old_section_slug, old_first_published, old_status)) =
                current
            else {
                return Err(DbError::NotFound);
            };
            if version != expected_version {
                return Err(DbError::Conflict { current_version: version });
            }
            let kept;
            let input = match status_on_save {
                StatusOnSave::AsGiven => input,
                StatusOnSave::Keep => {
                    let mut with_status = input.clone();
                    with_status.status =
                        ArticleStatus::parse(&old_status).unwrap_or(ArticleStatus::Draft);
                    kept = with_status;
                    &kept
                }
            };
            input.validate()?;
            let before = read_placement!(tx, id);
            let first_published_at = match (old_first_published, input.status) {
                (Some(first), _) => Some(first),
                (None, ArticleStatus::Published) => {
                    Some(to_micros(input.first_published_at.unwrap_or(now)))
                }
                (None, _) => input.first_published_at.map(to_micros),
            };
            let updated = sqlx::query(
                "UPDATE articles SET section_id = $1, slug = $2, headline = $3, standfirst = $4, \
                 body = $5, dateline_place = $6, status = $7, first_published_at = $8, \
                 updated_at = $9, hero_image_id = $10, comments_open = $11, language = $12, \
                 reading_minutes = $13, version = version + 1, \
                 scheduled_for = CASE WHEN $7 = 'scheduled' THEN scheduled_for ELSE NULL END \
                 WHERE id = $14 AND version = $15",
            )
            .bind(input.section_id)
            .bind(&input.slug)
            .bind(&input.headline)
            .bind(&input.standfirst)
            .bind(&input.body)
            .bind(&input.dateline_place)
            .bind(input.status.as_str())
            .bind(first_published_at)
            .bind(to_micros(input.updated_at.unwrap_or(now)))
            .bind(input.hero_image_id)
            .bind(input.comments_open)
            .bind(&input.language)
            .bind(input.reading_minutes())
            .bind(id)
            .bind(expected_version)
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() == 0 {
                // Another save committed between our read and our write (PostgreSQL runs them
                // side by side): that row lock made us wait, and the version no longer matches.
                let current_version: i64 =
                    sqlx::query_scalar("SELECT version FROM articles WHERE id = $1")
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?;
                return Err(DbError::Conflict { current_version });
            }
            let new_section_slug: String =
                sqlx::query_scalar("SELECT slug FROM sections WHERE id = $1")
                    .bind(input.section_id)
                    .fetch_one(&mut *tx)
                    .await?;
            let old_path = redirect_key(&old_section_slug, &old_slug);
            let new_path = redirect_key(&new_section_slug, &input.slug);
            if old_path != new_path {
                // The new path may have been an old path of this article: it is live again.
                sqlx::query("DELETE FROM article_redirects WHERE old_path = $1")
                    .bind(&new_path)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO article_redirects (old_path, article_id) VALUES ($1, $2) \
                     ON CONFLICT (old_path) DO UPDATE SET article_id = excluded.article_id",
                )
                .bind(&old_path)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            let tag_ids = write_byline_and_tags!(tx, id, input);
            write_revision!(tx, id, input.snapshot(), actor, now, restored_from);
            let after = Placement {
                published: input.status == ArticleStatus::Published,
                first_published_at,
                section_id: input.section_id,
                author_ids: input.author_ids.clone(),
                tag_ids,
            };
            let mut tags = change_tags(id, before.as_ref(), &after);
            if before.as_ref().is_some_and(|b| b.published != after.published) {
                tags.extend(corrections_list_tag!(tx, id));
            }
            record_change!(tx, now, "article", Some(id), tags);
            // Every save of a published article: the job compares the spoken text's hash and
            // leaves the audio alone when only other fields changed.
            let _queued = queue_narration!(tx, now, id);
            tx.commit().await?;
        });
        self.by_id(id).await?.ok_or(DbError::NotFound)
    }

    /// Moves an article to `status` as the platform itself: the workflow rules apply as they do
    /// to [`Articles::transition`], which the newsroom calls with its own actor.
    pub async fn set_status(
        self,
        id: i64,
        status: ArticleStatus,
        now: Timestamp,
    ) -> Result<Article> {
        self.transition(id, status, &Actor::system(IMPORT_ACTOR), now)
            .await
    }

    pub async fn by_id(self, id: i64) -> Result<Option<Article>> {
        let sql = format!("SELECT {ARTICLE_COLUMNS} FROM articles a WHERE a.id = $1");
        let row: Option<ArticleRow> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?
        });
        Ok(row.map(Article::from))
    }

    /// Everything the article page shows, whatever the article's status.
    pub async fn article_page(self, id: i64) -> Result<Option<ArticlePage>> {
        let Some(article) = self.by_id(id).await? else {
            return Ok(None);
        };
        let (section, authors, tags): (SectionRow, Vec<AuthorRow>, Vec<TagRow>) = on_reader!(self.store, pool => {
            let section = sqlx::query_as(
                "SELECT id, slug, name, description, position FROM sections WHERE id = $1",
            )
            .bind(article.section_id)
            .fetch_one(pool)
            .await?;
            let authors = sqlx::query_as(
                "SELECT au.id, au.slug, au.name, au.role, au.bio FROM article_authors aa \
                 JOIN authors au ON au.id = aa.author_id WHERE aa.article_id = $1 \
                 ORDER BY aa.position",
            )
            .bind(id)
            .fetch_all(pool)
            .await?;
            let tags = sqlx::query_as(
                "SELECT t.id, t.slug, t.name FROM article_tags at JOIN tags t ON t.id = at.tag_id \
                 WHERE at.article_id = $1 ORDER BY t.name",
            )
            .bind(id)
            .fetch_all(pool)
            .await?;
            (section, authors, tags)
        });
        let hero = match article.hero_image_id {
            Some(image_id) => self.store.library().image(image_id).await?,
            None => None,
        };
        let notes = self.notes(id).await?;
        Ok(Some(ArticlePage {
            notes,
            article,
            section: section.into(),
            authors: authors.into_iter().map(Author::from).collect(),
            tags: tags.into_iter().map(Tag::from).collect(),
            hero,
        }))
    }

    /// Resolves a public article URL `/{section_slug}/{slug}`: the published article there, or
    /// where it moved, or nothing.
    pub async fn published_at(
        self,
        section_slug: &str,
        article_slug: &str,
    ) -> Result<ArticleLookup> {
        let direct: Option<(i64, String)> = on_reader!(self.store, pool => {
            sqlx::query_as(
                "SELECT a.id, a.status FROM articles a JOIN sections s ON s.id = a.section_id \
                 WHERE s.slug = $1 AND a.slug = $2",
            )
            .bind(section_slug)
            .bind(article_slug)
            .fetch_optional(pool)
            .await?
        });
        if let Some((id, status)) = direct {
            if status != ArticleStatus::Published.as_str() {
                return Ok(ArticleLookup::NotFound);
            }
            return Ok(match self.article_page(id).await? {
                Some(page) => ArticleLookup::Found(Box::new(page)),
                None => ArticleLookup::NotFound,
            });
        }
        let mut moved: Option<i64> = on_reader!(self.store, pool => {
            sqlx::query_scalar("SELECT article_id FROM article_redirects WHERE old_path = $1")
                .bind(redirect_key(section_slug, article_slug))
                .fetch_optional(pool)
                .await?
        });
        if moved.is_none()
            && let Some(section) = self.store.site().section_by_old_slug(section_slug).await?
        {
            moved = on_reader!(self.store, pool => {
                sqlx::query_scalar(
                    "SELECT id FROM articles WHERE section_id = $1 AND slug = $2 \
                     UNION SELECT article_id FROM article_redirects WHERE old_path = $3",
                )
                .bind(section.id)
                .bind(article_slug)
                .bind(redirect_key(&section.slug, article_slug))
                .fetch_optional(pool)
                .await?
            });
        }
        let Some(id) = moved else {
            return Ok(ArticleLookup::NotFound);
        };
        let target: Option<(String, String, String)> = on_reader!(self.store, pool => {
            sqlx::query_as(
                "SELECT s.slug, a.slug, a.status FROM articles a \
                 JOIN sections s ON s.id = a.section_id WHERE a.id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        Ok(match target {
            Some((section, slug, status)) if status == ArticleStatus::Published.as_str() => {
                ArticleLookup::MovedTo(paths::article(&section, &slug))
            }
            _ => ArticleLookup::NotFound,
        })
    }

    pub async fn stats(self) -> Result<ArticleStats> {
        let (total, published): (i64, i64) = on_reader!(self.store, pool => {
            sqlx::query_as(
                "SELECT COUNT(*), COUNT(CASE WHEN status = 'published' THEN 1 END) FROM articles",
            )
            .fetch_one(pool)
            .await?
        });
        Ok(ArticleStats { total, published })
    }

    pub(crate) async fn attach_bylines_and_pictures(
        self,
        rows: Vec<StoryRow>,
    ) -> Result<Vec<StorySummary>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
        let sql = format!(
            "SELECT aa.article_id, au.id, au.slug, au.name FROM article_authors aa \
             JOIN authors au ON au.id = aa.author_id WHERE aa.article_id IN ({}) \
             ORDER BY aa.article_id, aa.position",
            placeholders(1, ids.len())
        );
        let bylines: Vec<BylineRow> = on_reader!(self.store, pool => {
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for id in &ids {
                query = query.bind(*id);
            }
            query.fetch_all(pool).await?
        });
        let mut authors_by_article: HashMap<i64, Vec<AuthorRef>> = HashMap::new();
        for byline in bylines {
            authors_by_article
                .entry(byline.article_id)
                .or_default()
                .push(byline.author_ref());
        }
        let image_ids: Vec<i64> = rows.iter().filter_map(|row| row.hero_image_id).collect();
        let images: HashMap<i64, dateline_core::Image> = self
            .store
            .library()
            .images_by_ids(&image_ids)
            .await?
            .into_iter()
            .map(|image| (image.id, image))
            .collect();
        Ok(rows
            .into_iter()
            .map(|row| StorySummary {
                section: row.section_ref(),
                authors: authors_by_article.remove(&row.id).unwrap_or_default(),
                hero: row
                    .hero_image_id
                    .and_then(|image_id| images.get(&image_id).cloned()),
                id: row.id,
                slug: row.slug,
                headline: row.headline,
                standfirst: row.standfirst,
                first_published_at: from_micros(row.first_published_at),
                updated_at: from_micros(row.updated_at),
                reading_minutes: u32::try_from(row.reading_minutes).unwrap_or(1),
            })
            .collect())
    }
}

fn redirect_key(section_slug: &str, article_slug: &str) -> String {
    format!("{section_slug}/{article_slug}")
}
