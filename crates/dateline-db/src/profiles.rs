//! Author profiles as the newsroom edits them: the byline (name, slug, role, bio) plus a photo
//! from the image library and links. Saving is audited and drops the author's public pages.

use dateline_core::{Author, AuthorRefusal, cache_tags};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::audit::record_audit;
use crate::catalog::AuthorInput;
use crate::changes::record_change;
use crate::{Actor, AuditEntry, DbError, People, Result, on_reader, on_writer};

/// A link on an author's page ("Mastodon", "https://…").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorLink {
    pub label: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthorProfile {
    pub author: Author,
    pub photo_image_id: Option<i64>,
    pub links: Vec<AuthorLink>,
}

#[derive(Debug, Clone)]
pub struct AuthorProfileInput {
    pub author: AuthorInput,
    pub photo_image_id: Option<i64>,
    pub links: Vec<AuthorLink>,
}

#[derive(sqlx::FromRow)]
struct ProfileRow {
    id: i64,
    slug: String,
    name: String,
    role: String,
    bio: String,
    photo_image_id: Option<i64>,
    links: String,
}

impl From<ProfileRow> for AuthorProfile {
    fn from(row: ProfileRow) -> Self {
        AuthorProfile {
            author: Author {
                id: row.id,
                slug: row.slug,
                name: row.name,
                role: row.role,
                bio: row.bio,
            },
            photo_image_id: row.photo_image_id,
            links: serde_json::from_str(&row.links).unwrap_or_default(),
        }
    }
}

const PROFILE_COLUMNS: &str = "id, slug, name, role, bio, photo_image_id, links";

impl People<'_> {
    pub async fn author_profiles(self) -> Result<Vec<AuthorProfile>> {
        let sql = format!("SELECT {PROFILE_COLUMNS} FROM authors ORDER BY name");
        let rows: Vec<ProfileRow> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    pub async fn author_profile(self, id: i64) -> Result<Option<AuthorProfile>> {
        let sql = format!("SELECT {PROFILE_COLUMNS} FROM authors WHERE id = $1");
        let row: Option<ProfileRow> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?
        });
        Ok(row.map(Into::into))
    }

    pub async fn author_profile_by_slug(self, slug: &str) -> Result<Option<AuthorProfile>> {
        let sql = format!("SELECT {PROFILE_COLUMNS} FROM authors WHERE slug = $1");
        let row: Option<ProfileRow> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(slug).fetch_optional(pool).await?
        });
        Ok(row.map(Into::into))
    }

    /// Creates a profile (`id` `None`) or replaces one, audited as `author.create` or
    /// `author.update`, as `dateline_usecases::authors` checked it. A photo must be an image in
    /// the library when the transaction runs.
    pub async fn save_author_profile(
        self,
        id: Option<i64>,
        input: &AuthorProfileInput,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<AuthorProfile> {
        let links = serde_json::to_string(&input.links)
            .map_err(|e| DbError::Invalid(format!("links: {e}")))?;
        let author = &input.author;
        let insert = format!(
            "INSERT INTO authors (slug, name, role, bio, photo_image_id, links) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {PROFILE_COLUMNS}"
        );
        let update = format!(
            "UPDATE authors SET slug = $1, name = $2, role = $3, bio = $4, photo_image_id = $5, \
             links = $6 WHERE id = $7 RETURNING {PROFILE_COLUMNS}"
        );
        let row: ProfileRow = on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            if let Some(photo) = input.photo_image_id {
                let found: Option<i64> = sqlx::query_scalar("SELECT id FROM images WHERE id = $1")
                    .bind(photo)
                    .fetch_optional(&mut *tx)
                    .await?;
                if found.is_none() {
                    return Err(DbError::Refused(AuthorRefusal::PhotoUnknown.into()));
                }
            }
            let row: ProfileRow = match id {
                None => {
                    sqlx::query_as(sqlx::AssertSqlSafe(insert))
                        .bind(&author.slug)
                        .bind(author.name.trim())
                        .bind(&author.role)
                        .bind(&author.bio)
                        .bind(input.photo_image_id)
                        .bind(&links)
                        .fetch_one(&mut *tx)
                        .await?
                }
                Some(id) => {
                    sqlx::query_as(sqlx::AssertSqlSafe(update))
                        .bind(&author.slug)
                        .bind(author.name.trim())
                        .bind(&author.role)
                        .bind(&author.bio)
                        .bind(input.photo_image_id)
                        .bind(&links)
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?
                }
            };
            record_audit!(tx, at, AuditEntry {
                actor: actor.clone(),
                action: if id.is_some() { "author.update" } else { "author.create" }.to_owned(),
                subject_kind: "author".to_owned(),
                subject_id: Some(row.id),
                detail: format!("{} (/authors/{})", row.name, row.slug),
            });
            record_change!(tx, at, "author", Some(row.id), [cache_tags::author(row.id)]);
            tx.commit().await?;
            row
        });
        Ok(row.into())
    }
}
