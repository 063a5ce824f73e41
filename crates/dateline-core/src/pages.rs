//! Static pages: About, Contact, the corrections and ethics policies. A page has a title, an
//! address at the top of the site (`/about`), a Markdown body and a short description for search
//! results; it is a draft until an editor publishes it. Pages have no sections, bylines, tags or
//! discussion: they are the newsroom speaking about itself.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::refusal::{PageRefusal, limits};
use crate::{markdown, paths, slug};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageStatus {
    Draft,
    Published,
}

impl PageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "draft" => Some(Self::Draft),
            "published" => Some(Self::Published),
            _ => None,
        }
    }
}

impl std::fmt::Display for PageStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaticPage {
    pub id: i64,
    pub slug: String,
    pub title: String,
    /// For search results and link previews; made from the body when empty.
    pub description: String,
    /// Markdown, as written in the newsroom.
    pub body: String,
    pub status: PageStatus,
    /// Where the page's link sits in the footer among the published pages: lower comes first.
    pub position: i32,
    /// When readers first could see it; kept through unpublishing and republishing.
    pub first_published_at: Option<Timestamp>,
    pub updated_at: Timestamp,
    pub created_at: Timestamp,
    /// Bumped on every save: the optimistic-lock token.
    pub version: i64,
}

impl StaticPage {
    pub fn path(&self) -> String {
        paths::page(&self.slug)
    }

    /// The meta description: the one written, or the start of the text.
    pub fn summary(&self) -> String {
        if !self.description.trim().is_empty() {
            return self.description.trim().to_owned();
        }
        excerpt(
            &markdown::plain_text(&self.body),
            DESCRIPTION_FROM_BODY_CHARS,
        )
    }
}

/// A link to a published page, as the footer shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageLink {
    pub id: i64,
    pub slug: String,
    pub title: String,
}

/// Search engines show about this much of a description.
const DESCRIPTION_FROM_BODY_CHARS: usize = 160;

/// The first `max` characters of `text` on one line, cut at a word, with an ellipsis when cut.
fn excerpt(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let cut: String = flat.chars().take(max - 1).collect();
    let at_word = match cut.rfind(' ') {
        Some(space) if space > cut.len() / 2 => &cut[..space],
        _ => cut.as_str(),
    };
    format!("{}…", at_word.trim_end())
}

/// A page's fields as they are written (trimmed, the address made from the title when blank).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageFields {
    pub title: String,
    pub slug: String,
    pub description: String,
    pub body: String,
    pub position: i32,
}

/// Checks a page's fields against the rules that do not need the database (the address's shape
/// and whether it belongs to the application); everything wrong is reported at once. Whether a
/// section or another page has the address is the use case's to check.
pub fn check_fields(
    title: &str,
    slug_typed: &str,
    description: &str,
    body: &str,
    position: i32,
) -> Result<PageFields, Vec<PageRefusal>> {
    let mut refused = Vec::new();
    let title = title.trim();
    if title.is_empty() {
        refused.push(PageRefusal::TitleMissing);
    } else if title.chars().count() > limits::PAGE_TITLE_CHARS {
        refused.push(PageRefusal::TitleTooLong {
            max: limits::PAGE_TITLE_CHARS,
        });
    }
    let slug = match slug_typed.trim() {
        "" => {
            let made = slug::slugify(title);
            if made.is_empty() && !title.is_empty() {
                refused.push(PageRefusal::SlugUnusable);
            }
            made
        }
        typed if slug::is_valid_slug(typed) => typed.to_owned(),
        typed => {
            refused.push(PageRefusal::SlugInvalid);
            typed.to_owned()
        }
    };
    if paths::RESERVED_SECTION_SLUGS.contains(&slug.as_str()) {
        refused.push(PageRefusal::SlugReserved { slug: slug.clone() });
    }
    let description = description.trim();
    if description.chars().count() > limits::PAGE_DESCRIPTION_CHARS {
        refused.push(PageRefusal::DescriptionTooLong {
            max: limits::PAGE_DESCRIPTION_CHARS,
        });
    }
    if body.chars().count() > limits::BODY_CHARS {
        refused.push(PageRefusal::BodyTooLong {
            max: limits::BODY_CHARS,
        });
    }
    if refused.is_empty() {
        Ok(PageFields {
            title: title.to_owned(),
            slug,
            description: description.to_owned(),
            body: body.to_owned(),
            position,
        })
    } else {
        Err(refused)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_made_from_the_title_and_the_sites_own_routes_are_refused() {
        let fields = check_fields(" About us ", "", "", "We report.", 0).expect("fine");
        assert_eq!(fields.slug, "about-us");
        assert_eq!(fields.title, "About us");
        assert_eq!(
            check_fields("Search", "", "", "", 0),
            Err(vec![PageRefusal::SlugReserved {
                slug: "search".into()
            }])
        );
        assert_eq!(
            check_fields("", "Not A Slug", "", "", 0),
            Err(vec![PageRefusal::TitleMissing, PageRefusal::SlugInvalid])
        );
        assert_eq!(
            check_fields("¿?", "", "", "", 0),
            Err(vec![PageRefusal::SlugUnusable])
        );
        let long = "x".repeat(limits::PAGE_DESCRIPTION_CHARS + 1);
        assert_eq!(
            check_fields("About", "about", &long, "", 0),
            Err(vec![PageRefusal::DescriptionTooLong {
                max: limits::PAGE_DESCRIPTION_CHARS
            }])
        );
    }

    #[test]
    fn without_a_description_the_summary_is_the_start_of_the_text() {
        let mut page = StaticPage {
            id: 1,
            slug: "about".into(),
            title: "About".into(),
            description: String::new(),
            body: format!("# Who we are\n\nWe **report** {}", "news ".repeat(60)),
            status: PageStatus::Published,
            position: 0,
            first_published_at: None,
            updated_at: Timestamp::UNIX_EPOCH,
            created_at: Timestamp::UNIX_EPOCH,
            version: 1,
        };
        let summary = page.summary();
        assert!(
            summary.starts_with("Who we are We report news"),
            "{summary}"
        );
        assert!(summary.ends_with('…'), "{summary}");
        assert!(summary.chars().count() <= DESCRIPTION_FROM_BODY_CHARS);
        page.description = " Written by hand. ".into();
        assert_eq!(page.summary(), "Written by hand.");
        assert_eq!(page.path(), "/about");
    }
}
