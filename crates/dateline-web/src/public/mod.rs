//! What readers see: the front page, sections, articles, authors, tags, and the small files
//! crawlers ask for.

mod audio;
mod pages;
mod search;
mod tips;

use axum::Router;
use axum::routing::get;

use crate::AppState;

pub use audio::audio_url;
pub use pages::not_found;
pub(crate) use pages::{ArticleMode, render_article};
pub(crate) use tips::{ATTACHMENT_PREFIX, conversation};

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(tips::routes())
        .route("/", get(pages::front))
        .route("/healthz", get(pages::healthz))
        .route("/robots.txt", get(pages::robots))
        .route("/search", get(search::search_page))
        .route("/media/{*key}", get(pages::media))
        .route("/audio/{file}", get(audio::audio_file))
        .route("/authors/{slug}", get(pages::author))
        .route("/tags/{slug}", get(pages::tag))
        .route("/corrections", get(pages::corrections))
        .route("/{section}", get(pages::section))
        .route("/{section}/{slug}", get(pages::article))
}
