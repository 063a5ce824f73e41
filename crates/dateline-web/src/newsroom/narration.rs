//! Narration in the newsroom: an article's audio (status, listen, regenerate, opt out), the
//! voices for the site and each section, the pronunciation lexicon and the backfill.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use dateline_core::Action;
use dateline_core::narration::{NARRATION_VOICES, Pronunciation};
use dateline_db::{ArticleAudio, AudioStatus};
use dateline_usecases::{UseCaseError, narration};
use http::StatusCode;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Csrf, CurrentStaff, WebError, render};
use crate::AppState;

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
) -> Result<Response, WebError> {
    let (ctx, actor, now) = (state.ctx(), staff.as_actor(), Timestamp::now());
    match form.intent.as_str() {
        "regenerate" => {
            narration::regenerate(ctx, &actor, id, now).await?;
        }
        "opt_out" => narration::set_opt_out(ctx, &actor, id, true, now).await?,
        "opt_in" => narration::set_opt_out(ctx, &actor, id, false, now).await?,
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
) -> Result<Response, WebError> {
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
) -> Result<Response, WebError> {
    let store = state.store();
    let voices: Vec<Value> = NARRATION_VOICES
        .iter()
        .map(|(code, label)| json!({ "code": code, "label": label }))
        .collect();
    let section_voices = store.narration().section_voices().await?;
    let sections: Vec<Value> = store
        .site()
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
        .narration()
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
    let progress = store.narration().progress().await?;
    let total: i64 = progress.iter().map(|(_, n)| n).sum();
    let done: i64 = progress
        .iter()
        .filter(|(status, _)| matches!(status.as_str(), "ready" | "fallback" | "opted_out"))
        .map(|(_, n)| n)
        .sum();
    let context = json!({
        "voices": voices,
        "site_voice": store.narration().site_voice().await?,
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
    csrf: Csrf,
    Form(form): Form<VoiceForm>,
) -> Result<Response, WebError> {
    let result = narration::set_site_voice(
        state.ctx(),
        &staff.as_actor(),
        &form.voice,
        Timestamp::now(),
    )
    .await;
    after_voice(&state, &staff, &csrf, result).await
}

pub async fn section_voice(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(id): Path<i64>,
    Form(form): Form<VoiceForm>,
) -> Result<Response, WebError> {
    let result = narration::set_section_voice(
        state.ctx(),
        &staff.as_actor(),
        id,
        Some(form.voice.as_str()),
        Timestamp::now(),
    )
    .await;
    after_voice(&state, &staff, &csrf, result).await
}

/// Back to the narration settings, or the page again with the refusal (a voice the list does
/// not offer comes only from a hand-made request, but it is told, not ignored).
async fn after_voice(
    state: &AppState,
    staff: &CurrentStaff,
    csrf: &Csrf,
    result: Result<(), UseCaseError>,
) -> Result<Response, WebError> {
    match result {
        Ok(()) => Ok(Redirect::to("/newsroom/narration").into_response()),
        Err(UseCaseError::Refused(refusals)) => {
            settings_page(
                state,
                staff,
                csrf,
                &LexiconForm::default(),
                Some(refusals.to_string()),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(error) => Err(error.into()),
    }
}

pub async fn save_pronunciation(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Form(form): Form<LexiconForm>,
) -> Result<Response, WebError> {
    let pronunciation = match form.kind.as_str() {
        "ipa" => Pronunciation::Ipa(form.value.clone()),
        _ => Pronunciation::Respelling(form.value.clone()),
    };
    match narration::save_pronunciation(
        state.ctx(),
        &staff.as_actor(),
        &form.word,
        &pronunciation,
        Timestamp::now(),
    )
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
        Err(UseCaseError::Refused(refusals)) => {
            settings_page(
                &state,
                &staff,
                &csrf,
                &form,
                Some(refusals.to_string()),
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
) -> Result<Response, WebError> {
    match narration::delete_pronunciation(
        state.ctx(),
        &staff.as_actor(),
        &form.word,
        Timestamp::now(),
    )
    .await
    {
        // Gone already (a second click): what was asked for holds.
        Ok(()) | Err(UseCaseError::NotFound) => {
            Ok(Redirect::to("/newsroom/narration").into_response())
        }
        Err(error) => Err(error.into()),
    }
}

/// The backfill: every published article queued again (changed paragraphs only are spoken anew).
pub async fn regenerate_all(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
) -> Result<Response, WebError> {
    let queued =
        narration::regenerate_all(state.ctx(), &staff.as_actor(), Timestamp::now()).await?;
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
