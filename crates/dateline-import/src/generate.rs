//! A synthetic WordPress export of any size, for benchmarks (the parse bench here, the end-to-end
//! import bench later). Deterministic: the same sizes give the same bytes. Bodies mix classic and
//! Gutenberg markup with the constructs real sites use (headings, lists, links, captioned
//! pictures, embeds, shortcodes); comments thread three deep.

use std::io::{self, Write};

/// How big an export to write.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub posts: usize,
    pub comments: usize,
    pub authors: usize,
    pub categories: usize,
    pub tags: usize,
}

impl Size {
    /// The benchmark: 10,000 posts with 50,000 comments.
    pub const BENCHMARK: Self = Self {
        posts: 10_000,
        comments: 50_000,
        authors: 12,
        categories: 24,
        tags: 200,
    };
}

const WORDS: &[&str] = &[
    "council", "budget", "river", "harbour", "election", "minister", "school", "hospital", "rail",
    "market", "court", "festival", "storm", "bridge", "museum", "league", "union", "farm",
    "village", "report", "inquiry", "vote", "tariff", "strike",
];

fn words(seed: usize, count: usize) -> String {
    (0..count)
        .map(|i| WORDS[(seed.wrapping_mul(31) + i * 7) % WORDS.len()])
        .collect::<Vec<_>>()
        .join(" ")
}

fn classic_body(n: usize) -> String {
    format!(
        "{}.\n\n<h2>What happened</h2>\n{}, said <a href=\"https://example.org/{n}\">the {}</a>.\nA second line in the same paragraph.\n\n<ul>\n<li>{}</li>\n<li><strong>{}</strong></li>\n</ul>\n\n[caption id=\"attachment_{n}\" width=\"640\"]<img src=\"https://news.example/wp-content/uploads/2024/05/photo-{n}-640x480.jpg\" alt=\"{}\" width=\"640\" height=\"480\" /> {}[/caption]\n\n<blockquote>{}</blockquote>\n\nhttps://www.youtube.com/watch?v=v{n}\n\n{}.",
        words(n, 40),
        words(n + 1, 30),
        words(n + 2, 2),
        words(n + 3, 6),
        words(n + 4, 4),
        words(n + 5, 5),
        words(n + 6, 8),
        words(n + 7, 20),
        words(n + 8, 50),
    )
}

fn gutenberg_body(n: usize) -> String {
    format!(
        "<!-- wp:paragraph -->\n<p>{}.</p>\n<!-- /wp:paragraph -->\n\n<!-- wp:heading -->\n<h2 class=\"wp-block-heading\">{}</h2>\n<!-- /wp:heading -->\n\n<!-- wp:list -->\n<ul class=\"wp-block-list\"><!-- wp:list-item -->\n<li>{}</li>\n<!-- /wp:list-item -->\n\n<!-- wp:list-item -->\n<li><em>{}</em></li>\n<!-- /wp:list-item --></ul>\n<!-- /wp:list -->\n\n<!-- wp:image {{\"id\":{n},\"sizeSlug\":\"large\"}} -->\n<figure class=\"wp-block-image size-large\"><img src=\"https://news.example/wp-content/uploads/2024/05/photo-{n}-1024x768.jpg\" alt=\"{}\" class=\"wp-image-{n}\"/><figcaption class=\"wp-element-caption\">{}</figcaption></figure>\n<!-- /wp:image -->\n\n<!-- wp:table -->\n<figure class=\"wp-block-table\"><table><thead><tr><th>Ward</th><th>Votes</th></tr></thead><tbody><tr><td>{}</td><td>{}</td></tr></tbody></table></figure>\n<!-- /wp:table -->\n\n<!-- wp:embed {{\"url\":\"https://twitter.com/news/status/{n}\",\"type\":\"rich\",\"providerNameSlug\":\"twitter\"}} -->\n<figure class=\"wp-block-embed\"><div class=\"wp-block-embed__wrapper\">\nhttps://twitter.com/news/status/{n}\n</div></figure>\n<!-- /wp:embed -->\n\n<!-- wp:paragraph -->\n<p>{}.</p>\n<!-- /wp:paragraph -->",
        words(n, 45),
        words(n + 1, 4),
        words(n + 2, 6),
        words(n + 3, 5),
        words(n + 4, 5),
        words(n + 5, 8),
        words(n + 6, 1),
        n % 9000,
        words(n + 7, 60),
    )
}

fn cdata(text: &str) -> String {
    format!("<![CDATA[{}]]>", text.replace("]]>", "]]]]><![CDATA[>"))
}

/// Writes a WXR 1.2 export of `size`.
pub fn wxr<W: Write>(mut out: W, size: Size) -> io::Result<()> {
    writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>")?;
    writeln!(
        out,
        "<rss version=\"2.0\" xmlns:excerpt=\"http://wordpress.org/export/1.2/excerpt/\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" xmlns:wfw=\"http://wellformedweb.org/CommentAPI/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:wp=\"http://wordpress.org/export/1.2/\">"
    )?;
    writeln!(
        out,
        "<channel>\n<title>The Generated Gazette</title>\n<link>https://news.example</link>\n<language>en-GB</language>\n<wp:wxr_version>1.2</wp:wxr_version>\n<wp:base_site_url>https://news.example</wp:base_site_url>\n<wp:base_blog_url>https://news.example</wp:base_blog_url>"
    )?;
    for a in 0..size.authors {
        writeln!(
            out,
            "<wp:author><wp:author_id>{}</wp:author_id><wp:author_login>{}</wp:author_login><wp:author_email>reporter{a}@news.example</wp:author_email><wp:author_display_name>{}</wp:author_display_name><wp:author_first_name></wp:author_first_name><wp:author_last_name></wp:author_last_name></wp:author>",
            a + 1,
            cdata(&format!("reporter{a}")),
            cdata(&format!("Reporter Number {a}"))
        )?;
    }
    for c in 0..size.categories {
        let parent = if c >= 4 {
            format!("desk-{}", c % 4)
        } else {
            String::new()
        };
        writeln!(
            out,
            "<wp:category><wp:term_id>{}</wp:term_id><wp:category_nicename>desk-{c}</wp:category_nicename><wp:category_parent>{parent}</wp:category_parent><wp:cat_name>{}</wp:cat_name></wp:category>",
            100 + c,
            cdata(&format!("Desk {c}"))
        )?;
    }
    for t in 0..size.tags {
        writeln!(
            out,
            "<wp:tag><wp:term_id>{}</wp:term_id><wp:tag_slug>topic-{t}</wp:tag_slug><wp:tag_name>{}</wp:tag_name></wp:tag>",
            1000 + t,
            cdata(&format!("Topic {t}"))
        )?;
    }
    let per_post = size.comments.checked_div(size.posts).unwrap_or(0);
    let mut extra = size.comments - per_post * size.posts;
    let mut comment_id = 1;
    for p in 0..size.posts {
        let id = p + 1;
        let (day, hour) = (1 + p % 28, p % 24);
        let body = if p % 2 == 0 {
            gutenberg_body(p)
        } else {
            classic_body(p)
        };
        let status = match p % 50 {
            0 => "draft",
            1 => "pending",
            2 => "future",
            3 => "private",
            _ => "publish",
        };
        writeln!(
            out,
            "<item>\n<title>{}</title>\n<link>https://news.example/2024/05/{day:02}/story-{id}/</link>\n<pubDate>Sun, {day:02} May 2024 {hour:02}:00:00 +0000</pubDate>\n<dc:creator>{}</dc:creator>\n<guid isPermaLink=\"false\">https://news.example/?p={id}</guid>\n<description></description>\n<content:encoded>{}</content:encoded>\n<excerpt:encoded>{}</excerpt:encoded>\n<wp:post_id>{id}</wp:post_id>\n<wp:post_date>{}</wp:post_date>\n<wp:post_date_gmt>{}</wp:post_date_gmt>\n<wp:post_modified>{}</wp:post_modified>\n<wp:post_modified_gmt>{}</wp:post_modified_gmt>\n<wp:comment_status>open</wp:comment_status>\n<wp:ping_status>open</wp:ping_status>\n<wp:post_name>story-{id}</wp:post_name>\n<wp:status>{status}</wp:status>\n<wp:post_parent>0</wp:post_parent>\n<wp:menu_order>0</wp:menu_order>\n<wp:post_type>post</wp:post_type>\n<wp:post_password></wp:post_password>\n<wp:is_sticky>0</wp:is_sticky>",
            cdata(&format!("Story {id}: {}", words(p, 8))),
            cdata(&format!("reporter{}", p % size.authors.max(1))),
            cdata(&body),
            cdata(&words(p + 9, 20)),
            cdata(&format!("2024-05-{day:02} {:02}:00:00", (hour + 2) % 24)),
            cdata(&format!("2024-05-{day:02} {hour:02}:00:00")),
            cdata(&format!("2024-05-{day:02} {:02}:30:00", (hour + 2) % 24)),
            cdata(&format!("2024-05-{day:02} {hour:02}:30:00")),
        )?;
        if size.categories > 0 {
            let c = p % size.categories;
            writeln!(
                out,
                "<category domain=\"category\" nicename=\"desk-{c}\">{}</category>",
                cdata(&format!("Desk {c}"))
            )?;
        }
        for k in 0..3.min(size.tags) {
            let t = (p * 7 + k * 13) % size.tags;
            writeln!(
                out,
                "<category domain=\"post_tag\" nicename=\"topic-{t}\">{}</category>",
                cdata(&format!("Topic {t}"))
            )?;
        }
        writeln!(
            out,
            "<wp:postmeta><wp:meta_key>_edit_last</wp:meta_key><wp:meta_value>{}</wp:meta_value></wp:postmeta>",
            cdata("1")
        )?;
        let mut count = per_post;
        if extra > 0 {
            count += 1;
            extra -= 1;
        }
        let first = comment_id;
        for c in 0..count {
            // Every third comment answers the one before it: threads three deep.
            let parent = if c % 3 == 0 { 0 } else { comment_id - 1 };
            let approved = match c % 20 {
                7 => "0",
                13 => "spam",
                _ => "1",
            };
            writeln!(
                out,
                "<wp:comment>\n<wp:comment_id>{comment_id}</wp:comment_id>\n<wp:comment_author>{}</wp:comment_author>\n<wp:comment_author_email>reader{}@mail.example</wp:comment_author_email>\n<wp:comment_author_url>https://reader{}.example</wp:comment_author_url>\n<wp:comment_author_IP>192.0.2.{}</wp:comment_author_IP>\n<wp:comment_date>{}</wp:comment_date>\n<wp:comment_date_gmt>{}</wp:comment_date_gmt>\n<wp:comment_content>{}</wp:comment_content>\n<wp:comment_approved>{approved}</wp:comment_approved>\n<wp:comment_type>comment</wp:comment_type>\n<wp:comment_parent>{parent}</wp:comment_parent>\n<wp:comment_user_id>0</wp:comment_user_id>\n</wp:comment>",
                cdata(&format!("Reader {}", comment_id % 5000)),
                comment_id % 5000,
                comment_id % 5000,
                comment_id % 250,
                cdata(&format!(
                    "2024-05-{day:02} {:02}:{:02}:00",
                    (hour + 3) % 24,
                    c % 60
                )),
                cdata(&format!(
                    "2024-05-{day:02} {:02}:{:02}:00",
                    (hour + 1) % 24,
                    c % 60
                )),
                cdata(&format!(
                    "{}.\n\nAnd a <em>second</em> paragraph, {}.",
                    words(comment_id, 25),
                    words(comment_id + 1, 10)
                )),
            )?;
            comment_id += 1;
        }
        debug_assert!(comment_id - first == count);
        writeln!(out, "</item>")?;
    }
    writeln!(out, "</channel>\n</rss>")?;
    Ok(())
}
