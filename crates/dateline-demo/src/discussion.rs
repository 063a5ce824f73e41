//! The demo discussion under the lead story: a few readers, a threaded exchange, an editor's
//! pick and a reply from the newsroom, so a newcomer sees moderation and threads working.

use dateline_core::comments::ModeratorDecision;
use dateline_db::{Actor, CommentAuthor, NewComment, NewReader, ReaderLinkPurpose, Store};
use jiff::{SignedDuration, Timestamp};

use crate::DemoError;

/// Not an argon2 hash, so no password ever signs in as a demo reader.
const NO_PASSWORD: &str = "!demo reader: no password";

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
/// (the lead story, two hours before the demo loads: every comment is within that time).
pub(crate) async fn add_discussion(
    store: &Store,
    article_id: i64,
    staff_id: i64,
    editor: &Actor,
    published: Timestamp,
) -> Result<(), DemoError> {
    let mut readers = Vec::new();
    for (email, name) in READERS {
        let reader = store
            .people()
            .create_reader(
                &NewReader {
                    email: email.to_owned(),
                    display_name: name.to_owned(),
                    password_hash: NO_PASSWORD.to_owned(),
                },
                published,
            )
            .await?;
        let token = format!("demo-verification-{}", reader.id);
        store
            .sessions()
            .create_reader_link(
                reader.id,
                &token,
                ReaderLinkPurpose::Verify,
                SignedDuration::from_mins(1),
                published,
            )
            .await?;
        store
            .sessions()
            .use_reader_link(&token, ReaderLinkPurpose::Verify, published)
            .await?;
        readers.push(reader.id);
    }
    let mut ids = Vec::new();
    for comment in &COMMENTS {
        let at = published + SignedDuration::from_mins(comment.minutes_after);
        let author = match comment.reader {
            Some(index) => CommentAuthor::Reader(readers[index]),
            None => CommentAuthor::Staff(staff_id),
        };
        let posted = store
            .comments()
            .post(
                &NewComment {
                    article_id,
                    parent_id: comment.reply_to.map(|index| ids[index]),
                    author,
                    body: comment.body.to_owned(),
                },
                at,
            )
            .await?;
        // New commenters wait for a moderator under the default rules: the demo editor approves.
        if posted.status != dateline_core::comments::CommentStatus::Approved {
            store
                .comments()
                .moderate(posted.id, ModeratorDecision::Approve, "", editor, at)
                .await?;
        }
        ids.push(posted.id);
    }
    store
        .comments()
        .set_featured(
            ids[0],
            true,
            editor,
            published + SignedDuration::from_mins(105),
        )
        .await?;
    Ok(())
}
