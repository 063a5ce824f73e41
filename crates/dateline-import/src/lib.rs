//! Reading the exports newsrooms leave WordPress, Ghost and Disqus with, into a [`Plan`] of
//! Dateline content: authors, sections, tags, articles, pages, images, readers, comments and the
//! old addresses that must keep answering. Nothing here writes; the importer's writer feeds the
//! plan to the newsroom's use cases. A file that cannot be read is refused whole, with where.
//!
//! ```no_run
//! let file = std::io::BufReader::new(std::fs::File::open("export.xml")?);
//! let plan = dateline_import::wordpress::read(file, &dateline_import::Options::default())?;
//! println!("{} articles", plan.articles.len());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod content;
pub mod disqus;
mod error;
pub mod generate;
pub mod ghost;
pub mod plan;
mod threads;
pub mod wordpress;
mod xml;

pub use error::{ImportError, Location};
pub use plan::Plan;

/// What the operator tells the reader about the export.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The old site's time zone. WordPress stores local and GMT times for published items but
    /// only local times for drafts; without this the offset is inferred from the published ones.
    pub time_zone: Option<jiff::tz::TimeZone>,
}
