//! What readers see: the front page, sections, articles, authors, tags, and the small files
//! crawlers ask for.

mod audio;
mod discussion;
mod live;
mod live_events;
pub(crate) mod moved;
mod objects;
mod pages;
pub(crate) mod readers;
mod search;
mod smtp;
pub(crate) mod static_pages;
mod tips;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub use audio::audio_url;
pub(crate) use audio::first_listen_limiter;
pub(crate) use live_events::{LiveSnapshot, live_coverage_news};
pub use readers::{LogMail, ReaderMail, ReaderMessage};
pub use smtp::SmtpMail;

pub(crate) use discussion::{allowance_on_listener, live_comment_counts, too_fast_on_listener};
pub(crate) use moved::names_an_old_item;
pub use moved::old_addresses;
pub use pages::not_found;
pub(crate) use pages::{ArticleMode, FrameSnapshot, render_article};
pub(crate) use tips::{
    conversation, is_submission as is_tip_submission, refuse_on_listener as refuse_tip_on_listener,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(live::routes())
        .route("/", get(pages::front))
        .route("/healthz", get(pages::healthz))
        .route("/readyz", get(crate::readiness::readyz))
        .route("/metrics", get(crate::metrics::scrape))
        .route("/robots.txt", get(pages::robots))
        .route("/search", get(search::search_page))
        .route("/media/{*key}", get(pages::media))
        .route("/audio/{file}", get(audio::audio_file))
        .route(
            "/audio/request/{article_id}",
            post(audio::request_narration),
        )
        .route("/authors/{slug}", get(pages::author))
        .route("/tags/{slug}", get(pages::tag))
        .route("/corrections", get(pages::corrections))
        .route("/{section}", get(pages::section))
        .route("/{section}/{slug}", get(pages::article))
}

/// The tips pages, outside the public pages' body limits: a tip may carry
/// `tips::SUBMIT_BODY_LIMIT` of attachments, which take up to an hour on a slow line. The tips
/// routes bound their bodies themselves (the submission's `UploadBody`: its declared length, a
/// 30 s pause, a floor on the average rate; the follow-up's size and `limits::read_deadlines`),
/// so nothing here may cut a legitimate slow upload shorter than they allow.
pub fn tip_routes() -> Router<AppState> {
    tips::routes()
}

/// Reader accounts and the discussion pages: per-reader, never cached, behind the reader guard
/// (session, form token, private headers).
pub fn reader_routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route(
            "/readers/sign-up",
            get(readers::sign_up_form).post(readers::sign_up),
        )
        .route("/readers/verify/{token}", get(readers::verify))
        .route("/readers/verify", post(readers::resend_verification))
        .route(
            "/readers/sign-in",
            get(readers::sign_in_form).post(readers::sign_in),
        )
        .route("/readers/sign-in-link", post(readers::request_link))
        .route(
            "/readers/magic/{token}",
            get(readers::magic_form).post(readers::magic_sign_in),
        )
        .route("/readers/sign-out", post(readers::sign_out))
        .route(
            "/readers/account",
            get(readers::account).post(readers::rename),
        )
        .route("/readers/account/data.json", get(readers::download_data))
        .route("/readers/account/delete", post(readers::delete_account))
        .route("/discussion/{article_id}", get(discussion::discussion))
        .route("/discussion/{article_id}/comments", post(discussion::post))
        .route("/discussion/{article_id}/events", get(discussion::events))
        .route("/discussion/comment/{id}", get(discussion::thread))
        .route("/discussion/comments/{id}/edit", post(discussion::edit))
        .route("/discussion/comments/{id}/delete", post(discussion::delete))
        .route("/discussion/comments/{id}/report", post(discussion::report))
        .layer(axum::middleware::from_fn_with_state(state, readers::guard))
}
