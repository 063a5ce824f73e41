//! Settings, sections, authors, tags and images: the things articles point at.

use dateline_core::cache_tags;
use dateline_core::provenance::DigitalSourceType;
use dateline_core::{
    Author, Image, ImageVariant, Refusals, Section, SectionRefusal, SiteSettings, Tag, paths, slug,
};
use jiff::Timestamp;

use crate::audit::record_audit;
use crate::changes::record_change;
use crate::rows::{AuthorRow, ImageRow, SectionRow, TagRow};
use crate::{
    Actor, AuditEntry, DbError, Library, People, Result, Site, on_reader, on_writer, to_micros,
};

#[derive(Debug, Clone)]
pub struct SectionInput {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub position: i32,
}

#[derive(Debug, Clone)]
pub struct AuthorInput {
    pub slug: String,
    pub name: String,
    pub role: String,
    pub bio: String,
}

#[derive(Debug, Clone)]
pub struct ImageInput {
    pub original_key: String,
    pub original_mime: String,
    pub width: u32,
    pub height: u32,
    pub alt: String,
    pub caption: Option<String>,
    pub credit: Option<String>,
    pub source_type: Option<DigitalSourceType>,
    pub variants: Vec<ImageVariant>,
}

const SETTINGS_KEY: &str = "site";

/// The settings as stored, or the defaults of a site that never saved any.
fn settings_from(stored: Option<String>) -> SiteSettings {
    stored
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default()
}

impl SectionInput {
    /// The rules every section is held to, whoever writes it (the newsroom's use case, an
    /// import): refusals name the slug or the name.
    pub(crate) fn validate(&self) -> Result<()> {
        let mut refused: Vec<dateline_core::Refusal> = Vec::new();
        if self.name.trim().is_empty() {
            refused.push(SectionRefusal::NameMissing.into());
        }
        if !slug::is_valid_slug(&self.slug) {
            refused.push(SectionRefusal::SlugInvalid.into());
        } else if paths::RESERVED_SECTION_SLUGS.contains(&self.slug.as_str()) {
            refused.push(
                SectionRefusal::SlugReserved {
                    slug: self.slug.clone(),
                }
                .into(),
            );
        }
        match Refusals::from_list(refused) {
            None => Ok(()),
            Some(refusals) => Err(DbError::Refused(refusals)),
        }
    }
}

/// Who changes the catalogue, for the audit entry written in the same transaction; `None` for
/// the platform's own setup (the demo, fixtures), which no one needs to answer for.
type AuditedBy<'a> = Option<&'a Actor>;

/// What the audit entry of a settings save says changed, e.g. `name “A” → “B”; tagline …`.
fn settings_changes(before: &SiteSettings, after: &SiteSettings) -> String {
    let url = |u: &Option<String>| u.clone().unwrap_or_default();
    let logo = |id: Option<i64>| id.map(|id| format!("image {id}")).unwrap_or_default();
    let pairs = [
        ("name", before.name.clone(), after.name.clone()),
        ("tagline", before.tagline.clone(), after.tagline.clone()),
        ("language", before.language.clone(), after.language.clone()),
        (
            "time zone",
            before.time_zone.clone(),
            after.time_zone.clone(),
        ),
        (
            "corrections policy",
            url(&before.corrections_policy_url),
            url(&after.corrections_policy_url),
        ),
        (
            "ethics policy",
            url(&before.ethics_policy_url),
            url(&after.ethics_policy_url),
        ),
        (
            "AI-use policy",
            url(&before.ai_policy_url),
            url(&after.ai_policy_url),
        ),
        (
            "logo",
            logo(before.logo_image_id),
            logo(after.logo_image_id),
        ),
    ];
    let changed: Vec<String> = pairs
        .iter()
        .filter(|(_, old, new)| old != new)
        .map(|(what, old, new)| format!("{what} “{old}” → “{new}”"))
        .collect();
    if changed.is_empty() {
        "saved unchanged".to_owned()
    } else {
        changed.join("; ")
    }
}

fn section_changes(before: &Section, after: &Section) -> String {
    let mut changed = Vec::new();
    if before.name != after.name {
        changed.push(format!("name “{}” → “{}”", before.name, after.name));
    }
    if before.slug != after.slug {
        changed.push(format!(
            "address /{} → /{} (old address redirects)",
            before.slug, after.slug
        ));
    }
    // The text itself can be long; the entry says only that it changed.
    if before.description != after.description {
        changed.push("description".to_owned());
    }
    if before.position != after.position {
        changed.push(format!("order {} → {}", before.position, after.position));
    }
    if changed.is_empty() {
        "saved unchanged".to_owned()
    } else {
        changed.join("; ")
    }
}

const SECTION_COLUMNS: &str = "id, slug, name, description, position";

impl Site<'_> {
    pub async fn settings(self) -> Result<SiteSettings> {
        let value: Option<String> = on_reader!(self.store, pool => {
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(SETTINGS_KEY)
                .fetch_optional(pool)
                .await?
        });
        Ok(settings_from(value))
    }

    /// Saves the settings without an audit entry: the platform's own setup.
    pub async fn save_settings(self, settings: &SiteSettings, now: Timestamp) -> Result<()> {
        self.write_settings(settings, None, now).await
    }

    /// Saves the settings for `actor`, with the audit entry saying what changed, in one
    /// transaction.
    pub async fn save_settings_as(
        self,
        settings: &SiteSettings,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<()> {
        self.write_settings(settings, Some(actor), now).await
    }

    async fn write_settings(
        self,
        settings: &SiteSettings,
        by: AuditedBy<'_>,
        now: Timestamp,
    ) -> Result<()> {
        let refused: Vec<dateline_core::Refusal> =
            settings.check().into_iter().map(Into::into).collect();
        if let Some(refusals) = Refusals::from_list(refused) {
            return Err(DbError::Refused(refusals));
        }
        let json = serde_json::to_string(settings)
            .map_err(|e| DbError::Invalid(format!("settings: {e}")))?;
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let before: Option<String> =
                sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                    .bind(SETTINGS_KEY)
                    .fetch_optional(&mut *tx)
                    .await?;
            sqlx::query(
                "INSERT INTO settings (key, value) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(SETTINGS_KEY)
            .bind(&json)
            .execute(&mut *tx)
            .await?;
            record_change!(tx, now, "settings", None::<i64>, [cache_tags::SITE.to_owned()]);
            if let Some(actor) = by {
                let entry = AuditEntry {
                    actor: actor.clone(),
                    action: "settings.update".to_owned(),
                    subject_kind: "settings".to_owned(),
                    subject_id: None,
                    detail: settings_changes(&settings_from(before), settings),
                };
                record_audit!(tx, now, entry);
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Adds a section without an audit entry: the platform's own setup.
    pub async fn create_section(self, input: &SectionInput, now: Timestamp) -> Result<Section> {
        self.insert_section(input, None, now).await
    }

    /// Adds a section for `actor`, with its audit entry, in one transaction.
    pub async fn create_section_as(
        self,
        input: &SectionInput,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Section> {
        self.insert_section(input, Some(actor), now).await
    }

    async fn insert_section(
        self,
        input: &SectionInput,
        by: AuditedBy<'_>,
        now: Timestamp,
    ) -> Result<Section> {
        input.validate()?;
        let sql = format!(
            "INSERT INTO sections (slug, name, description, position) VALUES ($1, $2, $3, $4) \
             RETURNING {SECTION_COLUMNS}"
        );
        let row: SectionRow = on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let row: SectionRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(&input.slug)
            .bind(&input.name)
            .bind(&input.description)
            .bind(i64::from(input.position))
            .fetch_one(&mut *tx)
            .await?;
            record_change!(tx, now, "section", Some(row.id), [cache_tags::SITE.to_owned()]);
            if let Some(actor) = by {
                let detail = format!("“{}” at /{}", row.name, row.slug);
                record_audit!(tx, now, AuditEntry::about(actor, "section.create", "section", row.id, detail));
            }
            tx.commit().await?;
            row
        });
        Ok(row.into())
    }

    /// Renames or moves a section without an audit entry: the platform's own setup. Its old
    /// slug keeps working as a redirect.
    pub async fn update_section(
        self,
        id: i64,
        input: &SectionInput,
        now: Timestamp,
    ) -> Result<Section> {
        self.change_section(id, input, None, now).await
    }

    /// Renames or moves a section for `actor`, with the audit entry saying what changed, in one
    /// transaction. Its old slug keeps working as a redirect.
    pub async fn update_section_as(
        self,
        id: i64,
        input: &SectionInput,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Section> {
        self.change_section(id, input, Some(actor), now).await
    }

    async fn change_section(
        self,
        id: i64,
        input: &SectionInput,
        by: AuditedBy<'_>,
        now: Timestamp,
    ) -> Result<Section> {
        input.validate()?;
        let select = format!("SELECT {SECTION_COLUMNS} FROM sections WHERE id = $1");
        let update = format!(
            "UPDATE sections SET slug = $1, name = $2, description = $3, position = $4 \
             WHERE id = $5 RETURNING {SECTION_COLUMNS}"
        );
        let after: Section = on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let before: Section = sqlx::query_as::<_, SectionRow>(sqlx::AssertSqlSafe(select))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?
                .into();
            let after: Section = sqlx::query_as::<_, SectionRow>(sqlx::AssertSqlSafe(update))
            .bind(&input.slug)
            .bind(&input.name)
            .bind(&input.description)
            .bind(i64::from(input.position))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?
            .into();
            if before.slug != input.slug {
                // A slug given back to this section stops being a redirect.
                sqlx::query("DELETE FROM section_redirects WHERE old_slug = $1")
                    .bind(&input.slug)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO section_redirects (old_slug, section_id) VALUES ($1, $2) \
                     ON CONFLICT (old_slug) DO UPDATE SET section_id = excluded.section_id",
                )
                .bind(&before.slug)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            record_change!(
                tx,
                now,
                "section",
                Some(id),
                [
                    cache_tags::SITE.to_owned(),
                    cache_tags::section(id),
                    cache_tags::section_list(id)
                ]
            );
            if let Some(actor) = by {
                let detail = section_changes(&before, &after);
                record_audit!(tx, now, AuditEntry::about(actor, "section.update", "section", id, detail));
            }
            tx.commit().await?;
            after
        });
        Ok(after)
    }

    pub async fn sections(self) -> Result<Vec<Section>> {
        let rows: Vec<SectionRow> = on_reader!(self.store, pool => {
            sqlx::query_as(
                "SELECT id, slug, name, description, position FROM sections ORDER BY position, name",
            )
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(Section::from).collect())
    }

    pub async fn section_by_slug(self, slug: &str) -> Result<Option<Section>> {
        let row: Option<SectionRow> = on_reader!(self.store, pool => {
            sqlx::query_as(
                "SELECT id, slug, name, description, position FROM sections WHERE slug = $1",
            )
            .bind(slug)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(Section::from))
    }

    /// The section that used to be at `old_slug`, if any.
    pub async fn section_by_old_slug(self, old_slug: &str) -> Result<Option<Section>> {
        let row: Option<SectionRow> = on_reader!(self.store, pool => {
            sqlx::query_as(
                "SELECT s.id, s.slug, s.name, s.description, s.position FROM section_redirects r \
                 JOIN sections s ON s.id = r.section_id WHERE r.old_slug = $1",
            )
            .bind(old_slug)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(Section::from))
    }
}

impl People<'_> {
    pub async fn create_author(self, input: &AuthorInput, now: Timestamp) -> Result<Author> {
        check_slug(&input.slug)?;
        let row: AuthorRow = on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let row: AuthorRow = sqlx::query_as(
                "INSERT INTO authors (slug, name, role, bio) VALUES ($1, $2, $3, $4) \
                 RETURNING id, slug, name, role, bio",
            )
            .bind(&input.slug)
            .bind(&input.name)
            .bind(&input.role)
            .bind(&input.bio)
            .fetch_one(&mut *tx)
            .await?;
            record_change!(tx, now, "author", Some(row.id), [cache_tags::author(row.id)]);
            tx.commit().await?;
            row
        });
        Ok(row.into())
    }

    pub async fn update_author(
        self,
        id: i64,
        input: &AuthorInput,
        now: Timestamp,
    ) -> Result<Author> {
        check_slug(&input.slug)?;
        let row: AuthorRow = on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let row: AuthorRow = sqlx::query_as(
                "UPDATE authors SET slug = $1, name = $2, role = $3, bio = $4 WHERE id = $5 \
                 RETURNING id, slug, name, role, bio",
            )
            .bind(&input.slug)
            .bind(&input.name)
            .bind(&input.role)
            .bind(&input.bio)
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            record_change!(tx, now, "author", Some(id), [cache_tags::author(id)]);
            tx.commit().await?;
            row
        });
        Ok(row.into())
    }

    pub async fn authors(self) -> Result<Vec<Author>> {
        let rows: Vec<AuthorRow> = on_reader!(self.store, pool => {
            sqlx::query_as("SELECT id, slug, name, role, bio FROM authors ORDER BY name")
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(Author::from).collect())
    }

    pub async fn author_by_slug(self, slug: &str) -> Result<Option<Author>> {
        let row: Option<AuthorRow> = on_reader!(self.store, pool => {
            sqlx::query_as("SELECT id, slug, name, role, bio FROM authors WHERE slug = $1")
                .bind(slug)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(Author::from))
    }
}

impl Site<'_> {
    pub async fn tag_by_slug(self, slug: &str) -> Result<Option<Tag>> {
        let row: Option<TagRow> = on_reader!(self.store, pool => {
            sqlx::query_as("SELECT id, slug, name FROM tags WHERE slug = $1")
                .bind(slug)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(Tag::from))
    }
}

impl Library<'_> {
    pub async fn insert_image(self, input: &ImageInput, now: jiff::Timestamp) -> Result<Image> {
        if input.alt.trim().is_empty() {
            return Err(DbError::Invalid(
                "alt text is required: describe the picture for readers who cannot see it"
                    .to_owned(),
            ));
        }
        let variants = serde_json::to_string(&input.variants)
            .map_err(|e| DbError::Invalid(format!("variants: {e}")))?;
        let row: ImageRow = on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let row: ImageRow = sqlx::query_as(
                "INSERT INTO images (original_key, original_mime, width, height, alt, caption, \
                 credit, source_type, variants, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 RETURNING id, original_key, original_mime, width, height, alt, caption, credit, \
                 source_type, variants",
            )
            .bind(&input.original_key)
            .bind(&input.original_mime)
            .bind(i64::from(input.width))
            .bind(i64::from(input.height))
            .bind(&input.alt)
            .bind(&input.caption)
            .bind(&input.credit)
            .bind(input.source_type.map(|t| t.uri()))
            .bind(&variants)
            .bind(to_micros(now))
            .fetch_one(&mut *tx)
            .await?;
            record_change!(tx, now, "image", Some(row.id), [cache_tags::image(row.id)]);
            tx.commit().await?;
            row
        });
        Ok(row.into())
    }

    pub async fn image(self, id: i64) -> Result<Option<Image>> {
        Ok(self.images_by_ids(&[id]).await?.into_iter().next())
    }

    pub async fn images_by_ids(self, ids: &[i64]) -> Result<Vec<Image>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, original_key, original_mime, width, height, alt, caption, credit, \
             source_type, variants FROM images WHERE id IN ({})",
            placeholders(1, ids.len())
        );
        let rows: Vec<ImageRow> = on_reader!(self.store, pool => {
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for id in ids {
                query = query.bind(*id);
            }
            query.fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(Image::from).collect())
    }
}

/// Refuses a slug a person typed that would not survive `slugify` unchanged, saying what is allowed.
pub(crate) fn check_slug(candidate: &str) -> Result<()> {
    if slug::is_valid_slug(candidate) {
        Ok(())
    } else {
        Err(DbError::Invalid(format!(
            "“{candidate}” is not a valid slug: use lowercase letters, digits and single hyphens"
        )))
    }
}

/// `$first, $first+1, …` for `count` bound values. Only numbers are interpolated into SQL.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}
