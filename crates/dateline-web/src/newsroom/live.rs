//! The live desk: `/newsroom/articles/{id}/live`, a screen built for posting fast. One form
//! posts an entry; each entry has edit, pin, key event, delete and correction controls. Every
//! change goes through `dateline_usecases::live` (which checks who may, see there); a refused
//! form comes back with what was typed and the messages beside their fields (422).

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use dateline_core::live::{ENTRIES_PER_PAGE, EntryText, entry_anchor};
use dateline_core::{Action, Refusals, paths};
use dateline_usecases::UseCaseError;
use dateline_usecases::live::{self, EntryDraft};
use http::StatusCode;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Csrf, CurrentStaff, WebError, render};
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct DeskQuery {
    #[serde(default)]
    page: Option<i64>,
}

/// The entry form as typed (checkboxes are present only when ticked).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct EntryForm {
    #[serde(default)]
    headline: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    embed_url: String,
    #[serde(default)]
    image_id: String,
    #[serde(default)]
    key_event: Option<String>,
    #[serde(default)]
    pinned: Option<String>,
    /// The version an edit started from.
    #[serde(default)]
    version: i64,
}

impl EntryForm {
    fn text(&self) -> EntryText {
        EntryText {
            headline: self.headline.clone(),
            body: self.body.clone(),
            embed_url: self.embed_url.clone(),
        }
    }

    /// A blank picture field is none; anything else must be a library image's number.
    fn image(&self) -> Result<Option<i64>, UseCaseError> {
        let text = self.image_id.trim();
        if text.is_empty() {
            return Ok(None);
        }
        text.parse()
            .map(Some)
            .map_err(|_| UseCaseError::refused(dateline_core::LiveRefusal::ImageUnknown))
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct FlagForm {
    /// "1" sets the flag, anything else clears it.
    #[serde(default)]
    on: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    text: String,
}

/// What the desk shows besides the entries: a form to bring back with its messages.
#[derive(Default)]
struct Returned {
    /// `new` or the entry id being edited.
    form_for: Option<i64>,
    form: EntryForm,
    errors: Vec<(String, String)>,
    notice: Option<String>,
}

fn errors(refusals: &Refusals) -> Vec<(String, String)> {
    refusals
        .by_field()
        .into_iter()
        .map(|(field, message)| (field.map_or("form", |f| f.as_str()).to_owned(), message))
        .collect()
}

async fn desk_page(
    state: &AppState,
    staff: &CurrentStaff,
    csrf: &Csrf,
    article_id: i64,
    page_number: i64,
    returned: Returned,
    status: StatusCode,
) -> Result<Response, WebError> {
    let page = state
        .store()
        .articles()
        .article_page(article_id)
        .await?
        .ok_or(WebError::NotFound)?;
    let owns =
        dateline_usecases::articles::owns(state.ctx(), &staff.as_actor(), article_id).await?;
    staff.require_on(Action::RunLiveCoverage, owns)?;
    let article = &page.article;
    let shown = state
        .store()
        .live()
        .page(article_id, page_number.max(1))
        .await?;
    let pages = ((shown.total + ENTRIES_PER_PAGE - 1) / ENTRIES_PER_PAGE).max(1);
    let entries: Vec<Value> = shown
        .pinned
        .iter()
        .chain(&shown.entries)
        .map(|entry| {
            let editing = returned.form_for == Some(entry.id);
            let form = if editing {
                returned.form.clone()
            } else {
                EntryForm {
                    headline: entry.headline.clone().unwrap_or_default(),
                    body: entry.body.clone(),
                    embed_url: entry.embed_url.clone().unwrap_or_default(),
                    image_id: entry.image_id.map(|id| id.to_string()).unwrap_or_default(),
                    key_event: None,
                    pinned: None,
                    version: entry.version,
                }
            };
            json!({
                "id": entry.id,
                "anchor": entry_anchor(entry.id),
                "posted_at": entry.posted_at.to_string(),
                "byline": entry.byline.name,
                "pinned": entry.pinned,
                "key_event": entry.key_event,
                "notes": entry.notes.iter().map(|n| json!({"label": n.kind.label(), "text": n.text})).collect::<Vec<_>>(),
                "form": form_value(&form),
                "errors": if editing { error_map(&returned.errors) } else { json!({}) },
            })
        })
        .collect();
    let new_form = if returned.form_for.is_none() {
        returned.form.clone()
    } else {
        EntryForm::default()
    };
    let path = paths::article(&page.section.slug, &article.slug);
    render(
        state,
        Some(staff),
        csrf,
        "newsroom/live.html",
        status,
        json!({
            "article": {
                "id": article.id,
                "headline": article.headline,
                "url": path,
                "live": article.is_live(),
                "running": article.is_live_now(),
                "ended": article.coverage_end().map(|t| t.to_string()),
                "published": article.status == dateline_core::ArticleStatus::Published,
            },
            "entries": entries,
            "new_form": form_value(&new_form),
            "new_errors": if returned.form_for.is_none() { error_map(&returned.errors) } else { json!({}) },
            "notice": returned.notice,
            "page": page_number.max(1),
            "pages": pages,
            "events_url": paths::live_events(article.id),
            "newest_id": shown.newest_id,
        }),
    )
    .await
}

fn form_value(form: &EntryForm) -> Value {
    json!({
        "headline": form.headline,
        "body": form.body,
        "embed_url": form.embed_url,
        "image_id": form.image_id,
        "key_event": form.key_event.is_some(),
        "pinned": form.pinned.is_some(),
        "version": form.version,
    })
}

fn error_map(errors: &[(String, String)]) -> Value {
    let mut map = serde_json::Map::new();
    for (field, message) in errors {
        map.entry(field.clone())
            .and_modify(|existing| {
                if let Value::String(text) = existing {
                    text.push(' ');
                    text.push_str(message);
                }
            })
            .or_insert_with(|| Value::String(message.clone()));
    }
    Value::Object(map)
}

fn back_to_desk(article_id: i64, entry_id: Option<i64>) -> Response {
    let anchor = entry_id
        .map(|id| format!("#{}", entry_anchor(id)))
        .unwrap_or_default();
    Redirect::to(&format!("/newsroom/articles/{article_id}/live{anchor}")).into_response()
}

pub async fn desk(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(article_id): Path<i64>,
    Query(query): Query<DeskQuery>,
) -> Result<Response, WebError> {
    desk_page(
        &state,
        &staff,
        &csrf,
        article_id,
        query.page.unwrap_or(1),
        Returned::default(),
        StatusCode::OK,
    )
    .await
}

/// Answers a refused change with the desk and the form as typed; anything else goes up.
async fn refused_or(
    state: &AppState,
    staff: &CurrentStaff,
    csrf: &Csrf,
    article_id: i64,
    error: UseCaseError,
    returned: impl FnOnce(Vec<(String, String)>) -> Returned,
) -> Result<Response, WebError> {
    match error {
        UseCaseError::Refused(refusals) => {
            desk_page(
                state,
                staff,
                csrf,
                article_id,
                1,
                returned(errors(&refusals)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        UseCaseError::Conflict { .. } => {
            desk_page(
                state,
                staff,
                csrf,
                article_id,
                1,
                returned(vec![(
                    "form".to_owned(),
                    "Someone changed this entry since you opened it; your text is below, the \
                     entry shows theirs."
                        .to_owned(),
                )]),
                StatusCode::CONFLICT,
            )
            .await
        }
        other => Err(other.into()),
    }
}

pub async fn post_entry(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(article_id): Path<i64>,
    axum::Form(form): axum::Form<EntryForm>,
) -> Result<Response, WebError> {
    let posted = match form.image() {
        Ok(image_id) => {
            let draft = EntryDraft {
                text: form.text(),
                image_id,
                key_event: form.key_event.is_some(),
                pinned: form.pinned.is_some(),
            };
            live::post(
                state.ctx(),
                &staff.as_actor(),
                article_id,
                &draft,
                Timestamp::now(),
            )
            .await
        }
        Err(error) => Err(error),
    };
    match posted {
        Ok(entry) => Ok(back_to_desk(article_id, Some(entry.id))),
        Err(error) => {
            refused_or(&state, &staff, &csrf, article_id, error, |errors| {
                Returned {
                    form_for: None,
                    form,
                    errors,
                    notice: None,
                }
            })
            .await
        }
    }
}

/// The live article an entry belongs to, for answering on its desk.
async fn article_of(state: &AppState, entry_id: i64) -> Result<i64, WebError> {
    Ok(state
        .store()
        .live()
        .entry(entry_id)
        .await?
        .ok_or(WebError::NotFound)?
        .article_id)
}

pub async fn edit_entry(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(entry_id): Path<i64>,
    axum::Form(form): axum::Form<EntryForm>,
) -> Result<Response, WebError> {
    let article_id = article_of(&state, entry_id).await?;
    let edited = match form.image() {
        Ok(image_id) => {
            live::edit(
                state.ctx(),
                &staff.as_actor(),
                entry_id,
                form.version,
                &form.text(),
                image_id,
                Timestamp::now(),
            )
            .await
        }
        Err(error) => Err(error),
    };
    let mut form = form;
    if let Err(UseCaseError::Conflict { current_version }) = &edited {
        // Saving again is then a deliberate overwrite of what the journalist has now seen.
        form.version = *current_version;
    }
    match edited {
        Ok(_) => Ok(back_to_desk(article_id, Some(entry_id))),
        Err(error) => {
            refused_or(&state, &staff, &csrf, article_id, error, |errors| {
                Returned {
                    form_for: Some(entry_id),
                    form,
                    errors,
                    notice: None,
                }
            })
            .await
        }
    }
}

/// Pin, key event and delete: buttons whose refusals (the pinned limit, ended coverage) come
/// back as a notice on the desk.
async fn flag_change(
    state: &AppState,
    staff: &CurrentStaff,
    csrf: &Csrf,
    entry_id: i64,
    change: Result<(), UseCaseError>,
) -> Result<Response, WebError> {
    let article_id = article_of(state, entry_id).await;
    match (change, article_id) {
        (Ok(()), Ok(article_id)) => Ok(back_to_desk(article_id, Some(entry_id))),
        (Ok(()), Err(_)) => Ok(Redirect::to("/newsroom/articles").into_response()),
        (Err(error), Ok(article_id)) => {
            refused_or(state, staff, csrf, article_id, error, |errors| Returned {
                notice: Some(
                    errors
                        .into_iter()
                        .map(|(_, message)| message)
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
                ..Returned::default()
            })
            .await
        }
        (Err(error), Err(_)) => Err(error.into()),
    }
}

pub async fn pin_entry(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(entry_id): Path<i64>,
    axum::Form(form): axum::Form<FlagForm>,
) -> Result<Response, WebError> {
    let change = live::pin(
        state.ctx(),
        &staff.as_actor(),
        entry_id,
        form.on == "1",
        Timestamp::now(),
    )
    .await
    .map(|_| ());
    flag_change(&state, &staff, &csrf, entry_id, change).await
}

pub async fn key_event_entry(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(entry_id): Path<i64>,
    axum::Form(form): axum::Form<FlagForm>,
) -> Result<Response, WebError> {
    let change = live::mark_key_event(
        state.ctx(),
        &staff.as_actor(),
        entry_id,
        form.on == "1",
        Timestamp::now(),
    )
    .await
    .map(|_| ());
    flag_change(&state, &staff, &csrf, entry_id, change).await
}

pub async fn delete_entry(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(entry_id): Path<i64>,
) -> Result<Response, WebError> {
    let article_id = article_of(&state, entry_id).await?;
    match live::delete(state.ctx(), &staff.as_actor(), entry_id, Timestamp::now()).await {
        Ok(()) => Ok(back_to_desk(article_id, None)),
        Err(error) => flag_change(&state, &staff, &csrf, entry_id, Err(error)).await,
    }
}

pub async fn correct_entry(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(entry_id): Path<i64>,
    axum::Form(form): axum::Form<NoteForm>,
) -> Result<Response, WebError> {
    let change = live::correct(
        state.ctx(),
        &staff.as_actor(),
        entry_id,
        &form.kind,
        &form.text,
        Timestamp::now(),
    )
    .await
    .map(|_| ());
    flag_change(&state, &staff, &csrf, entry_id, change).await
}

/// Starts (`start`) or ends (`end`) the coverage.
pub async fn coverage(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path((article_id, what)): Path<(i64, String)>,
) -> Result<Response, WebError> {
    let actor = staff.as_actor();
    let changed = match what.as_str() {
        "start" => live::start(state.ctx(), &actor, article_id, Timestamp::now()).await,
        "end" => live::end(state.ctx(), &actor, article_id, Timestamp::now()).await,
        _ => return Err(WebError::NotFound),
    };
    match changed {
        Ok(_) => Ok(back_to_desk(article_id, None)),
        Err(error) => {
            refused_or(&state, &staff, &csrf, article_id, error, |errors| {
                Returned {
                    notice: Some(
                        errors
                            .into_iter()
                            .map(|(_, message)| message)
                            .collect::<Vec<_>>()
                            .join(" "),
                    ),
                    ..Returned::default()
                }
            })
            .await
        }
    }
}
