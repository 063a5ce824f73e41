//! Narration in the newsroom: an article's audio (status, listen, regenerate, opt out), the
//! voices for the site and each section, the pronunciation lexicon and the backfill.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use dateline_core::Action;
use dateline_core::narration::Pronunciation;
use dateline_db::{ArticleAudio, AudioStatus, DbError, NARRATION_VOICES};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Csrf, CurrentStaff, NewsroomError, render};
use crate::{AppState, WebError};

/// What the article editor shows about the article's audio.
pub(super) fn audio_panel(audio: Option<&ArticleAudio>, may_manage: bool) -> Value {
    let Some(audio) = audio else {
        return json!({ "status": "none", "label": "Not narrated (narration starts when the article is published)", "may_manage": may_manage });
    };
    let label = match audio.status {
        AudioStatus::Queued => "Queued",
        AudioStatus::Generating => "Generating",
        AudioStatus::Ready => "Ready",
        AudioStatus::Fallback => {
            "Ready — fallback voice (replaced when the neural voice is installed)"
        }
        AudioStatus::Failed => "Failed",
        AudioStatus::OptedOut => "Opted out: no audio on the site",
    };
    let files = audio.files.as_ref().map(|files| {
        json!({
            "mp3_url": crate::public::audio_url(&files.mp3_key),
            "duration": crate::views::minutes_seconds((files.duration_ms + 500) / 1000),
            "voice": files.voice,
            "fallback": files.is_fallback,
        })
    });
    json!({
        "status": audio.status.as_str(),
        "label": label,
        "reason": audio.reason,
        "opted_out": audio.opted_out,
        "files": files,
        "synthesised": audio.run.synthesised_paragraphs,
        "reused": audio.run.reused_paragraphs,
        "may_manage": may_manage,
    })
}

#[derive(Debug, Deserialize)]
pub struct AudioForm {
    #[serde(default)]
    intent: String,
}

/// Regenerate, opt out or opt back in, from the article editor.
pub async fn article_audio(
    State(state): State<AppState>,
    staff: CurrentStaff,
    Path(id): Path<i64>,
    Form(form): Form<AudioForm>,
) -> Result<Response, NewsroomError> {
    let store = state.store();
    store
        .article(id)
        .await?
        .ok_or(NewsroomError::Web(WebError::NotFound))?;
    let owns = store
        .staff_owns_article(id, super::articles::owner(&staff))
        .await?;
    staff.require_on(Action::NarrateArticle, owns)?;
    let actor = staff.actor();
    match form.intent.as_str() {
        "regenerate" => {
            store.queue_narration(id, &actor).await?;
        }
        "opt_out" => store.set_narration_opt_out(id, true, &actor).await?,
        "opt_in" => store.set_narration_opt_out(id, false, &actor).await?,
        _ => return Ok((StatusCode::BAD_REQUEST, "Unknown audio action").into_response()),
    }
    Ok(Redirect::to(&format!("/newsroom/articles/{id}/edit#audio")).into_response())
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LexiconForm {
    #[serde(default)]
    word: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    value: String,
}

pub async fn settings(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
) -> Result<Response, NewsroomError> {
    staff.require(Action::ManageNarration)?;
    settings_page(
        &state,
        &staff,
        &csrf,
        &LexiconForm::default(),
        None,
        None,
        StatusCode::OK,
    )
    .await
}

async fn settings_page(
    state: &AppState,
    staff: &CurrentStaff,
    csrf: &Csrf,
    form: &LexiconForm,
    error: Option<String>,
    notice: Option<&str>,
    status: StatusCode,
) -> Result<Response, NewsroomError> {
    let store = state.store();
    let voices: Vec<Value> = NARRATION_VOICES
        .iter()
        .map(|(code, label)| json!({ "code": code, "label": label }))
        .collect();
    let section_voices = store.section_voices().await?;
    let sections: Vec<Value> = store
        .sections()
        .await?
        .into_iter()
        .map(|section| {
            let voice = section_voices
                .iter()
                .find(|(id, _)| *id == section.id)
                .and_then(|(_, voice)| voice.clone());
            json!({ "id": section.id, "name": section.name, "voice": voice })
        })
        .collect();
    let lexicon: Vec<Value> = store
        .pronunciations()
        .await?
        .into_iter()
        .map(|(word, pronunciation)| match pronunciation {
            Pronunciation::Ipa(ipa) => json!({ "word": word, "kind": "IPA", "value": ipa }),
            Pronunciation::Respelling(text) => {
                json!({ "word": word, "kind": "Respelling", "value": text })
            }
        })
        .collect();
    let progress = store.narration_progress().await?;
    let total: i64 = progress.iter().map(|(_, n)| n).sum();
    let done: i64 = progress
        .iter()
        .filter(|(status, _)| matches!(status.as_str(), "ready" | "fallback" | "opted_out"))
        .map(|(_, n)| n)
        .sum();
    let context = json!({
        "voices": voices,
        "site_voice": store.site_voice().await?,
        "sections": sections,
        "lexicon": lexicon,
        "form": form,
        "error": error,
        "notice": notice,
        "progress": {
            "total": total,
            "done": done,
            "counts": progress.iter().map(|(s, n)| json!({ "status": s, "count": n })).collect::<Vec<_>>(),
        },
    });
    render(
        state,
        Some(staff),
        csrf,
        "newsroom/narration.html",
        status,
        context,
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct VoiceForm {
    #[serde(default)]
    voice: String,
}

pub async fn site_voice(
    State(state): State<AppState>,
    staff: CurrentStaff,
    Form(form): Form<VoiceForm>,
) -> Result<Response, NewsroomError> {
    staff.require(Action::ManageNarration)?;
    match state
        .store()
        .set_site_voice(&form.voice, &staff.actor())
        .await
    {
        Ok(()) | Err(DbError::Invalid(_)) => {
            Ok(Redirect::to("/newsroom/narration").into_response())
        }
        Err(error) => Err(error.into()),
    }
}

pub async fn section_voice(
    State(state): State<AppState>,
    staff: CurrentStaff,
    Path(id): Path<i64>,
    Form(form): Form<VoiceForm>,
) -> Result<Response, NewsroomError> {
    staff.require(Action::ManageNarration)?;
    let voice = Some(form.voice.as_str()).filter(|v| !v.is_empty());
    match state
        .store()
        .set_section_voice(id, voice, &staff.actor())
        .await
    {
        Ok(()) | Err(DbError::Invalid(_)) => {
            Ok(Redirect::to("/newsroom/narration").into_response())
        }
        Err(DbError::NotFound) => Err(NewsroomError::Web(WebError::NotFound)),
        Err(error) => Err(error.into()),
    }
}

pub async fn save_pronunciation(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Form(form): Form<LexiconForm>,
) -> Result<Response, NewsroomError> {
    staff.require(Action::ManageNarration)?;
    let pronunciation = match form.kind.as_str() {
        "ipa" => Pronunciation::Ipa(form.value.clone()),
        _ => Pronunciation::Respelling(form.value.clone()),
    };
    match state
        .store()
        .save_pronunciation(&form.word, &pronunciation, &staff.actor())
        .await
    {
        Ok(()) => {
            settings_page(
                &state,
                &staff,
                &csrf,
                &LexiconForm::default(),
                None,
                Some("Pronunciation saved. Regenerate the articles that use the word to hear it."),
                StatusCode::OK,
            )
            .await
        }
        Err(DbError::Invalid(message)) => {
            settings_page(
                &state,
                &staff,
                &csrf,
                &form,
                Some(message),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(error) => Err(error.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct WordForm {
    #[serde(default)]
    word: String,
}

pub async fn delete_pronunciation(
    State(state): State<AppState>,
    staff: CurrentStaff,
    Form(form): Form<WordForm>,
) -> Result<Response, NewsroomError> {
    staff.require(Action::ManageNarration)?;
    match state
        .store()
        .delete_pronunciation(&form.word, &staff.actor())
        .await
    {
        Ok(()) | Err(DbError::NotFound) => Ok(Redirect::to("/newsroom/narration").into_response()),
        Err(error) => Err(error.into()),
    }
}

/// The backfill: every published article queued again (changed paragraphs only are spoken anew).
pub async fn regenerate_all(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
) -> Result<Response, NewsroomError> {
    staff.require(Action::ManageNarration)?;
    let queued = state.store().queue_all_narration(false).await?;
    let entry = dateline_db::AuditEntry {
        actor: staff.actor(),
        action: "narration.regenerate_all".to_owned(),
        subject_kind: "settings".to_owned(),
        subject_id: None,
        detail: format!("{queued} articles queued"),
    };
    state
        .store()
        .append_audit(&entry, jiff::Timestamp::now())
        .await?;
    let notice = format!("{queued} articles queued for narration.");
    settings_page(
        &state,
        &staff,
        &csrf,
        &LexiconForm::default(),
        None,
        Some(&notice),
        StatusCode::OK,
    )
    .await
}
