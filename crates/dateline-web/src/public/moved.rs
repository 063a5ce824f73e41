//! The addresses an imported site had (`/2024/05/12/slug/`, `/?p=123`, `/category/news/`,
//! `/feed/`), and a page's before it moved, answer 301 to where their article, page, section,
//! tag, author or feed lives now.
//!
//! Nothing of this site's own is ever shadowed: an old address is looked up only when the site
//! has nothing there (the router answered 404), or, for WordPress's query forms on the front page
//! (`/?p=123`), before the front page, which would otherwise answer every one of them. Either way
//! it is one indexed read, and an address longer than a real permalink is not looked up at all.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use dateline_core::paths;
use dateline_db::MovedTo;
use http::{Method, StatusCode, Uri};

use crate::AppState;
use crate::feeds::{Scope, rss_path};

/// The query keys WordPress's default ("plain") permalinks use on the front page.
const OLD_QUERY_KEYS: &[&str] = &["p", "page_id", "cat", "tag", "author", "feed"];

/// Whether `uri` is the front page asked with a WordPress query (`/?p=123`): such a request is
/// not the front page, so the page cache in front of the router must not answer it. (Behind this
/// middleware the cache answers it again when no old address matches, so a flood of made-up
/// `?p=` numbers costs one indexed read each, never a rendered page.)
pub(crate) fn names_an_old_item(uri: &Uri) -> bool {
    uri.path() == "/"
        && uri.query().is_some_and(|query| {
            query.split('&').any(|pair| {
                let key = pair.split_once('=').map_or(pair, |(key, _)| key);
                OLD_QUERY_KEYS.contains(&key)
            })
        })
}

/// Middleware: answers an old address with 301 where the site has nothing of its own.
pub async fn old_addresses(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return next.run(request).await;
    }
    let old = request.uri().path_and_query().map_or_else(
        || request.uri().path().to_owned(),
        |pq| pq.as_str().to_owned(),
    );
    if names_an_old_item(request.uri())
        && let Some(moved) = moved(&state, &old).await
    {
        return moved;
    }
    let response = next.run(request).await;
    if response.status() != StatusCode::NOT_FOUND {
        return response;
    }
    moved(&state, &old).await.unwrap_or(response)
}

async fn moved(state: &AppState, old: &str) -> Option<Response> {
    if old.len() > dateline_db::MAX_OLD_PATH_BYTES {
        return None;
    }
    let target = match state.store().imports().moved_to(old).await {
        Ok(target) => target?,
        Err(error) => {
            tracing::warn!(%error, "could not look up an old address");
            return None;
        }
    };
    let path = match &target {
        MovedTo::Article { section, slug } => paths::article(section, slug),
        MovedTo::Section(slug) => paths::section(slug),
        MovedTo::Tag(slug) => paths::tag(slug),
        MovedTo::Author(slug) => paths::author(slug),
        MovedTo::SiteFeed => rss_path(Scope::Site),
        MovedTo::SectionFeed(slug) => rss_path(Scope::Section(slug)),
        MovedTo::AuthorFeed(slug) => rss_path(Scope::Author(slug)),
        MovedTo::Page(slug) => paths::page(slug),
    };
    Some(super::pages::permanent_redirect(&path))
}

#[cfg(test)]
mod tests {
    use super::names_an_old_item;

    #[test]
    fn only_wordpress_queries_on_the_front_page_skip_the_cache() {
        let yes = |uri: &str| names_an_old_item(&uri.parse().expect("uri"));
        assert!(yes("/?p=123"));
        assert!(yes("/?utm_source=x&page_id=5"));
        assert!(yes("/?feed=rss2"));
        assert!(!yes("/"));
        assert!(!yes("/?page=2"));
        assert!(!yes("/?utm_source=p"));
        assert!(!yes("/politics?p=1"));
    }
}
