//! The tips inbox: editors unlock their identity for the session, then read, answer, triage and
//! resolve tips. The server holds public keys only until an editor unlocks: the passphrase opens
//! the identity copy kept in the database, and the opened key lives in this node's memory, tied
//! to the session (see `crate::tips::TipsState`). Every view, download and decision is written to
//! the tip's history and the audit log.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use dateline_core::{Action, Role, TipKind, TipResolution, TipStatus};
use dateline_db::Tip;
use dateline_tips::EditorIdentity;
use dateline_usecases::{UseCaseError, tips};
use http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use http::{HeaderValue, StatusCode};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Csrf, CurrentStaff, render};
use crate::views::Clock;
use crate::{AppState, WebError};

#[derive(Deserialize, Default)]
pub struct InboxQuery {
    status: Option<String>,
}

fn crypto_error(error: impl std::fmt::Display) -> WebError {
    WebError::Internal(error.to_string())
}

async fn clock(state: &AppState) -> Result<Clock, WebError> {
    Ok(Clock::for_settings(&state.store().site().settings().await?))
}

pub async fn inbox(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Query(query): Query<InboxQuery>,
) -> Result<Response, WebError> {
    staff.require(Action::TriageTips)?;
    inbox_page(
        &state,
        &staff,
        &csrf,
        query.status.as_deref(),
        None,
        StatusCode::OK,
    )
    .await
}

async fn inbox_page(
    state: &AppState,
    staff: &CurrentStaff,
    csrf: &Csrf,
    status: Option<&str>,
    unlock_error: Option<String>,
    code: StatusCode,
) -> Result<Response, WebError> {
    let filter = status.and_then(TipStatus::parse);
    let clock = clock(state).await?;
    let tips = state.store().tips().list(filter).await?;
    let names = staff_names(state).await?;
    let rows: Vec<Value> = tips
        .iter()
        .map(|tip| {
            json!({
                "id": tip.id,
                "url": format!("/newsroom/tips/{}", tip.id),
                "received": clock.time(tip.received_at),
                "kind": tip.kind.label(),
                "status": status_label(tip),
                "assignee": tip.assignee_staff_id.and_then(|id| names.iter().find(|(i, _)| *i == id).map(|(_, n)| n.clone())),
                "attachments": tip.attachment_count,
            })
        })
        .collect();
    let filters: Vec<Value> = TipStatus::ALL
        .iter()
        .map(|s| {
            json!({
                "value": s.as_str(),
                "label": s.label(),
                "current": Some(*s) == filter,
            })
        })
        .collect();
    let my_keys = state.store().tips().recipients_of(staff.member.id).await?;
    let recipients = state.store().tips().recipients().await?;
    render(
        state,
        Some(staff),
        csrf,
        "newsroom/tips.html",
        code,
        json!({
            "tips": rows,
            "filters": filters,
            "all_current": filter.is_none(),
            "unlocked": unlocked(state, staff).await?.is_some(),
            "can_unlock": my_keys.iter().any(|k| k.wrapped_identity.is_some()),
            "set_up": !recipients.is_empty(),
            "unlock_error": unlock_error,
        }),
    )
    .await
}

fn status_label(tip: &Tip) -> String {
    match tip.resolution {
        Some(resolution) => format!("{}: {}", tip.status.label(), resolution.label()),
        None => tip.status.label().to_owned(),
    }
}

async fn staff_names(state: &AppState) -> Result<Vec<(i64, String)>, WebError> {
    Ok(state
        .store()
        .people()
        .staff_members()
        .await?
        .into_iter()
        .map(|m| (m.id, m.display_name))
        .collect())
}

#[derive(Deserialize)]
pub struct UnlockForm {
    #[serde(default)]
    passphrase: String,
}

pub async fn unlock(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Form(form): Form<UnlockForm>,
) -> Result<Response, WebError> {
    staff.require(Action::TriageTips)?;
    let wrapped: Vec<Vec<u8>> = state
        .store()
        .tips()
        .recipients_of(staff.member.id)
        .await?
        .into_iter()
        .filter_map(|key| key.wrapped_identity)
        .collect();
    if wrapped.is_empty() {
        let message = "You have no tips key in the newsroom yet. Create one with \
             `dateline tips keygen --email <your email> --store-passphrase`."
            .to_owned();
        return inbox_page(
            &state,
            &staff,
            &csrf,
            None,
            Some(message),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    let passphrase = form.passphrase;
    // scrypt is slow on purpose: off the async threads. Older keys open with the same
    // passphrase when it was not changed; those that do not are skipped.
    let identities = tokio::task::spawn_blocking(move || {
        wrapped
            .iter()
            .filter_map(|w| dateline_tips::unwrap_identity(w, &passphrase).ok())
            .collect::<Vec<EditorIdentity>>()
    })
    .await
    .map_err(WebError::from)?;
    if identities.is_empty() {
        return inbox_page(
            &state,
            &staff,
            &csrf,
            None,
            Some("That passphrase does not open your tips key.".to_owned()),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    state
        .tips()
        .unlock(
            state.ctx(),
            &staff.as_actor(),
            staff.session_id,
            &staff.session_token,
            identities,
        )
        .await?;
    Ok(Redirect::to("/newsroom/tips").into_response())
}

pub async fn lock(
    State(state): State<AppState>,
    staff: CurrentStaff,
) -> Result<Response, WebError> {
    staff.require(Action::TriageTips)?;
    state.tips().lock(state.ctx(), staff.session_id).await?;
    Ok(Redirect::to("/newsroom/tips").into_response())
}

/// The identities this session unlocked, or the refusal to show instead.
async fn unlocked(
    state: &AppState,
    staff: &CurrentStaff,
) -> Result<Option<Vec<EditorIdentity>>, WebError> {
    state
        .tips()
        .unlocked(state.ctx(), staff.session_id, &staff.session_token)
        .await
}

fn read(identities: &[EditorIdentity], ciphertext: &[u8]) -> Option<String> {
    dateline_tips::decrypt(identities, ciphertext)
        .ok()
        .map(|plain| String::from_utf8_lossy(&plain).into_owned())
}

async fn load_tip(state: &AppState, id: i64) -> Result<Tip, WebError> {
    state
        .store()
        .tips()
        .by_id(id)
        .await?
        .ok_or(WebError::NotFound)
}

pub async fn show(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    staff.require(Action::TriageTips)?;
    tip_page(&state, &staff, &csrf, id, None, StatusCode::OK).await
}

async fn tip_page(
    state: &AppState,
    staff: &CurrentStaff,
    csrf: &Csrf,
    id: i64,
    error: Option<String>,
    code: StatusCode,
) -> Result<Response, WebError> {
    let tip = load_tip(state, id).await?;
    let clock = clock(state).await?;
    let identities = unlocked(state, staff).await?;
    let store = state.store();
    let article = match tip.article_id {
        Some(article_id) => store.articles().by_id(article_id).await?.map(|a| {
            json!({ "id": a.id, "headline": a.headline, "edit_url": format!("/newsroom/articles/{}/edit", a.id) })
        }),
        None => None,
    };
    let members = store.people().staff_members().await?;
    let assignees: Vec<Value> = members
        .iter()
        .filter(|m| m.disabled_at.is_none() && m.role >= Role::Editor)
        .map(|m| {
            json!({
                "id": m.id,
                "name": m.display_name,
                "selected": Some(m.id) == tip.assignee_staff_id,
            })
        })
        .collect();
    let mut content = Value::Null;
    if let Some(identities) = &identities {
        let attachments: Vec<Value> = store
            .tips()
            .attachments(tip.id)
            .await?
            .iter()
            .map(|a| {
                let description: Value = read(identities, &a.description)
                    .and_then(|text| serde_json::from_str(&text).ok())
                    .unwrap_or(Value::Null);
                json!({
                    "name": description["name"].as_str().unwrap_or("(unreadable name)"),
                    "type": description["type"].as_str().unwrap_or(""),
                    "size_kb": (a.size + 1023) / 1024,
                    "url": format!("/newsroom/tips/{}/attachments/{}", tip.id, a.id),
                })
            })
            .collect();
        let notes: Vec<Value> = store
            .tips()
            .notes(tip.id)
            .await?
            .iter()
            .map(|n| {
                json!({
                    "by": n.staff_name,
                    "at": clock.time(n.written_at),
                    "text": read(identities, &n.body),
                })
            })
            .collect();
        content = json!({
            "message": read(identities, &tip.message),
            "contact": tip.contact.as_deref().and_then(|c| read(identities, c)),
            "attachments": attachments,
            "notes": notes,
            "conversation": crate::public::conversation(state, tip.id, identities, "Source").await?,
        });
        tips::record_view(state.ctx(), &staff.as_actor(), tip.id, Timestamp::now()).await?;
    }
    let history: Vec<Value> = store
        .tips()
        .events(tip.id)
        .await?
        .iter()
        .map(|e| {
            json!({
                "at": clock.time(e.at),
                "who": e.actor_name,
                "what": e.detail,
            })
        })
        .collect();
    let statuses: Vec<Value> = TipStatus::ALL
        .iter()
        .filter(|s| **s != TipStatus::Resolved)
        .map(|s| json!({ "value": s.as_str(), "label": s.label(), "selected": *s == tip.status }))
        .chain(TipResolution::ALL.iter().map(|r| {
            json!({
                "value": format!("resolved:{}", r.as_str()),
                "label": format!("Resolved: {}", r.label()),
                "selected": tip.resolution == Some(*r),
            })
        }))
        .collect();
    let correction_url = match (tip.kind, tip.article_id) {
        (TipKind::Correction, Some(article_id)) if tip.correction_note_id.is_none() => {
            Some(format!(
                "/newsroom/articles/{article_id}/edit?tip={}#notes-heading",
                tip.id
            ))
        }
        _ => None,
    };
    render(
        state,
        Some(staff),
        csrf,
        "newsroom/tip.html",
        code,
        json!({
            "tip": {
                "id": tip.id,
                "received": clock.time(tip.received_at),
                "kind": tip.kind.label(),
                "status": status_label(&tip),
                "article": article,
                "correction_note_id": tip.correction_note_id,
            },
            "content": content,
            "unlocked": identities.is_some(),
            "history": history,
            "statuses": statuses,
            "assignees": assignees,
            "correction_url": correction_url,
            "error": error,
        }),
    )
    .await
}

pub async fn download(
    State(state): State<AppState>,
    staff: CurrentStaff,
    Path((id, attachment_id)): Path<(i64, i64)>,
) -> Result<Response, WebError> {
    staff.require(Action::TriageTips)?;
    let Some(identities) = unlocked(&state, &staff).await? else {
        return Err(WebError::Forbidden(
            "Unlock your tips key in the inbox first.".to_owned(),
        ));
    };
    let attachment = state
        .store()
        .tips()
        .attachments(id)
        .await?
        .into_iter()
        .find(|a| a.id == attachment_id)
        .ok_or(WebError::NotFound)?;
    let ciphertext = state
        .media()
        .get(&attachment.object_key)
        .await
        .map_err(WebError::from)?
        .ok_or(WebError::NotFound)?;
    let description: Value = read(&identities, &attachment.description)
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(Value::Null);
    let plain = dateline_tips::decrypt(&identities, &ciphertext).map_err(crypto_error)?;
    tips::record_download(
        state.ctx(),
        &staff.as_actor(),
        id,
        attachment.position,
        Timestamp::now(),
    )
    .await?;
    // The original bytes, never rendered inline: the browser saves them.
    let name: String = description["name"]
        .as_str()
        .unwrap_or("attachment")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    let disposition = format!(
        "attachment; filename=\"{}\"",
        if name.is_empty() { "attachment" } else { &name }
    );
    let mut response = plain.to_vec().into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        response.headers_mut().insert(CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

#[derive(Deserialize)]
pub struct TextForm {
    #[serde(default)]
    text: String,
}

/// What a change of the desk's came to: back to the tip, or the tip's page with the refusal
/// beside what was asked (a tip that does not exist is the 404).
async fn after(
    state: &AppState,
    staff: &CurrentStaff,
    csrf: &Csrf,
    id: i64,
    done: Result<(), UseCaseError>,
) -> Result<Response, WebError> {
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/newsroom/tips/{id}")).into_response()),
        Err(UseCaseError::Refused(refusals)) => {
            tip_page(
                state,
                staff,
                csrf,
                id,
                Some(refusals.to_string()),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(UseCaseError::NotFound) => Err(WebError::NotFound),
        Err(error) => Err(error.into()),
    }
}

pub async fn reply(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(id): Path<i64>,
    Form(form): Form<TextForm>,
) -> Result<Response, WebError> {
    let replied = tips::reply(
        state.ctx(),
        &staff.as_actor(),
        id,
        &form.text,
        Timestamp::now(),
    )
    .await;
    after(&state, &staff, &csrf, id, replied).await
}

pub async fn add_note(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(id): Path<i64>,
    Form(form): Form<TextForm>,
) -> Result<Response, WebError> {
    let noted = tips::add_note(
        state.ctx(),
        &staff.as_actor(),
        id,
        &form.text,
        Timestamp::now(),
    )
    .await;
    after(&state, &staff, &csrf, id, noted).await
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    status: String,
}

pub async fn change_status(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(id): Path<i64>,
    Form(form): Form<StatusForm>,
) -> Result<Response, WebError> {
    let changed = tips::set_status(
        state.ctx(),
        &staff.as_actor(),
        id,
        &form.status,
        Timestamp::now(),
    )
    .await
    .map(|_| ());
    after(&state, &staff, &csrf, id, changed).await
}

#[derive(Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    assignee: String,
}

pub async fn assign(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(id): Path<i64>,
    Form(form): Form<AssignForm>,
) -> Result<Response, WebError> {
    let assigned = tips::assign(
        state.ctx(),
        &staff.as_actor(),
        id,
        &form.assignee,
        Timestamp::now(),
    )
    .await;
    after(&state, &staff, &csrf, id, assigned).await
}

pub async fn delete_spam(
    State(state): State<AppState>,
    staff: CurrentStaff,
) -> Result<Response, WebError> {
    tips::delete_spam(state.ctx(), &staff.as_actor(), Timestamp::now()).await?;
    Ok(Redirect::to("/newsroom/tips").into_response())
}
