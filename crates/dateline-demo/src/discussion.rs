//! The demo discussion under the lead story: a few readers, a threaded exchange, an editor's
//! pick and a reply from the newsroom, so a newcomer sees moderation and threads working.

use dateline_core::comments::CommentStatus;
use dateline_db::ReaderLinkPurpose;
use dateline_usecases::readers::{self, ReaderDraft, SignedUp};
use dateline_usecases::{Actor, Context, Passwords, UseCaseError, comments};
use jiff::{SignedDuration, Timestamp};

use crate::DemoError;

/// Not an argon2 hash, so no password ever signs in as a demo reader.
const NO_PASSWORD: &str = "!demo reader: no password";

/// The demo's door for its readers' sign-up: the readers sign up as anyone does, but what it
/// keeps of their password is [`NO_PASSWORD`], which nothing verifies, so no demo reader can
/// be signed in as.
struct NoPasswords;

impl Passwords for NoPasswords {
    async fn hash(&self, _password: String) -> Result<String, UseCaseError> {
        Ok(NO_PASSWORD.to_owned())
    }

    async fn verify(
        &self,
        _password: String,
        _stored: Option<String>,
    ) -> Result<bool, UseCaseError> {
        Ok(false)
    }
}

struct DemoComment {
    reader: Option<usize>,
    reply_to: Option<usize>,
    minutes_after: i64,
    body: &'static str,
}

const READERS: [(&str, &str); 3] = [
    ("maria.ortiz@readers.example", "María Ortiz"),
    ("tom.becker@readers.example", "Tom Becker"),
    ("priya.n@readers.example", "Priya N."),
];

/// `reader: None` is the staff member replying for the newsroom.
const COMMENTS: [DemoComment; 5] = [
    DemoComment {
        reader: Some(0),
        reply_to: None,
        minutes_after: 15,
        body: "The piece is careful to separate what the officials **said** from what the \
               documents show. More of this, please.",
    },
    DemoComment {
        reader: Some(1),
        reply_to: Some(0),
        minutes_after: 35,
        body: "Agreed, though I would have liked a link to the full text of the agreement.",
    },
    DemoComment {
        reader: None,
        reply_to: Some(1),
        minutes_after: 55,
        body: "Thanks, Tom: the agreement has not been published yet. We will link it as soon \
               as it is, and note the update at the top of the article.",
    },
    DemoComment {
        reader: Some(2),
        reply_to: None,
        minutes_after: 80,
        body: "What does this mean for people already waiting for a decision?",
    },
    DemoComment {
        reader: Some(0),
        reply_to: Some(3),
        minutes_after: 100,
        body: "The fourth paragraph covers that: pending cases follow the old rules.",
    },
];

/// Adds the demo readers and their discussion under `article_id`, published at `published`
/// (the lead story, two hours before the demo loads: every comment is within that time). The
/// readers sign up and confirm their address when the story comes out; `editor` (the demo
/// admin) moderates, replies and picks, each at its minute.
pub(crate) async fn add_discussion(
    ctx: &Context,
    article_id: i64,
    editor: &Actor,
    published: Timestamp,
) -> Result<(), DemoError> {
    let mut readers = Vec::new();
    for (email, name) in READERS {
        let draft = ReaderDraft {
            email: email.to_owned(),
            display_name: name.to_owned(),
            // Checked like anyone's, then dropped by the door: see `NoPasswords`.
            password: format!("{NO_PASSWORD} ({name})"),
        };
        let SignedUp::New(reader) = readers::sign_up(ctx, &draft, &NoPasswords, published).await?
        else {
            return Err(DemoError::Content(format!("reader {email} exists already")));
        };
        let token = format!("demo-verification-{}", reader.id);
        readers::issue_link(ctx, &reader, ReaderLinkPurpose::Verify, &token, published).await?;
        let verified = readers::use_link(ctx, &token, ReaderLinkPurpose::Verify, published).await?;
        readers.push(verified);
    }
    let mut ids: Vec<i64> = Vec::new();
    for comment in &COMMENTS {
        let at = published + SignedDuration::from_mins(comment.minutes_after);
        let parent = comment.reply_to.map(|index| ids[index]);
        let posted = match comment.reader {
            Some(index) => {
                let parent = parent.map(|id| id.to_string());
                comments::post(
                    ctx,
                    &readers[index],
                    article_id,
                    parent.as_deref(),
                    comment.body,
                    at,
                )
                .await?
            }
            None => {
                let parent = parent.ok_or_else(|| {
                    DemoError::Content("the newsroom only replies in the demo".to_owned())
                })?;
                comments::reply_as_staff(ctx, editor, parent, comment.body, at).await?
            }
        };
        // New commenters wait for a moderator under the default rules: the demo editor approves.
        if posted.status != CommentStatus::Approved {
            comments::moderate(ctx, editor, posted.id, "approve", "", at).await?;
        }
        ids.push(posted.id);
    }
    comments::feature(
        ctx,
        editor,
        ids[0],
        true,
        published + SignedDuration::from_mins(105),
    )
    .await?;
    Ok(())
}
