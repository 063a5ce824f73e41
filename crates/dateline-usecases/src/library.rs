//! The image library: the one way a picture enters it, whoever brings it (the newsroom's upload
//! form, the Admin API, an import).
//!
//! [`upload`] checks the words first (alt text required, lengths, a known source type), then the
//! file (size, pixels, damage: `dateline_storage`), and adds nothing unless everything is
//! acceptable. The digital source type is the uploader's choice when given, otherwise what the
//! file's C2PA manifest or XMP declares, and the library remembers which.

use bytes::Bytes;
use dateline_core::provenance::DigitalSourceType;
use dateline_core::refusal::limits;
use dateline_core::{Action, Field, ImageRefusal, Refusal, Refusals};
use dateline_db::{ImageEdit, ImageInput, Imported, LibraryImage, SourceTypeOrigin};
use dateline_storage::{ImageLimits, MediaError, Origin, Provenance};
use jiff::Timestamp;

use crate::{Actor, Context, UseCaseError};

/// What the uploader typed beside the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageWords {
    pub alt: String,
    pub caption: String,
    pub credit: String,
    /// An IPTC digital source type (URI or code) the uploader chose; blank to take the file's
    /// own declaration.
    pub source_type: String,
}

/// Where the stored source type came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceTypeFrom {
    /// The uploader chose it.
    Uploader,
    /// The file's metadata declared it.
    File,
    Nobody,
}

/// A picture now in the library, and what its own metadata said.
#[derive(Debug, Clone)]
pub struct Uploaded {
    pub image: LibraryImage,
    pub provenance: Provenance,
    pub source_type_from: SourceTypeFrom,
    /// For an import: whether the picture is new, or what a re-run did to the one imported
    /// before.
    pub imported: Option<Imported>,
}

/// Adds the picture `file` to the library on `actor`'s behalf. With `imported_as` (an import
/// item's stable id) the picture is remembered as what that item became, in the same
/// transaction; a second import of the item brings the picture imported before up to date
/// instead (`dateline_db::Imports::image`).
pub async fn upload(
    ctx: &Context,
    actor: &Actor,
    file: Bytes,
    words: &ImageWords,
    image_limits: &ImageLimits,
    imported_as: Option<&str>,
    now: Timestamp,
) -> Result<Uploaded, UseCaseError> {
    actor.require(Action::UploadImages, true)?;
    let (mut refused, chosen) = check_words(words);
    if file.is_empty() {
        refused.push(ImageRefusal::FileMissing.into());
    }
    if let Some(refusals) = Refusals::from_list(refused) {
        return Err(UseCaseError::Refused(refusals));
    }
    let ingested = ctx
        .media
        .ingest_image_with_provenance(file, image_limits)
        .await
        .map_err(file_refused)?;
    let provenance = ingested.provenance;
    let uploader = actor.audit();
    let (source_type, origin, source_type_from) = match chosen {
        Some(chosen) => (
            Some(chosen),
            SourceTypeOrigin::Staff(uploader.name.clone()),
            SourceTypeFrom::Uploader,
        ),
        None => match (&provenance.origin, provenance.source_type) {
            (Origin::C2pa { .. }, Some(found)) => (
                Some(found),
                SourceTypeOrigin::C2pa(provenance.explanation()),
                SourceTypeFrom::File,
            ),
            (Origin::Xmp, Some(found)) => {
                (Some(found), SourceTypeOrigin::Xmp, SourceTypeFrom::File)
            }
            _ => (None, SourceTypeOrigin::None, SourceTypeFrom::Nobody),
        },
    };
    let stored = &ingested.stored;
    let input = ImageInput {
        original_key: stored.original_key.clone(),
        original_mime: stored.original_mime.to_owned(),
        width: stored.width,
        height: stored.height,
        alt: words.alt.trim().to_owned(),
        caption: optional(&words.caption),
        credit: optional(&words.credit),
        source_type,
        variants: stored.recorded_variants(),
    };
    let (image, imported) = match imported_as {
        None => (
            ctx.store
                .library()
                .add(&input, &origin, &uploader, now)
                .await?,
            None,
        ),
        Some(source) => {
            let imported = ctx
                .store
                .imports()
                .image(source, &input, &origin, &uploader, now)
                .await?;
            let image = ctx
                .store
                .library()
                .library_image(imported.id())
                .await?
                .ok_or(UseCaseError::NotFound)?;
            (image, Some(imported))
        }
    };
    Ok(Uploaded {
        image,
        provenance,
        source_type_from,
        imported,
    })
}

/// Changes picture `id`'s descriptions and source type: its uploader may (a contributor
/// illustrating their draft), as may an editor. A source type that differs from the stored one
/// becomes this actor's ("set by …"); an unchanged one keeps saying where it came from.
pub async fn describe(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    words: &ImageWords,
    now: Timestamp,
) -> Result<LibraryImage, UseCaseError> {
    let item = ctx
        .store
        .library()
        .library_image(id)
        .await?
        .ok_or(UseCaseError::NotFound)?;
    let own = matches!(actor, Actor::Staff { member, .. } if item.uploaded_by == Some(member.id));
    actor.require(Action::EditImage, own)?;
    let (refused, source_type) = check_words(words);
    if let Some(refusals) = Refusals::from_list(refused) {
        return Err(UseCaseError::Refused(refusals));
    }
    let edit = ImageEdit {
        alt: words.alt.trim().to_owned(),
        caption: optional(&words.caption),
        credit: optional(&words.credit),
        source_type,
    };
    Ok(ctx
        .store
        .library()
        .update(id, &edit, &actor.audit(), now)
        .await?)
}

/// A re-run of an import whose picture file is no longer in the pictures' folder: the library
/// keeps the file imported before, and the words follow the export as [`upload`] would have
/// them (`dateline_db::Imports::image` says when they are the newsroom's and stay).
pub async fn reimport_words(
    ctx: &Context,
    actor: &Actor,
    source: &str,
    current: &LibraryImage,
    words: &ImageWords,
    now: Timestamp,
) -> Result<(Imported, LibraryImage), UseCaseError> {
    actor.require(Action::UploadImages, true)?;
    // Checked as the upload would; the file is the one imported before, and so is its type.
    let (refused, _) = check_words(words);
    if let Some(refusals) = Refusals::from_list(refused) {
        return Err(UseCaseError::Refused(refusals));
    }
    let before = &current.image;
    let input = ImageInput {
        original_key: before.original_key.clone(),
        original_mime: before.original_mime.clone(),
        width: before.width,
        height: before.height,
        alt: words.alt.trim().to_owned(),
        caption: optional(&words.caption),
        credit: optional(&words.credit),
        source_type: before.source_type,
        variants: before.variants.clone(),
    };
    let imported = ctx
        .store
        .imports()
        .image(
            source,
            &input,
            &current.source_type_origin,
            &actor.audit(),
            now,
        )
        .await?;
    let image = ctx
        .store
        .library()
        .library_image(imported.id())
        .await?
        .ok_or(UseCaseError::NotFound)?;
    Ok((imported, image))
}

/// What is wrong with the words beside a picture (alt text required, lengths, a known source
/// type), and the source type chosen, if any.
fn check_words(words: &ImageWords) -> (Vec<Refusal>, Option<DigitalSourceType>) {
    let mut refused: Vec<Refusal> = Vec::new();
    let alt = words.alt.trim();
    if alt.is_empty() {
        refused.push(ImageRefusal::AltMissing.into());
    }
    for (field, what, text) in [
        (Field::Alt, "alt text", alt),
        (Field::Caption, "caption", words.caption.trim()),
        (Field::Credit, "credit", words.credit.trim()),
    ] {
        if text.chars().count() > limits::IMAGE_TEXT_CHARS {
            refused.push(
                ImageRefusal::TextTooLong {
                    field,
                    what,
                    max: limits::IMAGE_TEXT_CHARS,
                }
                .into(),
            );
        }
    }
    let chosen = match words.source_type.trim() {
        "" => None,
        typed => match DigitalSourceType::from_uri_or_code(typed) {
            Some(found) => Some(found),
            None => {
                refused.push(ImageRefusal::SourceTypeUnknown.into());
                None
            }
        },
    };
    (refused, chosen)
}

fn optional(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

/// A file the uploader can do something about is refused next to the file field; storage and
/// encoding failures are ours.
fn file_refused(error: MediaError) -> UseCaseError {
    let code = match &error {
        MediaError::TooLarge { .. } => "file_too_large",
        MediaError::TooManyPixels { .. } | MediaError::TooWide { .. } => "file_too_many_pixels",
        MediaError::UnsupportedFormat => "file_unsupported",
        MediaError::Broken(_) => "file_broken",
        _ => return UseCaseError::Media(error),
    };
    UseCaseError::refused(ImageRefusal::FileRefused {
        code,
        message: error.to_string(),
    })
}
