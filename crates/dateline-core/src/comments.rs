//! Reader comments: what a comment may contain, how it is shown, and the moderation rules that
//! decide whether it appears at once, waits in the queue, or is turned away.
//!
//! Everything here is pure: the store supplies the facts (the commenter's record, the site's
//! settings, the commenter's recent comments) and acts on the [`Verdict`].

use std::collections::HashSet;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};
use jiff::{SignedDuration, Timestamp};
use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};
use serde::Serialize;
use thiserror::Error;
use unicode_normalization::UnicodeNormalization;

/// Longest comment body, in characters: long enough for an argued reply, short enough that the
/// discussion stays a discussion.
pub const BODY_MAX_CHARS: usize = 5_000;
/// Longest reader display name, in characters.
pub const NAME_MAX_CHARS: usize = 50;
/// Shortest reader display name, in characters.
pub const NAME_MIN_CHARS: usize = 2;
/// How long after posting a reader may still change their comment (marked "edited").
pub const EDIT_WINDOW: SignedDuration = SignedDuration::from_mins(5);
/// Replies are indented up to this depth; deeper replies continue on the thread's own page.
pub const MAX_THREAD_DEPTH: usize = 3;
/// The most comments of a new reader the site may hold for a moderator.
pub const PREMODERATE_FIRST_MAX: u32 = 1_000;
/// The latest automatic closing of a discussion, in days after first publication (ten years).
pub const AUTO_CLOSE_DAYS_MAX: u32 = 3_650;
/// The longest suspension; beyond that a moderator bans.
pub const SUSPENSION_DAYS_MAX: u32 = 365;
/// A suspension's length when the moderator names none.
pub const SUSPENSION_DAYS_DEFAULT: u32 = 7;
/// How far back a repeated comment counts as a repeat post.
pub const REPEAT_WINDOW: SignedDuration = SignedDuration::from_hours(24);

/// Where a comment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CommentStatus {
    /// Waiting for a moderator.
    Pending,
    /// Shown to readers.
    Approved,
    /// Turned down by a moderator or the banned-word list; the author still sees it as rejected.
    Rejected,
    /// Removed by its author or with the author's account: shown as a tombstone so replies keep
    /// their place.
    Deleted,
}

impl CommentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CommentStatus::Pending => "pending",
            CommentStatus::Approved => "approved",
            CommentStatus::Rejected => "rejected",
            CommentStatus::Deleted => "deleted",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "pending" => CommentStatus::Pending,
            "approved" => CommentStatus::Approved,
            "rejected" => CommentStatus::Rejected,
            "deleted" => CommentStatus::Deleted,
            _ => return None,
        })
    }

    /// The status a moderator's decision leads to from here. A deleted comment stays deleted:
    /// its author took it back, and no moderator may put words back in their mouth.
    pub fn moderate(self, decision: ModeratorDecision) -> Result<CommentStatus, CommentError> {
        match (self, decision) {
            (CommentStatus::Deleted, _) => Err(CommentError::Deleted),
            (_, ModeratorDecision::Approve) => Ok(CommentStatus::Approved),
            (_, ModeratorDecision::Reject) => Ok(CommentStatus::Rejected),
        }
    }
}

impl std::fmt::Display for CommentStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who is looking at a discussion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// Anyone at all: a visitor, a crawler, the cached article page everyone shares.
    Public,
    /// A signed-in reader, who also sees their own comments that others do not (waiting or
    /// rejected).
    Reader(i64),
    /// Newsroom staff, who moderate and so see everything.
    Staff,
}

/// The facts about a comment that decide who may see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommentStanding {
    pub status: CommentStatus,
    /// The reader who wrote it (`None` for a staff reply).
    pub reader_id: Option<i64>,
    /// Whether its article is published (readers see nothing of an unpublished one).
    pub article_published: bool,
}

/// Whether `viewer` may see a comment's text: the one rule behind every page, thread, refusal,
/// JSON answer and count that shows a comment. Readers see approved comments on published
/// articles, and their own on published articles whatever their status; staff see everything.
/// A deleted comment has no text left: where replies hang from it, the thread keeps it as a
/// tombstone, which shows nothing of it.
pub fn may_see(viewer: Viewer, comment: CommentStanding) -> bool {
    match viewer {
        Viewer::Staff => true,
        _ if !comment.article_published => false,
        _ if comment.status == CommentStatus::Deleted => false,
        Viewer::Reader(id) if comment.reader_id == Some(id) => true,
        Viewer::Public | Viewer::Reader(_) => comment.status == CommentStatus::Approved,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModeratorDecision {
    Approve,
    Reject,
}

/// Whether new comments appear before or after a moderator has seen them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModerationMode {
    /// Every comment waits for a moderator.
    Pre,
    /// Comments appear at once unless a rule sends them to the queue.
    #[default]
    Post,
}

impl ModerationMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ModerationMode::Pre => "pre",
            ModerationMode::Post => "post",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pre" => Some(ModerationMode::Pre),
            "post" => Some(ModerationMode::Post),
            _ => None,
        }
    }
}

/// A reader account's standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReaderStatus {
    Active,
    /// May read and sign in, not post, until the suspension ends.
    Suspended,
    /// May not post again.
    Banned,
}

impl ReaderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReaderStatus::Active => "active",
            ReaderStatus::Suspended => "suspended",
            ReaderStatus::Banned => "banned",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(ReaderStatus::Active),
            "suspended" => Some(ReaderStatus::Suspended),
            "banned" => Some(ReaderStatus::Banned),
            _ => None,
        }
    }
}

/// The site's moderation settings, with an article's own mode when it has one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModerationSettings {
    pub mode: ModerationMode,
    /// A reader's comments wait for a moderator until this many of theirs have been approved.
    pub premoderate_first: u32,
    /// Comments with any of these words are rejected outright.
    pub banned_words: Vec<String>,
    /// Comments with any of these words wait for a moderator.
    pub suspect_words: Vec<String>,
    /// Comments with a link wait for a moderator (links are where spam lives).
    pub premoderate_links: bool,
    /// Comments close this many days after an article's first publication; `None` keeps them open.
    pub auto_close_days: Option<u32>,
}

impl Default for ModerationSettings {
    fn default() -> Self {
        Self {
            mode: ModerationMode::Post,
            premoderate_first: 1,
            banned_words: Vec::new(),
            suspect_words: Vec::new(),
            premoderate_links: true,
            auto_close_days: None,
        }
    }
}

/// The facts about who is posting that the rules need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Commenter {
    pub status: ReaderStatus,
    /// Until when a suspension lasts.
    pub suspended_until: Option<Timestamp>,
    pub always_premoderate: bool,
    pub approved_count: i64,
    /// Newsroom staff replying as themselves: trusted, never queued.
    pub is_staff: bool,
}

impl Commenter {
    /// Why this person may not post now, if they may not.
    pub fn may_post(&self, now: Timestamp) -> Result<(), CommentError> {
        match self.status {
            ReaderStatus::Active => Ok(()),
            ReaderStatus::Banned => Err(CommentError::Banned),
            ReaderStatus::Suspended => match self.suspended_until {
                Some(until) if until <= now => Ok(()),
                until => Err(CommentError::Suspended { until }),
            },
        }
    }
}

/// Why a comment waits for a moderator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "detail")]
pub enum QueueReason {
    /// The site or the article is pre-moderated.
    PreModeration,
    /// The commenter has fewer approved comments than the site asks for.
    NewCommenter,
    /// A moderator asked to see everything this reader writes.
    AlwaysPremoderate,
    /// It contains a word on the suspect list.
    SuspectWord(String),
    /// It contains a link and links are pre-moderated.
    Link,
}

impl std::fmt::Display for QueueReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            QueueReason::PreModeration => f.write_str("pre-moderation"),
            QueueReason::NewCommenter => f.write_str("new commenter"),
            QueueReason::AlwaysPremoderate => f.write_str("reader is always pre-moderated"),
            QueueReason::SuspectWord(word) => write!(f, "suspect word “{word}”"),
            QueueReason::Link => f.write_str("contains a link"),
        }
    }
}

/// What happens to a new comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Publish,
    Queue(QueueReason),
    /// Stored as rejected (moderators can still see and overturn it), naming the banned word.
    Reject(String),
}

/// A new comment and its context, as the rules see it.
#[derive(Debug, Clone, Copy)]
pub struct Submission<'a> {
    pub body: &'a str,
    pub commenter: &'a Commenter,
    /// The article's own mode, overriding the site's.
    pub article_mode: Option<ModerationMode>,
}

/// Why a reader reports a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportReason {
    Abuse,
    Spam,
    OffTopic,
    Misinformation,
    Other,
}

impl ReportReason {
    pub const ALL: [ReportReason; 5] = [
        ReportReason::Abuse,
        ReportReason::Spam,
        ReportReason::OffTopic,
        ReportReason::Misinformation,
        ReportReason::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportReason::Abuse => "abuse",
            ReportReason::Spam => "spam",
            ReportReason::OffTopic => "off_topic",
            ReportReason::Misinformation => "misinformation",
            ReportReason::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|reason| reason.as_str() == text)
    }

    /// How the reason reads on the report form and in the moderation queue.
    pub fn label(self) -> &'static str {
        match self {
            ReportReason::Abuse => "Abusive or hateful",
            ReportReason::Spam => "Spam or advertising",
            ReportReason::OffTopic => "Off topic",
            ReportReason::Misinformation => "False or misleading",
            ReportReason::Other => "Something else",
        }
    }
}

/// What is wrong with a comment or with who is posting it; the message is for the reader.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CommentError {
    #[error("Write something before posting.")]
    EmptyBody,
    #[error("Comments can be at most {BODY_MAX_CHARS} characters (this one has {0}).")]
    BodyTooLong(usize),
    #[error("A display name needs {NAME_MIN_CHARS} to {NAME_MAX_CHARS} characters.")]
    NameLength,
    #[error("A display name cannot contain control or direction-changing characters.")]
    NameCharacters,
    #[error("You posted this already.")]
    RepeatPost,
    #[error("Your account may not post comments.")]
    Banned,
    #[error("Your account may not post comments until {}.", until.map_or_else(|| "a moderator lifts the suspension".to_owned(), |at| at.strftime("%Y-%m-%d %H:%M UTC").to_string()))]
    Suspended { until: Option<Timestamp> },
    #[error("Comments on this article are closed.")]
    Closed,
    #[error("A rejected comment cannot be edited.")]
    Rejected,
    #[error("The time to edit this comment has passed.")]
    EditWindowPassed,
    #[error("This comment was deleted.")]
    Deleted,
    #[error("Confirm your email address before commenting: follow the link we sent you.")]
    Unverified,
    #[error("You can only reply to a published comment.")]
    ParentNotShown,
    #[error("You cannot report your own comment.")]
    OwnReport,
}

/// The body as it will be stored: trimmed, within the limits.
pub fn check_body(body: &str) -> Result<&str, CommentError> {
    let body = body.trim();
    if body.is_empty() {
        return Err(CommentError::EmptyBody);
    }
    let chars = body.chars().count();
    if chars > BODY_MAX_CHARS {
        return Err(CommentError::BodyTooLong(chars));
    }
    Ok(body)
}

/// A display name as it will be stored: whitespace runs collapsed, within the limits. Names are
/// always escaped where shown; control and bidirectional-override characters are refused because
/// escaping cannot stop them from disguising a name or reversing the text around it.
pub fn check_display_name(name: &str) -> Result<String, CommentError> {
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name
        .chars()
        .any(|c| c.is_control() || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'))
    {
        return Err(CommentError::NameCharacters);
    }
    let chars = name.chars().count();
    if !(NAME_MIN_CHARS..=NAME_MAX_CHARS).contains(&chars) {
        return Err(CommentError::NameLength);
    }
    Ok(name)
}

/// Whether a comment posted at `posted_at` may still be edited by its author at `now`.
pub fn within_edit_window(posted_at: Timestamp, now: Timestamp) -> bool {
    now.duration_since(posted_at) <= EDIT_WINDOW
}

/// The form word lists and repeat detection compare: Unicode compatibility forms and accents
/// folded away, lower case, common letter substitutions ("fr33", "$pam", "h@te") undone, and
/// everything that is not a letter or digit turned into single spaces, with a space at both ends
/// so words can be matched whole.
pub fn normalise(text: &str) -> String {
    let chars: Vec<char> = text
        .nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect();
    let mut out = String::with_capacity(text.len() + 2);
    out.push(' ');
    let mut last_space = true;
    for (at, &c) in chars.iter().enumerate() {
        // A symbol stands for a letter only inside or at the start of a word ("sh!t", "$pam"),
        // not as the punctuation that ends a sentence.
        let starts_word_part = chars.get(at + 1).is_some_and(|next| next.is_alphanumeric());
        let folded = match c {
            '0' => 'o',
            '1' => 'i',
            '3' => 'e',
            '4' => 'a',
            '5' => 's',
            '7' => 't',
            '!' | '|' if starts_word_part => 'i',
            '@' if starts_word_part => 'a',
            '$' if starts_word_part => 's',
            '+' if starts_word_part => 't',
            other => other,
        };
        if folded.is_alphanumeric() {
            out.push(folded);
            last_space = false;
        } else if !last_space {
            out.push(' ');
            last_space = true;
        }
    }
    if !last_space {
        out.push(' ');
    }
    out
}

fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20FF}' | '\u{FE20}'..='\u{FE2F}')
}

/// The banned and suspect lists compiled once per settings change. Aho–Corasick runs in time
/// linear in the comment whatever the size of the lists, so a long list or a hostile comment
/// never makes posting slow.
#[derive(Debug, Clone)]
pub struct WordLists {
    banned: Option<(AhoCorasick, Vec<String>)>,
    suspect: Option<(AhoCorasick, Vec<String>)>,
}

impl WordLists {
    pub fn new(settings: &ModerationSettings) -> Self {
        Self {
            banned: compile(&settings.banned_words),
            suspect: compile(&settings.suspect_words),
        }
    }

    /// The first banned word (as the moderator wrote it) in `normalised` text.
    pub fn banned_in(&self, normalised: &str) -> Option<&str> {
        find(&self.banned, normalised)
    }

    pub fn suspect_in(&self, normalised: &str) -> Option<&str> {
        find(&self.suspect, normalised)
    }
}

fn compile(words: &[String]) -> Option<(AhoCorasick, Vec<String>)> {
    let (patterns, originals): (Vec<String>, Vec<String>) = words
        .iter()
        .filter_map(|word| {
            let pattern = normalise(word);
            (!pattern.trim().is_empty()).then(|| (pattern, word.trim().to_owned()))
        })
        .unzip();
    if patterns.is_empty() {
        return None;
    }
    // Patterns carry their surrounding spaces: whole words only, so "class" does not match "ass".
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostFirst)
        .build(&patterns)
        .ok()
        .map(|automaton| (automaton, originals))
}

fn find<'a>(list: &'a Option<(AhoCorasick, Vec<String>)>, normalised: &str) -> Option<&'a str> {
    let (automaton, originals) = list.as_ref()?;
    let found = automaton.find(normalised)?;
    originals
        .get(found.pattern().as_usize())
        .map(String::as_str)
}

/// Whether a body links anywhere: a Markdown link, an autolink, or a bare address readers could
/// copy.
pub fn has_link(body: &str) -> bool {
    let lower = body.to_lowercase();
    if lower.contains("://") || lower.contains("www.") {
        return true;
    }
    Parser::new_ext(body, comment_options())
        .any(|event| matches!(event, Event::Start(Tag::Link { .. })))
}

/// Decides what happens to a new comment. Rules from strongest to weakest: a banned word rejects;
/// staff are trusted; pre-moderation (site, article, or this reader) queues; then new commenters,
/// suspect words and links queue; everything else is published.
pub fn decide(
    settings: &ModerationSettings,
    lists: &WordLists,
    submission: Submission<'_>,
) -> Verdict {
    let normalised = normalise(submission.body);
    if let Some(word) = lists.banned_in(&normalised) {
        return Verdict::Reject(word.to_owned());
    }
    let commenter = submission.commenter;
    if commenter.is_staff {
        return Verdict::Publish;
    }
    if commenter.always_premoderate {
        return Verdict::Queue(QueueReason::AlwaysPremoderate);
    }
    if submission.article_mode.unwrap_or(settings.mode) == ModerationMode::Pre {
        return Verdict::Queue(QueueReason::PreModeration);
    }
    if commenter.approved_count < i64::from(settings.premoderate_first) {
        return Verdict::Queue(QueueReason::NewCommenter);
    }
    if let Some(word) = lists.suspect_in(&normalised) {
        return Verdict::Queue(QueueReason::SuspectWord(word.to_owned()));
    }
    if settings.premoderate_links && has_link(submission.body) {
        return Verdict::Queue(QueueReason::Link);
    }
    Verdict::Publish
}

/// Whether `body` repeats one of the commenter's recent comments (compared normalised, so
/// changing case or punctuation does not get a copy through).
pub fn is_repeat<'a>(body: &str, recent: impl IntoIterator<Item = &'a str>) -> bool {
    let body = normalise(body);
    recent.into_iter().any(|earlier| normalise(earlier) == body)
}

fn comment_options() -> Options {
    Options::ENABLE_STRIKETHROUGH
}

static COMMENT_SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let tags: HashSet<&str> = [
        "a",
        "blockquote",
        "br",
        "code",
        "del",
        "em",
        "li",
        "ol",
        "p",
        "pre",
        "strong",
        "ul",
    ]
    .into_iter()
    .collect();
    let mut builder = ammonia::Builder::default();
    builder
        .tags(tags)
        .tag_attributes(std::collections::HashMap::from([(
            "a",
            HashSet::from(["href"]),
        )]))
        .generic_attributes(HashSet::new())
        .url_schemes(HashSet::from(["http", "https"]))
        .url_relative(ammonia::UrlRelative::Deny)
        // A reader's link is not the newsroom's endorsement (RFC 8288 link types; Google's
        // "ugc" for user-generated content), and must not get a handle on our window.
        .link_rel(Some("nofollow ugc noopener"));
    builder
});

/// Renders a comment's Markdown subset (paragraphs, emphasis, links, quotes, lists, code) to
/// sanitised HTML. Raw HTML is shown as the text the reader typed; headings become paragraphs and
/// pictures their alt text, so a comment cannot shout or load anything.
pub fn render_comment_html(body: &str) -> String {
    // A link to anything but an absolute web address loses its link, keeping its text: the
    // sanitiser would drop the `href` and leave an `<a>` without one, which is invalid HTML.
    let mut dropped_link = false;
    let events = Parser::new_ext(body, comment_options()).map(move |event| match event {
        Event::Start(Tag::Link { ref dest_url, .. }) if !is_web_address(dest_url) => {
            dropped_link = true;
            Event::Text(CowStr::Borrowed(""))
        }
        Event::End(TagEnd::Link) if dropped_link => {
            dropped_link = false;
            Event::Text(CowStr::Borrowed(""))
        }
        Event::Html(html) | Event::InlineHtml(html) => Event::Text(html),
        Event::Start(Tag::Heading { .. }) => Event::Start(Tag::Paragraph),
        Event::End(TagEnd::Heading(_)) => Event::End(TagEnd::Paragraph),
        Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => {
            Event::Text(CowStr::Borrowed(""))
        }
        other => other,
    });
    let mut html = String::with_capacity(body.len() + body.len() / 4);
    pulldown_cmark::html::push_html(&mut html, events);
    COMMENT_SANITIZER.clean(&html).to_string()
}

fn is_web_address(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")) && lower.len() > "http://".len()
}

/// A per-reader allowance of posts: `burst` at once, then one more every `every` (a token
/// bucket). Pure: the caller keeps one per reader and passes the time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PostAllowance {
    tokens: f64,
    updated: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateRule {
    pub burst: u32,
    pub every: SignedDuration,
}

/// One comment every 10 seconds with a burst of 3: a conversation, not a flood.
pub const COMMENT_RATE: RateRule = RateRule {
    burst: 3,
    every: SignedDuration::from_secs(10),
};

impl PostAllowance {
    pub fn full(rule: RateRule, now: Timestamp) -> Self {
        Self {
            tokens: f64::from(rule.burst),
            updated: now,
        }
    }

    /// Whether the allowance has refilled completely by `now` (an allowance in that state can be
    /// forgotten and started afresh without changing anything).
    pub fn is_full(&self, rule: RateRule, now: Timestamp) -> bool {
        let elapsed = now.duration_since(self.updated).as_secs_f64().max(0.0);
        let every = rule.every.as_secs_f64().max(f64::EPSILON);
        self.tokens + elapsed / every >= f64::from(rule.burst)
    }

    /// Takes one post from the allowance; `Err` says how long until the next is allowed.
    pub fn take(&mut self, rule: RateRule, now: Timestamp) -> Result<(), SignedDuration> {
        let elapsed = now.duration_since(self.updated).as_secs_f64().max(0.0);
        let every = rule.every.as_secs_f64().max(f64::EPSILON);
        self.tokens = (self.tokens + elapsed / every).min(f64::from(rule.burst));
        self.updated = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(SignedDuration::from_secs_f64((1.0 - self.tokens) * every))
        }
    }

    /// Returns a post taken for an attempt that was then refused for another reason (the
    /// allowance counts posts, not attempts). Never above the burst.
    pub fn give_back(&mut self, rule: RateRule, now: Timestamp) {
        let elapsed = now.duration_since(self.updated).as_secs_f64().max(0.0);
        let every = rule.every.as_secs_f64().max(f64::EPSILON);
        self.tokens = (self.tokens + elapsed / every + 1.0).min(f64::from(rule.burst));
        self.updated = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(approved_count: i64) -> Commenter {
        Commenter {
            status: ReaderStatus::Active,
            suspended_until: None,
            always_premoderate: false,
            approved_count,
            is_staff: false,
        }
    }

    #[test]
    fn who_sees_which_comment() {
        use CommentStatus::*;
        let on = |status, reader_id, article_published| CommentStanding {
            status,
            reader_id,
            article_published,
        };
        let lia = Viewer::Reader(1);
        let sam = Viewer::Reader(2);
        // An approved comment on a published article is for everyone.
        for viewer in [Viewer::Public, lia, sam, Viewer::Staff] {
            assert!(may_see(viewer, on(Approved, Some(1), true)), "{viewer:?}");
        }
        // Waiting and rejected comments: their author and staff only.
        for status in [Pending, Rejected] {
            assert!(may_see(lia, on(status, Some(1), true)));
            assert!(!may_see(sam, on(status, Some(1), true)), "{status}");
            assert!(
                !may_see(Viewer::Public, on(status, Some(1), true)),
                "{status}"
            );
            assert!(may_see(Viewer::Staff, on(status, Some(1), true)));
        }
        // Nothing of an unpublished article, not even one's own words, outside the newsroom.
        for status in [Approved, Pending, Rejected] {
            assert!(!may_see(lia, on(status, Some(1), false)), "{status}");
            assert!(
                !may_see(Viewer::Public, on(status, Some(1), false)),
                "{status}"
            );
            assert!(may_see(Viewer::Staff, on(status, Some(1), false)));
        }
        // A deleted comment has no text to show anyone but a moderator.
        assert!(!may_see(lia, on(Deleted, Some(1), true)));
        assert!(!may_see(Viewer::Public, on(Deleted, Some(1), true)));
        // A staff reply waiting is nobody's own on the reader side.
        assert!(!may_see(lia, on(Pending, None, true)));
    }

    fn settings() -> ModerationSettings {
        ModerationSettings {
            mode: ModerationMode::Post,
            premoderate_first: 2,
            banned_words: vec!["scumbag".to_owned(), "Crétin".to_owned()],
            suspect_words: vec!["idiot".to_owned(), "buy now".to_owned()],
            premoderate_links: true,
            auto_close_days: Some(14),
        }
    }

    fn verdict(body: &str, commenter: &Commenter, article_mode: Option<ModerationMode>) -> Verdict {
        let settings = settings();
        decide(
            &settings,
            &WordLists::new(&settings),
            Submission {
                body,
                commenter,
                article_mode,
            },
        )
    }

    #[test]
    fn plain_comment_by_a_trusted_reader_is_published() {
        assert_eq!(
            verdict("A fair point, well made.", &reader(2), None),
            Verdict::Publish
        );
    }

    #[test]
    fn banned_words_reject_whatever_the_disguise() {
        for body in [
            "You scumbag.",
            "you SCUMBAG",
            "you $cumb4g!",
            "you s.c.u.m.b.a.g is not it, but: SCÜMBAG is",
            "quel crétin",
            "quel CRETIN",
            "ｓｃｕｍｂａｇ",
        ] {
            let outcome = verdict(body, &reader(10), None);
            assert!(matches!(outcome, Verdict::Reject(_)), "{body}: {outcome:?}");
        }
        assert_eq!(
            verdict("quel cretin", &reader(10), None),
            Verdict::Reject("Crétin".to_owned())
        );
        // Banned words reject even staff and even under pre-moderation: there is nothing to review.
        let staff = Commenter {
            is_staff: true,
            ..reader(0)
        };
        assert!(matches!(
            verdict("scumbag", &staff, Some(ModerationMode::Pre)),
            Verdict::Reject(_)
        ));
    }

    #[test]
    fn words_match_whole_not_inside_others() {
        let settings = ModerationSettings {
            banned_words: vec!["ass".to_owned()],
            ..settings()
        };
        let lists = WordLists::new(&settings);
        assert_eq!(
            lists.banned_in(&normalise("A classic assessment of the class.")),
            None
        );
        assert_eq!(lists.banned_in(&normalise("what an ass!")), Some("ass"));
        assert_eq!(lists.banned_in(&normalise("ass")), Some("ass"));
    }

    #[test]
    fn suspect_words_and_phrases_queue() {
        assert_eq!(
            verdict("What an IDIOT.", &reader(5), None),
            Verdict::Queue(QueueReason::SuspectWord("idiot".to_owned()))
        );
        assert_eq!(
            verdict("Buy   now!!", &reader(5), None),
            Verdict::Queue(QueueReason::SuspectWord("buy now".to_owned()))
        );
        assert_eq!(
            verdict("Buying nowhere", &reader(5), None),
            Verdict::Publish
        );
    }

    #[test]
    fn links_queue_when_configured() {
        for body in [
            "See https://example.org/x",
            "See [this](http://example.org)",
            "go to www.example.org",
            "<https://example.org>",
        ] {
            assert_eq!(
                verdict(body, &reader(5), None),
                Verdict::Queue(QueueReason::Link),
                "{body}"
            );
        }
        let settings = ModerationSettings {
            premoderate_links: false,
            ..settings()
        };
        let outcome = decide(
            &settings,
            &WordLists::new(&settings),
            Submission {
                body: "See https://example.org/x",
                commenter: &reader(5),
                article_mode: None,
            },
        );
        assert_eq!(outcome, Verdict::Publish);
    }

    #[test]
    fn new_commenters_wait_until_enough_are_approved() {
        assert_eq!(
            verdict("Hello", &reader(0), None),
            Verdict::Queue(QueueReason::NewCommenter)
        );
        assert_eq!(
            verdict("Hello", &reader(1), None),
            Verdict::Queue(QueueReason::NewCommenter)
        );
        assert_eq!(verdict("Hello", &reader(2), None), Verdict::Publish);
    }

    #[test]
    fn pre_moderation_by_site_article_or_reader() {
        assert_eq!(
            verdict("Hello", &reader(9), Some(ModerationMode::Pre)),
            Verdict::Queue(QueueReason::PreModeration)
        );
        let pre_site = ModerationSettings {
            mode: ModerationMode::Pre,
            ..settings()
        };
        let submit = |article_mode| {
            decide(
                &pre_site,
                &WordLists::new(&pre_site),
                Submission {
                    body: "Hello",
                    commenter: &reader(9),
                    article_mode,
                },
            )
        };
        assert_eq!(submit(None), Verdict::Queue(QueueReason::PreModeration));
        // An article may open up a pre-moderated site.
        assert_eq!(submit(Some(ModerationMode::Post)), Verdict::Publish);
        let watched = Commenter {
            always_premoderate: true,
            ..reader(50)
        };
        assert_eq!(
            verdict("Hello", &watched, None),
            Verdict::Queue(QueueReason::AlwaysPremoderate)
        );
    }

    #[test]
    fn staff_are_not_queued() {
        let staff = Commenter {
            is_staff: true,
            ..reader(0)
        };
        assert_eq!(
            verdict(
                "Thanks, idiot-proof fix at https://x.org",
                &staff,
                Some(ModerationMode::Pre)
            ),
            Verdict::Publish
        );
    }

    #[test]
    fn banned_and_suspended_readers_may_not_post() {
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let banned = Commenter {
            status: ReaderStatus::Banned,
            ..reader(9)
        };
        assert_eq!(banned.may_post(now), Err(CommentError::Banned));
        let suspended = Commenter {
            status: ReaderStatus::Suspended,
            suspended_until: Some(now + SignedDuration::from_hours(1)),
            ..reader(9)
        };
        assert!(matches!(
            suspended.may_post(now),
            Err(CommentError::Suspended { .. })
        ));
        assert_eq!(
            suspended.may_post(now + SignedDuration::from_hours(2)),
            Ok(())
        );
        assert_eq!(reader(0).may_post(now), Ok(()));
    }

    #[test]
    fn repeat_posts_are_spotted_through_case_and_punctuation() {
        let recent = ["This is outrageous!", "Another thing"];
        assert!(is_repeat("this is OUTRAGEOUS", recent));
        assert!(is_repeat("  This is outrageous!!! ", recent));
        assert!(!is_repeat("This is outrageous, but fair", recent));
    }

    #[test]
    fn body_and_name_limits() {
        assert_eq!(check_body("  \n "), Err(CommentError::EmptyBody));
        assert_eq!(check_body("  hi \n"), Ok("hi"));
        let long = "é".repeat(BODY_MAX_CHARS + 1);
        assert_eq!(
            check_body(&long),
            Err(CommentError::BodyTooLong(BODY_MAX_CHARS + 1))
        );
        assert!(check_body(&"é".repeat(BODY_MAX_CHARS)).is_ok());

        assert_eq!(
            check_display_name("  Ana   María "),
            Ok("Ana María".to_owned())
        );
        assert_eq!(check_display_name("A"), Err(CommentError::NameLength));
        assert_eq!(
            check_display_name(&"x".repeat(NAME_MAX_CHARS + 1)),
            Err(CommentError::NameLength)
        );
        assert_eq!(
            check_display_name("Ana\u{202E}nimda"),
            Err(CommentError::NameCharacters)
        );
        assert_eq!(
            check_display_name("Ana\u{0007}"),
            Err(CommentError::NameCharacters)
        );
        // Markup is allowed in a name: it is escaped wherever the name is shown.
        assert!(check_display_name("<b>Ana</b>").is_ok());
    }

    #[test]
    fn edit_window_is_a_few_minutes() {
        let posted = Timestamp::from_second(1_800_000_000).unwrap();
        assert!(within_edit_window(
            posted,
            posted + SignedDuration::from_mins(4)
        ));
        assert!(within_edit_window(posted, posted + EDIT_WINDOW));
        assert!(!within_edit_window(
            posted,
            posted + EDIT_WINDOW + SignedDuration::from_secs(1)
        ));
    }

    #[test]
    fn moderation_transitions() {
        use CommentStatus::*;
        use ModeratorDecision::*;
        assert_eq!(Pending.moderate(Approve), Ok(Approved));
        assert_eq!(Pending.moderate(Reject), Ok(Rejected));
        assert_eq!(Approved.moderate(Reject), Ok(Rejected));
        assert_eq!(Rejected.moderate(Approve), Ok(Approved));
        assert_eq!(Deleted.moderate(Approve), Err(CommentError::Deleted));
        for status in [Pending, Approved, Rejected, Deleted] {
            assert_eq!(CommentStatus::parse(status.as_str()), Some(status));
        }
        for reason in ReportReason::ALL {
            assert_eq!(ReportReason::parse(reason.as_str()), Some(reason));
        }
    }

    #[test]
    fn markdown_subset_renders_with_ugc_links() {
        let html = render_comment_html(
            "I *agree* with **this**: [source](https://example.org/a).\n\n> quoted",
        );
        assert!(html.contains("<em>agree</em>"), "{html}");
        assert!(html.contains("<strong>this</strong>"), "{html}");
        assert!(
            html.contains(
                r#"<a href="https://example.org/a" rel="nofollow ugc noopener">source</a>"#
            ),
            "{html}"
        );
        assert!(html.contains("<blockquote>"), "{html}");
        let heading = render_comment_html("# SHOUTING\n\n![pic](https://example.org/x.png)");
        assert!(!heading.contains("<h1"), "{heading}");
        assert!(!heading.contains("<img"), "{heading}");
    }

    #[test]
    fn hostile_markup_renders_inert() {
        for payload in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[click](javascript:alert(1))",
            "[click](JaVaScRiPt:alert(1))",
            "[click](&#106;avascript:alert(1))",
            "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
            "<svg onload=alert(1)><circle/></svg>",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<div style=\"x\" onmouseover=\"alert(1)\">",
            "<scr<script>ipt>alert(1)</script>",
            "<iframe src=https://evil.example></iframe>",
            "&lt;script&gt;alert(1)&lt;/script&gt;",
            "<<img src=x onerror=alert(1)//",
            "`<script>`",
        ] {
            let html = render_comment_html(payload);
            let lower = html.to_lowercase();
            assert!(!lower.contains("<script"), "{payload} → {html}");
            assert!(!lower.contains("<img"), "{payload} → {html}");
            assert!(!lower.contains("<svg"), "{payload} → {html}");
            assert!(!lower.contains("<iframe"), "{payload} → {html}");
            assert!(!lower.contains("<div"), "{payload} → {html}");
            let tags: Vec<&str> = lower
                .split('<')
                .skip(1)
                .filter_map(|rest| rest.split('>').next())
                .collect();
            assert!(
                tags.iter().all(|tag| !tag.contains(" on")
                    && !tag.contains("style")
                    && !tag.contains("javascript:")
                    && !tag.contains("data:")),
                "{payload} → {html}"
            );
        }
    }

    #[test]
    fn links_that_cannot_stay_keep_their_text_without_an_empty_anchor() {
        for body in [
            "[click](javascript:alert(1))",
            "[relative](/newsroom)",
            "[data](data:text/html,x)",
        ] {
            let html = render_comment_html(body);
            assert!(!html.contains("<a"), "{body} → {html}");
            assert!(html.contains("<p>"), "{body} → {html}");
        }
        assert_eq!(
            render_comment_html("[click](javascript:alert(1))"),
            "<p>click</p>\n"
        );
        assert!(
            render_comment_html("[ok](https://example.org)")
                .contains("<a href=\"https://example.org\"")
        );
    }

    #[test]
    fn normalising_folds_case_accents_and_substitutions() {
        assert_eq!(normalise("Héllo, W0RLD!!"), " hello world ");
        assert_eq!(normalise("fr33 $tuff"), " free stuff ");
        assert_eq!(normalise(""), " ");
    }

    #[test]
    fn allowance_allows_a_burst_then_one_per_interval() {
        let t0 = Timestamp::from_second(1_800_000_000).unwrap();
        let mut allowance = PostAllowance::full(COMMENT_RATE, t0);
        for _ in 0..COMMENT_RATE.burst {
            assert!(allowance.take(COMMENT_RATE, t0).is_ok());
        }
        let wait = allowance.take(COMMENT_RATE, t0).unwrap_err();
        assert_eq!(wait, COMMENT_RATE.every);
        assert!(
            allowance
                .take(COMMENT_RATE, t0 + SignedDuration::from_secs(5))
                .is_err()
        );
        assert!(
            allowance
                .take(COMMENT_RATE, t0 + SignedDuration::from_secs(10))
                .is_ok()
        );
        assert!(
            allowance
                .take(COMMENT_RATE, t0 + SignedDuration::from_secs(11))
                .is_err()
        );
    }

    #[test]
    fn a_post_given_back_can_be_taken_again_but_the_burst_is_never_exceeded() {
        let t0 = Timestamp::from_second(1_800_000_000).unwrap();
        let mut allowance = PostAllowance::full(COMMENT_RATE, t0);
        for _ in 0..COMMENT_RATE.burst {
            allowance.take(COMMENT_RATE, t0).unwrap();
        }
        assert!(allowance.take(COMMENT_RATE, t0).is_err());
        allowance.give_back(COMMENT_RATE, t0);
        assert!(
            allowance.take(COMMENT_RATE, t0).is_ok(),
            "the returned post"
        );
        assert!(allowance.take(COMMENT_RATE, t0).is_err());
        // Giving back to a full allowance leaves it at the burst.
        let mut full = PostAllowance::full(COMMENT_RATE, t0);
        full.give_back(COMMENT_RATE, t0);
        for _ in 0..COMMENT_RATE.burst {
            full.take(COMMENT_RATE, t0).unwrap();
        }
        assert!(full.take(COMMENT_RATE, t0).is_err());
    }
}
