//! Story lists: the front, a section, an author, a tag. Newest first, only stories that are
//! published and whose publication time has come (the clock is the caller's `now`).
//!
//! Every list is read from one index range ordered like the list itself: the articles' own
//! indexes for the front and the sections, and the byline and tag rows' `listed_at` (migration
//! 0021) for authors and tags. A page is found by stepping over the entries before it in that
//! narrow index, from whichever end of the list is nearer, and only its own stories are loaded.
//! So page 5,000 of a list of 100,000 costs a few milliseconds and page 1 a fraction of one,
//! without a join and a sort of the whole list.

use dateline_core::StorySummary;
use jiff::Timestamp;

use crate::catalog::placeholders;
use crate::{Public, Result, on_reader, to_micros};

/// Which published stories a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoryFilter {
    All,
    Section(i64),
    Author(i64),
    Tag(i64),
}

/// One page of a list and the size of the whole list (for "page 3 of 40").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoryPage {
    pub stories: Vec<StorySummary>,
    pub total: i64,
}

/// Where a list's entries are: a table, the column that orders them (newest first), the
/// article id column (the tie-break, newest id first) and the condition that picks the list.
/// The list's value is always bound as `$1` and `now` as `$2`.
struct ListSource {
    table: &'static str,
    at: &'static str,
    id: &'static str,
    condition: &'static str,
}

impl StoryFilter {
    fn source(self) -> ListSource {
        match self {
            // `$1 = $1` keeps the binding the same for every list.
            Self::All => ListSource {
                table: "articles",
                at: "first_published_at",
                id: "id",
                condition: "status = 'published' AND $1 = $1",
            },
            Self::Section(_) => ListSource {
                table: "articles",
                at: "first_published_at",
                id: "id",
                condition: "section_id = $1 AND status = 'published'",
            },
            // `listed_at` is NULL unless the article is published (the migration's triggers).
            Self::Author(_) => ListSource {
                table: "article_authors",
                at: "listed_at",
                id: "article_id",
                condition: "author_id = $1",
            },
            Self::Tag(_) => ListSource {
                table: "article_tags",
                at: "listed_at",
                id: "article_id",
                condition: "tag_id = $1",
            },
        }
    }

    fn value(self) -> i64 {
        match self {
            Self::All => 0,
            Self::Section(id) | Self::Author(id) | Self::Tag(id) => id,
        }
    }
}

/// Which way to walk a list's index to reach a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Walk {
    NewestFirst,
    OldestFirst,
}

/// How to read entries `[offset, offset + limit)` (newest first) of a list of `total` entries
/// with the fewest steps: from the newest end, or from the oldest end and then reversed.
fn walk_to(offset: i64, limit: i64, total: i64) -> (Walk, i64, i64) {
    let end = offset.saturating_add(limit).min(total);
    if offset <= total - end {
        (Walk::NewestFirst, limit, offset)
    } else {
        (Walk::OldestFirst, (end - offset).max(0), total - end)
    }
}

impl Public<'_> {
    /// The `limit` newest stories of a list at `now`, leaving out `exclude` (the front page's
    /// blocks leave out what they already show).
    pub async fn stories(
        self,
        filter: StoryFilter,
        now: Timestamp,
        limit: i64,
        exclude: &[i64],
    ) -> Result<Vec<StorySummary>> {
        let ids = self
            .list_ids(filter, now, Walk::NewestFirst, limit, 0, exclude)
            .await?;
        self.stories_by_ids(&ids).await
    }

    /// Page `page` (from 1) of a list at `now`, `per_page` stories to a page, with the list's
    /// size; `None` for a page past the last (the first page always exists, perhaps empty).
    pub async fn story_page(
        self,
        filter: StoryFilter,
        now: Timestamp,
        page: i64,
        per_page: i64,
    ) -> Result<Option<StoryPage>> {
        let Some(offset) = dateline_core::paging::offset(page, per_page) else {
            return Ok(None);
        };
        // The count and the page are two reads: a publication between them shifts the page by
        // one story at most, and that publication's change drops the rendered page at once
        // (the page cache does not store a render that started before a change it has seen).
        let total = self.count_stories(filter, now).await?;
        if page > 1 && offset >= total {
            return Ok(None);
        }
        let (walk, limit, skip) = walk_to(offset, per_page, total);
        let ids = self.list_ids(filter, now, walk, limit, skip, &[]).await?;
        Ok(Some(StoryPage {
            stories: self.stories_by_ids(&ids).await?,
            total,
        }))
    }

    /// How many stories a list holds at `now`: one index range, counted without reading rows.
    pub async fn count_stories(self, filter: StoryFilter, now: Timestamp) -> Result<i64> {
        let ListSource {
            table,
            at,
            condition,
            ..
        } = filter.source();
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE {condition} AND {at} <= $2");
        let count: i64 = on_reader!(self.store, pool => {
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(filter.value())
                .bind(to_micros(now))
                .fetch_one(pool)
                .await?
        });
        Ok(count)
    }

    /// The article ids of `limit` entries of a list after skipping `skip` in the `walk`
    /// direction, returned newest first whatever the direction.
    pub(crate) async fn list_ids(
        self,
        filter: StoryFilter,
        now: Timestamp,
        walk: Walk,
        limit: i64,
        skip: i64,
        exclude: &[i64],
    ) -> Result<Vec<i64>> {
        let ListSource {
            table,
            at,
            id,
            condition,
        } = filter.source();
        let exclusion = if exclude.is_empty() {
            String::new()
        } else {
            format!(" AND {id} NOT IN ({})", placeholders(5, exclude.len()))
        };
        let direction = match walk {
            Walk::NewestFirst => "DESC",
            Walk::OldestFirst => "ASC",
        };
        let sql = format!(
            "SELECT {id} FROM {table} WHERE {condition} AND {at} <= $2{exclusion} \
             ORDER BY {at} {direction}, {id} {direction} LIMIT $3 OFFSET $4"
        );
        let mut ids: Vec<i64> = on_reader!(self.store, pool => {
            let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(filter.value())
                .bind(to_micros(now))
                .bind(limit.max(0))
                .bind(skip.max(0));
            for excluded in exclude {
                query = query.bind(*excluded);
            }
            query.fetch_all(pool).await?
        });
        if walk == Walk::OldestFirst {
            ids.reverse();
        }
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `[offset, offset + limit)` of `0..total` (newest first) the way `walk_to` says.
    fn read(offset: i64, limit: i64, total: i64) -> Vec<i64> {
        let newest_first: Vec<i64> = (0..total).collect();
        let (walk, limit, skip) = walk_to(offset, limit, total);
        let (limit, skip) = (limit as usize, skip as usize);
        match walk {
            Walk::NewestFirst => newest_first
                .iter()
                .skip(skip)
                .take(limit)
                .copied()
                .collect(),
            Walk::OldestFirst => {
                let mut page: Vec<i64> = newest_first
                    .iter()
                    .rev()
                    .skip(skip)
                    .take(limit)
                    .copied()
                    .collect();
                page.reverse();
                page
            }
        }
    }

    #[test]
    fn either_end_reads_the_same_page() {
        for total in [0, 1, 19, 20, 21, 39, 40, 41, 99, 100, 101] {
            for offset in (0..=total + 20).step_by(20) {
                let expected: Vec<i64> = (offset..(offset + 20).min(total)).collect();
                assert_eq!(read(offset, 20, total), expected, "{offset} of {total}");
            }
        }
    }

    #[test]
    fn deep_pages_walk_from_the_oldest_end() {
        assert_eq!(walk_to(0, 20, 100_000), (Walk::NewestFirst, 20, 0));
        assert_eq!(walk_to(99_980, 20, 100_000), (Walk::OldestFirst, 20, 0));
        // The last page of 100,001 holds one story: the oldest.
        assert_eq!(walk_to(100_000, 20, 100_001), (Walk::OldestFirst, 1, 0));
        assert_eq!(
            walk_to(49_980, 20, 100_000),
            (Walk::NewestFirst, 20, 49_980)
        );
        assert_eq!(
            walk_to(50_000, 20, 100_000),
            (Walk::OldestFirst, 20, 49_980)
        );
    }
}
