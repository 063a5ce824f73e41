//! What sitemaps list (sitemaps.org 0.9, Google's image and news extensions): the months that have
//! published articles, the articles first published in a time range with their hero picture, and
//! the authors who have a public byline.

use std::collections::HashMap;

use dateline_core::{AuthorRef, Image};
use jiff::Timestamp;

use crate::{DbError, Public, Result, from_micros, on_reader, to_micros};

/// One calendar month (UTC) with published articles: one monthly article sitemap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitemapMonth {
    pub year: i16,
    pub month: i8,
    /// Published articles first published in this month.
    pub articles: i64,
    /// The newest `updated_at` among them: the sitemap's `lastmod` in the index.
    pub last_modified: Timestamp,
}

impl SitemapMonth {
    /// The first instant of the month and of the next one, in UTC: the range the month's
    /// sitemap lists.
    pub fn range(&self) -> Option<(Timestamp, Timestamp)> {
        month_range(self.year, self.month)
    }
}

/// `[start of month, start of next month)` in UTC, or `None` for a month that does not exist.
pub fn month_range(year: i16, month: i8) -> Option<(Timestamp, Timestamp)> {
    let first_instant = |year: i16, month: i8| {
        let date = jiff::civil::Date::new(year, month, 1).ok()?;
        jiff::tz::Offset::UTC
            .to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
            .ok()
    };
    let (next_year, next_month) = if month == 12 {
        (year.checked_add(1)?, 1)
    } else {
        (year, month + 1)
    };
    Some((
        first_instant(year, month)?,
        first_instant(next_year, next_month)?,
    ))
}

/// One published article as a sitemap lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitemapArticle {
    pub id: i64,
    pub slug: String,
    pub section_id: i64,
    pub section_slug: String,
    pub headline: String,
    pub language: String,
    pub first_published_at: Timestamp,
    pub updated_at: Timestamp,
    pub hero: Option<Image>,
}

#[derive(sqlx::FromRow)]
struct MonthRow {
    month: String,
    articles: i64,
    last_modified: i64,
}

#[derive(sqlx::FromRow)]
struct SitemapArticleRow {
    id: i64,
    slug: String,
    section_id: i64,
    section_slug: String,
    headline: String,
    language: String,
    first_published_at: i64,
    updated_at: i64,
    hero_image_id: Option<i64>,
}

const SITEMAP_ARTICLE_COLUMNS: &str = "a.id, a.slug, a.section_id, s.slug AS section_slug, \
     a.headline, a.language, a.first_published_at, a.updated_at, a.hero_image_id";

impl Public<'_> {
    /// Every month (UTC) with articles published by `now`, oldest first, with its article count
    /// and newest update. The months before the clock's own are read from the totals the
    /// database keeps per month (`sitemap_months`, migration 0023): every article in them is
    /// published by `now`. The clock's month is counted from its range of the covering
    /// `articles_by_month` index up to `now`, since a story dated later in it is not out yet;
    /// later months are not listed at all.
    pub async fn sitemap_months(self, now: Timestamp) -> Result<Vec<SitemapMonth>> {
        let current = jiff::tz::Offset::UTC.to_datetime(now);
        let (year, month) = (current.year(), current.month());
        let key = format!("{year:04}-{month:02}");
        let (start, _) = month_range(year, month).ok_or_else(|| {
            DbError::Invalid(format!("the clock reads a month out of range: {key}"))
        })?;
        let (mut rows, (articles, last_modified)): (Vec<MonthRow>, (i64, Option<i64>)) = on_reader!(self.store, pool => {
            let earlier = sqlx::query_as(
                "SELECT month, articles, last_modified FROM sitemap_months \
                 WHERE month < $1 ORDER BY month",
            )
            .bind(&key)
            .fetch_all(pool)
            .await?;
            let current = sqlx::query_as(
                "SELECT COUNT(*), MAX(updated_at) FROM articles \
                 WHERE status = 'published' AND first_published_at >= $1 \
                 AND first_published_at <= $2",
            )
            .bind(to_micros(start))
            .bind(to_micros(now))
            .fetch_one(pool)
            .await?;
            (earlier, current)
        });
        if let (true, Some(last_modified)) = (articles > 0, last_modified) {
            rows.push(MonthRow {
                month: key,
                articles,
                last_modified,
            });
        }
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let (year, month) = row.month.split_once('-')?;
                Some(SitemapMonth {
                    year: year.parse().ok()?,
                    month: month.parse().ok()?,
                    articles: row.articles,
                    last_modified: from_micros(row.last_modified),
                })
            })
            .collect())
    }

    /// Articles first published in `[from, until)` and by `now`, oldest first (a stable order,
    /// so the parts of a split month never overlap), `limit` of them after skipping `offset`.
    pub async fn sitemap_articles(
        self,
        (from, until): (Timestamp, Timestamp),
        now: Timestamp,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<SitemapArticle>> {
        let sql = format!(
            "SELECT {SITEMAP_ARTICLE_COLUMNS} FROM articles a JOIN sections s ON s.id = a.section_id \
             WHERE a.status = 'published' AND a.first_published_at >= $1 \
             AND a.first_published_at < $2 AND a.first_published_at <= $5 \
             ORDER BY a.first_published_at, a.id LIMIT $3 OFFSET $4"
        );
        let rows: Vec<SitemapArticleRow> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(to_micros(from))
                .bind(to_micros(until))
                .bind(limit)
                .bind(offset)
                .bind(to_micros(now))
                .fetch_all(pool)
                .await?
        });
        self.attach_heroes(rows).await
    }

    /// The Google News sitemap's articles: published ones first published in the `window`
    /// before `now` (and not after it), newest first, at most `limit`. Live coverage stays in
    /// while it runs and for the `window` after it ended, however long ago it began: it is news
    /// for as long as it is being written (listed first, newest first, then the rest). `now` is a parameter so tests can fix the clock.
    pub async fn news_sitemap_articles(
        self,
        now: Timestamp,
        window: jiff::SignedDuration,
        limit: i64,
    ) -> Result<Vec<SitemapArticle>> {
        let recent_sql = format!(
            "SELECT {SITEMAP_ARTICLE_COLUMNS} FROM articles a JOIN sections s ON s.id = a.section_id \
             WHERE a.status = 'published' AND a.first_published_at >= $1 \
             AND a.first_published_at <= $2 \
             ORDER BY a.first_published_at DESC, a.id DESC LIMIT $3"
        );
        // A query of its own (not an `OR` in the one above), so each one keeps its index: the
        // publication date's, and the partial index of live articles.
        let live_sql = format!(
            "SELECT {SITEMAP_ARTICLE_COLUMNS} FROM articles a JOIN sections s ON s.id = a.section_id \
             WHERE a.kind = 'live' AND a.status = 'published' AND a.first_published_at < $1 \
             AND (a.coverage_ended_at IS NULL OR a.coverage_ended_at >= $1) \
             ORDER BY a.first_published_at DESC, a.id DESC LIMIT $2"
        );
        let since = now.checked_sub(window).unwrap_or(Timestamp::MIN);
        let (recent, mut rows): (Vec<SitemapArticleRow>, Vec<SitemapArticleRow>) = on_reader!(self.store, pool => {
            let recent = sqlx::query_as(sqlx::AssertSqlSafe(recent_sql))
                .bind(to_micros(since))
                .bind(to_micros(now))
                .bind(limit)
                .fetch_all(pool)
                .await?;
            let live = sqlx::query_as(sqlx::AssertSqlSafe(live_sql))
                .bind(to_micros(since))
                .bind(limit)
                .fetch_all(pool)
                .await?;
            (recent, live)
        });
        // The two sets cannot overlap (first published in the window, or before it). Older
        // live coverage goes first, so the limit never pushes out a page still being written.
        rows.extend(recent);
        rows.truncate(usize::try_from(limit).unwrap_or(0));
        self.attach_heroes(rows).await
    }

    /// Authors with at least one article published by `now`: the author pages worth crawling.
    /// One seek per author in the bylines' list index.
    pub async fn sitemap_authors(self, now: Timestamp) -> Result<Vec<AuthorRef>> {
        let rows: Vec<(i64, String, String)> = on_reader!(self.store, pool => {
            sqlx::query_as(
                "SELECT au.id, au.slug, au.name FROM authors au WHERE EXISTS (\
                 SELECT 1 FROM article_authors aa WHERE aa.author_id = au.id \
                 AND aa.listed_at <= $1) ORDER BY au.slug",
            )
            .bind(to_micros(now))
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, slug, name)| AuthorRef { id, slug, name })
            .collect())
    }

    async fn attach_heroes(self, rows: Vec<SitemapArticleRow>) -> Result<Vec<SitemapArticle>> {
        let mut image_ids: Vec<i64> = rows.iter().filter_map(|row| row.hero_image_id).collect();
        image_ids.sort_unstable();
        image_ids.dedup();
        let mut images: HashMap<i64, Image> = HashMap::new();
        // Bound the number of placeholders per query (SQLite allows 32,766; PostgreSQL 65,535).
        for chunk in image_ids.chunks(1000) {
            images.extend(
                self.store
                    .library()
                    .images_by_ids(chunk)
                    .await?
                    .into_iter()
                    .map(|image| (image.id, image)),
            );
        }
        Ok(rows
            .into_iter()
            .map(|row| SitemapArticle {
                hero: row.hero_image_id.and_then(|id| images.get(&id).cloned()),
                id: row.id,
                slug: row.slug,
                section_id: row.section_id,
                section_slug: row.section_slug,
                headline: row.headline,
                language: row.language,
                first_published_at: from_micros(row.first_published_at),
                updated_at: from_micros(row.updated_at),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestStore;
    use crate::{Backend, Store, on_writer};

    #[test]
    fn month_ranges_are_utc_and_cross_years() {
        let (start, end) = month_range(2026, 12).expect("December");
        assert_eq!(start.to_string(), "2026-12-01T00:00:00Z");
        assert_eq!(end.to_string(), "2027-01-01T00:00:00Z");
        assert!(month_range(2026, 13).is_none());
        assert!(month_range(2026, 0).is_none());
    }

    crate::both_backends!(month_totals_follow_every_change);

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    /// The months as the query the kept totals replaced groups them (before migration 0023):
    /// what `sitemap_months` must answer at any clock.
    async fn grouped(store: &Store, now: Timestamp) -> Vec<SitemapMonth> {
        let rows: Vec<MonthRow> = match &store.backend {
            Backend::Sqlite { reader, .. } => sqlx::query_as(
                "SELECT strftime('%Y-%m', first_published_at / 1000000, 'unixepoch') AS month, \
                 COUNT(*) AS articles, MAX(updated_at) AS last_modified FROM articles \
                 WHERE status = 'published' AND first_published_at <= $1 \
                 GROUP BY month ORDER BY month",
            )
            .bind(to_micros(now))
            .fetch_all(reader)
            .await
            .unwrap(),
            Backend::Postgres(pg) => sqlx::query_as(
                "SELECT to_char(to_timestamp(first_published_at / 1000000) AT TIME ZONE 'UTC', \
                 'YYYY-MM') AS month, COUNT(*) AS articles, MAX(updated_at) AS last_modified \
                 FROM articles WHERE status = 'published' AND first_published_at <= $1 \
                 GROUP BY month ORDER BY month",
            )
            .bind(to_micros(now))
            .fetch_all(pg)
            .await
            .unwrap(),
        };
        rows.into_iter()
            .map(|row| {
                let (year, month) = row.month.split_once('-').unwrap();
                SitemapMonth {
                    year: year.parse().unwrap(),
                    month: month.parse().unwrap(),
                    articles: row.articles,
                    last_modified: from_micros(row.last_modified),
                }
            })
            .collect()
    }

    /// Runs one statement on the writer, as another writer (an importer, an older node, a
    /// restore) would: the triggers must keep the totals true whoever writes.
    async fn write(store: &Store, sql: &'static str, at: Timestamp, id: i64) {
        on_writer!(store, pool => {
            sqlx::query(sql).bind(to_micros(at)).bind(id).execute(pool).await.unwrap();
        });
    }

    /// After every kind of change the kept totals answer what grouping all articles answers,
    /// at clocks in the past, inside the months and after all of them.
    async fn month_totals_follow_every_change(store: TestStore) {
        let (section_id, author_id) = crate::testing::politics_desk(&store).await;
        let publish = async |slug: &str, status, published: Option<&str>, updated: &str| {
            let input = crate::ArticleInput {
                section_id,
                slug: slug.into(),
                headline: slug.into(),
                standfirst: "Standfirst.".into(),
                body: "Body.".into(),
                dateline_place: None,
                hero_image_id: None,
                author_ids: vec![author_id],
                tags: Vec::new(),
                language: "en".into(),
                comments_open: true,
                status,
                first_published_at: published.map(at),
                updated_at: Some(at(updated)),
            };
            store
                .articles()
                .create(&input, jiff::Timestamp::now())
                .await
                .unwrap()
                .id
        };
        use dateline_core::ArticleStatus::{Draft, Published};
        let early_january = publish(
            "early-january",
            Published,
            Some("2026-01-05T12:00:00Z"),
            "2026-01-10T00:00:00Z",
        )
        .await;
        let late_january = publish(
            "late-january",
            Published,
            Some("2026-01-20T08:00:00Z"),
            "2026-01-21T00:00:00Z",
        )
        .await;
        let february = publish(
            "february",
            Published,
            Some("2026-02-10T00:00:00Z"),
            "2026-02-11T00:00:00Z",
        )
        .await;
        // Dated later in the month the clock will be in, and in the month after.
        publish(
            "late-february",
            Published,
            Some("2026-02-25T00:00:00Z"),
            "2026-02-25T00:00:00Z",
        )
        .await;
        publish(
            "march",
            Published,
            Some("2026-03-02T00:00:00Z"),
            "2026-03-02T00:00:00Z",
        )
        .await;
        let draft = publish("draft", Draft, None, "2026-01-06T00:00:00Z").await;

        let clocks = [
            "2025-12-31T00:00:00Z",
            "2026-01-05T12:00:00Z",
            "2026-01-15T00:00:00Z",
            "2026-02-15T00:00:00Z",
            "2026-03-01T00:00:00Z",
            "2036-01-01T00:00:00Z",
        ]
        .map(at);
        let check = async |step: &str| {
            for now in clocks {
                assert_eq!(
                    store.public().sitemap_months(now).await.unwrap(),
                    grouped(&store, now).await,
                    "{step}, at {now}"
                );
            }
        };
        check("created").await;
        assert_eq!(
            store.public().sitemap_months(clocks[3]).await.unwrap()[1].articles,
            1,
            "February by the 15th holds one story, not the one of the 25th"
        );

        let raise = "UPDATE articles SET updated_at = $1 WHERE id = $2";
        write(&store, raise, at("2026-01-25T00:00:00Z"), early_january).await;
        check("an update time raised").await;
        write(&store, raise, at("2026-01-06T00:00:00Z"), early_january).await;
        check("an update time lowered below another's").await;

        let status = "UPDATE articles SET status = 'unpublished', updated_at = $1 WHERE id = $2";
        write(&store, status, at("2026-02-12T00:00:00Z"), late_january).await;
        check("unpublished").await;
        let status = "UPDATE articles SET status = 'published', updated_at = $1 WHERE id = $2";
        write(&store, status, at("2026-02-13T00:00:00Z"), late_january).await;
        check("published again").await;

        let first_publication = "UPDATE articles SET status = 'published', \
             first_published_at = $1, updated_at = $1 WHERE id = $2";
        write(&store, first_publication, at("2026-01-30T00:00:00Z"), draft).await;
        check("a draft published").await;

        let moved = "UPDATE articles SET first_published_at = $1 WHERE id = $2";
        write(&store, moved, at("2026-01-31T23:59:59Z"), february).await;
        check("moved to another month").await;
        write(&store, moved, at("2025-11-30T00:00:00Z"), february).await;
        check("moved to a month of its own").await;

        store
            .articles()
            .set_status(
                early_january,
                dateline_core::ArticleStatus::Unpublished,
                jiff::Timestamp::now(),
            )
            .await
            .unwrap();
        check("unpublished through the store").await;

        on_writer!(store, pool => {
            sqlx::query("DELETE FROM articles WHERE id = $1")
                .bind(february)
                .execute(pool)
                .await
                .unwrap();
        });
        check("deleted, its month left empty").await;
        assert!(
            !store
                .public()
                .sitemap_months(clocks[5])
                .await
                .unwrap()
                .iter()
                .any(|m| (m.year, m.month) == (2025, 11)),
            "an emptied month is not listed"
        );
    }
}
