//! The newsroom's image library: pictures with who uploaded them, where their digital source type
//! came from, and the edits staff make to their descriptions. Every change is audited.

use dateline_core::Image;
use dateline_core::cache_tags;
use dateline_core::provenance::DigitalSourceType;
use jiff::Timestamp;
use serde::Serialize;

use crate::audit::record_audit;
use crate::catalog::ImageInput;
use crate::changes::record_change;
use crate::imports::remember_source;
use crate::rows::ImageRow;
use crate::{
    Actor, AuditEntry, DbError, Library, Result, from_micros, on_reader, on_writer, to_micros,
};

/// Where an image's digital source type came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "detail", rename_all = "lowercase")]
pub enum SourceTypeOrigin {
    /// The file's C2PA manifest; the detail is the reader's sentence about the signer and the
    /// signature ("from C2PA manifest, signed by …").
    C2pa(String),
    /// The file's XMP packet, which nothing signs.
    Xmp,
    /// A staff member chose it; the detail is their name as it was then.
    Staff(String),
    /// Nobody has said.
    None,
}

impl SourceTypeOrigin {
    pub(crate) fn parts(&self) -> (&'static str, &str) {
        match self {
            SourceTypeOrigin::C2pa(detail) => ("c2pa", detail),
            SourceTypeOrigin::Xmp => ("xmp", ""),
            SourceTypeOrigin::Staff(name) => ("staff", name),
            SourceTypeOrigin::None => ("none", ""),
        }
    }

    fn from_parts(kind: &str, detail: String) -> Self {
        match kind {
            "c2pa" => SourceTypeOrigin::C2pa(detail),
            "xmp" => SourceTypeOrigin::Xmp,
            "staff" => SourceTypeOrigin::Staff(detail),
            _ => SourceTypeOrigin::None,
        }
    }

    /// What the newsroom shows next to the value: "from XMP", "set by Ana Ruiz", …
    pub fn explanation(&self) -> String {
        match self {
            SourceTypeOrigin::C2pa(detail) if !detail.is_empty() => detail.clone(),
            SourceTypeOrigin::C2pa(_) => "from C2PA manifest".to_owned(),
            SourceTypeOrigin::Xmp => "from XMP".to_owned(),
            SourceTypeOrigin::Staff(name) => format!("set by {name}"),
            SourceTypeOrigin::None => "not declared".to_owned(),
        }
    }
}

/// An image as the library shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LibraryImage {
    pub image: Image,
    pub source_type_origin: SourceTypeOrigin,
    pub uploaded_by: Option<i64>,
    pub updated_by: Option<i64>,
    pub created_at: Timestamp,
    pub updated_at: Option<Timestamp>,
}

/// The descriptive fields staff edit on an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageEdit {
    pub alt: String,
    pub caption: Option<String>,
    pub credit: Option<String>,
    pub source_type: Option<DigitalSourceType>,
}

/// One page of the library.
#[derive(Debug, Clone, PartialEq)]
pub struct LibraryPage {
    pub images: Vec<LibraryImage>,
    /// All images matching the search, across pages.
    pub total: i64,
}

#[derive(sqlx::FromRow)]
struct LibraryRow {
    #[sqlx(flatten)]
    image: ImageRow,
    source_type_origin: String,
    source_type_detail: String,
    uploaded_by: Option<i64>,
    updated_by: Option<i64>,
    created_at: i64,
    updated_at: Option<i64>,
}

impl From<LibraryRow> for LibraryImage {
    fn from(row: LibraryRow) -> Self {
        LibraryImage {
            image: row.image.into(),
            source_type_origin: SourceTypeOrigin::from_parts(
                &row.source_type_origin,
                row.source_type_detail,
            ),
            uploaded_by: row.uploaded_by,
            updated_by: row.updated_by,
            created_at: from_micros(row.created_at),
            updated_at: row.updated_at.map(from_micros),
        }
    }
}

const LIBRARY_COLUMNS: &str = "id, original_key, original_mime, width, height, alt, caption, \
     credit, source_type, variants, source_type_origin, source_type_detail, uploaded_by, \
     updated_by, created_at, updated_at";

fn require_alt(alt: &str) -> Result<()> {
    if alt.trim().is_empty() {
        Err(DbError::Invalid(
            "alt text is required: describe the picture for readers who cannot see it".to_owned(),
        ))
    } else {
        Ok(())
    }
}

/// `%text%` for a LIKE, with the pattern characters a person may type taken literally.
fn like_pattern(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

fn label(source_type: Option<DigitalSourceType>) -> &'static str {
    source_type.map_or("none", |t| t.code())
}

impl Library<'_> {
    /// Adds an uploaded picture to the library, saying where its source type came from and who
    /// uploaded it, and audits the upload.
    pub async fn add(
        self,
        input: &ImageInput,
        origin: &SourceTypeOrigin,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<LibraryImage> {
        self.insert_library_image(input, origin, actor, at, None)
            .await
    }

    /// [`Library::add`]; with `source` (an import item's id) the picture is
    /// remembered as what that item became, in the same transaction.
    pub(crate) async fn insert_library_image(
        self,
        input: &ImageInput,
        origin: &SourceTypeOrigin,
        actor: &Actor,
        at: Timestamp,
        source: Option<&str>,
    ) -> Result<LibraryImage> {
        require_alt(&input.alt)?;
        let variants = serde_json::to_string(&input.variants)
            .map_err(|e| DbError::Invalid(format!("variants: {e}")))?;
        let (origin_kind, origin_detail) = origin.parts();
        let sql = format!(
            "INSERT INTO images (original_key, original_mime, width, height, alt, caption, \
             credit, source_type, variants, created_at, source_type_origin, \
             source_type_detail, uploaded_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
             RETURNING {LIBRARY_COLUMNS}"
        );
        let row: LibraryRow = on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let row: LibraryRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(&input.original_key)
                .bind(&input.original_mime)
                .bind(i64::from(input.width))
                .bind(i64::from(input.height))
                .bind(&input.alt)
                .bind(&input.caption)
                .bind(&input.credit)
                .bind(input.source_type.map(|t| t.uri()))
                .bind(&variants)
                .bind(to_micros(at))
                .bind(origin_kind)
                .bind(origin_detail)
                .bind(actor.staff_id)
                .fetch_one(&mut *tx)
                .await?;
            record_audit!(tx, at, AuditEntry::about(actor, "image.upload", "image", row.image.id, format!(
                    "{} × {} {}; source type {} ({})",
                    input.width,
                    input.height,
                    input.original_mime,
                    label(input.source_type),
                    origin.explanation()
                )));
            record_change!(tx, at, "image", Some(row.image.id), [cache_tags::image(row.image.id)]);
            if let Some(source) = source {
                remember_source!(tx, source, "image", row.image.id, at);
            }
            tx.commit().await?;
            row
        });
        Ok(row.into())
    }

    pub async fn library_image(self, id: i64) -> Result<Option<LibraryImage>> {
        let sql = format!("SELECT {LIBRARY_COLUMNS} FROM images WHERE id = $1");
        let row: Option<LibraryRow> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(Into::into))
    }

    /// Newest first; `search` matches alt text, caption and credit, case-insensitively.
    pub async fn library_images(
        self,
        search: &str,
        offset: i64,
        limit: i64,
    ) -> Result<LibraryPage> {
        let pattern = like_pattern(search.trim());
        let filter = "LOWER(alt) LIKE $1 ESCAPE '\\' OR LOWER(COALESCE(caption, '')) LIKE $1 \
             ESCAPE '\\' OR LOWER(COALESCE(credit, '')) LIKE $1 ESCAPE '\\'";
        let list = format!(
            "SELECT {LIBRARY_COLUMNS} FROM images WHERE {filter} \
             ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3"
        );
        let count = format!("SELECT COUNT(*) FROM images WHERE {filter}");
        let (rows, total): (Vec<LibraryRow>, i64) = on_reader!(self.store, pool => {
            let rows = sqlx::query_as(sqlx::AssertSqlSafe(list))
                .bind(&pattern)
                .bind(limit)
                .bind(offset)
                .fetch_all(pool)
                .await?;
            let total = sqlx::query_scalar(sqlx::AssertSqlSafe(count))
                .bind(&pattern)
                .fetch_one(pool)
                .await?;
            (rows, total)
        });
        Ok(LibraryPage {
            images: rows.into_iter().map(Into::into).collect(),
            total,
        })
    }

    /// Changes an image's descriptions. A source type that differs from the stored one becomes
    /// the actor's ("set by …"); an unchanged one keeps saying where it came from.
    pub async fn update(
        self,
        id: i64,
        edit: &ImageEdit,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<LibraryImage> {
        require_alt(&edit.alt)?;
        let select = format!("SELECT {LIBRARY_COLUMNS} FROM images WHERE id = $1");
        let update = format!(
            "UPDATE images SET alt = $1, caption = $2, credit = $3, source_type = $4, \
             source_type_origin = $5, source_type_detail = $6, updated_by = $7, updated_at = $8 \
             WHERE id = $9 RETURNING {LIBRARY_COLUMNS}"
        );
        let row: LibraryRow = on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let before: Option<LibraryRow> = sqlx::query_as(sqlx::AssertSqlSafe(select))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(before) = before else {
                return Err(DbError::NotFound);
            };
            let before: LibraryImage = before.into();
            let origin = if before.image.source_type == edit.source_type {
                before.source_type_origin.clone()
            } else {
                SourceTypeOrigin::Staff(actor.name.clone())
            };
            let (origin_kind, origin_detail) = origin.parts();
            let row: LibraryRow = sqlx::query_as(sqlx::AssertSqlSafe(update))
                .bind(&edit.alt)
                .bind(&edit.caption)
                .bind(&edit.credit)
                .bind(edit.source_type.map(|t| t.uri()))
                .bind(origin_kind)
                .bind(origin_detail)
                .bind(actor.staff_id)
                .bind(to_micros(at))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            let mut changed = Vec::new();
            if before.image.alt != edit.alt {
                changed.push("alt text".to_owned());
            }
            if before.image.caption != edit.caption {
                changed.push("caption".to_owned());
            }
            if before.image.credit != edit.credit {
                changed.push("credit".to_owned());
            }
            if before.image.source_type != edit.source_type {
                changed.push(format!(
                    "source type {} → {}",
                    label(before.image.source_type),
                    label(edit.source_type)
                ));
            }
            let detail = if changed.is_empty() {
                "saved unchanged".to_owned()
            } else {
                changed.join(", ")
            };
            record_audit!(tx, at, AuditEntry {
                actor: actor.clone(),
                action: "image.edit".to_owned(),
                subject_kind: "image".to_owned(),
                subject_id: Some(id),
                detail,
            });
            record_change!(tx, at, "image", Some(id), [cache_tags::image(id)]);
            tx.commit().await?;
            row
        });
        Ok(row.into())
    }
}
