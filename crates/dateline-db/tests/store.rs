//! The store's integration tests, one binary for the whole crate.
//!
//! Every test is an `async fn(TestStore)` that `dateline_db::both_backends!` runs twice: on a fresh
//! SQLite file (`…::sqlite::name`) and on a fresh PostgreSQL schema (`…::postgres::name`). The
//! PostgreSQL half needs `DATELINE_TEST_POSTGRES_URL` (`scripts/test` starts a throwaway server and
//! sets it); without it those tests fail and say so, they never skip.
//!
//! Run one area or one backend with a filter: `cargo test -p dateline-db --test store jobs::`,
//! `… --test store sqlite::`.

// The workspace denies `unwrap` outside tests; `allow-unwrap-in-tests` only covers `#[test]`
// functions, and these tests are plain `async fn`s the macro wraps.
#![allow(clippy::unwrap_used)]

#[path = "store/support.rs"]
mod support;

#[path = "store/article_read.rs"]
mod article_read;
#[path = "store/articles.rs"]
mod articles;
#[path = "store/auth.rs"]
mod auth;
#[path = "store/catalog.rs"]
mod catalog;
#[path = "store/changes.rs"]
mod changes;
#[path = "store/clock.rs"]
mod clock;
#[path = "store/comments.rs"]
mod comments;
#[path = "store/desk.rs"]
mod desk;
#[path = "store/editorial.rs"]
mod editorial;
#[path = "store/jobs.rs"]
mod jobs;
#[path = "store/library.rs"]
mod library;
#[path = "store/live.rs"]
mod live;
#[path = "store/migrations.rs"]
mod migrations;
#[path = "store/narration.rs"]
mod narration;
#[path = "store/public_pages.rs"]
mod public_pages;
#[path = "store/sections.rs"]
mod sections;
#[path = "store/shared.rs"]
mod shared;
#[path = "store/staff.rs"]
mod staff;
#[path = "store/stories.rs"]
mod stories;
#[path = "store/tips.rs"]
mod tips;
#[path = "store/urls.rs"]
mod urls;

/// The reference article the article page is built to (see `DESIGN.md`), kept outside the repo in
/// the shared folder next to it.
const SEED_ARTICLE: &str = include_str!("../../../../shared/reference/seed-article.txt");
