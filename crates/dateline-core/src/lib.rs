//! Dateline's domain, free of IO: what an article, a section and an author are, and the rules that
//! turn them into what readers and machines see (reading time, Markdown, slugs, JSON-LD, provenance).
//!
//! Everything here is deterministic and cheap to test; the store, the web layer and the CLI build on it.

pub mod comments;
pub mod jobs;
pub mod jsonld;
pub mod live;
pub mod markdown;
pub mod model;
pub mod narration;
pub mod notes;
pub mod pages;
pub mod paging;
pub mod permissions;
pub mod provenance;
pub mod reading_time;
pub mod redirect;
pub mod refusal;
pub mod revisions;
pub mod slug;
pub mod staff;
pub mod tips;
pub mod workflow;

pub use jobs::JobKind;
pub use live::{Coverage, EntryByline, EntryNote, LiveEntry};
pub use model::*;
pub use notes::{ArticleNote, CorrectionEntry, NoteKind};
pub use pages::{PageLink, PageStatus, StaticPage};
pub use permissions::{Action, may_change_byline, permits};
pub use refusal::{
    ArticleRefusal, AuthorRefusal, Field, ImageRefusal, LiveRefusal, ModerationRefusal,
    NarrationRefusal, NoteRefusal, PageRefusal, PasswordRefusal, PeopleRefusal, ReaderRefusal,
    Refusal, Refusals, SectionRefusal, SettingsRefusal, TipRefusal, TokenRefusal,
};
pub use revisions::ArticleSnapshot;
pub use staff::{Role, StaffMember};
pub use tips::{TipKind, TipResolution, TipStatus};
