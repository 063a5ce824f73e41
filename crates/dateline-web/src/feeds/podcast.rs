//! The podcast: RSS 2.0 with Apple's podcast namespace (the `itunes:` tags every podcast app
//! reads), one episode per narrated article with its MP3 as the enclosure.

use std::fmt::Write;

use super::xml::{escape, rfc822};
use super::{Feed, PODCAST_FILE};

/// `H:MM:SS`, the form of `itunes:duration` every app accepts.
fn duration(duration_ms: i64) -> String {
    let seconds = (duration_ms.max(0) + 500) / 1000;
    format!(
        "{}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

pub fn write(
    feed: &Feed,
    files: &[dateline_db::AudioFiles],
    base_url: &str,
    artwork: &str,
) -> String {
    let mut out = String::with_capacity(2048 + feed.entries.len() * 1024);
    out.push_str(concat!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n",
        "<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\" ",
        "xmlns:itunes=\"http://www.itunes.com/dtds/podcast-1.0.dtd\">\n<channel>\n",
    ));
    let title = format!("{} (audio)", feed.title);
    // `write!` into a String cannot fail.
    let _ = write!(
        out,
        "<title>{title}</title>\n<link>{link}</link>\n<description>{description}</description>\n\
         <language>{language}</language>\n<lastBuildDate>{updated}</lastBuildDate>\n\
         <generator>{generator}</generator>\n\
         <atom:link href=\"{folder}/{PODCAST_FILE}\" rel=\"self\" type=\"application/rss+xml\"/>\n\
         <itunes:author>{author}</itunes:author>\n<itunes:summary>{description}</itunes:summary>\n\
         <itunes:image href=\"{artwork}\"/>\n<itunes:category text=\"News\"/>\n\
         <itunes:explicit>false</itunes:explicit>\n<itunes:type>episodic</itunes:type>\n\
         <image><url>{artwork}</url><title>{title}</title><link>{link}</link></image>\n",
        title = escape(&title),
        link = escape(&feed.home_url),
        description = escape(&format!("{} — read aloud", feed.description)),
        language = escape(&feed.language),
        updated = rfc822(feed.updated, &feed.zone),
        generator = feed.generator,
        folder = escape(&feed.folder_url),
        author = escape(feed.title.split(" – ").next().unwrap_or(&feed.title)),
        artwork = escape(artwork),
    );
    for (entry, audio) in feed.entries.iter().zip(files) {
        let enclosure = format!("{base_url}{}", crate::public::audio_url(&audio.mp3_key));
        let _ = write!(
            out,
            "<item>\n<title>{title}</title>\n<link>{link}</link>\n\
             <guid isPermaLink=\"false\">{link}#listen</guid>\n<pubDate>{published}</pubDate>\n\
             <description>{summary}</description>\n\
             <enclosure url=\"{enclosure}\" length=\"{length}\" type=\"audio/mpeg\"/>\n\
             <itunes:duration>{duration}</itunes:duration>\n<itunes:explicit>false</itunes:explicit>\n\
             <itunes:episodeType>full</itunes:episodeType>\n",
            title = escape(&entry.title),
            link = escape(&entry.url),
            published = rfc822(entry.published, &feed.zone),
            summary = escape(&entry.summary),
            enclosure = escape(&enclosure),
            length = audio.mp3_bytes,
            duration = duration(audio.duration_ms),
        );
        if let Some(image) = &entry.image {
            let _ = writeln!(out, "<itunes:image href=\"{}\"/>", escape(&image.url));
        }
        if let Some(author) = entry.authors.first() {
            let _ = writeln!(
                out,
                "<itunes:author>{}</itunes:author>",
                escape(&author.name)
            );
        }
        out.push_str("</item>\n");
    }
    out.push_str("</channel>\n</rss>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn durations_are_hours_minutes_seconds() {
        assert_eq!(duration(240_715), "0:04:01");
        assert_eq!(duration(3_725_400), "1:02:05");
        assert_eq!(duration(0), "0:00:00");
    }
}
