//! What the public Content API reads: published articles in a stable archive order, so a client
//! can walk the whole archive page by page (keyset pagination) while the newsroom keeps
//! publishing.

use jiff::Timestamp;

use crate::{Articles, Result, on_reader, to_micros};

/// A place in the archive order (`first_published_at` descending, then `id` descending). The
/// pair is unique, so "everything after this position" never skips or repeats an article, and a
/// story published meanwhile sorts before every position already handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchivePosition {
    pub first_published_at_micros: i64,
    pub id: i64,
}

/// Which published articles an API list holds. Slugs that name nothing match nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiArticleQuery {
    pub section: Option<String>,
    pub author: Option<String>,
    pub tag: Option<String>,
    /// Only articles whose text changed at or after this time.
    pub updated_since: Option<Timestamp>,
    /// Only articles after this position (the previous page's last one).
    pub after: Option<ArchivePosition>,
    pub limit: i64,
}

enum Bind {
    Int(i64),
    Text(String),
}

impl Articles<'_> {
    /// The positions of one page of published articles, archive order. The caller loads each
    /// article; asking for `limit + 1` tells it whether another page follows.
    pub async fn api_positions(self, query: &ApiArticleQuery) -> Result<Vec<ArchivePosition>> {
        let mut conditions: Vec<String> = vec!["a.status = 'published'".to_owned()];
        let mut binds: Vec<Bind> = Vec::new();
        let next = |bind: Bind, binds: &mut Vec<Bind>| {
            binds.push(bind);
            format!("${}", binds.len())
        };
        if let Some(section) = &query.section {
            let p = next(Bind::Text(section.clone()), &mut binds);
            conditions.push(format!(
                "EXISTS (SELECT 1 FROM sections fs WHERE fs.id = a.section_id AND fs.slug = {p})"
            ));
        }
        if let Some(author) = &query.author {
            let p = next(Bind::Text(author.clone()), &mut binds);
            conditions.push(format!(
                "EXISTS (SELECT 1 FROM article_authors fa JOIN authors fu ON fu.id = fa.author_id \
                 WHERE fa.article_id = a.id AND fu.slug = {p})"
            ));
        }
        if let Some(tag) = &query.tag {
            let p = next(Bind::Text(tag.clone()), &mut binds);
            conditions.push(format!(
                "EXISTS (SELECT 1 FROM article_tags ft JOIN tags fg ON fg.id = ft.tag_id \
                 WHERE ft.article_id = a.id AND fg.slug = {p})"
            ));
        }
        if let Some(since) = query.updated_since {
            let p = next(Bind::Int(to_micros(since)), &mut binds);
            conditions.push(format!("a.updated_at >= {p}"));
        }
        if let Some(after) = query.after {
            let at = next(Bind::Int(after.first_published_at_micros), &mut binds);
            let id = next(Bind::Int(after.id), &mut binds);
            // Row-value comparison `(a, b) < (x, y)` is spelled out: it reads the same on
            // SQLite and PostgreSQL, and both still use the (status, first_published_at) index.
            conditions.push(format!(
                "(a.first_published_at < {at} OR (a.first_published_at = {at} AND a.id < {id}))"
            ));
        }
        let limit = next(Bind::Int(query.limit.clamp(0, 1000)), &mut binds);
        let sql = format!(
            "SELECT a.first_published_at, a.id FROM articles a WHERE {} \
             ORDER BY a.first_published_at DESC, a.id DESC LIMIT {limit}",
            conditions.join(" AND ")
        );
        let rows: Vec<(i64, i64)> = on_reader!(self.store, pool => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for bind in &binds {
                q = match bind {
                    Bind::Int(value) => q.bind(*value),
                    Bind::Text(value) => q.bind(value.clone()),
                };
            }
            q.fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .map(|(first_published_at_micros, id)| ArchivePosition {
                first_published_at_micros,
                id,
            })
            .collect())
    }
}
