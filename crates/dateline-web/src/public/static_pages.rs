//! A static page (About, Contact, the policies) as readers see it at `/{slug}`, and as staff
//! preview a draft of it from the newsroom.

use axum::response::Response;
use dateline_core::{StaticPage, cache_tags, jsonld, markdown};
use http::StatusCode;
use serde_json::json;

use super::pages::{Frame, absolute, website_meta};
use crate::views::PageMeta;
use crate::{AppState, WebError};

/// Whether the page is the public one or the newsroom's preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Public,
    /// Any status, with a banner, never indexed, never stored in the page cache.
    Preview,
}

/// The page through the public templates: header, footer, canonical link, description.
pub(crate) async fn render(
    state: &AppState,
    page: &StaticPage,
    mode: Mode,
) -> Result<Response, WebError> {
    let mut frame = Frame::load(state).await?;
    frame.tag(cache_tags::page(page.id));
    let path = page.path();
    let url = absolute(state, &path);
    let description = page.summary();
    let meta = PageMeta {
        title: page.title.clone(),
        description: description.clone(),
        canonical: url.clone(),
        robots: (mode == Mode::Preview).then(|| "noindex, nofollow".to_owned()),
    };
    let og = website_meta(&frame, state, &page.title, &description, &path);
    let updated = frame.clock.time(page.updated_at);
    let jsonld = jsonld::to_script_json(&json!({
        "@context": "https://schema.org",
        "@type": "WebPage",
        "name": page.title,
        "description": description,
        "url": url,
        "dateModified": updated.iso,
        "inLanguage": frame.settings.language,
        "publisher": {"@type": "NewsMediaOrganization", "name": frame.settings.name},
    }));
    let context = frame.context(
        state,
        None,
        meta,
        og,
        Some(jsonld),
        json!({
            "static_page": {
                "title": page.title,
                "body_html": markdown::render_html(&page.body),
                "updated": updated,
                "url": path,
            },
            "page_preview": (mode == Mode::Preview).then(|| json!({
                "draft": page.status == dateline_core::PageStatus::Draft,
                "edit_url": format!("/newsroom/pages/{}", page.id),
            })),
        }),
    );
    match mode {
        Mode::Public => frame.render(state, "page.html", context, StatusCode::OK),
        Mode::Preview => frame.render_uncached(state, "page.html", context, StatusCode::OK),
    }
}
