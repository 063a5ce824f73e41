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
