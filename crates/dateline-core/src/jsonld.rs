//! schema.org `NewsArticle` as search engines and aggregators read it
//! (https://schema.org/NewsArticle, Google's "Article" structured-data guidelines).

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::{Value, json};

use crate::provenance::DigitalSourceType;

pub struct Publisher<'a> {
    pub name: &'a str,
    pub url: &'a str,
    pub logo_url: &'a str,
    pub logo_width: u32,
    pub logo_height: u32,
    /// schema.org `correctionsPolicy`: how the newsroom handles its mistakes.
    pub corrections_policy_url: Option<&'a str>,
    /// schema.org `ethicsPolicy`, also given as `publishingPrinciples`.
    pub ethics_policy_url: Option<&'a str>,
}

/// A published correction, as schema.org `CorrectionComment`.
pub struct CorrectionLd<'a> {
    pub text: &'a str,
    pub date_published: Timestamp,
}

pub struct PersonLd<'a> {
    pub name: &'a str,
    pub url: &'a str,
}

pub struct ImageLd<'a> {
    pub url: &'a str,
    pub width: u32,
    pub height: u32,
    pub caption: Option<&'a str>,
    pub credit: Option<&'a str>,
    pub source_type: Option<DigitalSourceType>,
}

pub struct NewsArticleLd<'a> {
    pub url: &'a str,
    pub headline: &'a str,
    pub description: &'a str,
    pub section: &'a str,
    pub keywords: Vec<&'a str>,
    pub date_published: Timestamp,
    pub date_modified: Timestamp,
    pub time_zone: &'a TimeZone,
    pub language: &'a str,
    pub word_count: usize,
    pub authors: Vec<PersonLd<'a>>,
    pub images: Vec<ImageLd<'a>>,
    pub publisher: Publisher<'a>,
    /// Corrections only (not clarifications or updates), newest first.
    pub corrections: Vec<CorrectionLd<'a>>,
    /// The article read aloud, when it has been narrated.
    pub audio: Option<AudioLd<'a>>,
}

/// The narration as a schema.org `AudioObject`: the canonical MP3.
pub struct AudioLd<'a> {
    pub content_url: &'a str,
    pub duration_ms: i64,
    pub size_bytes: i64,
}

/// An ISO 8601 duration in whole seconds, as schema.org's `duration` wants it: `PT4M12S`.
pub fn iso_duration(duration_ms: i64) -> String {
    let seconds = (duration_ms.max(0) + 500) / 1000;
    let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    let mut out = String::from("PT");
    if hours > 0 {
        out.push_str(&format!("{hours}H"));
    }
    if minutes > 0 {
        out.push_str(&format!("{minutes}M"));
    }
    if seconds > 0 || (hours == 0 && minutes == 0) {
        out.push_str(&format!("{seconds}S"));
    }
    out
}

/// ISO 8601 with the site's UTC offset, e.g. `2026-01-08T09:05:00-05:00`: schema.org and Google
/// ask for a time zone on every date.
pub fn iso_with_offset(at: Timestamp, zone: &TimeZone) -> String {
    at.to_zoned_datetime(zone.clone())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

impl NewsArticleLd<'_> {
    pub fn to_value(&self) -> Value {
        let authors: Vec<Value> = self.authors.iter().map(person).collect();
        let images: Vec<Value> = self.images.iter().map(image_object).collect();
        let mut value = json!({
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "mainEntityOfPage": {"@type": "WebPage", "@id": self.url},
            "url": self.url,
            "headline": self.headline,
            "description": self.description,
            "articleSection": self.section,
            "datePublished": iso_with_offset(self.date_published, self.time_zone),
            "dateModified": iso_with_offset(self.date_modified, self.time_zone),
            "inLanguage": self.language,
            "wordCount": self.word_count,
            "author": authors,
            "image": images,
            "isAccessibleForFree": true,
            "publisher": {
                "@type": "NewsMediaOrganization",
                "name": self.publisher.name,
                "url": self.publisher.url,
                "logo": {
                    "@type": "ImageObject",
                    "url": self.publisher.logo_url,
                    "width": self.publisher.logo_width,
                    "height": self.publisher.logo_height,
                },
            },
        });
        if !self.keywords.is_empty() {
            value["keywords"] = json!(self.keywords);
        }
        if let Some(url) = self.publisher.corrections_policy_url {
            value["publisher"]["correctionsPolicy"] = json!(url);
        }
        if let Some(url) = self.publisher.ethics_policy_url {
            value["publisher"]["ethicsPolicy"] = json!(url);
            value["publisher"]["publishingPrinciples"] = json!(url);
        }
        if !self.corrections.is_empty() {
            value["correction"] = corrections(&self.corrections, self.time_zone);
        }
        if let Some(audio) = &self.audio {
            value["audio"] = json!({
                "@type": "AudioObject",
                "name": self.headline,
                "contentUrl": audio.content_url,
                "duration": iso_duration(audio.duration_ms),
                "encodingFormat": "audio/mpeg",
                "contentSize": format!("{} B", audio.size_bytes),
            });
        }
        value
    }
}

/// One entry of live coverage as a schema.org `BlogPosting` inside `liveBlogUpdate`.
pub struct BlogUpdateLd<'a> {
    /// The live page's URL with the entry's anchor (`…#entry-12`): Google's live blog
    /// guidelines ask for the page URL plus an anchor, without query parameters.
    pub url: String,
    pub headline: String,
    /// Plain text of the entry.
    pub body: String,
    pub date_published: Timestamp,
    pub date_modified: Timestamp,
    pub authors: Vec<PersonLd<'a>>,
    pub image: Option<ImageLd<'a>>,
    pub corrections: Vec<CorrectionLd<'a>>,
}

/// A live article as schema.org `LiveBlogPosting` (a `BlogPosting`, so an `Article`: every
/// `NewsArticle` property the page carries still applies), with its coverage times and updates.
pub struct LiveBlogPostingLd<'a> {
    pub article: NewsArticleLd<'a>,
    pub coverage_start: Timestamp,
    /// When coverage ended, or, while it runs, when it is expected to (schema.org: "the time
    /// when the live blog will stop covering the Event").
    pub coverage_end: Timestamp,
    /// Newest first, as on the page.
    pub updates: Vec<BlogUpdateLd<'a>>,
}

fn person(person: &PersonLd<'_>) -> Value {
    if person.url.is_empty() {
        json!({"@type": "Person", "name": person.name})
    } else {
        json!({"@type": "Person", "name": person.name, "url": person.url})
    }
}

fn image_object(image: &ImageLd<'_>) -> Value {
    let mut object = json!({
        "@type": "ImageObject",
        "url": image.url,
        "contentUrl": image.url,
        "width": image.width,
        "height": image.height,
    });
    if let Some(caption) = image.caption {
        object["caption"] = json!(caption);
    }
    if let Some(credit) = image.credit {
        object["creditText"] = json!(credit);
    }
    if let Some(source_type) = image.source_type {
        object["digitalSourceType"] = json!(source_type.uri());
    }
    object
}

fn corrections(list: &[CorrectionLd<'_>], zone: &TimeZone) -> Value {
    list.iter()
        .map(|c| {
            json!({
                "@type": "CorrectionComment",
                "text": c.text,
                "datePublished": iso_with_offset(c.date_published, zone),
            })
        })
        .collect()
}

impl LiveBlogPostingLd<'_> {
    pub fn to_value(&self) -> Value {
        let zone = self.article.time_zone;
        let mut value = self.article.to_value();
        value["@type"] = json!("LiveBlogPosting");
        value["coverageStartTime"] = json!(iso_with_offset(self.coverage_start, zone));
        value["coverageEndTime"] = json!(iso_with_offset(self.coverage_end, zone));
        let updates: Vec<Value> = self
            .updates
            .iter()
            .map(|update| {
                let mut posting = json!({
                    "@type": "BlogPosting",
                    "url": update.url,
                    "headline": update.headline,
                    "articleBody": update.body,
                    "datePublished": iso_with_offset(update.date_published, zone),
                    "dateModified": iso_with_offset(update.date_modified, zone),
                    "author": update.authors.iter().map(person).collect::<Vec<_>>(),
                });
                if let Some(image) = &update.image {
                    posting["image"] = image_object(image);
                }
                if !update.corrections.is_empty() {
                    posting["correction"] = corrections(&update.corrections, zone);
                }
                posting
            })
            .collect();
        value["liveBlogUpdate"] = json!(updates);
        value
    }
}

/// Serialises JSON for a `<script type="application/ld+json">` element: `<`, `>` and `&` are
/// escaped so no text in an article can close the element early (HTML spec, "script data").
pub fn to_script_json(value: &Value) -> String {
    let raw = value.to_string();
    let mut safe = String::with_capacity(raw.len() + 16);
    for c in raw.chars() {
        match c {
            '<' => safe.push_str("\\u003c"),
            '>' => safe.push_str("\\u003e"),
            '&' => safe.push_str("\\u0026"),
            '\u{2028}' => safe.push_str("\\u2028"),
            '\u{2029}' => safe.push_str("\\u2029"),
            other => safe.push(other),
        }
    }
    safe
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(zone: &TimeZone) -> NewsArticleLd<'_> {
        NewsArticleLd {
            url: "https://news.example/politics/story",
            headline: "Headline </script><script>alert(1)</script>",
            description: "Standfirst",
            section: "Politics",
            keywords: vec!["Colombia"],
            date_published: "2026-01-08T14:05:00Z".parse().expect("timestamp"),
            date_modified: "2026-01-08T16:00:00Z".parse().expect("timestamp"),
            time_zone: zone,
            language: "en",
            word_count: 640,
            authors: vec![PersonLd {
                name: "James Thompson",
                url: "https://news.example/authors/james-thompson",
            }],
            images: vec![ImageLd {
                url: "https://news.example/media/a.jpg",
                width: 1600,
                height: 900,
                caption: Some("Caption"),
                credit: Some("Dateline Studio"),
                source_type: Some(DigitalSourceType::TrainedAlgorithmicMedia),
            }],
            publisher: Publisher {
                name: "The Dateline",
                url: "https://news.example",
                logo_url: "https://news.example/static/logo.png",
                logo_width: 600,
                logo_height: 60,
                corrections_policy_url: Some("https://news.example/corrections-policy"),
                ethics_policy_url: None,
            },
            corrections: vec![CorrectionLd {
                text: "An earlier version gave the wrong date of the visit.",
                date_published: "2026-01-09T15:30:00Z".parse().expect("timestamp"),
            }],
            audio: Some(AudioLd {
                content_url: "https://news.example/audio/ab.mp3",
                duration_ms: 252_400,
                size_bytes: 1_514_400,
            }),
        }
    }

    #[test]
    fn audio_is_an_audio_object_with_an_iso_duration() {
        let zone = TimeZone::UTC;
        let value = sample(&zone).to_value();
        assert_eq!(value["audio"]["@type"], "AudioObject");
        assert_eq!(value["audio"]["duration"], "PT4M12S");
        assert_eq!(value["audio"]["encodingFormat"], "audio/mpeg");
        assert_eq!(
            value["audio"]["contentUrl"],
            "https://news.example/audio/ab.mp3"
        );
        assert_eq!(iso_duration(0), "PT0S");
        assert_eq!(iso_duration(59_600), "PT1M");
        assert_eq!(iso_duration(3_723_000), "PT1H2M3S");
    }

    #[test]
    fn carries_the_fields_design_lists() {
        let zone = TimeZone::get("America/New_York").expect("tzdb");
        let value = sample(&zone).to_value();
        assert_eq!(value["@type"], "NewsArticle");
        assert_eq!(value["datePublished"], "2026-01-08T09:05:00-05:00");
        assert_eq!(value["author"][0]["@type"], "Person");
        assert_eq!(value["publisher"]["@type"], "NewsMediaOrganization");
        assert_eq!(value["image"][0]["creditText"], "Dateline Studio");
        assert_eq!(
            value["image"][0]["digitalSourceType"],
            "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
        );
        assert_eq!(value["correction"][0]["@type"], "CorrectionComment");
        assert_eq!(
            value["correction"][0]["datePublished"],
            "2026-01-09T10:30:00-05:00"
        );
        assert_eq!(
            value["publisher"]["correctionsPolicy"],
            "https://news.example/corrections-policy"
        );
        assert!(value["publisher"].get("ethicsPolicy").is_none());
    }

    #[test]
    fn no_corrections_means_no_correction_property() {
        let zone = TimeZone::UTC;
        let mut document = sample(&zone);
        document.corrections.clear();
        assert!(document.to_value().get("correction").is_none());
    }

    /// Google's live blog guidelines: the `LiveBlogPosting` needs `coverageStartTime`,
    /// `coverageEndTime`, `headline` and `liveBlogUpdate`, and recommends the article's own
    /// fields (`datePublished`, `dateModified`, `author`, `image`, `publisher`, `description`);
    /// each `BlogPosting` update needs `headline`, `articleBody`, `datePublished` and a `url`
    /// that is the page's plus an anchor, without query parameters.
    #[test]
    fn a_live_blog_has_what_google_asks_for() {
        let zone = TimeZone::get("America/New_York").expect("tzdb");
        let live = LiveBlogPostingLd {
            article: sample(&zone),
            coverage_start: "2026-01-08T14:05:00Z".parse().expect("ts"),
            coverage_end: "2026-01-09T02:00:00Z".parse().expect("ts"),
            updates: vec![BlogUpdateLd {
                url: "https://news.example/politics/story#entry-12".into(),
                headline: "Petro lands".into(),
                body: "The plane touched down.".into(),
                date_published: "2026-01-08T15:00:00Z".parse().expect("ts"),
                date_modified: "2026-01-08T15:10:00Z".parse().expect("ts"),
                authors: vec![PersonLd {
                    name: "Desk",
                    url: "",
                }],
                image: None,
                corrections: vec![CorrectionLd {
                    text: "The plane landed at Andrews, not Dulles.",
                    date_published: "2026-01-08T15:10:00Z".parse().expect("ts"),
                }],
            }],
        };
        let value = live.to_value();
        assert_eq!(value["@type"], "LiveBlogPosting");
        for required in [
            "coverageStartTime",
            "coverageEndTime",
            "headline",
            "liveBlogUpdate",
            "datePublished",
            "dateModified",
            "author",
            "image",
            "publisher",
            "description",
            "mainEntityOfPage",
        ] {
            assert!(value.get(required).is_some(), "{required}");
        }
        assert_eq!(value["coverageStartTime"], "2026-01-08T09:05:00-05:00");
        assert_eq!(value["coverageEndTime"], "2026-01-08T21:00:00-05:00");
        let update = &value["liveBlogUpdate"][0];
        assert_eq!(update["@type"], "BlogPosting");
        for required in [
            "headline",
            "articleBody",
            "datePublished",
            "dateModified",
            "url",
            "author",
        ] {
            assert!(update.get(required).is_some(), "update {required}");
        }
        let url = update["url"].as_str().expect("url");
        assert!(url.contains("#entry-") && !url.contains('?'), "{url}");
        assert_eq!(
            update["author"][0],
            json!({"@type": "Person", "name": "Desk"})
        );
        assert_eq!(update["correction"][0]["@type"], "CorrectionComment");
    }

    #[test]
    fn script_json_cannot_close_the_element() {
        let zone = TimeZone::UTC;
        let text = to_script_json(&sample(&zone).to_value());
        assert!(!text.contains("</script"));
        assert!(!text.contains('<'));
        let back: Value = serde_json::from_str(&text).expect("still JSON");
        assert!(
            back["headline"]
                .as_str()
                .expect("str")
                .contains("</script>")
        );
    }
}
