//! JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/): `version`, `title`, `home_page_url`,
//! `feed_url`, and items with `id`, `url`, `title`, `summary`, `content_html`, `image`,
//! RFC 3339 dates, `authors` and `tags`.

use serde_json::{Value, json};

use super::xml::rfc3339;
use super::{Feed, Format};

pub fn write(feed: &Feed) -> String {
    let items: Vec<Value> = feed
        .entries
        .iter()
        .map(|entry| {
            let authors: Vec<Value> = entry
                .authors
                .iter()
                .map(|a| json!({"name": a.name, "url": a.url}))
                .collect();
            let tags: Vec<&str> = std::iter::once(&entry.section)
                .chain(&entry.tags)
                .map(|c| c.name.as_str())
                .collect();
            let mut item = json!({
                "id": entry.url,
                "url": entry.url,
                "title": entry.title,
                "summary": entry.summary,
                "content_html": entry.content_html,
                "date_published": rfc3339(entry.published, &feed.zone),
                "date_modified": rfc3339(entry.modified, &feed.zone),
                "authors": authors,
                "tags": tags,
                "language": entry.language,
            });
            if let (Some(image), Some(object)) = (&entry.image, item.as_object_mut()) {
                object.insert("image".to_owned(), Value::from(image.url.clone()));
            }
            item
        })
        .collect();
    let document = json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": feed.title,
        "description": feed.description,
        "home_page_url": feed.home_url,
        "feed_url": feed.self_url(Format::Json),
        "language": feed.language,
        "items": items,
    });
    // Serialising a `Value` cannot fail.
    serde_json::to_string(&document).unwrap_or_default()
}
