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
    IF_NONE_MATCH, SET_COOKIE, STRICT_TRANSPORT_SECURITY, VARY,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};

use crate::AppState;
use crate::cache::{CachedPage, Effort};
use crate::client::Client;
use crate::metrics::CacheResult;

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

/// A list handler's mark on its answer: the list has this many pages. The page cache then keys
/// the list's pages by `?page=N` and answers a number past the last with the 404 page itself.
#[derive(Debug, Clone, Copy)]
pub struct ListPages(pub i64);

/// The themed 404 page's mark: cached once under [`NOT_FOUND_KEY`] and answered from there, so
/// a request for something that does not exist costs a lookup, not a render.
#[derive(Debug, Clone, Copy)]
pub struct NotFoundPage;

/// Where the 404 page is cached: not a path, so no request can ask for it by name.
pub(crate) const NOT_FOUND_KEY: &str = "not-found";

/// HSTS for browsers that reached us over TLS (RFC 6797; ignored over plain HTTP, §8.1): a
/// year, the usual minimum for preload lists. Subdomains are the operator's business.
const HSTS: &str = "max-age=31536000";

/// The highest list page anyone may ask for: past it the arithmetic of offsets is not ours to
/// worry about, and nobody reads page 100,001 of a section.
pub(crate) const MAX_LIST_PAGE: i64 = 100_000;

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

/// `?page=N` of a list: absent means 1; anything but a canonical number from 1 to
/// [`MAX_LIST_PAGE`] is not a page (`None`). Only the first `page=` counts, here and in handlers.
pub(crate) fn list_page(query: Option<&str>) -> Option<i64> {
    let Some(value) = query.and_then(|q| q.split('&').find_map(|p| p.strip_prefix("page="))) else {
        return Some(1);
    };
    let page: i64 = value.parse().ok()?;
    (page >= 1 && page.to_string() == value && page <= MAX_LIST_PAGE).then_some(page)
}

/// The cache key of page `page` of the list at `path`.
fn list_key(path: &str, page: i64) -> String {
    if page == 1 {
        path.to_owned()
    } else {
        format!("{path}?page={page}")
    }
}

/// `path` as the page cache keys it. An escaped unreserved character is the same path as the
/// character itself (RFC 3986 §6.2.2.2), and the router decodes both alike, so it is decoded
/// here too; other escapes get upper-case hex (§6.2.2.1). Without this every mix of escapes in
/// a slug (`/feeds/%72ss.xml`, `/%70olitics/…`) was an entry of its own and a render.
pub(crate) fn cache_path(path: &str) -> std::borrow::Cow<'_, str> {
    if !path.contains('%') {
        return std::borrow::Cow::Borrowed(path);
    }
    let bytes = path.as_bytes();
    let mut plain = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let escaped = (bytes[at] == b'%')
            .then(|| bytes.get(at + 1..at + 3))
            .flatten()
            .filter(|hex| hex.iter().all(u8::is_ascii_hexdigit))
            .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
        match escaped {
            Some(byte) if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) => {
                plain.push(byte);
                at += 3;
            }
            Some(_) => {
                plain.push(b'%');
                plain.extend(bytes[at + 1..at + 3].iter().map(u8::to_ascii_uppercase));
                at += 3;
            }
            None => {
                plain.push(bytes[at]);
                at += 1;
            }
        }
    }
    String::from_utf8(plain).map_or(std::borrow::Cow::Borrowed(path), std::borrow::Cow::Owned)
}

/// What the page cache holds for this URL. A page depends on its path alone unless it is a list
/// (`CachedPage::list_pages`), which depends on its page number too; every other parameter
/// (tracking tags, cache-busters, `page=` on a page that is not a list) shares the entry, so
/// none of them can split the cache, flood it or force a render.
enum Lookup {
    Hit(Arc<CachedPage>),
    /// A page number past the end of a list (or not a number): the cached 404 page.
    NoSuchPage(Arc<CachedPage>),
    Miss,
}

fn lookup(state: &AppState, uri: &http::Uri) -> Lookup {
    let cache = state.cache();
    let path = &*cache_path(uri.path());
    let asked = list_page(uri.query());
    let found = match cache.get(path) {
        Some(first) => match (first.list_pages, asked) {
            (None, _) | (Some(_), Some(1)) => Some(first),
            (Some(pages), Some(page)) if page <= pages => cache.get(&list_key(path, page)),
            (Some(_), _) => {
                return match cache.get(NOT_FOUND_KEY) {
                    Some(page) => Lookup::NoSuchPage(page),
                    None => Lookup::Miss,
                };
            }
        },
        None => match asked {
            Some(page) if page > 1 => cache.get(&list_key(path, page)),
            _ => None,
        },
    };
    found.map_or(Lookup::Miss, Lookup::Hit)
}

/// The answer from the page cache or the theme's assets, if either has this request's page.
pub fn from_cache<B>(state: &AppState, request: &http::Request<B>) -> Option<Response> {
    let method = request.method();
    if method != Method::GET && method != Method::HEAD {
        return None;
    }
    let headers = request.headers();
    let page = match state.theme().asset_at(request.uri().path()) {
        Some(asset) => Arc::clone(asset),
        None => match lookup(state, request.uri()) {
            Lookup::Hit(page) => page,
            Lookup::NoSuchPage(page) => return Some(not_found(&page, method, negotiate(headers))),
            Lookup::Miss => return None,
        },
    };
    Some(respond(
        &page,
        method,
        negotiate(headers),
        headers.get(IF_NONE_MATCH),
    ))
}

/// The cached 404 page, if there is one, answered for this request.
pub(crate) fn cached_not_found(state: &AppState, headers: &HeaderMap) -> Option<Response> {
    let page = state.cache().get(NOT_FOUND_KEY)?;
    Some(not_found(&page, &Method::GET, negotiate(headers)))
}

/// A cached 404 page as a 404: never stored downstream, no validator (a 404 is not a
/// representation to revalidate).
fn not_found(page: &CachedPage, method: &Method, encoding: Encoding) -> Response {
    let mut response = respond(page, method, encoding, None);
    *response.status_mut() = StatusCode::NOT_FOUND;
    let headers = response.headers_mut();
    headers.remove(ETAG);
    headers.remove(SURROGATE_KEY);
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Marks an answer with what the client's transport calls for: over TLS, HSTS and the `Secure`
/// attribute on every cookie (RFC 6265bis §4.1.2.5), even when the public URL was left at its
/// `http://` default behind a TLS-terminating proxy.
pub(crate) fn transport_headers(response: &mut Response, client: Client) {
    if !client.over_tls {
        return;
    }
    let headers = response.headers_mut();
    headers.insert(STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    if !headers.contains_key(SET_COOKIE) {
        return;
    }
    let cookies: Vec<HeaderValue> = headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|cookie| {
            // Our cookies are ASCII; anything else is left exactly as it was.
            let Ok(text) = cookie.to_str() else {
                return cookie.clone();
            };
            let secure = text
                .split(';')
                .skip(1)
                .any(|attribute| attribute.trim().eq_ignore_ascii_case("secure"));
            if secure {
                cookie.clone()
            } else {
                HeaderValue::from_str(&format!("{text}; Secure")).unwrap_or_else(|_| cookie.clone())
            }
        })
        .collect();
    headers.remove(SET_COOKIE);
    for cookie in cookies {
        headers.append(SET_COOKIE, cookie);
    }
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
    if let Some(mut response) = from_cache(&state, &request) {
        response.extensions_mut().insert(CacheResult::Hit);
        return response;
    }
    let encoding = negotiate(request.headers());
    let if_none_match = request.headers().get(IF_NONE_MATCH).cloned();
    let uri = request.uri().clone();
    let generation = state.cache().generation();
    let response = next.run(request).await;
    let Some(cacheable) = response.extensions().get::<Cacheable>().cloned() else {
        if response.extensions().get::<NotFoundPage>().is_some()
            && let Some(page) = state.cache().get(NOT_FOUND_KEY)
        {
            return not_found(&page, &method, encoding);
        }
        let mut response = response;
        security_headers(response.headers_mut());
        return response;
    };
    let list_pages = response
        .extensions()
        .get::<ListPages>()
        .map(|pages| pages.0);
    let is_not_found_page = response.extensions().get::<NotFoundPage>().is_some();
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::error!(%error, "could not read a rendered page");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response_with_headers();
        }
    };
    let path = cache_path(uri.path());
    let key = match (parts.status, list_pages) {
        (StatusCode::OK, None) => path.into_owned(),
        (StatusCode::OK, Some(_)) => list_key(&path, list_page(uri.query()).unwrap_or(1)),
        (StatusCode::NOT_FOUND, _) if is_not_found_page => NOT_FOUND_KEY.to_owned(),
        _ => {
            let mut response = Response::from_parts(parts, Body::from(bytes));
            security_headers(response.headers_mut());
            return response;
        }
    };
    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(static_content_type)
        .unwrap_or("text/html; charset=utf-8");
    let Some(page) = state
        .compress(move || {
            let mut page = CachedPage::compressed(
                content_type,
                cacheable.cache_control,
                bytes,
                cacheable.tags,
                Effort::Quick,
            );
            page.list_pages = list_pages;
            page
        })
        .await
    else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response_with_headers();
    };
    let page = Arc::new(page);
    if state
        .cache()
        .insert(key.clone(), Arc::clone(&page), generation)
    {
        state.polish(key, Arc::clone(&page));
    }
    let mut response = if is_not_found_page {
        not_found(&page, &method, encoding)
    } else {
        respond(&page, &method, encoding, if_none_match.as_ref())
    };
    response.extensions_mut().insert(CacheResult::Miss);
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
    fn cache_paths_spell_escapes_one_way() {
        assert_eq!(cache_path("/politics/budget"), "/politics/budget");
        assert_eq!(
            cache_path("/%70olitics/%62udget%2dvote"),
            "/politics/budget-vote"
        );
        assert_eq!(cache_path("/feeds/%72%73%73%2E%78%6D%6C"), "/feeds/rss.xml");
        assert_eq!(cache_path("/a%2fb%c3%a9"), "/a%2Fb%C3%A9");
        assert_eq!(cache_path("/100%"), "/100%");
        assert_eq!(cache_path("/%4"), "/%4");
        assert_eq!(cache_path("/%zz%+1"), "/%zz%+1");
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
    fn list_pages_are_canonical_numbers_in_range() {
        assert_eq!(list_page(None), Some(1));
        assert_eq!(list_page(Some("utm_source=x")), Some(1));
        assert_eq!(list_page(Some("page=1")), Some(1));
        assert_eq!(list_page(Some("x=1&page=3&page=4")), Some(3));
        assert_eq!(list_page(Some("page=100000")), Some(MAX_LIST_PAGE));
        for bad in [
            "page=0",
            "page=-1",
            "page=01",
            "page=+2",
            "page=2.0",
            "page=abc",
            "page=",
            "page=100001",
            "page=99999999999999999999999",
        ] {
            assert_eq!(list_page(Some(bad)), None, "{bad}");
        }
        assert_eq!(list_key("/politics", 1), "/politics");
        assert_eq!(list_key("/politics", 3), "/politics?page=3");
    }

    #[test]
    fn over_tls_every_cookie_is_secure_and_hsts_is_sent() {
        let mut response = Response::new(Body::empty());
        response.headers_mut().append(
            SET_COOKIE,
            HeaderValue::from_static("reader=abc; Path=/; HttpOnly"),
        );
        response.headers_mut().append(
            SET_COOKIE,
            HeaderValue::from_static("__Host-csrf=x; Path=/; Secure"),
        );
        let mut plain = Response::new(Body::empty());
        plain
            .headers_mut()
            .append(SET_COOKIE, HeaderValue::from_static("reader=abc; Path=/"));
        let address = std::net::IpAddr::from([192, 0, 2, 1]);
        transport_headers(
            &mut plain,
            Client {
                address,
                over_tls: false,
            },
        );
        assert!(!plain.headers().contains_key(STRICT_TRANSPORT_SECURITY));
        assert_eq!(plain.headers()[SET_COOKIE], "reader=abc; Path=/");
        transport_headers(
            &mut response,
            Client {
                address,
                over_tls: true,
            },
        );
        assert_eq!(response.headers()[STRICT_TRANSPORT_SECURITY], HSTS);
        let cookies: Vec<&str> = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().expect("ascii"))
            .collect();
        assert_eq!(
            cookies,
            [
                "reader=abc; Path=/; HttpOnly; Secure",
                "__Host-csrf=x; Path=/; Secure"
            ]
        );
    }
}
