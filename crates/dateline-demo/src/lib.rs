//! The demo newsroom: what a newcomer sees on first start, and generated bulk for benchmarks.
//!
//! Every write goes through `dateline-usecases`, as the platform (`Actor::system("demo")`) or the
//! demo's admin, with the time it happened: the site set up, pictures uploaded to the library
//! (variants, limits), stories written and published at their publication time, then saved,
//! corrected and covered live, readers signing up and commenting, the desk moderating. So the
//! demo exercises what a newsroom would, and its history reads as one that was lived. It reads
//! through the store (sections, authors, counts).

pub mod art;
mod bulk;
mod discussion;
mod history;
mod live;
mod newsroom;

pub use bulk::add_generated_articles;
pub use newsroom::{DEMO_ADMIN_EMAIL, DemoReport, load_newsroom};

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("demo content: {0}")]
    Content(String),
    #[error(transparent)]
    Store(#[from] dateline_db::DbError),
    #[error(transparent)]
    UseCase(#[from] dateline_usecases::UseCaseError),
    #[error("demo picture: {0}")]
    Picture(String),
}

/// Whether the store holds no newsroom yet (no section), the condition for loading the demo.
pub async fn store_is_empty(store: &dateline_db::Store) -> Result<bool, DemoError> {
    Ok(store.site().sections().await?.is_empty())
}
