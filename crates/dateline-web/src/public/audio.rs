//! Narration files for the player and podcast apps: `/audio/<sha256>.mp3|opus|json`.
//!
//! Names follow content, so responses are cacheable forever. Players seek with byte ranges
//! (RFC 9110 §14), which Safari and podcast apps insist on.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::header::{ACCEPT_RANGES, CACHE_CONTROL, CONTENT_RANGE, CONTENT_TYPE, ETAG, RANGE};
use http::{HeaderMap, HeaderValue, StatusCode};

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

/// A single byte range of a body `len` long, per RFC 9110 §14.1.2: `None` when the header is
/// absent or not one we honour (several ranges: the whole body is a valid answer), `Err` when
/// it cannot be satisfied.
pub fn parse_range(header: Option<&HeaderValue>, len: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = header?.to_str().ok()?.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let range = match (first.trim(), last.trim()) {
        ("", suffix) => {
            let suffix: u64 = suffix.parse().ok()?;
            if suffix == 0 || len == 0 {
                return Some(Err(()));
            }
            (len.saturating_sub(suffix), len - 1)
        }
        (first, last) => {
            let first: u64 = first.parse().ok()?;
            let last: u64 = if last.is_empty() {
                u64::MAX
            } else {
                last.parse().ok()?
            };
            if first >= len || last < first {
                return Some(Err(()));
            }
            (first, last.min(len - 1))
        }
    };
    Some(Ok(range))
}

pub async fn audio_file(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some((key, content_type)) = audio_key(&file) else {
        return (StatusCode::NOT_FOUND, "Not found").into_response();
    };
    let bytes = match state.media().get(&key).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return (StatusCode::NOT_FOUND, "Not found").into_response(),
        Err(error) => {
            tracing::error!(%error, key, "audio read failed");
            return (StatusCode::INTERNAL_SERVER_ERROR, "Could not read the file").into_response();
        }
    };
    let etag = format!("\"{}\"", file.split('.').next().unwrap_or_default());
    let mut response_headers = HeaderMap::new();
    response_headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response_headers.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    response_headers.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        response_headers.insert(ETAG, value);
    }
    let len = bytes.len() as u64;
    match parse_range(headers.get(RANGE), len) {
        None => (StatusCode::OK, response_headers, bytes).into_response(),
        Some(Ok((first, last))) => {
            if let Ok(value) = HeaderValue::from_str(&format!("bytes {first}-{last}/{len}")) {
                response_headers.insert(CONTENT_RANGE, value);
            }
            let part = bytes.slice(first as usize..=last as usize);
            (StatusCode::PARTIAL_CONTENT, response_headers, part).into_response()
        }
        Some(Err(())) => {
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{len}")) {
                response_headers.insert(CONTENT_RANGE, value);
            }
            (StatusCode::RANGE_NOT_SATISFIABLE, response_headers).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(header: &str, len: u64) -> Option<Result<(u64, u64), ()>> {
        parse_range(Some(&HeaderValue::from_str(header).expect("header")), len)
    }

    #[test]
    fn ranges_follow_rfc_9110() {
        assert_eq!(range("bytes=0-99", 1000), Some(Ok((0, 99))));
        assert_eq!(range("bytes=900-", 1000), Some(Ok((900, 999))));
        assert_eq!(range("bytes=-100", 1000), Some(Ok((900, 999))));
        assert_eq!(range("bytes=990-2000", 1000), Some(Ok((990, 999))));
        assert_eq!(range("bytes=1000-", 1000), Some(Err(())));
        assert_eq!(range("bytes=5-1", 1000), Some(Err(())));
        assert_eq!(range("bytes=0-1,5-6", 1000), None);
        assert_eq!(range("items=0-1", 1000), None);
        assert_eq!(parse_range(None, 1000), None);
    }

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
