//! Narration files for the player and podcast apps: `/audio/<sha256>.mp3|opus|json`.
//!
//! Names follow content, so responses are cacheable forever. They are streamed with byte ranges
//! like every stored file (`objects`).

use axum::extract::{Path, State};
use axum::response::Response;
use http::{HeaderMap, Method};

use crate::AppState;

/// The storage key of a public narration file, or `None` for any other name: paragraph cache
/// entries and everything else in storage stay private.
pub fn audio_key(file: &str) -> Option<(String, &'static str)> {
    let (hash, extension) = file.split_once('.')?;
    let content_type = match extension {
        "mp3" => "audio/mpeg",
        "opus" => "audio/ogg; codecs=opus",
        "json" => "application/json",
        _ => return None,
    };
    let is_hash = hash.len() == 64
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    is_hash.then(|| (format!("audio/{file}"), content_type))
}

/// The public URL of a stored narration file.
pub fn audio_url(key: &str) -> String {
    format!("/{key}")
}

/// `/audio/{file}`: a narration file, streamed with byte ranges (`objects`).
pub async fn audio_file(
    State(state): State<AppState>,
    Path(file): Path<String>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let Some((key, content_type)) = audio_key(&file) else {
        return super::objects::not_found();
    };
    let file = super::objects::PublicFile { key, content_type };
    super::objects::send(&state, &file, &method, &headers).await
}

/// First listens one node queues: a burst of 20, then one every 3 seconds. Each costs a job
/// (at most one per article, the dedup key) and, later, a worker's minute; anonymous readers
/// must not be able to queue the whole archive at once.
const FIRST_LISTEN_BURST: u32 = 20;
const FIRST_LISTEN_EVERY: std::time::Duration = std::time::Duration::from_secs(3);

/// The per-node limit on first listens.
pub(crate) fn first_listen_limiter() -> governor::DefaultDirectRateLimiter {
    let quota = governor::Quota::with_period(FIRST_LISTEN_EVERY)
        .unwrap_or_else(|| governor::Quota::per_second(std::num::NonZeroU32::MIN))
        .allow_burst(
            std::num::NonZeroU32::new(FIRST_LISTEN_BURST).unwrap_or(std::num::NonZeroU32::MIN),
        );
    governor::RateLimiter::direct(quota)
}

/// What the article page shows where the player will be: a button that asks for the audio, or
/// word that it is being prepared.
pub(crate) fn request_view(
    article_id: i64,
    status: Option<dateline_db::AudioStatus>,
) -> serde_json::Value {
    use dateline_db::AudioStatus;
    serde_json::json!({
        "url": format!("/audio/request/{article_id}"),
        "preparing": matches!(status, Some(AudioStatus::Queued | AudioStatus::Generating)),
    })
}

/// `POST /audio/request/{article_id}`: a reader's first listen to a story without audio (an
/// archive story, which the narration budget leaves until someone asks). Queues its narration
/// once, within the node's limit, and sends the reader back to the story, whose page now says
/// the audio is being prepared.
pub async fn request_narration(
    State(state): State<AppState>,
    Path(article_id): Path<String>,
) -> Result<Response, crate::WebError> {
    use axum::response::IntoResponse;
    use dateline_usecases::narration::{FirstListen, request_first_listen};
    let Ok(article_id) = article_id.parse::<i64>() else {
        return Ok(super::objects::not_found());
    };
    let asked = request_first_listen(
        state.ctx(),
        article_id,
        || state.first_listens().check().is_ok(),
        jiff::Timestamp::now(),
    )
    .await;
    let path = match asked {
        Ok(FirstListen::Asked { path }) => path,
        Ok(FirstListen::Limited) => {
            return Ok((
                http::StatusCode::TOO_MANY_REQUESTS,
                [
                    (http::header::RETRY_AFTER, "60"),
                    (http::header::CACHE_CONTROL, "no-store"),
                    (http::header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                ],
                "Many readers asked for audio just now. Please try again in a minute.\n",
            )
                .into_response());
        }
        Err(dateline_usecases::UseCaseError::NotFound) => return Ok(super::objects::not_found()),
        Err(error) => return Err(error.into()),
    };
    Ok(axum::response::Redirect::to(&format!("{path}#listen-heading")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_narration_files_are_public() {
        let hash = "a".repeat(64);
        assert_eq!(
            audio_key(&format!("{hash}.mp3")).map(|k| k.1),
            Some("audio/mpeg")
        );
        assert!(audio_key(&format!("{hash}.pcm")).is_none());
        assert!(audio_key("paragraphs.mp3").is_none());
        assert!(audio_key(&format!("{}.mp3", "A".repeat(64))).is_none());
    }
}
