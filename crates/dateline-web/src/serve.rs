//! Serving: page-cache hits before routing, storing what handlers mark cacheable, content
//! negotiation, validators and the security headers every response carries.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;
use http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, ETAG,
    IF_NONE_MATCH, VARY,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};

use crate::AppState;
use crate::cache::CachedPage;

/// Marks a handler's response as a page to cache, with the tags of everything it shows.
#[derive(Clone)]
pub struct Cacheable {
    pub tags: Vec<String>,
    pub cache_control: &'static str,
}

/// Public HTML: browsers revalidate after a minute (cheap: 304 by ETag); a CDN keeps pages ten
/// minutes and may serve them stale for a day while it refetches or while the origin is down.
/// Changes purge the CDN by `Surrogate-Key`, so freshness does not rest on these times.
pub const PAGE_CACHE_CONTROL: &str =
    "public, max-age=60, s-maxage=600, stale-while-revalidate=86400, stale-if-error=86400";

/// Strict CSP: only our own scripts, styles and images; no inline script, no plugins, no framing.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; font-src 'self'; connect-src 'self'; media-src 'self'; \
     object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; \
     upgrade-insecure-requests";

const SURROGATE_KEY: HeaderName = HeaderName::from_static("surrogate-key");

/// The headers every answer carries. A handler that set its own (stricter) CSP or referrer
/// policy — the newsroom does — keeps it.
pub fn security_headers(headers: &mut HeaderMap) {
    headers
        .entry(http::header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(
        http::header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers
        .entry(http::header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("strict-origin-when-cross-origin"));
    headers.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    );
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

/// Picks the best encoding the client accepts (RFC 9110 §12.5.3); `q=0` refuses one.
pub fn negotiate(headers: &HeaderMap) -> Encoding {
    let Some(accept) = headers.get(ACCEPT_ENCODING).and_then(|v| v.to_str().ok()) else {
        return Encoding::Identity;
    };
    let mut gzip = false;
    let mut brotli = false;
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim();
        let refused = parts.any(|p| {
            let p = p.trim();
            p.strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        if refused {
            continue;
        }
        if coding.eq_ignore_ascii_case("br") {
            brotli = true;
        } else if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            gzip = true;
        } else if coding == "*" {
            gzip = true;
            brotli = true;
        }
    }
    if brotli {
        Encoding::Brotli
    } else if gzip {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

/// Weak comparison (RFC 9110 §13.1.2): a list, `*`, or a `W/`-prefixed tag all match.
pub(crate) fn etag_matches(if_none_match: Option<&HeaderValue>, etag: &HeaderValue) -> bool {
    let Some(value) = if_none_match.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let ours = etag.to_str().unwrap_or("");
    let ours = ours.trim_start_matches("W/");
    value
        .split(',')
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == "*" || tag == ours)
}

/// The response for a cached page, negotiated for this request.
pub fn respond(
    page: &CachedPage,
    method: &Method,
    encoding: Encoding,
    if_none_match: Option<&HeaderValue>,
) -> Response {
    let mut response = Response::new(Body::empty());
    let headers = response.headers_mut();
    headers.insert(ETAG, page.etag.clone());
    headers.insert(CACHE_CONTROL, page.cache_control.clone());
    headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
    if !page.surrogate_key.is_empty() {
        headers.insert(SURROGATE_KEY, page.surrogate_key.clone());
    }
    security_headers(headers);
    if etag_matches(if_none_match, &page.etag) {
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        return response;
    }
    let (body, coding): (&Bytes, Option<&'static str>) = match encoding {
        Encoding::Brotli if !page.brotli.is_empty() => (&page.brotli, Some("br")),
        Encoding::Gzip | Encoding::Brotli if !page.gzip.is_empty() => (&page.gzip, Some("gzip")),
        _ => (&page.identity, None),
    };
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, page.content_type.clone());
    headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    if let Some(coding) = coding {
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static(coding));
    }
    if method != Method::HEAD {
        *response.body_mut() = Body::from(body.clone());
    }
    response
}

/// What part of the URL a cached page depends on: the path, and the page number of lists.
/// Other query parameters (tracking tags and the like) share the entry, so they can neither
/// split the cache nor be used to flood it.
fn cache_key(uri: &http::Uri) -> String {
    let path = uri.path();
    match uri.query().and_then(page_number) {
        Some(page) if page != "1" => format!("{path}?page={page}"),
        _ => path.to_owned(),
    }
}

fn page_number(query: &str) -> Option<&str> {
    query.split('&').find_map(|pair| pair.strip_prefix("page="))
}

/// The answer from the page cache or the theme's assets, if either has this request's page.
pub fn from_cache<B>(state: &AppState, request: &http::Request<B>) -> Option<Response> {
    let method = request.method();
    if method != Method::GET && method != Method::HEAD {
        return None;
    }
    let page = match state.theme().asset_at(request.uri().path()) {
        Some(asset) => Arc::clone(asset),
        None => state.cache().get(&cache_key(request.uri()))?,
    };
    let headers = request.headers();
    Some(respond(
        &page,
        method,
        negotiate(headers),
        headers.get(IF_NONE_MATCH),
    ))
}

/// Middleware: serve from the page cache when possible; otherwise run the handler and, if it
/// marked its page cacheable, store it and answer from the stored copy.
pub async fn cached_pages(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    if method != Method::GET && method != Method::HEAD {
        let mut response = next.run(request).await;
        security_headers(response.headers_mut());
        return response;
    }
    if let Some(response) = from_cache(&state, &request) {
        return response;
    }
    let encoding = negotiate(request.headers());
    let if_none_match = request.headers().get(IF_NONE_MATCH).cloned();
    let key = cache_key(request.uri());
    let generation = state.cache().generation();
    let response = next.run(request).await;
    let Some(cacheable) = response.extensions().get::<Cacheable>().cloned() else {
        let mut response = response;
        security_headers(response.headers_mut());
        return response;
    };
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::error!(%error, "could not read a rendered page");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response_with_headers();
        }
    };
    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(static_content_type)
        .unwrap_or("text/html; charset=utf-8");
    let page = Arc::new(CachedPage::new(
        content_type,
        cacheable.cache_control,
        bytes,
        cacheable.tags,
    ));
    if parts.status == StatusCode::OK {
        state.cache().insert(key, Arc::clone(&page), generation);
    }
    let mut response = respond(&page, &method, encoding, if_none_match.as_ref());
    if parts.status != StatusCode::OK {
        *response.status_mut() = parts.status;
    }
    response
}

fn static_content_type(value: &str) -> &'static str {
    match value {
        "text/plain; charset=utf-8" => "text/plain; charset=utf-8",
        "application/xml; charset=utf-8" => "application/xml; charset=utf-8",
        "application/json" => "application/json",
        crate::feeds::RSS_CONTENT_TYPE => crate::feeds::RSS_CONTENT_TYPE,
        crate::feeds::ATOM_CONTENT_TYPE => crate::feeds::ATOM_CONTENT_TYPE,
        crate::feeds::JSON_FEED_CONTENT_TYPE => crate::feeds::JSON_FEED_CONTENT_TYPE,
        _ => "text/html; charset=utf-8",
    }
}

trait IntoResponseWithHeaders {
    fn into_response_with_headers(self) -> Response;
}

impl IntoResponseWithHeaders for StatusCode {
    fn into_response_with_headers(self) -> Response {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = self;
        security_headers(response.headers_mut());
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(accept: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            ACCEPT_ENCODING,
            HeaderValue::from_str(accept).expect("header"),
        );
        headers
    }

    #[test]
    fn negotiates_encodings() {
        assert_eq!(negotiate(&HeaderMap::new()), Encoding::Identity);
        assert_eq!(negotiate(&headers("gzip")), Encoding::Gzip);
        assert_eq!(negotiate(&headers("gzip, deflate, br")), Encoding::Brotli);
        assert_eq!(negotiate(&headers("br;q=0, gzip;q=0.8")), Encoding::Gzip);
        assert_eq!(negotiate(&headers("identity")), Encoding::Identity);
        assert_eq!(negotiate(&headers("*")), Encoding::Brotli);
    }

    #[test]
    fn etags_compare_weakly() {
        let etag = HeaderValue::from_static("\"abc\"");
        let inm = |s: &'static str| HeaderValue::from_static(s);
        assert!(etag_matches(Some(&inm("\"abc\"")), &etag));
        assert!(etag_matches(Some(&inm("W/\"abc\"")), &etag));
        assert!(etag_matches(Some(&inm("\"x\", \"abc\"")), &etag));
        assert!(etag_matches(Some(&inm("*")), &etag));
        assert!(!etag_matches(Some(&inm("\"abd\"")), &etag));
        assert!(!etag_matches(None, &etag));
    }

    #[test]
    fn cache_keys_ignore_unknown_parameters() {
        let key = |s: &str| cache_key(&s.parse().expect("uri"));
        assert_eq!(key("/politics?utm_source=x"), "/politics");
        assert_eq!(key("/politics?page=1"), "/politics");
        assert_eq!(key("/politics?x=1&page=3"), "/politics?page=3");
    }
}
