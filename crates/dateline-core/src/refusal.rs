//! Why the platform turned a change away: values, not strings.
//!
//! Every refusal names the [`Field`] it concerns, so the newsroom form puts the message next to
//! that field and the Admin API returns it under a stable [`Refusal::code`]. The message (the
//! `Display` text) is written for the person at the form; the API sends the same words. Each
//! area of the newsroom has its own enum here and the use cases return them wrapped in
//! [`Refusal`], several at once when a form has several problems ([`Refusals`]).

use serde::Serialize;
use thiserror::Error;

use crate::ArticleStatus;
use crate::comments::CommentError;
use crate::workflow::{ScheduleTimeError, WorkflowError};

/// A part of what a person typed, named the same way by every front door: the newsroom form's
/// error slots and the Admin API's `fields` object use [`Field::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Headline,
    Standfirst,
    Slug,
    Section,
    Authors,
    Tags,
    Body,
    DatelinePlace,
    HeroImage,
    Language,
    /// When a scheduled article goes out.
    PublishAt,
    NoteKind,
    NoteText,
    /// A live entry's picture from the image library.
    EntryImage,
    /// A live entry's embedded link.
    EmbedUrl,
    /// A static page's title.
    Title,
    /// A static page's description for search results.
    Description,
    /// A picture's alt text.
    Alt,
    Caption,
    Credit,
    /// A picture's IPTC digital source type.
    SourceType,
    /// An uploaded file.
    File,
    /// A moderator's decision on a comment: approve or reject.
    Decision,
    /// What a moderator makes of a reader: active, suspended, banned, pre-moderated, trusted.
    Standing,
    /// How long a suspension lasts.
    SuspensionDays,
    /// Pre- or post-moderation, for the site or one article.
    ModerationMode,
    PremoderateFirst,
    AutoCloseDays,
    /// Why a reader reports a comment.
    ReportReason,
    /// A staff account's sign-in address.
    Email,
    /// A staff account's name as the newsroom shows it.
    DisplayName,
    Role,
    /// The byline a staff account writes under, by its slug.
    AuthorSlug,
    /// What a tip is: a tip or a correction request.
    TipKind,
    /// What a tipster writes, first or in a follow-up.
    TipMessage,
    /// How a tipster may be reached, if they say.
    TipContact,
    /// The files sent with a tip.
    TipAttachments,
    /// A reply to a tipster or an internal note on a tip.
    TipText,
    /// Where a tip stands in triage.
    TipStatus,
    /// Who on the desk a tip is assigned to.
    TipAssignee,
    /// A section's, an author's, the site's or an API token's name.
    Name,
    /// A section's place in the navigation: lower comes first.
    Position,
    /// An author's photo from the image library.
    Photo,
    /// An author's links, one a line.
    Links,
    /// The site's IANA time zone.
    TimeZone,
    CorrectionsPolicy,
    EthicsPolicy,
    AiPolicy,
    /// The site's logo from the image library.
    Logo,
    /// How long an API token lives.
    Lifetime,
    /// A word of the pronunciation lexicon.
    Word,
    /// How the lexicon says a word: a respelling or IPA.
    Pronunciation,
    /// A narration voice.
    Voice,
    /// One's password as it is now, asked before it changes.
    CurrentPassword,
    NewPassword,
    /// What confirms a request: a new password typed a second time, the box ticked to delete
    /// an account.
    Confirm,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Headline => "headline",
            Field::Standfirst => "standfirst",
            Field::Slug => "slug",
            Field::Section => "section",
            Field::Authors => "authors",
            Field::Tags => "tags",
            Field::Body => "body",
            Field::DatelinePlace => "dateline_place",
            Field::HeroImage => "hero_image_id",
            Field::Language => "language",
            Field::PublishAt => "publish_at",
            Field::NoteKind => "note_kind",
            Field::NoteText => "note_text",
            Field::EntryImage => "image_id",
            Field::EmbedUrl => "embed_url",
            Field::Title => "title",
            Field::Description => "description",
            Field::Alt => "alt",
            Field::Caption => "caption",
            Field::Credit => "credit",
            Field::SourceType => "source_type",
            Field::File => "file",
            Field::Decision => "decision",
            Field::Standing => "standing",
            Field::SuspensionDays => "days",
            Field::ModerationMode => "mode",
            Field::PremoderateFirst => "premoderate_first",
            Field::AutoCloseDays => "auto_close_days",
            Field::ReportReason => "reason",
            Field::Email => "email",
            Field::DisplayName => "display_name",
            Field::Role => "role",
            Field::AuthorSlug => "author_slug",
            Field::TipKind => "kind",
            Field::TipMessage => "message",
            Field::TipContact => "contact",
            Field::TipAttachments => "attachments",
            Field::TipText => "text",
            Field::TipStatus => "status",
            Field::TipAssignee => "assignee",
            Field::Name => "name",
            Field::Position => "position",
            Field::Photo => "photo_image_id",
            Field::Links => "links",
            Field::TimeZone => "time_zone",
            Field::CorrectionsPolicy => "corrections_policy_url",
            Field::EthicsPolicy => "ethics_policy_url",
            Field::AiPolicy => "ai_policy_url",
            Field::Logo => "logo_image_id",
            Field::Lifetime => "expires_in_days",
            Field::Word => "word",
            Field::Pronunciation => "value",
            Field::Voice => "voice",
            Field::CurrentPassword => "current",
            Field::NewPassword => "new_password",
            Field::Confirm => "confirm",
        }
    }
}

/// The limits an article's fields are held to, whoever writes them (form, API, import).
pub mod limits {
    pub const HEADLINE_CHARS: usize = 300;
    pub const STANDFIRST_CHARS: usize = 1_000;
    pub const BODY_CHARS: usize = 500_000;
    pub const TAGS: usize = 30;
    pub const TAG_CHARS: usize = 100;
    pub const PLACE_CHARS: usize = 100;
    /// BCP 47 tags are short; RFC 5646 §4.4.1 asks implementations to take at least 35.
    pub const LANGUAGE_CHARS: usize = 35;
    /// A static page's title: a navigation label more than a headline.
    pub const PAGE_TITLE_CHARS: usize = 200;
    /// Search engines show about 160 characters; a little room beyond.
    pub const PAGE_DESCRIPTION_CHARS: usize = 300;
    /// A picture's alt text, caption and credit each.
    pub const IMAGE_TEXT_CHARS: usize = 1_000;
}

/// What is wrong with an article's fields or byline.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ArticleRefusal {
    #[error("Write a headline.")]
    HeadlineMissing,
    #[error("Keep the headline to {max} characters.")]
    HeadlineTooLong { max: usize },
    #[error("Keep the standfirst to {max} characters.")]
    StandfirstTooLong { max: usize },
    #[error("The text can be at most {max} characters.")]
    BodyTooLong { max: usize },
    #[error("Use lowercase letters, digits and single hyphens, e.g. “budget-vote-delayed”.")]
    SlugInvalid,
    #[error("The headline makes no address (it has no letters or digits): type a slug.")]
    SlugUnusable,
    #[error("Another article in this section already has this slug; choose another one.")]
    SlugTaken,
    #[error("Choose a section.")]
    SectionMissing,
    #[error("There is no such section; choose one from the list.")]
    SectionUnknown,
    #[error("Choose authors from the list.")]
    AuthorUnknown,
    #[error("An author is listed twice.")]
    AuthorListedTwice,
    #[error("A {status} article needs at least one author on its byline.")]
    BylineEmpty { status: ArticleStatus },
    /// Putting a colleague's name on a story, or taking it off, is the desk's decision: an
    /// author may add or remove only their own byline.
    #[error(
        "Only an editor can put someone else's name on a byline or take it off; you may add or remove your own."
    )]
    BylineNeedsEditor,
    #[error("Keep the dateline place to {max} characters.")]
    PlaceTooLong { max: usize },
    #[error("That image is not in the library.")]
    HeroImageUnknown,
    #[error("An article has at most {max} tags.")]
    TooManyTags { max: usize },
    #[error("A tag has at most {max} characters.")]
    TagTooLong { max: usize },
    #[error("Give a language tag such as “en” or “es-CO”.")]
    LanguageInvalid,
    /// Publishing and scheduling are workflow steps taken after the article exists.
    #[error("A new article starts as a draft or in review, not {status}.")]
    NewArticleStatus { status: ArticleStatus },
}

impl ArticleRefusal {
    pub fn field(&self) -> Option<Field> {
        use ArticleRefusal::*;
        Some(match self {
            HeadlineMissing | HeadlineTooLong { .. } => Field::Headline,
            StandfirstTooLong { .. } => Field::Standfirst,
            BodyTooLong { .. } => Field::Body,
            SlugInvalid | SlugUnusable | SlugTaken => Field::Slug,
            SectionMissing | SectionUnknown => Field::Section,
            AuthorUnknown | AuthorListedTwice | BylineEmpty { .. } | BylineNeedsEditor => {
                Field::Authors
            }
            PlaceTooLong { .. } => Field::DatelinePlace,
            HeroImageUnknown => Field::HeroImage,
            TooManyTags { .. } | TagTooLong { .. } => Field::Tags,
            LanguageInvalid => Field::Language,
            NewArticleStatus { .. } => return None,
        })
    }

    pub fn code(&self) -> &'static str {
        use ArticleRefusal::*;
        match self {
            HeadlineMissing => "headline_missing",
            HeadlineTooLong { .. } => "headline_too_long",
            StandfirstTooLong { .. } => "standfirst_too_long",
            BodyTooLong { .. } => "body_too_long",
            SlugInvalid => "slug_invalid",
            SlugUnusable => "slug_unusable",
            SlugTaken => "slug_taken",
            SectionMissing => "section_missing",
            SectionUnknown => "section_unknown",
            AuthorUnknown => "author_unknown",
            AuthorListedTwice => "author_listed_twice",
            BylineEmpty { .. } => "byline_empty",
            BylineNeedsEditor => "byline_needs_editor",
            PlaceTooLong { .. } => "dateline_place_too_long",
            HeroImageUnknown => "hero_image_unknown",
            TooManyTags { .. } => "too_many_tags",
            TagTooLong { .. } => "tag_too_long",
            LanguageInvalid => "language_invalid",
            NewArticleStatus { .. } => "new_article_status",
        }
    }
}

/// What is wrong with a correction, clarification or update note.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NoteRefusal {
    #[error("Choose what kind of note this is: correction, clarification or update.")]
    KindUnknown,
    #[error("A note needs text: say what changed.")]
    TextMissing,
    #[error("A note can be at most {max} characters.")]
    TextTooLong { max: usize },
    /// Notes tell readers what changed in what they read: a story not on the site has none.
    #[error("Only a published article gets correction, clarification and update notes.")]
    NotPublished,
}

impl NoteRefusal {
    pub fn field(&self) -> Option<Field> {
        match self {
            NoteRefusal::KindUnknown => Some(Field::NoteKind),
            NoteRefusal::TextMissing | NoteRefusal::TextTooLong { .. } => Some(Field::NoteText),
            NoteRefusal::NotPublished => None,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            NoteRefusal::KindUnknown => "note_kind_unknown",
            NoteRefusal::TextMissing => "note_text_missing",
            NoteRefusal::TextTooLong { .. } => "note_text_too_long",
            NoteRefusal::NotPublished => "not_published",
        }
    }
}

/// What is wrong with a live entry, or with changing live coverage now.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LiveRefusal {
    #[error("Keep the entry's headline to {max} characters.")]
    HeadlineTooLong { max: usize },
    #[error("An entry's headline is one line.")]
    HeadlineOneLine,
    #[error("Write the entry: its text cannot be empty.")]
    BodyMissing,
    #[error("An entry can be at most {max} characters; longer news deserves an article.")]
    BodyTooLong { max: usize },
    #[error("That image is not in the library.")]
    ImageUnknown,
    #[error("An embed is a web address starting with https://, e.g. a post or a video.")]
    EmbedInvalid,
    #[error("At most {max} entries can be pinned; unpin one first.")]
    TooManyPinned { max: usize },
    /// Entries belong to live coverage; a story gets notes instead.
    #[error("This article is not live coverage.")]
    NotLive,
    /// Ending coverage freezes the page: entries no longer change, only corrections are added.
    #[error("Live coverage of this story has ended: its entries no longer change.")]
    CoverageEnded,
    #[error("Coverage starts when the live article is published; there is nothing to end yet.")]
    NotStarted,
}

impl LiveRefusal {
    pub fn field(&self) -> Option<Field> {
        use LiveRefusal::*;
        match self {
            HeadlineTooLong { .. } | HeadlineOneLine => Some(Field::Headline),
            BodyMissing | BodyTooLong { .. } => Some(Field::Body),
            ImageUnknown => Some(Field::EntryImage),
            EmbedInvalid => Some(Field::EmbedUrl),
            TooManyPinned { .. } | NotLive | CoverageEnded | NotStarted => None,
        }
    }

    pub fn code(&self) -> &'static str {
        use LiveRefusal::*;
        match self {
            HeadlineTooLong { .. } => "entry_headline_too_long",
            HeadlineOneLine => "entry_headline_one_line",
            BodyMissing => "entry_body_missing",
            BodyTooLong { .. } => "entry_body_too_long",
            ImageUnknown => "entry_image_unknown",
            EmbedInvalid => "embed_invalid",
            TooManyPinned { .. } => "too_many_pinned",
            NotLive => "not_live",
            CoverageEnded => "coverage_ended",
            NotStarted => "coverage_not_started",
        }
    }
}

/// What is wrong with a static page's fields.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PageRefusal {
    #[error("Give the page a title.")]
    TitleMissing,
    #[error("Keep the title to {max} characters.")]
    TitleTooLong { max: usize },
    #[error("Use lowercase letters, digits and single hyphens, e.g. “corrections-policy”.")]
    SlugInvalid,
    #[error("The title makes no address (it has no letters or digits): type a slug.")]
    SlugUnusable,
    #[error("Another page already has this address; choose another one.")]
    SlugTaken,
    /// A page lives at `/{slug}`, where sections live too: the section would hide the page.
    #[error("The section “{name}” has this address; choose another one.")]
    SlugIsSection { name: String },
    #[error("“/{slug}” is one of the site's own addresses; choose another one.")]
    SlugReserved { slug: String },
    #[error("Keep the description to {max} characters.")]
    DescriptionTooLong { max: usize },
    #[error("The text can be at most {max} characters.")]
    BodyTooLong { max: usize },
}

impl PageRefusal {
    pub fn field(&self) -> Option<Field> {
        use PageRefusal::*;
        Some(match self {
            TitleMissing | TitleTooLong { .. } => Field::Title,
            SlugInvalid | SlugUnusable | SlugTaken | SlugIsSection { .. } | SlugReserved { .. } => {
                Field::Slug
            }
            DescriptionTooLong { .. } => Field::Description,
            BodyTooLong { .. } => Field::Body,
        })
    }

    pub fn code(&self) -> &'static str {
        use PageRefusal::*;
        match self {
            TitleMissing => "title_missing",
            TitleTooLong { .. } => "title_too_long",
            SlugInvalid => "slug_invalid",
            SlugUnusable => "slug_unusable",
            SlugTaken => "slug_taken",
            SlugIsSection { .. } => "slug_is_section",
            SlugReserved { .. } => "slug_reserved",
            DescriptionTooLong { .. } => "description_too_long",
            BodyTooLong { .. } => "body_too_long",
        }
    }
}

/// What is wrong with a picture given to the library.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ImageRefusal {
    #[error("Alt text is required: describe the picture for readers who cannot see it.")]
    AltMissing,
    #[error("Keep the {what} to {max} characters.")]
    TextTooLong {
        field: Field,
        what: &'static str,
        max: usize,
    },
    #[error("Choose a digital source type from the list.")]
    SourceTypeUnknown,
    #[error("Choose a picture to upload.")]
    FileMissing,
    /// The file itself: too large, too many pixels, not a picture, damaged. The message is the
    /// media store's, which says which and by how much.
    #[error("{message}")]
    FileRefused { code: &'static str, message: String },
}

impl ImageRefusal {
    pub fn field(&self) -> Option<Field> {
        Some(match self {
            ImageRefusal::AltMissing => Field::Alt,
            ImageRefusal::TextTooLong { field, .. } => *field,
            ImageRefusal::SourceTypeUnknown => Field::SourceType,
            ImageRefusal::FileMissing | ImageRefusal::FileRefused { .. } => Field::File,
        })
    }

    pub fn code(&self) -> &'static str {
        match self {
            ImageRefusal::AltMissing => "alt_missing",
            ImageRefusal::TextTooLong { .. } => "image_text_too_long",
            ImageRefusal::SourceTypeUnknown => "source_type_unknown",
            ImageRefusal::FileMissing => "file_missing",
            ImageRefusal::FileRefused { code, .. } => code,
        }
    }
}

/// What is wrong with a moderator's decision or the site's moderation rules.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ModerationRefusal {
    #[error("Choose approve or reject.")]
    DecisionUnknown,
    /// Featuring puts a comment in front of every reader: it must be one they can see.
    #[error("Only a published comment can be featured.")]
    FeatureNeedsApproved,
    #[error("Choose what the reader may do: active, suspended, banned, pre-moderated or trusted.")]
    StandingUnknown,
    #[error("Suspend a reader for 1 to {max} days.")]
    SuspensionDays { max: u32 },
    #[error("Choose pre- or post-moderation.")]
    ModeUnknown,
    #[error("Enter a whole number, 0 or more.")]
    PremoderateFirstInvalid,
    #[error("Pre-moderate at most the first {max} comments of a reader.")]
    PremoderateFirstTooMany { max: u32 },
    #[error("Enter a number of days, or leave it empty to keep comments open.")]
    AutoCloseDaysInvalid,
    #[error("Close comments after 1 to {max} days, or leave it empty to keep them open.")]
    AutoCloseDaysRange { max: u32 },
    #[error("Choose why you are reporting this comment.")]
    ReportReasonMissing,
}

impl ModerationRefusal {
    pub fn field(&self) -> Option<Field> {
        use ModerationRefusal::*;
        Some(match self {
            DecisionUnknown => Field::Decision,
            FeatureNeedsApproved => return None,
            StandingUnknown => Field::Standing,
            SuspensionDays { .. } => Field::SuspensionDays,
            ModeUnknown => Field::ModerationMode,
            PremoderateFirstInvalid | PremoderateFirstTooMany { .. } => Field::PremoderateFirst,
            AutoCloseDaysInvalid | AutoCloseDaysRange { .. } => Field::AutoCloseDays,
            ReportReasonMissing => Field::ReportReason,
        })
    }

    pub fn code(&self) -> &'static str {
        use ModerationRefusal::*;
        match self {
            DecisionUnknown => "decision_unknown",
            FeatureNeedsApproved => "feature_needs_approved",
            StandingUnknown => "standing_unknown",
            SuspensionDays { .. } => "suspension_days",
            ModeUnknown => "moderation_mode_unknown",
            PremoderateFirstInvalid => "premoderate_first_invalid",
            PremoderateFirstTooMany { .. } => "premoderate_first_too_many",
            AutoCloseDaysInvalid => "auto_close_days_invalid",
            AutoCloseDaysRange { .. } => "auto_close_days_range",
            ReportReasonMissing => "report_reason_missing",
        }
    }
}

/// What is wrong with a staff account, or with changing one.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PeopleRefusal {
    #[error("Give an email address, e.g. ana@newsroom.example.")]
    EmailInvalid,
    #[error("Someone already has an account with this email.")]
    EmailTaken,
    #[error("A display name needs 1 to {max} characters.")]
    NameLength { max: usize },
    #[error("Choose a role.")]
    RoleUnknown,
    #[error("There is no such byline.")]
    BylineUnknown,
    /// An admin locking themselves out is never what they meant.
    #[error("You cannot change your own role or disable your own account; ask another admin.")]
    OwnAccount,
    #[error("This is the only admin: make someone else admin first.")]
    LastAdmin,
}

impl PeopleRefusal {
    pub fn field(&self) -> Option<Field> {
        use PeopleRefusal::*;
        match self {
            EmailInvalid | EmailTaken => Some(Field::Email),
            NameLength { .. } => Some(Field::DisplayName),
            RoleUnknown => Some(Field::Role),
            BylineUnknown => Some(Field::AuthorSlug),
            OwnAccount | LastAdmin => None,
        }
    }

    pub fn code(&self) -> &'static str {
        use PeopleRefusal::*;
        match self {
            EmailInvalid => "email_invalid",
            EmailTaken => "email_taken",
            NameLength { .. } => "display_name_length",
            RoleUnknown => "role_unknown",
            BylineUnknown => "byline_unknown",
            OwnAccount => "own_account",
            LastAdmin => "last_admin",
        }
    }
}

/// What is wrong with a tip as sent, a tipster's follow-up, or the desk's work on a tip. The
/// words are the tipster's and the desk's; nothing here ever quotes what a tip says.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TipRefusal {
    #[error("Choose what you are sending.")]
    KindUnknown,
    #[error("Write your message: what should we know?")]
    MessageMissing,
    #[error(
        "Your message is {chars} characters long; the limit is {max}. Shorten it, or attach the \
         rest as a document."
    )]
    MessageTooLong { chars: usize, max: usize },
    #[error("Contact details can be at most {max} characters.")]
    ContactTooLong { max: usize },
    #[error("Attach at most {max} files.")]
    TooManyAttachments { max: usize },
    /// A file the tips' attachment rules turn away (`dateline_tips::AttachmentProblem`), in
    /// their words.
    #[error("{message}")]
    AttachmentRefused { message: String },
    #[error(
        "The upload was interrupted or too slow. Nothing was stored: send again, with fewer or \
         smaller files if your connection is slow."
    )]
    UploadInterrupted,
    /// A follow-up is shorter than a first message can be: it has no attachments to take the
    /// rest.
    #[error("Your message can be at most {max} characters.")]
    FollowUpTooLong { max: usize },
    /// The newsroom has no key to encrypt to, so nothing can be stored.
    #[error("This newsroom cannot receive messages right now; nothing was stored.")]
    NoRecipients,
    #[error("Write something first.")]
    TextMissing,
    #[error("At most {max} characters.")]
    TextTooLong { max: usize },
    #[error("Choose a status from the list.")]
    StatusUnknown,
    #[error("Tips can be assigned to active editors only.")]
    AssigneeNotEditor,
    /// A tips key belongs to someone who reads tips: an active editor or admin.
    #[error("{name} is {role}; only active editors and admins hold a key that reads tips.")]
    KeyHolderNotEditor { name: String, role: String },
    /// A recovery key is kept offline; a copy of it in the database would defeat it.
    #[error("A recovery key stays offline: only an editor's key may be stored with a passphrase.")]
    RecoveryKeyStored,
    #[error("This is not an age public key (age1…).")]
    KeyInvalid,
}

impl TipRefusal {
    pub fn field(&self) -> Option<Field> {
        use TipRefusal::*;
        match self {
            KindUnknown => Some(Field::TipKind),
            MessageMissing | MessageTooLong { .. } | FollowUpTooLong { .. } => {
                Some(Field::TipMessage)
            }
            ContactTooLong { .. } => Some(Field::TipContact),
            TooManyAttachments { .. } | AttachmentRefused { .. } | UploadInterrupted => {
                Some(Field::TipAttachments)
            }
            TextMissing | TextTooLong { .. } => Some(Field::TipText),
            StatusUnknown => Some(Field::TipStatus),
            AssigneeNotEditor => Some(Field::TipAssignee),
            NoRecipients | KeyHolderNotEditor { .. } | RecoveryKeyStored | KeyInvalid => None,
        }
    }

    pub fn code(&self) -> &'static str {
        use TipRefusal::*;
        match self {
            KindUnknown => "tip_kind_unknown",
            MessageMissing => "tip_message_missing",
            MessageTooLong { .. } => "tip_message_too_long",
            ContactTooLong { .. } => "tip_contact_too_long",
            TooManyAttachments { .. } => "tip_too_many_attachments",
            AttachmentRefused { .. } => "tip_attachment_refused",
            UploadInterrupted => "tip_upload_interrupted",
            FollowUpTooLong { .. } => "tip_follow_up_too_long",
            NoRecipients => "tips_not_set_up",
            TextMissing => "tip_text_missing",
            TextTooLong { .. } => "tip_text_too_long",
            StatusUnknown => "tip_status_unknown",
            AssigneeNotEditor => "tip_assignee_not_editor",
            KeyHolderNotEditor { .. } => "tip_key_holder_not_editor",
            RecoveryKeyStored => "tip_recovery_key_stored",
            KeyInvalid => "tip_key_invalid",
        }
    }
}

/// What is wrong with a section.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SectionRefusal {
    #[error("Give the section a name.")]
    NameMissing,
    #[error("Use lowercase letters, digits and single hyphens.")]
    SlugInvalid,
    #[error("The name makes no address (it has no letters or digits): type one.")]
    SlugUnusable,
    /// `/search`, `/tags`, `/authors`…: the site's own routes answer there.
    #[error("“{slug}” is reserved for the site's own pages.")]
    SlugReserved { slug: String },
    #[error("Another section already has this address.")]
    SlugTaken,
    /// Sections answer `/{slug}` before static pages do: the page would disappear.
    #[error("The page “{title}” has this address; choose another one.")]
    SlugIsPage { title: String },
    #[error("The order is a whole number; lower comes first.")]
    PositionInvalid,
}

impl SectionRefusal {
    pub fn field(&self) -> Option<Field> {
        use SectionRefusal::*;
        Some(match self {
            NameMissing => Field::Name,
            SlugInvalid | SlugUnusable | SlugReserved { .. } | SlugTaken | SlugIsPage { .. } => {
                Field::Slug
            }
            PositionInvalid => Field::Position,
        })
    }

    pub fn code(&self) -> &'static str {
        use SectionRefusal::*;
        match self {
            NameMissing => "name_missing",
            SlugInvalid => "slug_invalid",
            SlugUnusable => "slug_unusable",
            SlugReserved { .. } => "slug_reserved",
            SlugTaken => "slug_taken",
            SlugIsPage { .. } => "slug_is_page",
            PositionInvalid => "position_invalid",
        }
    }
}

/// What is wrong with an author profile.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AuthorRefusal {
    #[error("Give the author's name.")]
    NameMissing,
    #[error("Use lowercase letters, digits and single hyphens.")]
    SlugInvalid,
    #[error("The name makes no address (it has no letters or digits): type one.")]
    SlugUnusable,
    #[error("Another author already has this address.")]
    SlugTaken,
    #[error("That picture is not in the library; choose one from the list.")]
    PhotoUnknown,
    #[error(
        "“{line}” is not a link: put a label, a space, then an address starting with https://."
    )]
    LinkInvalid { line: String },
}

impl AuthorRefusal {
    pub fn field(&self) -> Option<Field> {
        use AuthorRefusal::*;
        Some(match self {
            NameMissing => Field::Name,
            SlugInvalid | SlugUnusable | SlugTaken => Field::Slug,
            PhotoUnknown => Field::Photo,
            LinkInvalid { .. } => Field::Links,
        })
    }

    pub fn code(&self) -> &'static str {
        use AuthorRefusal::*;
        match self {
            NameMissing => "name_missing",
            SlugInvalid => "slug_invalid",
            SlugUnusable => "slug_unusable",
            SlugTaken => "slug_taken",
            PhotoUnknown => "photo_unknown",
            LinkInvalid { .. } => "link_invalid",
        }
    }
}

/// What is wrong with the site's settings.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SettingsRefusal {
    #[error("The site needs a name.")]
    NameMissing,
    #[error("“{zone}” is not a time zone: use an IANA name such as America/Bogota.")]
    TimeZoneUnknown { zone: String },
    /// A policy link is printed on every page and in JSON-LD: a script URL or a protocol-relative
    /// address there would be someone else's page.
    #[error("The {what} link must start with https://, http:// or / and have no spaces.")]
    PolicyLinkInvalid { field: Field, what: &'static str },
    #[error("Use a language tag such as en, es or pt-BR.")]
    LanguageInvalid,
    #[error("That picture is not in the library; choose one from the list.")]
    LogoUnknown,
}

impl SettingsRefusal {
    pub fn field(&self) -> Option<Field> {
        use SettingsRefusal::*;
        Some(match self {
            NameMissing => Field::Name,
            TimeZoneUnknown { .. } => Field::TimeZone,
            PolicyLinkInvalid { field, .. } => *field,
            LanguageInvalid => Field::Language,
            LogoUnknown => Field::Logo,
        })
    }

    pub fn code(&self) -> &'static str {
        use SettingsRefusal::*;
        match self {
            NameMissing => "name_missing",
            TimeZoneUnknown { .. } => "time_zone_unknown",
            PolicyLinkInvalid { .. } => "policy_link_invalid",
            LanguageInvalid => "language_invalid",
            LogoUnknown => "logo_unknown",
        }
    }
}

/// What is wrong with a new Admin API token.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TokenRefusal {
    #[error("Name the token (up to {max} characters), e.g. after the system that uses it.")]
    NameLength { max: usize },
    /// A token acts as its creator: more power than theirs would be a way round their role.
    #[error("Choose a role no higher than yours.")]
    RoleAboveYours,
    #[error("Choose when the token expires: at most a year from now.")]
    LifetimeUnknown,
}

impl TokenRefusal {
    pub fn field(&self) -> Option<Field> {
        Some(match self {
            TokenRefusal::NameLength { .. } => Field::Name,
            TokenRefusal::RoleAboveYours => Field::Role,
            TokenRefusal::LifetimeUnknown => Field::Lifetime,
        })
    }

    pub fn code(&self) -> &'static str {
        match self {
            TokenRefusal::NameLength { .. } => "token_name_length",
            TokenRefusal::RoleAboveYours => "token_role_above_yours",
            TokenRefusal::LifetimeUnknown => "token_lifetime_unknown",
        }
    }
}

/// What is wrong with a lexicon entry or a narration voice.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NarrationRefusal {
    #[error("The word must be 1 to {max} characters.")]
    WordLength { max: usize },
    #[error("The word must be a single word of letters (apostrophes and hyphens allowed).")]
    WordNotOne,
    #[error("The respelling must be 1 to {max} characters.")]
    RespellingLength { max: usize },
    #[error("A respelling uses letters, hyphens between syllables and spaces (“PEH-troh”).")]
    RespellingLetters,
    #[error("The IPA must be 1 to {max} characters.")]
    IpaLength { max: usize },
    #[error("IPA uses phonetic letters and stress marks only (“ˈpe.tɾo”).")]
    IpaLetters,
    #[error("“{voice}” is not one of the narration voices.")]
    VoiceUnknown { voice: String },
}

impl NarrationRefusal {
    pub fn field(&self) -> Option<Field> {
        use NarrationRefusal::*;
        Some(match self {
            WordLength { .. } | WordNotOne => Field::Word,
            RespellingLength { .. } | RespellingLetters | IpaLength { .. } | IpaLetters => {
                Field::Pronunciation
            }
            VoiceUnknown { .. } => Field::Voice,
        })
    }

    pub fn code(&self) -> &'static str {
        use NarrationRefusal::*;
        match self {
            WordLength { .. } => "word_length",
            WordNotOne => "word_not_one",
            RespellingLength { .. } => "respelling_length",
            RespellingLetters => "respelling_letters",
            IpaLength { .. } => "ipa_length",
            IpaLetters => "ipa_letters",
            VoiceUnknown { .. } => "voice_unknown",
        }
    }
}

/// What is wrong with a new password, or the current one given to change it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PasswordRefusal {
    #[error("Use at least {min} characters; a few unrelated words make a good one.")]
    TooShort { min: usize },
    /// Long enough for any passphrase; short enough that hashing cannot be used to burn our CPU.
    #[error("Use at most {max} characters.")]
    TooLong { max: usize },
    #[error("Your password cannot be your email address.")]
    IsEmail,
    #[error("The two passwords differ.")]
    Mismatch,
    #[error("This is not your current password.")]
    CurrentWrong,
}

impl PasswordRefusal {
    pub fn field(&self) -> Option<Field> {
        use PasswordRefusal::*;
        Some(match self {
            TooShort { .. } | TooLong { .. } | IsEmail => Field::NewPassword,
            Mismatch => Field::Confirm,
            CurrentWrong => Field::CurrentPassword,
        })
    }

    pub fn code(&self) -> &'static str {
        use PasswordRefusal::*;
        match self {
            TooShort { .. } => "password_too_short",
            TooLong { .. } => "password_too_long",
            IsEmail => "password_is_email",
            Mismatch => "passwords_differ",
            CurrentWrong => "current_password_wrong",
        }
    }
}

/// What is wrong with a reader's account, or with a change to it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReaderRefusal {
    #[error("Enter an email address like name@example.org.")]
    EmailInvalid,
    /// Deleting an account cannot be undone: the reader says so, not a stray click.
    #[error("Tick the box to confirm that you want to delete your account.")]
    DeletionNotConfirmed,
}

impl ReaderRefusal {
    pub fn field(&self) -> Option<Field> {
        Some(match self {
            ReaderRefusal::EmailInvalid => Field::Email,
            ReaderRefusal::DeletionNotConfirmed => Field::Confirm,
        })
    }

    pub fn code(&self) -> &'static str {
        match self {
            ReaderRefusal::EmailInvalid => "email_invalid",
            ReaderRefusal::DeletionNotConfirmed => "deletion_not_confirmed",
        }
    }
}

/// Why a change was refused. The variants are the areas of the newsroom.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Refusal {
    #[error(transparent)]
    Article(#[from] ArticleRefusal),
    #[error(transparent)]
    Note(#[from] NoteRefusal),
    /// A status change the editorial workflow does not allow (now, or ever).
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
    /// A publication time that names no single instant.
    #[error(transparent)]
    PublishTime(#[from] ScheduleTimeError),
    /// A comment or a commenter the discussion rules turn away.
    #[error(transparent)]
    Comment(#[from] CommentError),
    /// A live entry, or live coverage, the rules turn away.
    #[error(transparent)]
    Live(#[from] LiveRefusal),
    /// A static page the rules turn away.
    #[error(transparent)]
    Page(#[from] PageRefusal),
    /// A picture the library turns away.
    #[error(transparent)]
    Image(#[from] ImageRefusal),
    /// A moderation decision or rule the desk cannot take as given.
    #[error(transparent)]
    Moderation(#[from] ModerationRefusal),
    /// A staff account, or a change to one, the newsroom's rules turn away.
    #[error(transparent)]
    People(#[from] PeopleRefusal),
    /// A tip, a follow-up or the desk's work on a tip, turned away.
    #[error(transparent)]
    Tip(#[from] TipRefusal),
    #[error(transparent)]
    Section(#[from] SectionRefusal),
    #[error(transparent)]
    Author(#[from] AuthorRefusal),
    #[error(transparent)]
    Settings(#[from] SettingsRefusal),
    #[error(transparent)]
    Token(#[from] TokenRefusal),
    #[error(transparent)]
    Narration(#[from] NarrationRefusal),
    #[error(transparent)]
    Password(#[from] PasswordRefusal),
    #[error(transparent)]
    Reader(#[from] ReaderRefusal),
}

impl Refusal {
    /// The field the message belongs next to; `None` for the form as a whole.
    pub fn field(&self) -> Option<Field> {
        match self {
            Refusal::Article(refusal) => refusal.field(),
            Refusal::Note(refusal) => refusal.field(),
            Refusal::Workflow(WorkflowError::ScheduleInPast { .. }) | Refusal::PublishTime(_) => {
                Some(Field::PublishAt)
            }
            Refusal::Workflow(_) => None,
            Refusal::Comment(refusal) => match refusal {
                CommentError::EmptyBody | CommentError::BodyTooLong(_) => Some(Field::Body),
                CommentError::NameLength | CommentError::NameCharacters => Some(Field::DisplayName),
                _ => None,
            },
            Refusal::Live(refusal) => refusal.field(),
            Refusal::Page(refusal) => refusal.field(),
            Refusal::Image(refusal) => refusal.field(),
            Refusal::Moderation(refusal) => refusal.field(),
            Refusal::People(refusal) => refusal.field(),
            Refusal::Tip(refusal) => refusal.field(),
            Refusal::Section(refusal) => refusal.field(),
            Refusal::Author(refusal) => refusal.field(),
            Refusal::Settings(refusal) => refusal.field(),
            Refusal::Token(refusal) => refusal.field(),
            Refusal::Narration(refusal) => refusal.field(),
            Refusal::Password(refusal) => refusal.field(),
            Refusal::Reader(refusal) => refusal.field(),
        }
    }

    /// A stable name for API clients, which should not parse the message.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Article(refusal) => refusal.code(),
            Refusal::Note(refusal) => refusal.code(),
            Refusal::Workflow(WorkflowError::Illegal { .. }) => "illegal_transition",
            Refusal::Workflow(WorkflowError::Embargoed { .. }) => "embargoed",
            Refusal::Workflow(WorkflowError::ScheduleInPast { .. }) => "schedule_in_past",
            Refusal::PublishTime(ScheduleTimeError::Unreadable(_)) => "publish_at_unreadable",
            Refusal::PublishTime(ScheduleTimeError::UnknownZone(_)) => "time_zone_unknown",
            Refusal::PublishTime(ScheduleTimeError::Skipped { .. }) => "publish_at_skipped",
            Refusal::PublishTime(ScheduleTimeError::OutOfRange(_)) => "publish_at_out_of_range",
            Refusal::Comment(refusal) => comment_code(refusal),
            Refusal::Live(refusal) => refusal.code(),
            Refusal::Page(refusal) => refusal.code(),
            Refusal::Image(refusal) => refusal.code(),
            Refusal::Moderation(refusal) => refusal.code(),
            Refusal::People(refusal) => refusal.code(),
            Refusal::Tip(refusal) => refusal.code(),
            Refusal::Section(refusal) => refusal.code(),
            Refusal::Author(refusal) => refusal.code(),
            Refusal::Settings(refusal) => refusal.code(),
            Refusal::Token(refusal) => refusal.code(),
            Refusal::Narration(refusal) => refusal.code(),
            Refusal::Password(refusal) => refusal.code(),
            Refusal::Reader(refusal) => refusal.code(),
        }
    }
}

fn comment_code(refusal: &CommentError) -> &'static str {
    match refusal {
        CommentError::EmptyBody => "comment_empty",
        CommentError::BodyTooLong(_) => "comment_too_long",
        CommentError::NameLength => "display_name_length",
        CommentError::NameCharacters => "display_name_characters",
        CommentError::RepeatPost => "comment_repeated",
        CommentError::Banned => "reader_banned",
        CommentError::Suspended { .. } => "reader_suspended",
        CommentError::Closed => "comments_closed",
        CommentError::Rejected => "comment_rejected",
        CommentError::EditWindowPassed => "edit_window_passed",
        CommentError::Deleted => "comment_deleted",
        CommentError::Unverified => "reader_unverified",
        CommentError::ParentNotShown => "parent_not_shown",
        CommentError::OwnReport => "own_report",
    }
}

/// Everything wrong with one attempt, at least one refusal, in the order found. A form shows
/// each next to its field; the API lists them all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusals(Vec<Refusal>);

impl Refusals {
    /// `None` when nothing was refused.
    pub fn from_list(list: Vec<Refusal>) -> Option<Self> {
        (!list.is_empty()).then_some(Self(list))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Refusal> {
        self.0.iter()
    }

    pub fn first(&self) -> &Refusal {
        // Never empty: built only from a non-empty list or one refusal.
        &self.0[0]
    }

    /// The first message for each field, and the messages that concern no field under `None`.
    pub fn by_field(&self) -> Vec<(Option<Field>, String)> {
        let mut seen = Vec::new();
        let mut out = Vec::new();
        for refusal in &self.0 {
            let field = refusal.field();
            if field.is_some() && seen.contains(&field) {
                continue;
            }
            seen.push(field);
            out.push((field, refusal.to_string()));
        }
        out
    }

    pub fn codes(&self) -> Vec<&'static str> {
        self.0.iter().map(Refusal::code).collect()
    }
}

impl<T: Into<Refusal>> From<T> for Refusals {
    fn from(refusal: T) -> Self {
        Self(vec![refusal.into()])
    }
}

impl std::fmt::Display for Refusals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, refusal) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{refusal}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Refusals {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_article_refusal_has_a_distinct_code() {
        let all = [
            ArticleRefusal::HeadlineMissing,
            ArticleRefusal::HeadlineTooLong { max: 1 },
            ArticleRefusal::StandfirstTooLong { max: 1 },
            ArticleRefusal::BodyTooLong { max: 1 },
            ArticleRefusal::SlugInvalid,
            ArticleRefusal::SlugUnusable,
            ArticleRefusal::SlugTaken,
            ArticleRefusal::SectionMissing,
            ArticleRefusal::SectionUnknown,
            ArticleRefusal::AuthorUnknown,
            ArticleRefusal::AuthorListedTwice,
            ArticleRefusal::BylineEmpty {
                status: ArticleStatus::Published,
            },
            ArticleRefusal::BylineNeedsEditor,
            ArticleRefusal::PlaceTooLong { max: 1 },
            ArticleRefusal::HeroImageUnknown,
            ArticleRefusal::TooManyTags { max: 1 },
            ArticleRefusal::TagTooLong { max: 1 },
            ArticleRefusal::LanguageInvalid,
            ArticleRefusal::NewArticleStatus {
                status: ArticleStatus::Published,
            },
        ];
        let mut codes: Vec<_> = all.iter().map(ArticleRefusal::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }

    #[test]
    fn a_form_shows_one_message_per_field() {
        let refusals = Refusals::from_list(vec![
            ArticleRefusal::AuthorUnknown.into(),
            ArticleRefusal::AuthorListedTwice.into(),
            ArticleRefusal::HeadlineMissing.into(),
            WorkflowError::Illegal {
                from: ArticleStatus::Published,
                to: ArticleStatus::InReview,
            }
            .into(),
        ])
        .expect("refusals");
        let shown = refusals.by_field();
        assert_eq!(shown.len(), 3);
        assert_eq!(
            shown[0],
            (Some(Field::Authors), "Choose authors from the list.".into())
        );
        assert_eq!(shown[1].0, Some(Field::Headline));
        assert_eq!(shown[2].0, None);
        assert_eq!(
            refusals.codes(),
            [
                "author_unknown",
                "author_listed_twice",
                "headline_missing",
                "illegal_transition"
            ]
        );
    }

    #[test]
    fn every_live_refusal_has_a_distinct_code() {
        use LiveRefusal::*;
        let all = [
            HeadlineTooLong { max: 1 },
            HeadlineOneLine,
            BodyMissing,
            BodyTooLong { max: 1 },
            ImageUnknown,
            EmbedInvalid,
            TooManyPinned { max: 1 },
            NotLive,
            CoverageEnded,
            NotStarted,
        ];
        let mut codes: Vec<_> = all.iter().map(LiveRefusal::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
        assert_eq!(
            Refusal::from(EmbedInvalid).field().map(Field::as_str),
            Some("embed_url")
        );
    }

    #[test]
    fn every_page_refusal_has_a_distinct_code_and_a_field() {
        use PageRefusal::*;
        let all = [
            TitleMissing,
            TitleTooLong { max: 1 },
            SlugInvalid,
            SlugUnusable,
            SlugTaken,
            SlugIsSection {
                name: "News".into(),
            },
            SlugReserved {
                slug: "search".into(),
            },
            DescriptionTooLong { max: 1 },
            BodyTooLong { max: 1 },
        ];
        let mut codes: Vec<_> = all.iter().map(PageRefusal::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
        assert!(all.iter().all(|r| r.field().is_some()));
        assert_eq!(
            Refusal::from(SlugIsSection {
                name: "News".into()
            })
            .field(),
            Some(Field::Slug)
        );
    }

    #[test]
    fn every_moderation_refusal_has_a_distinct_code() {
        use ModerationRefusal::*;
        let all = [
            DecisionUnknown,
            FeatureNeedsApproved,
            StandingUnknown,
            SuspensionDays { max: 1 },
            ModeUnknown,
            PremoderateFirstInvalid,
            PremoderateFirstTooMany { max: 1 },
            AutoCloseDaysInvalid,
            AutoCloseDaysRange { max: 1 },
            ReportReasonMissing,
        ];
        let mut codes: Vec<_> = all.iter().map(ModerationRefusal::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
        assert_eq!(
            Refusal::from(AutoCloseDaysRange { max: 1 })
                .field()
                .map(Field::as_str),
            Some("auto_close_days")
        );
    }

    #[test]
    fn every_tip_refusal_has_a_distinct_code() {
        use TipRefusal::*;
        let all = [
            KindUnknown,
            MessageMissing,
            MessageTooLong { chars: 2, max: 1 },
            ContactTooLong { max: 1 },
            TooManyAttachments { max: 1 },
            AttachmentRefused {
                message: "no".into(),
            },
            UploadInterrupted,
            FollowUpTooLong { max: 1 },
            NoRecipients,
            TextMissing,
            TextTooLong { max: 1 },
            StatusUnknown,
            AssigneeNotEditor,
        ];
        let mut codes: Vec<_> = all.iter().map(TipRefusal::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
        // The tip form's error slots are named after its fields.
        assert_eq!(
            Refusal::from(ContactTooLong { max: 1 })
                .field()
                .map(Field::as_str),
            Some("contact")
        );
    }

    #[test]
    fn nothing_refused_is_no_refusals() {
        assert!(Refusals::from_list(Vec::new()).is_none());
    }
}
