//! The image library: upload, list and search, edit descriptions and the digital source type.
//!
//! An upload goes through `dateline_usecases::library::upload`, the one way a picture enters the
//! library (the Admin API and imports use it too): it checks the typed fields first, then the
//! file (size, pixels, damage), and stores nothing unless everything is acceptable.

use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use bytes::Bytes;
use dateline_core::provenance::DigitalSourceType;
use dateline_core::{Action, paging, paths};
use dateline_db::{DbError, LibraryImage};
use dateline_storage::ImageLimits;
use dateline_usecases::library::{self, ImageWords};
use http::{HeaderMap, StatusCode};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{Csrf, CurrentStaff, WebError, field_errors, render};
use crate::AppState;

const PAGE_SIZE: i64 = 24;

/// What the uploader typed beside the file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UploadFields {
    #[serde(default)]
    pub alt: String,
    #[serde(default)]
    pub caption: String,
    #[serde(default)]
    pub credit: String,
    /// A source type the uploader chose; empty to take the file's own declaration.
    #[serde(default)]
    pub source_type: String,
}

impl UploadFields {
    fn words(&self) -> ImageWords {
        ImageWords {
            alt: self.alt.clone(),
            caption: self.caption.clone(),
            credit: self.credit.clone(),
            source_type: self.source_type.clone(),
        }
    }
}

/// Every IPTC term with the words readers see, for the source type select.
fn source_type_options(selected: &str) -> Vec<Value> {
    DigitalSourceType::ALL
        .iter()
        .map(|term| {
            let label = match term.reader_label() {
                Some(label) => format!("{} — readers see “{label}”", term.code()),
                None => format!("{} — a photograph; no label", term.code()),
            };
            json!({
                "value": term.code(),
                "label": label,
                "description": term.description(),
                "retired": term.is_retired(),
                "selected": term.code() == selected,
            })
        })
        .collect()
}

fn thumbnail(image: &dateline_core::Image) -> String {
    image
        .variants_of("jpeg")
        .first()
        .map(|v| paths::media(&v.key))
        .unwrap_or_else(|| paths::media(&image.original_key))
}

/// The JPEG variant a picture placed in a story's text uses: the widest up to the article
/// column's 2x width, with its size (so the page reserves the space).
fn body_variant(image: &dateline_core::Image) -> (String, u32, u32) {
    let jpegs = image.variants_of("jpeg");
    match jpegs
        .iter()
        .rev()
        .find(|v| v.width <= 1600)
        .or(jpegs.first())
    {
        Some(v) => (paths::media(&v.key), v.width, v.height),
        None => (paths::media(&image.original_key), image.width, image.height),
    }
}

/// Whether the caller (the editor's script) asked for JSON rather than a page.
fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("application/json"))
}

fn image_view(item: &LibraryImage, staff: &CurrentStaff) -> Value {
    let image = &item.image;
    let (src, src_width, src_height) = body_variant(image);
    json!({
        "src": src,
        "src_width": src_width,
        "src_height": src_height,
        "id": image.id,
        "url": format!("/newsroom/images/{}", image.id),
        "thumbnail": thumbnail(image),
        "width": image.width,
        "height": image.height,
        "mime": image.original_mime,
        "alt": image.alt,
        "caption": image.caption,
        "credit": image.credit,
        "source_type": image.source_type.map(|t| t.code()),
        "source_type_label": image.source_type.and_then(|t| t.reader_label()),
        "source_type_origin": item.source_type_origin.explanation(),
        "editable": staff.may(Action::EditImage, owns(item, staff)),
    })
}

fn owns(item: &LibraryImage, staff: &CurrentStaff) -> bool {
    item.uploaded_by == Some(staff.member.id)
}

#[derive(Deserialize, Default)]
pub struct LibraryQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: Option<i64>,
    #[serde(default)]
    uploaded: Option<i64>,
}

pub async fn list(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    headers: HeaderMap,
    Query(query): Query<LibraryQuery>,
) -> Result<Response, WebError> {
    staff.require(Action::UseNewsroom)?;
    let page = query.page.unwrap_or(1).clamp(1, paging::MAX_PAGE);
    let found = state
        .store()
        .library()
        .library_images(
            &query.q,
            paging::offset(page, PAGE_SIZE).unwrap_or(0),
            PAGE_SIZE,
        )
        .await?;
    let pages = paging::count(found.total, PAGE_SIZE);
    let link = |page: i64| {
        let mut url = format!("/newsroom/images?page={page}");
        if !query.q.is_empty() {
            url.push_str("&q=");
            url.push_str(
                &percent_encoding::utf8_percent_encode(
                    &query.q,
                    percent_encoding::NON_ALPHANUMERIC,
                )
                .to_string(),
            );
        }
        url
    };
    let images: Vec<Value> = found.images.iter().map(|i| image_view(i, &staff)).collect();
    if wants_json(&headers) {
        // The editor's hero picker: the same search, as thumbnails to choose from.
        return Ok(Json(json!({
            "images": images, "total": found.total, "page": page, "pages": pages,
        }))
        .into_response());
    }
    render(
        &state,
        Some(&staff),
        &csrf,
        "newsroom/images.html",
        StatusCode::OK,
        json!({
            "images": images,
            "q": query.q,
            "total": found.total,
            "page": page,
            "pages": pages,
            "newer_url": (page > 1).then(|| link(page - 1)),
            "older_url": (page < pages).then(|| link(page + 1)),
            "may_upload": staff.may(Action::UploadImages, true),
            "uploaded": query.uploaded,
        }),
    )
    .await
}

async fn upload_page(
    state: &AppState,
    staff: &CurrentStaff,
    csrf: &Csrf,
    fields: &UploadFields,
    errors: Map<String, Value>,
) -> Result<Response, WebError> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let limits = ImageLimits::default();
    render(
        state,
        Some(staff),
        csrf,
        "newsroom/image_new.html",
        status,
        json!({
            "form": fields,
            "errors": errors,
            "source_types": source_type_options(&fields.source_type),
            "limits": {
                "megabytes": limits.max_bytes / 1_000_000,
                "megapixels": limits.max_pixels / 1_000_000,
                "dimension": limits.max_dimension,
            },
        }),
    )
    .await
}

pub async fn new_form(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
) -> Result<Response, WebError> {
    staff.require(Action::UploadImages)?;
    upload_page(&state, &staff, &csrf, &UploadFields::default(), Map::new()).await
}

/// The upload body may be as large as the biggest accepted picture plus the form around it.
pub fn upload_body_limit() -> usize {
    ImageLimits::default().max_bytes + 1024 * 1024
}

pub async fn upload(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<Response, WebError> {
    staff.require(Action::UploadImages)?;
    let mut fields = UploadFields::default();
    let mut file = Bytes::new();
    let mut errors = Map::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(error) => {
                errors.insert(
                    "file".into(),
                    format!(
                        "The upload could not be read ({}). Files may be at most {} MB.",
                        error.body_text(),
                        ImageLimits::default().max_bytes / 1_000_000
                    )
                    .into(),
                );
                break;
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        let read = if name == "file" {
            field.bytes().await.map(|bytes| file = bytes)
        } else {
            field.text().await.map(|text| match name.as_str() {
                "alt" => fields.alt = text,
                "caption" => fields.caption = text,
                "credit" => fields.credit = text,
                "source_type" => fields.source_type = text,
                _ => {}
            })
        };
        if let Err(error) = read {
            errors.insert(
                "file".into(),
                format!("The upload could not be read ({}).", error.body_text()).into(),
            );
            break;
        }
    }
    let json = wants_json(&headers);
    if !errors.is_empty() {
        if json {
            return Ok(refused_upload(errors));
        }
        return upload_page(&state, &staff, &csrf, &fields, errors).await;
    }
    let uploaded = library::upload(
        state.ctx(),
        &staff.as_actor(),
        file,
        &fields.words(),
        &ImageLimits::default(),
        None,
        Timestamp::now(),
    )
    .await;
    match uploaded {
        // The editor placing a dropped picture: what it needs to put it in the text.
        Ok(uploaded) if json => Ok((
            StatusCode::CREATED,
            Json(image_view(&uploaded.image, &staff)),
        )
            .into_response()),
        Ok(uploaded) => Ok(Redirect::to(&format!(
            "/newsroom/images/{}?uploaded=1",
            uploaded.image.image.id
        ))
        .into_response()),
        Err(error) => {
            let errors = field_errors(error, "file")?;
            if json {
                return Ok(refused_upload(errors));
            }
            upload_page(&state, &staff, &csrf, &fields, errors).await
        }
    }
}

/// A refused upload for the editor's script: the messages by field, as the form shows them.
fn refused_upload(errors: Map<String, Value>) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({ "errors": errors })),
    )
        .into_response()
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EditForm {
    #[serde(default)]
    alt: String,
    #[serde(default)]
    caption: String,
    #[serde(default)]
    credit: String,
    #[serde(default)]
    source_type: String,
}

impl EditForm {
    fn of(image: &dateline_core::Image) -> Self {
        EditForm {
            alt: image.alt.clone(),
            caption: image.caption.clone().unwrap_or_default(),
            credit: image.credit.clone().unwrap_or_default(),
            source_type: image
                .source_type
                .map(|t| t.code().to_owned())
                .unwrap_or_default(),
        }
    }
}

#[derive(Deserialize, Default)]
pub struct EditQuery {
    #[serde(default)]
    uploaded: Option<u8>,
    #[serde(default)]
    saved: Option<u8>,
}

async fn edit_page(
    state: &AppState,
    staff: &CurrentStaff,
    csrf: &Csrf,
    item: &LibraryImage,
    form: &EditForm,
    errors: Map<String, Value>,
    notice: Option<&str>,
) -> Result<Response, WebError> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let uploader = match item.uploaded_by {
        Some(id) => match state.store().people().staff_by_id(id).await {
            Ok(member) => Some(member.display_name),
            Err(DbError::NotFound) => None,
            Err(error) => return Err(error.into()),
        },
        None => None,
    };
    render(
        state,
        Some(staff),
        csrf,
        "newsroom/image_edit.html",
        status,
        json!({
            "image": image_view(item, staff),
            "uploaded_by": uploader,
            "form": form,
            "errors": errors,
            "notice": notice,
            "source_types": source_type_options(&form.source_type),
        }),
    )
    .await
}

async fn load(state: &AppState, id: i64) -> Result<LibraryImage, WebError> {
    state
        .store()
        .library()
        .library_image(id)
        .await?
        .ok_or(WebError::NotFound)
}

pub async fn edit_form(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(query): Query<EditQuery>,
) -> Result<Response, WebError> {
    staff.require(Action::UseNewsroom)?;
    let item = load(&state, id).await?;
    if wants_json(&headers) {
        return Ok(Json(image_view(&item, &staff)).into_response());
    }
    let notice = if query.uploaded.is_some() {
        Some("Uploaded. Check the source type and the descriptions, then save.")
    } else if query.saved.is_some() {
        Some("Saved.")
    } else {
        None
    };
    let form = EditForm::of(&item.image);
    edit_page(&state, &staff, &csrf, &item, &form, Map::new(), notice).await
}

pub async fn save(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<EditForm>,
) -> Result<Response, WebError> {
    let words = ImageWords {
        alt: form.alt.clone(),
        caption: form.caption.clone(),
        credit: form.credit.clone(),
        source_type: form.source_type.clone(),
    };
    match library::describe(state.ctx(), &staff.as_actor(), id, &words, Timestamp::now()).await {
        Ok(_) => Ok(Redirect::to(&format!("/newsroom/images/{id}?saved=1")).into_response()),
        Err(error) => {
            let errors = field_errors(error, "alt")?;
            let item = load(&state, id).await?;
            edit_page(&state, &staff, &csrf, &item, &form, errors, None).await
        }
    }
}
