//! View models: what the templates get (see `themes/default/CONTEXT.md`), built from domain types.

use dateline_core::{
    ArticlePage, Image, PageLink, SectionRef, SiteSettings, StorySummary, jsonld, markdown, paths,
};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;

#[derive(Serialize)]
pub struct SiteView {
    pub name: String,
    pub tagline: String,
    pub language: String,
    pub base_url: String,
    pub logo_url: String,
    /// The library picture chosen as the logo in settings, if any.
    pub logo: Option<ImageView>,
    /// The corrections log, the policy pages set in settings and the published static pages,
    /// for the footer.
    pub standards: Vec<LinkView>,
}

/// The links that say how the newsroom works: the corrections log always, the policies when
/// settings name them, then every published static page in footer order. A page a setting
/// already links is listed once, under the setting's name.
pub fn standards_links(settings: &SiteSettings, pages: &[PageLink]) -> Vec<LinkView> {
    let mut links = vec![LinkView {
        name: "Corrections".to_owned(),
        url: paths::CORRECTIONS.to_owned(),
    }];
    for (name, url) in [
        ("Corrections policy", &settings.corrections_policy_url),
        ("Ethics policy", &settings.ethics_policy_url),
        ("How we use AI", &settings.ai_policy_url),
    ] {
        if let Some(url) = url {
            links.push(LinkView {
                name: name.to_owned(),
                url: url.clone(),
            });
        }
    }
    for page in pages {
        let url = paths::page(&page.slug);
        if !links.iter().any(|link| link.url == url) {
            links.push(LinkView {
                name: page.title.clone(),
                url,
            });
        }
    }
    links
}

#[derive(Serialize)]
pub struct AssetsView {
    pub css: String,
    pub js: String,
    pub favicon: String,
}

#[derive(Serialize)]
pub struct NavItem {
    pub name: String,
    pub url: String,
    pub current: bool,
}

#[derive(Serialize)]
pub struct PageMeta {
    pub title: String,
    pub description: String,
    pub canonical: String,
    pub robots: Option<String>,
}

#[derive(Serialize)]
pub struct MetaTag {
    pub property: Option<&'static str>,
    pub name: Option<&'static str>,
    pub content: String,
}

impl MetaTag {
    pub fn property(property: &'static str, content: impl Into<String>) -> Self {
        Self {
            property: Some(property),
            name: None,
            content: content.into(),
        }
    }
    pub fn name(name: &'static str, content: impl Into<String>) -> Self {
        Self {
            property: None,
            name: Some(name),
            content: content.into(),
        }
    }
}

#[derive(Serialize)]
pub struct TimeView {
    pub iso: String,
    pub display: String,
    pub display_time: String,
}

/// Formats times in the newsroom's zone, as readers of that newsroom expect.
#[derive(Clone)]
pub struct Clock {
    pub zone: TimeZone,
}

impl Clock {
    pub fn for_settings(settings: &SiteSettings) -> Self {
        Self {
            zone: TimeZone::get(&settings.time_zone).unwrap_or(TimeZone::UTC),
        }
    }

    pub fn time(&self, at: Timestamp) -> TimeView {
        let zoned = at.to_zoned_datetime(self.zone.clone());
        TimeView {
            iso: jsonld::iso_with_offset(at, &self.zone),
            display: zoned.strftime("%-d %B %Y").to_string(),
            display_time: format!("{} {}", zoned.strftime("%-I:%M %P"), zoned.strftime("%Z")),
        }
    }
}

#[derive(Serialize)]
pub struct LinkView {
    pub name: String,
    pub url: String,
}

#[derive(Serialize)]
pub struct ImageView {
    pub src: String,
    pub width: u32,
    pub height: u32,
    pub alt: String,
    pub caption: Option<String>,
    pub credit: Option<String>,
    pub label: Option<&'static str>,
    pub srcset_webp: String,
    pub srcset_jpeg: String,
    pub sizes: &'static str,
}

/// How wide pictures are drawn, for `sizes`: the hero spans the article column, cards a third.
pub const HERO_SIZES: &str = "(min-width: 64rem) 60rem, 100vw";
pub const CARD_SIZES: &str = "(min-width: 64rem) 20rem, (min-width: 40rem) 50vw, 100vw";
pub const LEAD_SIZES: &str = "(min-width: 64rem) 40rem, 100vw";

pub fn image_view(image: &Image, sizes: &'static str, preferred_width: u32) -> ImageView {
    let srcset = |format: &str| {
        image
            .variants_of(format)
            .iter()
            .map(|v| format!("{} {}w", paths::media(&v.key), v.width))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let jpegs = image.variants_of("jpeg");
    let fallback = jpegs
        .iter()
        .find(|v| v.width >= preferred_width)
        .or(jpegs.last())
        .copied();
    let (src, width, height) = match fallback {
        Some(v) => (paths::media(&v.key), v.width, v.height),
        None => (paths::media(&image.original_key), image.width, image.height),
    };
    ImageView {
        src,
        width,
        height,
        alt: image.alt.clone(),
        caption: image.caption.clone(),
        credit: image.credit.clone(),
        label: image.provenance_label(),
        srcset_webp: srcset("webp"),
        srcset_jpeg: srcset("jpeg"),
        sizes,
    }
}

#[derive(Serialize)]
pub struct StoryView {
    pub id: i64,
    pub headline: String,
    pub standfirst: String,
    pub url: String,
    pub section: LinkView,
    pub authors: Vec<LinkView>,
    pub published: TimeView,
    pub reading_minutes: u32,
    pub image: Option<ImageView>,
    /// Approved comments, on the cards of list pages (0 elsewhere: the card then shows none).
    pub comment_count: i64,
    /// Live coverage running now, on the front and section pages' cards (the "Live" badge).
    pub live: bool,
}

pub fn section_link(section: &SectionRef) -> LinkView {
    LinkView {
        name: section.name.clone(),
        url: paths::section(&section.slug),
    }
}

pub fn story_view(story: &StorySummary, clock: &Clock, sizes: &'static str) -> StoryView {
    StoryView {
        id: story.id,
        headline: story.headline.clone(),
        standfirst: story.standfirst.clone(),
        url: paths::article(&story.section.slug, &story.slug),
        section: section_link(&story.section),
        authors: story
            .authors
            .iter()
            .map(|a| LinkView {
                name: a.name.clone(),
                url: paths::author(&a.slug),
            })
            .collect(),
        published: clock.time(story.first_published_at),
        reading_minutes: story.reading_minutes,
        image: story
            .hero
            .as_ref()
            .map(|image| image_view(image, sizes, 480)),
        comment_count: 0,
        live: false,
    }
}

#[derive(Serialize)]
pub struct ArticleView {
    pub id: i64,
    pub headline: String,
    pub standfirst: String,
    pub section: LinkView,
    pub authors: Vec<LinkView>,
    pub reading_minutes: u32,
    pub published: TimeView,
    pub updated: Option<TimeView>,
    pub image: Option<ImageView>,
    pub body_html: String,
    pub url: String,
    pub dateline_place: Option<String>,
    pub tags: Vec<LinkView>,
    /// Corrections, clarifications and updates, newest first.
    pub notes: Vec<NoteView>,
    pub has_corrections: bool,
}

/// A correction, clarification or update as readers see it.
#[derive(Serialize)]
pub struct NoteView {
    /// For the `#note-{id}` anchor the corrections feeds link to.
    pub id: i64,
    /// `correction`, `clarification` or `update` (for styling).
    pub kind: &'static str,
    pub label: &'static str,
    pub text: String,
    pub time: TimeView,
}

pub fn note_view(note: &dateline_core::ArticleNote, clock: &Clock) -> NoteView {
    NoteView {
        id: note.id,
        kind: note.kind.as_str(),
        label: note.kind.label(),
        text: note.text.clone(),
        time: clock.time(note.published_at),
    }
}

/// An update is shown when the text changed more than a few minutes after publication: fixing
/// a typo in the first minutes is not news to readers.
const UPDATE_THRESHOLD_SECONDS: i64 = 5 * 60;

pub fn article_view(page: &ArticlePage, clock: &Clock, base_url: &str) -> ArticleView {
    let article = &page.article;
    let published_at = article.first_published_at.unwrap_or(article.updated_at);
    let updated = (article.updated_at.as_second() - published_at.as_second()
        > UPDATE_THRESHOLD_SECONDS)
        .then(|| clock.time(article.updated_at));
    ArticleView {
        id: article.id,
        headline: article.headline.clone(),
        standfirst: article.standfirst.clone(),
        section: LinkView {
            name: page.section.name.clone(),
            url: paths::section(&page.section.slug),
        },
        authors: page
            .authors
            .iter()
            .map(|a| LinkView {
                name: a.name.clone(),
                url: paths::author(&a.slug),
            })
            .collect(),
        reading_minutes: article.reading_minutes,
        published: clock.time(published_at),
        updated,
        image: page
            .hero
            .as_ref()
            .map(|image| image_view(image, HERO_SIZES, 960)),
        body_html: markdown::render_html(&article.body),
        url: format!(
            "{base_url}{}",
            paths::article(&page.section.slug, &article.slug)
        ),
        dateline_place: article.dateline_place.clone(),
        tags: page
            .tags
            .iter()
            .map(|t| LinkView {
                name: t.name.clone(),
                url: paths::tag(&t.slug),
            })
            .collect(),
        notes: page.notes.iter().map(|n| note_view(n, clock)).collect(),
        has_corrections: page
            .notes
            .iter()
            .any(|n| n.kind == dateline_core::NoteKind::Correction),
    }
}

#[derive(Serialize)]
pub struct ShareLink {
    pub network: &'static str,
    pub label: &'static str,
    pub url: String,
}

/// Each network's documented share endpoint; `{url}`, `{title}` and `{text}` (title and URL
/// together, for networks that take one text field) are filled in percent-encoded.
const SHARE_ENDPOINTS: &[(&str, &str, &str)] = &[
    (
        "x",
        "Share on X",
        "https://x.com/intent/post?url={url}&text={title}",
    ),
    (
        "facebook",
        "Share on Facebook",
        "https://www.facebook.com/sharer/sharer.php?u={url}",
    ),
    (
        "linkedin",
        "Share on LinkedIn",
        "https://www.linkedin.com/sharing/share-offsite/?url={url}",
    ),
    (
        "whatsapp",
        "Share on WhatsApp",
        "https://wa.me/?text={text}",
    ),
    (
        "bluesky",
        "Share on Bluesky",
        "https://bsky.app/intent/compose?text={text}",
    ),
    (
        "threads",
        "Share on Threads",
        "https://www.threads.net/intent/post?text={text}",
    ),
    (
        "reddit",
        "Share on Reddit",
        "https://www.reddit.com/submit?url={url}&title={title}",
    ),
    (
        "telegram",
        "Share on Telegram",
        "https://t.me/share/url?url={url}&text={title}",
    ),
    (
        "email",
        "Share by email",
        "mailto:?subject={title}&body={url}",
    ),
];

/// Share links are plain links: nothing loads from those hosts until the reader clicks.
pub fn share_links(url: &str, headline: &str) -> Vec<ShareLink> {
    let encode = |value: &str| utf8_percent_encode(value, NON_ALPHANUMERIC).to_string();
    let (url_part, title_part) = (encode(url), encode(headline));
    let text_part = encode(&format!("{headline} {url}"));
    SHARE_ENDPOINTS
        .iter()
        .map(|(network, label, template)| ShareLink {
            network,
            label,
            url: template
                .replace("{url}", &url_part)
                .replace("{title}", &title_part)
                .replace("{text}", &text_part),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_links_encode_url_and_text() {
        let links = share_links("https://news.example/politics/a?b=c", "Petro & Trump");
        assert_eq!(links.len(), 9);
        let x = &links[0];
        assert!(
            x.url
                .contains("url=https%3A%2F%2Fnews%2Eexample%2Fpolitics%2Fa%3Fb%3Dc")
        );
        assert!(x.url.contains("text=Petro%20%26%20Trump"));
        assert!(links.iter().any(|l| l.url.starts_with("mailto:?subject=")));
    }

    #[test]
    fn times_show_in_the_newsroom_zone() {
        let clock = Clock {
            zone: TimeZone::get("America/Bogota").expect("tz"),
        };
        let view = clock.time("2026-01-08T14:05:00Z".parse().expect("ts"));
        assert_eq!(view.iso, "2026-01-08T09:05:00-05:00");
        assert_eq!(view.display, "8 January 2026");
        assert!(
            view.display_time.starts_with("9:05 am"),
            "{}",
            view.display_time
        );
    }
}

/// The "Listen to this article" player: both files (Opus first: half the bytes wherever it
/// plays; MP3 for everything else) and the sentence timings the script highlights by.
#[derive(Serialize)]
pub struct ListenView {
    /// "M:SS", rounded to the nearest second like the player's own clock.
    pub duration: String,
    pub duration_iso: String,
    pub seconds: i64,
    pub mp3_url: String,
    pub opus_url: String,
    pub timings_url: String,
    pub script: String,
    /// Read by the fallback voice: said so under the player.
    pub synthetic_fallback: bool,
}

pub fn listen_view(files: &dateline_db::AudioFiles, script_url: &str) -> ListenView {
    let seconds = (files.duration_ms.max(0) + 500) / 1000;
    ListenView {
        duration: minutes_seconds(seconds),
        duration_iso: jsonld::iso_duration(files.duration_ms),
        seconds,
        mp3_url: crate::public::audio_url(&files.mp3_key),
        opus_url: crate::public::audio_url(&files.opus_key),
        timings_url: crate::public::audio_url(&files.timings_key),
        script: script_url.to_owned(),
        synthetic_fallback: files.is_fallback,
    }
}

/// `M:SS`, as a reader expects a running time.
pub fn minutes_seconds(seconds: i64) -> String {
    format!("{}:{:02}", seconds / 60, seconds % 60)
}
