//! The demo newsroom: what a newcomer sees on first start, and generated bulk for benchmarks.
//!
//! Everything goes through the real paths — pictures through the media store's ingest (variants,
//! limits), articles through the store's article API (change log, tags, reading time) — so the
//! demo exercises what a newsroom would.

pub mod art;
mod bulk;
mod discussion;
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
    Media(#[from] dateline_storage::MediaError),
    #[error("demo picture: {0}")]
    Picture(String),
}

/// Whether the store holds no newsroom yet (no section), the condition for loading the demo.
pub async fn store_is_empty(store: &dateline_db::Store) -> Result<bool, DemoError> {
    Ok(store.site().sections().await?.is_empty())
}
