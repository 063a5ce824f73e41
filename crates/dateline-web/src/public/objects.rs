//! Stored files readers fetch (narration audio, picture variants), streamed from object storage.
//!
//! Nothing is read whole: the body is the store's chunk stream, pulled as the client takes it,
//! so memory per request is a chunk whatever the file's size. Players seek with byte ranges
//! (RFC 9110 §14), which Safari and podcast apps insist on: one range (`bytes=0-99`, `bytes=900-`,
//! `bytes=-100`), 416 with `Content-Range: bytes */len` when it cannot be satisfied, `If-Range`
//! honoured with our strong validator. Several ranges in one request get the whole file, which
//! the RFC allows (§14.2) and spares us multipart answers.
//!
//! Keys are content-addressed, so a key's bytes never change: the validator derives from the key
//! and responses are cacheable forever.

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::header::{
    ACCEPT_RANGES, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, IF_NONE_MATCH,
    IF_RANGE, RANGE,
};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use sha2::{Digest, Sha256};

use crate::AppState;

/// A stored file as readers may get it.
pub(super) struct PublicFile {
    pub key: String,
    pub content_type: &'static str,
}

/// One range of a `Range` header, before the file's length is known (RFC 9110 §14.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ByteRange {
    /// `first-last` or, with no last, `first-`.
    From { first: u64, last: Option<u64> },
    /// `-n`: the last n bytes.
    Suffix(u64),
}

impl ByteRange {
    /// The one byte range asked for, or `None` when there is no `Range` header or none we honour
    /// (another unit, several ranges, nonsense): then the whole file is the answer.
    pub(crate) fn parse(header: Option<&HeaderValue>) -> Option<Self> {
        let text = header?.to_str().ok()?.trim();
        let (unit, spec) = text.split_once('=')?;
        // Range units are case-insensitive (RFC 9110 §14.1).
        if !unit.trim().eq_ignore_ascii_case("bytes") || spec.contains(',') {
            return None;
        }
        let (first, last) = spec.split_once('-')?;
        match (first.trim(), last.trim()) {
            ("", suffix) => Some(Self::Suffix(digits(suffix)?)),
            (first, "") => Some(Self::From {
                first: digits(first)?,
                last: None,
            }),
            (first, last) => Some(Self::From {
                first: digits(first)?,
                last: Some(digits(last)?),
            }),
        }
    }

    /// The inclusive byte positions within a file of `len` bytes, or `Err` when the range cannot
    /// be satisfied (416).
    pub(crate) fn within(self, len: u64) -> Result<(u64, u64), ()> {
        match self {
            Self::Suffix(0) => Err(()),
            _ if len == 0 => Err(()),
            Self::Suffix(suffix) => Ok((len.saturating_sub(suffix), len - 1)),
            Self::From { first, last } => {
                let last = last.unwrap_or(u64::MAX);
                if first >= len || last < first {
                    Err(())
                } else {
                    Ok((first, last.min(len - 1)))
                }
            }
        }
    }
}

/// A byte position: ASCII digits only (`u64::from_str` would also take a leading `+`).
fn digits(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `If-Range` (RFC 9110 §13.1.5): the range applies only if the client's copy is ours. A date
/// never matches (we send no `Last-Modified`), nor does a weak tag.
fn range_applies(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    match headers.get(IF_RANGE) {
        None => true,
        Some(condition) => condition.as_bytes() == etag.as_bytes(),
    }
}

/// The strong validator of a content-addressed key.
fn validator(key: &str) -> HeaderValue {
    let digest = Sha256::digest(key.as_bytes());
    HeaderValue::from_str(&format!("\"{}\"", hex::encode(&digest[..12])))
        .unwrap_or(HeaderValue::from_static("\"0\""))
}

pub(super) fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        "Not found",
    )
        .into_response()
}

fn unreadable(key: &str, error: &dateline_storage::MediaError) -> Response {
    tracing::error!(%error, key, "reading a stored file failed");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        "Could not read the file",
    )
        .into_response()
}

/// Answers `method` for `file` with what the request headers ask (whole, a range, 304, 416).
pub(super) async fn send(
    state: &AppState,
    file: &PublicFile,
    method: &Method,
    headers: &HeaderMap,
) -> Response {
    let etag = validator(&file.key);
    let mut answer = HeaderMap::new();
    answer.insert(CONTENT_TYPE, HeaderValue::from_static(file.content_type));
    answer.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    answer.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    answer.insert(ETAG, etag.clone());
    if crate::serve::etag_matches(headers.get(IF_NONE_MATCH), &etag) {
        return match state.media().size(&file.key).await {
            Ok(Some(_)) => (StatusCode::NOT_MODIFIED, answer).into_response(),
            Ok(None) => not_found(),
            Err(error) => unreadable(&file.key, &error),
        };
    }
    let range = ByteRange::parse(headers.get(RANGE)).filter(|_| range_applies(headers, &etag));
    // A range needs the length first; a whole file (or HEAD) learns it from the read itself.
    let (status, wanted) = match range {
        None if *method == Method::HEAD => match state.media().size(&file.key).await {
            Ok(Some(len)) => {
                answer.insert(CONTENT_LENGTH, HeaderValue::from(len));
                return (StatusCode::OK, answer).into_response();
            }
            Ok(None) => return not_found(),
            Err(error) => return unreadable(&file.key, &error),
        },
        None => (StatusCode::OK, None),
        Some(range) => {
            let len = match state.media().size(&file.key).await {
                Ok(Some(len)) => len,
                Ok(None) => return not_found(),
                Err(error) => return unreadable(&file.key, &error),
            };
            match range.within(len) {
                Ok((first, last)) => (StatusCode::PARTIAL_CONTENT, Some(first..last + 1)),
                Err(()) => {
                    if let Ok(value) = HeaderValue::from_str(&format!("bytes */{len}")) {
                        answer.insert(CONTENT_RANGE, value);
                    }
                    return (StatusCode::RANGE_NOT_SATISFIABLE, answer).into_response();
                }
            }
        }
    };
    let stream = match state.media().stream(&file.key, wanted).await {
        Ok(Some(stream)) => stream,
        Ok(None) => return not_found(),
        Err(error) => return unreadable(&file.key, &error),
    };
    answer.insert(
        CONTENT_LENGTH,
        HeaderValue::from(stream.range.end - stream.range.start),
    );
    if status == StatusCode::PARTIAL_CONTENT {
        let content_range = format!(
            "bytes {}-{}/{}",
            stream.range.start,
            stream.range.end.saturating_sub(1),
            stream.size
        );
        if let Ok(value) = HeaderValue::from_str(&content_range) {
            answer.insert(CONTENT_RANGE, value);
        }
    }
    (status, answer, Body::from_stream(stream.chunks)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(header: &str, len: u64) -> Option<Result<(u64, u64), ()>> {
        ByteRange::parse(Some(&HeaderValue::from_str(header).expect("header")))
            .map(|range| range.within(len))
    }

    #[test]
    fn ranges_follow_rfc_9110() {
        assert_eq!(range("bytes=0-99", 1000), Some(Ok((0, 99))));
        assert_eq!(range("bytes=900-", 1000), Some(Ok((900, 999))));
        assert_eq!(range("bytes=-100", 1000), Some(Ok((900, 999))));
        assert_eq!(range("bytes=-5000", 1000), Some(Ok((0, 999))));
        assert_eq!(range("bytes=990-2000", 1000), Some(Ok((990, 999))));
        assert_eq!(range("Bytes=0-0", 1000), Some(Ok((0, 0))));
        assert_eq!(range("bytes=1000-", 1000), Some(Err(())));
        assert_eq!(range("bytes=-0", 1000), Some(Err(())));
        assert_eq!(range("bytes=0-", 0), Some(Err(())));
        assert_eq!(range("bytes=5-1", 1000), Some(Err(())));
        assert_eq!(range("bytes=0-1,5-6", 1000), None);
        assert_eq!(range("items=0-1", 1000), None);
        assert_eq!(range("bytes=+5-9", 1000), None);
        assert_eq!(range("bytes=x-9", 1000), None);
        assert_eq!(range("bytes=99999999999999999999999-", 1000), None);
        assert_eq!(ByteRange::parse(None), None);
    }

    #[test]
    fn if_range_needs_our_exact_strong_validator() {
        let etag = validator("audio/x.mp3");
        let mut headers = HeaderMap::new();
        assert!(range_applies(&headers, &etag));
        headers.insert(IF_RANGE, etag.clone());
        assert!(range_applies(&headers, &etag));
        let weak = format!("W/{}", etag.to_str().expect("ascii"));
        headers.insert(IF_RANGE, HeaderValue::from_str(&weak).expect("header"));
        assert!(!range_applies(&headers, &etag));
        headers.insert(
            IF_RANGE,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert!(!range_applies(&headers, &etag));
    }
}
