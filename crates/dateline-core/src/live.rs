//! Live coverage: an article that carries a stream of short, timestamped entries, newest first,
//! while a story breaks. The article keeps its headline, standfirst and summary (its body); the
//! entries are the coverage. Coverage starts when the live article is published (or when a
//! published story is turned into live coverage) and ends when the newsroom ends it: the page
//! then says so and its entries no longer change, except for corrections.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::notes::NoteKind;
use crate::refusal::LiveRefusal;
use crate::{Article, ArticleStatus, AuthorRef};

/// The limits an entry is held to, whoever posts it (the desk, the Admin API, the demo).
pub mod limits {
    /// A live entry's headline is a line, not a story headline.
    pub const HEADLINE_CHARS: usize = 200;
    /// An entry is a few paragraphs; longer is an article of its own.
    pub const BODY_CHARS: usize = 20_000;
    pub const EMBED_URL_CHARS: usize = 2_000;
    /// Pinned entries sit above the stream; more than a few push the news below the fold.
    pub const PINNED_ENTRIES: usize = 3;
}

/// How many entries one page of a live article shows (pinned entries come on top of page 1).
pub const ENTRIES_PER_PAGE: i64 = 20;

/// When an article's live coverage runs. Present only on live articles.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    /// Set when a story already published became live coverage; otherwise coverage starts at
    /// first publication.
    pub started_at: Option<Timestamp>,
    /// When the newsroom ended the coverage; the page is frozen from then on.
    pub ended_at: Option<Timestamp>,
}

impl Article {
    pub fn is_live(&self) -> bool {
        self.live.is_some()
    }

    /// When coverage began: `None` for a story, or a live article not yet published.
    pub fn coverage_start(&self) -> Option<Timestamp> {
        let coverage = self.live.as_ref()?;
        coverage.started_at.or(self.first_published_at)
    }

    pub fn coverage_end(&self) -> Option<Timestamp> {
        self.live.as_ref().and_then(|coverage| coverage.ended_at)
    }

    /// Live coverage readers can see running now: published, live, not ended. What shows the
    /// "Live" badge and keeps the page's event stream open.
    pub fn is_live_now(&self) -> bool {
        self.status == ArticleStatus::Published
            && self.live.as_ref().is_some_and(|c| c.ended_at.is_none())
    }
}

/// Who an entry is by: the byline it was posted under, or the poster's name when they write
/// under none (a newsroom account without an author profile, the platform).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryByline {
    pub name: String,
    pub author: Option<AuthorRef>,
}

/// One entry of a live article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveEntry {
    pub id: i64,
    pub article_id: i64,
    pub headline: Option<String>,
    /// Markdown, sanitised when shown like an article body.
    pub body: String,
    pub image_id: Option<i64>,
    /// A link to a post, video or document elsewhere, shown as a link: nothing is loaded from
    /// another site until the reader follows it.
    pub embed_url: Option<String>,
    pub key_event: bool,
    pub pinned: bool,
    pub byline: EntryByline,
    pub posted_at: Timestamp,
    /// When the entry's text, flags or notes last changed (`dateModified`).
    pub updated_at: Timestamp,
    /// Bumped on every change; the optimistic lock of an edit.
    pub version: i64,
    /// Corrections, clarifications and updates to this entry, newest first.
    pub notes: Vec<EntryNote>,
}

/// A correction, clarification or update to one entry, shown with it like an article's notes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryNote {
    pub id: i64,
    pub entry_id: i64,
    pub kind: NoteKind,
    pub text: String,
    pub published_at: Timestamp,
}

/// The anchor of an entry on its page: `#entry-{id}` is its permalink. Google's live blog
/// guidelines ask for the page URL plus an anchor, without query parameters.
pub fn entry_anchor(entry_id: i64) -> String {
    format!("entry-{entry_id}")
}

/// An entry's text as someone gave it, checked by [`check_entry`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntryText {
    pub headline: String,
    pub body: String,
    pub embed_url: String,
}

/// The entry text as stored: trimmed, blanks as `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedEntry {
    pub headline: Option<String>,
    pub body: String,
    pub embed_url: Option<String>,
}

/// Checks an entry's text; every problem is reported at once.
pub fn check_entry(text: &EntryText) -> Result<CheckedEntry, Vec<LiveRefusal>> {
    let mut refused = Vec::new();
    let headline = text.headline.trim();
    if headline.chars().count() > limits::HEADLINE_CHARS {
        refused.push(LiveRefusal::HeadlineTooLong {
            max: limits::HEADLINE_CHARS,
        });
    }
    if headline.contains(['\n', '\r']) {
        refused.push(LiveRefusal::HeadlineOneLine);
    }
    let body = text.body.trim();
    if body.is_empty() {
        refused.push(LiveRefusal::BodyMissing);
    } else if body.chars().count() > limits::BODY_CHARS {
        refused.push(LiveRefusal::BodyTooLong {
            max: limits::BODY_CHARS,
        });
    }
    let embed = text.embed_url.trim();
    if !embed.is_empty() && !is_embeddable(embed) {
        refused.push(LiveRefusal::EmbedInvalid);
    }
    if !refused.is_empty() {
        return Err(refused);
    }
    Ok(CheckedEntry {
        headline: (!headline.is_empty()).then(|| headline.to_owned()),
        body: body.to_owned(),
        embed_url: (!embed.is_empty()).then(|| embed.to_owned()),
    })
}

/// An embed is an `https://` address of a host (RFC 3986 authority without user information),
/// with nothing that could break out of an attribute or name a local file.
fn is_embeddable(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("https://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    url.chars().count() <= limits::EMBED_URL_CHARS
        && !authority.is_empty()
        && !authority.contains('@')
        && authority
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
        && url
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '<' | '>' | '\\' | '`'))
}

/// The host an embed points at, for its link text ("youtube.com").
pub fn embed_host(url: &str) -> &str {
    let rest = url.strip_prefix("https://").unwrap_or(url);
    let host = rest.split(['/', '?', '#', ':']).next().unwrap_or(rest);
    host.strip_prefix("www.").unwrap_or(host)
}

/// The short title of an entry where a title is needed (feeds, narration, the key events list):
/// its headline, else the first words of its text.
pub fn entry_title(entry: &LiveEntry) -> String {
    if let Some(headline) = &entry.headline {
        return headline.clone();
    }
    const WORDS: usize = 12;
    let text = crate::markdown::plain_text(&entry.body);
    let mut words = text.split_whitespace();
    let mut title: Vec<&str> = words.by_ref().take(WORDS).collect();
    if words.next().is_some() {
        if let Some(last) = title.last_mut() {
            *last = last.trim_end_matches(['.', ',', ';', ':']);
        }
        let mut out = title.join(" ");
        out.push('…');
        return out;
    }
    title.retain(|w| !w.is_empty());
    title.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(headline: &str, body: &str, embed: &str) -> EntryText {
        EntryText {
            headline: headline.into(),
            body: body.into(),
            embed_url: embed.into(),
        }
    }

    #[test]
    fn an_entry_needs_text_and_keeps_to_its_limits() {
        let checked = check_entry(&text("  ", " Petro lands. ", "")).expect("valid");
        assert_eq!(checked.headline, None);
        assert_eq!(checked.body, "Petro lands.");
        assert_eq!(checked.embed_url, None);

        let refused = check_entry(&text(
            &"h".repeat(limits::HEADLINE_CHARS + 1),
            "  ",
            "javascript:alert(1)",
        ))
        .expect_err("three problems");
        assert_eq!(
            refused,
            vec![
                LiveRefusal::HeadlineTooLong {
                    max: limits::HEADLINE_CHARS
                },
                LiveRefusal::BodyMissing,
                LiveRefusal::EmbedInvalid,
            ]
        );
        let long = check_entry(&text("", &"b".repeat(limits::BODY_CHARS + 1), ""));
        assert_eq!(
            long,
            Err(vec![LiveRefusal::BodyTooLong {
                max: limits::BODY_CHARS
            }])
        );
        assert_eq!(
            check_entry(&text("Two\nlines", "Body", "")),
            Err(vec![LiveRefusal::HeadlineOneLine])
        );
    }

    #[test]
    fn embeds_are_plain_https_addresses() {
        for good in [
            "https://www.youtube.com/watch?v=abc",
            "https://bsky.app/profile/x/post/1",
            "https://example.org:8443/a#b",
        ] {
            assert!(is_embeddable(good), "{good}");
        }
        for bad in [
            "http://example.org/",
            "https://",
            "https://user:pass@example.org/",
            "https://example.org/\"onmouseover=alert(1)",
            "https://exa mple.org/",
            "https://example.org/<script>",
            "data:text/html,x",
            "//example.org",
        ] {
            assert!(!is_embeddable(bad), "{bad}");
        }
        assert_eq!(
            embed_host("https://www.youtube.com/watch?v=1"),
            "youtube.com"
        );
        assert_eq!(embed_host("https://bsky.app:443/x"), "bsky.app");
    }

    fn entry(headline: Option<&str>, body: &str) -> LiveEntry {
        LiveEntry {
            id: 7,
            article_id: 1,
            headline: headline.map(str::to_owned),
            body: body.into(),
            image_id: None,
            embed_url: None,
            key_event: false,
            pinned: false,
            byline: EntryByline {
                name: "Ada".into(),
                author: None,
            },
            posted_at: Timestamp::UNIX_EPOCH,
            updated_at: Timestamp::UNIX_EPOCH,
            version: 1,
            notes: Vec::new(),
        }
    }

    #[test]
    fn an_entry_is_titled_by_its_headline_or_first_words() {
        assert_eq!(entry_title(&entry(Some("Petro lands"), "x")), "Petro lands");
        assert_eq!(
            entry_title(&entry(None, "The **plane** touched down at Andrews.")),
            "The plane touched down at Andrews."
        );
        assert_eq!(
            entry_title(&entry(
                None,
                "One two three four five six seven eight nine ten eleven twelve, thirteen."
            )),
            "One two three four five six seven eight nine ten eleven twelve…"
        );
        assert_eq!(entry_anchor(7), "entry-7");
    }

    #[test]
    fn coverage_runs_from_publication_until_ended() {
        let published: Timestamp = "2026-01-08T14:00:00Z".parse().expect("ts");
        let mut article = Article {
            id: 1,
            section_id: 1,
            slug: "live".into(),
            headline: "Live".into(),
            standfirst: String::new(),
            body: String::new(),
            dateline_place: None,
            status: ArticleStatus::Draft,
            scheduled_for: None,
            first_published_at: None,
            updated_at: published,
            created_at: published,
            hero_image_id: None,
            comments_open: true,
            language: "en".into(),
            reading_minutes: 1,
            version: 1,
            live: Some(Coverage::default()),
        };
        assert!(article.is_live() && !article.is_live_now());
        assert_eq!(article.coverage_start(), None);
        article.status = ArticleStatus::Published;
        article.first_published_at = Some(published);
        assert!(article.is_live_now());
        assert_eq!(article.coverage_start(), Some(published));
        let ended: Timestamp = "2026-01-08T20:00:00Z".parse().expect("ts");
        article.live = Some(Coverage {
            started_at: None,
            ended_at: Some(ended),
        });
        assert!(!article.is_live_now());
        assert_eq!(article.coverage_end(), Some(ended));
        article.live = None;
        assert_eq!(article.coverage_start(), None);
    }
}
