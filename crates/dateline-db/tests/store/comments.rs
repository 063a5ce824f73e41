//! Reader comments: accounts, sessions and links; every moderation rule as the store applies it;
//! every queue transition; threads, tombstones, closing, and the audit and changes logs.

use dateline_core::comments::{
    CommentError, CommentStanding, CommentStatus, ModerationMode, ModerationSettings,
    ModeratorDecision, ReaderStatus, ReportReason, Viewer, may_see,
};
use dateline_core::{ArticleStatus, Role, StaffMember, cache_tags};
use dateline_db::testing::TestStore;
use dateline_db::{
    Actor, Comment, CommentAuthor, DbError, DiscussionSort, NewComment, NewReader, NewStaff, Queue,
    Reader, ReaderLinkPurpose, SessionLimits, Standing, Store,
};
use jiff::{SignedDuration, Timestamp};

use crate::support::{article_input, author, base_time, section};

dateline_db::both_backends!(
    readers_sign_up_verify_and_keep_sessions,
    unverified_readers_cannot_comment,
    banned_words_reject_and_are_audited,
    suspect_words_and_links_wait_in_the_queue,
    new_commenters_wait_until_enough_are_approved,
    pre_moderation_by_site_with_article_override,
    repeat_posts_are_refused,
    suspended_banned_and_watched_readers,
    queue_transitions_reports_and_features,
    edits_within_the_window_are_moderated_again,
    deleted_comments_become_tombstones_in_threads,
    closing_by_hand_and_after_n_days,
    deleting_an_account_keeps_threads_and_forgets_the_reader,
    discussion_pages_sort_paginate_and_count,
    staff_replies_are_shown_at_once_with_their_name,
    one_rule_decides_who_sees_each_comment,
);

const LIMITS: SessionLimits = SessionLimits {
    lifetime: SignedDuration::from_hours(24 * 30),
    idle_timeout: SignedDuration::from_hours(24 * 7),
};

fn at(minutes: i64) -> Timestamp {
    base_time() + SignedDuration::from_mins(minutes)
}

/// A published article with comments open, first published at `base_time()`.
async fn article(store: &Store, slug: &str) -> i64 {
    let section = match store.site().section_by_slug("politics").await.unwrap() {
        Some(section) => section,
        None => section(store, "politics", 1).await,
    };
    let writer = match store.people().author_by_slug("ana-writer").await.unwrap() {
        Some(author) => author,
        None => author(store, "ana-writer").await,
    };
    let mut input = article_input(section.id, slug, &[writer.id]);
    input.first_published_at = Some(base_time());
    store
        .articles()
        .create(&input, jiff::Timestamp::now())
        .await
        .unwrap()
        .id
}

async fn reader(store: &Store, name: &str) -> Reader {
    let reader = store
        .people()
        .create_reader(
            &NewReader {
                email: format!("{}@readers.example", name.to_lowercase()),
                display_name: name.to_owned(),
                password_hash: "$argon2id$placeholder".to_owned(),
            },
            at(0),
        )
        .await
        .unwrap();
    let token = format!("verify-{}", reader.id);
    store
        .sessions()
        .create_reader_link(
            reader.id,
            &token,
            ReaderLinkPurpose::Verify,
            SignedDuration::from_hours(24),
            at(0),
        )
        .await
        .unwrap();
    store
        .sessions()
        .use_reader_link(&token, ReaderLinkPurpose::Verify, at(1))
        .await
        .unwrap()
}

async fn editor(store: &Store) -> (StaffMember, Actor) {
    let staff = store
        .people()
        .create_staff(
            &NewStaff {
                email: "mod@newsroom.example".to_owned(),
                display_name: "Mo Moderator".to_owned(),
                role: Role::Editor,
                password_hash: None,
                author_id: None,
            },
            at(0),
        )
        .await
        .unwrap();
    let actor = Actor::staff(staff.id, staff.display_name.clone());
    (staff, actor)
}

async fn settings(store: &Store, change: impl FnOnce(&mut ModerationSettings)) {
    let mut settings = store.comments().settings().await.unwrap();
    change(&mut settings);
    store
        .comments()
        .save_settings(&settings, &Actor::system("test"), at(0))
        .await
        .unwrap();
}

/// Trusts every reader from their first comment, with no word lists: each test turns on the
/// rule it is about.
async fn open_settings(store: &Store) {
    settings(store, |s| {
        *s = ModerationSettings {
            mode: ModerationMode::Post,
            premoderate_first: 0,
            banned_words: Vec::new(),
            suspect_words: Vec::new(),
            premoderate_links: false,
            auto_close_days: None,
        }
    })
    .await;
}

async fn post(
    store: &Store,
    article_id: i64,
    who: &Reader,
    parent_id: Option<i64>,
    body: &str,
    minute: i64,
) -> Result<Comment, DbError> {
    store
        .comments()
        .post(
            &NewComment {
                article_id,
                parent_id,
                author: CommentAuthor::Reader(who.id),
                body: body.to_owned(),
            },
            at(minute),
        )
        .await
}

async fn audit_actions(store: &Store, kind: &str, id: i64) -> Vec<String> {
    store
        .audit()
        .for_subject(kind, id)
        .await
        .unwrap()
        .into_iter()
        .map(|entry| entry.action)
        .collect()
}

async fn discussion_changes_since(store: &Store, after: i64, article_id: i64) -> usize {
    store
        .changes()
        .since(after, 1000)
        .await
        .unwrap()
        .iter()
        .filter(|change| {
            change
                .cache_tags
                .contains(&cache_tags::discussion(article_id))
        })
        .count()
}

fn ids(thread: &[Comment]) -> Vec<i64> {
    thread.iter().map(|comment| comment.id).collect()
}

async fn readers_sign_up_verify_and_keep_sessions(store: TestStore) {
    let new = NewReader {
        email: " Lia@Readers.Example ".to_owned(),
        display_name: "  Lia   R. ".to_owned(),
        password_hash: "$argon2id$lia".to_owned(),
    };
    let lia = store.people().create_reader(&new, at(0)).await.unwrap();
    assert_eq!(lia.email, "lia@readers.example");
    assert_eq!(lia.display_name, "Lia R.");
    assert_eq!(lia.verified_at, None);
    assert_eq!(lia.status, ReaderStatus::Active);
    assert!(matches!(
        store.people().create_reader(&new, at(0)).await,
        Err(DbError::Duplicate(_))
    ));
    let bad_name = NewReader {
        display_name: "x".to_owned(),
        email: "x@readers.example".to_owned(),
        ..new.clone()
    };
    assert!(matches!(
        store.people().create_reader(&bad_name, at(0)).await,
        Err(DbError::Invalid(_))
    ));
    assert_eq!(
        store
            .people()
            .reader_password_hash(lia.id)
            .await
            .unwrap()
            .as_deref(),
        Some("$argon2id$lia")
    );

    // A newer link supersedes an older one; links are single use and expire.
    let day = SignedDuration::from_hours(24);
    store
        .sessions()
        .create_reader_link(lia.id, "old", ReaderLinkPurpose::Verify, day, at(0))
        .await
        .unwrap();
    store
        .sessions()
        .create_reader_link(lia.id, "new", ReaderLinkPurpose::Verify, day, at(1))
        .await
        .unwrap();
    assert!(matches!(
        store
            .sessions()
            .use_reader_link("old", ReaderLinkPurpose::Verify, at(2))
            .await,
        Err(DbError::NotFound)
    ));
    assert!(matches!(
        store
            .sessions()
            .use_reader_link("new", ReaderLinkPurpose::SignIn, at(2))
            .await,
        Err(DbError::NotFound)
    ));
    let verified = store
        .sessions()
        .use_reader_link("new", ReaderLinkPurpose::Verify, at(2))
        .await
        .unwrap();
    assert_eq!(verified.verified_at, Some(at(2)));
    assert!(matches!(
        store
            .sessions()
            .use_reader_link("new", ReaderLinkPurpose::Verify, at(3))
            .await,
        Err(DbError::NotFound)
    ));
    store
        .sessions()
        .create_reader_link(lia.id, "magic", ReaderLinkPurpose::SignIn, day, at(3))
        .await
        .unwrap();
    assert!(matches!(
        store
            .sessions()
            .use_reader_link("magic", ReaderLinkPurpose::SignIn, at(3) + day)
            .await,
        Err(DbError::NotFound)
    ));

    let session_id = store
        .sessions()
        .create_reader_session(lia.id, "session-hash", "csrf", LIMITS, at(5))
        .await
        .unwrap();
    let session = store
        .sessions()
        .reader_session("session-hash", LIMITS, at(6))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(session.id, session_id);
    assert_eq!(session.reader.id, lia.id);
    assert_eq!(session.csrf_token, "csrf");
    // A staff session token is no reader session, and the other way round.
    assert!(
        store
            .sessions()
            .session("session-hash", LIMITS, at(6))
            .await
            .unwrap()
            .is_none()
    );
    let idle = at(5) + LIMITS.idle_timeout + SignedDuration::from_mins(1);
    assert!(
        store
            .sessions()
            .reader_session("session-hash", LIMITS, idle)
            .await
            .unwrap()
            .is_none()
    );
    store
        .sessions()
        .touch_reader_session(session_id, at(5) + day)
        .await
        .unwrap();
    assert!(
        store
            .sessions()
            .reader_session("session-hash", LIMITS, idle)
            .await
            .unwrap()
            .is_some()
    );
    store
        .sessions()
        .revoke_reader_session("session-hash", at(7))
        .await
        .unwrap();
    assert!(
        store
            .sessions()
            .reader_session("session-hash", LIMITS, at(8))
            .await
            .unwrap()
            .is_none()
    );

    let renamed = store
        .people()
        .rename_reader(lia.id, "Lia Reyes", jiff::Timestamp::now())
        .await
        .unwrap();
    assert_eq!(renamed.display_name, "Lia Reyes");
    assert!(
        store
            .people()
            .rename_reader(lia.id, "\u{202E}evil", jiff::Timestamp::now())
            .await
            .is_err()
    );
}

async fn unverified_readers_cannot_comment(store: TestStore) {
    open_settings(&store).await;
    let article_id = article(&store, "unverified").await;
    let ghost = store
        .people()
        .create_reader(
            &NewReader {
                email: "ghost@readers.example".to_owned(),
                display_name: "Ghost".to_owned(),
                password_hash: "$argon2id$x".to_owned(),
            },
            at(0),
        )
        .await
        .unwrap();
    assert!(matches!(
        post(&store, article_id, &ghost, None, "Hello", 1).await,
        Err(DbError::Comment(CommentError::Unverified))
    ));
    // Bad bodies are refused before anything is written.
    let lia = reader(&store, "Lia").await;
    assert!(matches!(
        post(&store, article_id, &lia, None, "   ", 1).await,
        Err(DbError::Comment(CommentError::EmptyBody))
    ));
    assert!(matches!(
        post(&store, article_id, &lia, None, &"x".repeat(5_001), 1).await,
        Err(DbError::Comment(CommentError::BodyTooLong(5_001)))
    ));
    let page = store
        .comments()
        .discussion_page(article_id, DiscussionSort::Oldest, 0, 20)
        .await
        .unwrap();
    assert_eq!(page.approved_count, 0);
    assert!(
        store
            .comments()
            .moderation_queue(Queue::Pending, None, 50)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn banned_words_reject_and_are_audited(store: TestStore) {
    open_settings(&store).await;
    settings(&store, |s| s.banned_words = vec!["scumbag".to_owned()]).await;
    let article_id = article(&store, "banned").await;
    let lia = reader(&store, "Lia").await;
    let before = store.changes().latest_id().await.unwrap();
    let comment = post(&store, article_id, &lia, None, "You $CUMBAG.", 2)
        .await
        .unwrap();
    assert_eq!(comment.status, CommentStatus::Rejected);
    assert_eq!(
        comment.reject_reason.as_deref(),
        Some("banned word “scumbag”")
    );
    assert_eq!(
        discussion_changes_since(&store, before, article_id).await,
        0
    );
    let entries = store
        .audit()
        .for_subject("comment", comment.id)
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].action, "comment.reject");
    assert_eq!(entries[0].actor.name, dateline_db::MODERATION_RULES_ACTOR);
    let rejected = store
        .comments()
        .moderation_queue(Queue::Rejected, None, 50)
        .await
        .unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].comment.id, comment.id);
    assert_eq!(rejected[0].article_headline, "Headline of banned");
    // The reader sees their own rejected comment; nobody else does.
    let own = store
        .comments()
        .unshown_of_reader(article_id, lia.id)
        .await
        .unwrap();
    assert_eq!(ids(&own), vec![comment.id]);
    let page = store
        .comments()
        .discussion_page(article_id, DiscussionSort::Oldest, 0, 20)
        .await
        .unwrap();
    assert!(page.threads.is_empty());
    // A word inside another word is not the word.
    let fine = post(
        &store,
        article_id,
        &lia,
        None,
        "Scumbagginess is not a word.",
        3,
    )
    .await
    .unwrap();
    assert_eq!(fine.status, CommentStatus::Approved);
}

async fn suspect_words_and_links_wait_in_the_queue(store: TestStore) {
    open_settings(&store).await;
    settings(&store, |s| {
        s.suspect_words = vec!["idiot".to_owned()];
        s.premoderate_links = true;
    })
    .await;
    let article_id = article(&store, "suspect").await;
    let lia = reader(&store, "Lia").await;
    let suspect = post(&store, article_id, &lia, None, "What an 1D10T", 2)
        .await
        .unwrap();
    assert_eq!(suspect.status, CommentStatus::Pending);
    assert_eq!(
        suspect.queue_reason.as_deref(),
        Some("suspect word “idiot”")
    );
    let link = post(
        &store,
        article_id,
        &lia,
        None,
        "Read www.example.org first",
        3,
    )
    .await
    .unwrap();
    assert_eq!(link.status, CommentStatus::Pending);
    assert_eq!(link.queue_reason.as_deref(), Some("contains a link"));
    let plain = post(&store, article_id, &lia, None, "A plain remark", 4)
        .await
        .unwrap();
    assert_eq!(plain.status, CommentStatus::Approved);
    let pending = store
        .comments()
        .moderation_queue(Queue::Pending, None, 50)
        .await
        .unwrap();
    assert_eq!(
        pending
            .iter()
            .map(|queued| queued.comment.id)
            .collect::<Vec<_>>(),
        vec![link.id, suspect.id]
    );
    settings(&store, |s| s.premoderate_links = false).await;
    let allowed = post(
        &store,
        article_id,
        &lia,
        None,
        "Now https://example.org is fine",
        5,
    )
    .await
    .unwrap();
    assert_eq!(allowed.status, CommentStatus::Approved);
}

async fn new_commenters_wait_until_enough_are_approved(store: TestStore) {
    open_settings(&store).await;
    settings(&store, |s| s.premoderate_first = 2).await;
    let (_, moderator) = editor(&store).await;
    let article_id = article(&store, "newcomers").await;
    let lia = reader(&store, "Lia").await;
    let first = post(&store, article_id, &lia, None, "First ever", 2)
        .await
        .unwrap();
    assert_eq!(first.status, CommentStatus::Pending);
    assert_eq!(first.queue_reason.as_deref(), Some("new commenter"));
    store
        .comments()
        .moderate(first.id, ModeratorDecision::Approve, "", &moderator, at(3))
        .await
        .unwrap();
    assert_eq!(
        store
            .people()
            .reader_by_id(lia.id)
            .await
            .unwrap()
            .approved_count,
        1
    );
    let second = post(&store, article_id, &lia, None, "Second one", 4)
        .await
        .unwrap();
    assert_eq!(second.status, CommentStatus::Pending);
    store
        .comments()
        .moderate(second.id, ModeratorDecision::Approve, "", &moderator, at(5))
        .await
        .unwrap();
    let third = post(&store, article_id, &lia, None, "Third, trusted now", 6)
        .await
        .unwrap();
    assert_eq!(third.status, CommentStatus::Approved);
    assert_eq!(
        store
            .people()
            .reader_by_id(lia.id)
            .await
            .unwrap()
            .approved_count,
        3
    );
    // Taking an approval back takes back the trust it earned.
    store
        .comments()
        .moderate(
            first.id,
            ModeratorDecision::Reject,
            "second thoughts",
            &moderator,
            at(7),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .people()
            .reader_by_id(lia.id)
            .await
            .unwrap()
            .approved_count,
        2
    );
}

async fn pre_moderation_by_site_with_article_override(store: TestStore) {
    open_settings(&store).await;
    settings(&store, |s| s.mode = ModerationMode::Pre).await;
    let (_, moderator) = editor(&store).await;
    let quiet = article(&store, "quiet").await;
    let open = article(&store, "open").await;
    store
        .comments()
        .set_article_comment_mode(open, Some(ModerationMode::Post), &moderator, at(1))
        .await
        .unwrap();
    let lia = reader(&store, "Lia").await;
    let held = post(&store, quiet, &lia, None, "Held for review", 2)
        .await
        .unwrap();
    assert_eq!(held.status, CommentStatus::Pending);
    assert_eq!(held.queue_reason.as_deref(), Some("pre-moderation"));
    let shown = post(&store, open, &lia, None, "Shown at once", 3)
        .await
        .unwrap();
    assert_eq!(shown.status, CommentStatus::Approved);
    assert_eq!(
        store
            .comments()
            .article_discussion(open)
            .await
            .unwrap()
            .mode,
        Some(ModerationMode::Post)
    );
    // A post-moderated site with one pre-moderated article.
    settings(&store, |s| s.mode = ModerationMode::Post).await;
    store
        .comments()
        .set_article_comment_mode(open, Some(ModerationMode::Pre), &moderator, at(4))
        .await
        .unwrap();
    let held_again = post(&store, open, &lia, None, "Sensitive story", 5)
        .await
        .unwrap();
    assert_eq!(held_again.status, CommentStatus::Pending);
    assert_eq!(
        post(&store, quiet, &lia, None, "Elsewhere", 6)
            .await
            .unwrap()
            .status,
        CommentStatus::Approved
    );
    assert_eq!(
        audit_actions(&store, "article", open).await,
        vec!["article.comments_mode", "article.comments_mode"]
    );
}

async fn repeat_posts_are_refused(store: TestStore) {
    open_settings(&store).await;
    let article_id = article(&store, "repeats").await;
    let other = article(&store, "elsewhere").await;
    let lia = reader(&store, "Lia").await;
    let ana = reader(&store, "Ana").await;
    post(&store, article_id, &lia, None, "Vote them out!", 2)
        .await
        .unwrap();
    for copy in ["vote them out", "VOTE. THEM. OUT!!!"] {
        assert!(matches!(
            post(&store, article_id, &lia, None, copy, 3).await,
            Err(DbError::Comment(CommentError::RepeatPost))
        ));
        // Pasting it under another story is the same flood.
        assert!(matches!(
            post(&store, other, &lia, None, copy, 3).await,
            Err(DbError::Comment(CommentError::RepeatPost))
        ));
    }
    // Someone else may agree in the same words; and a day later it is no longer a repeat.
    post(&store, article_id, &ana, None, "Vote them out!", 3)
        .await
        .unwrap();
    post(
        &store,
        article_id,
        &lia,
        None,
        "Vote them out!",
        2 + 24 * 60 + 1,
    )
    .await
    .unwrap();
}

async fn suspended_banned_and_watched_readers(store: TestStore) {
    open_settings(&store).await;
    let (_, moderator) = editor(&store).await;
    let article_id = article(&store, "standing").await;
    let lia = reader(&store, "Lia").await;
    assert!(
        store
            .people()
            .set_reader_standing(
                lia.id,
                Standing::Suspended { until: at(0) },
                "",
                &moderator,
                at(5)
            )
            .await
            .is_err()
    );
    let suspended = store
        .people()
        .set_reader_standing(
            lia.id,
            Standing::Suspended { until: at(60) },
            "insults",
            &moderator,
            at(5),
        )
        .await
        .unwrap();
    assert_eq!(suspended.status, ReaderStatus::Suspended);
    assert!(matches!(
        post(&store, article_id, &lia, None, "Let me speak", 10).await,
        Err(DbError::Comment(CommentError::Suspended { .. }))
    ));
    // The suspension runs out by itself.
    assert_eq!(
        post(&store, article_id, &lia, None, "Back again", 61)
            .await
            .unwrap()
            .status,
        CommentStatus::Approved
    );
    store
        .people()
        .set_reader_always_premoderate(lia.id, true, &moderator, at(62))
        .await
        .unwrap();
    let watched = post(&store, article_id, &lia, None, "Watched now", 63)
        .await
        .unwrap();
    assert_eq!(watched.status, CommentStatus::Pending);
    assert_eq!(
        watched.queue_reason.as_deref(),
        Some("reader is always pre-moderated")
    );
    let queued = store
        .comments()
        .moderation_queue(Queue::Pending, None, 10)
        .await
        .unwrap();
    let standing = queued[0].reader.clone().unwrap();
    assert!(standing.always_premoderate);
    assert_eq!(standing.approved_count, 1);

    store
        .people()
        .set_reader_standing(
            lia.id,
            Standing::Banned,
            "repeated abuse",
            &moderator,
            at(64),
        )
        .await
        .unwrap();
    assert!(matches!(
        post(&store, article_id, &lia, None, "Banned?", 9_000).await,
        Err(DbError::Comment(CommentError::Banned))
    ));
    store
        .people()
        .set_reader_standing(
            lia.id,
            Standing::Active,
            "appeal upheld",
            &moderator,
            at(65),
        )
        .await
        .unwrap();
    assert_eq!(
        store.people().reader_by_id(lia.id).await.unwrap().status,
        ReaderStatus::Active
    );
    assert_eq!(
        audit_actions(&store, "reader", lia.id).await,
        vec![
            "reader.suspend",
            "reader.premoderate",
            "reader.ban",
            "reader.reinstate"
        ]
    );
    let ban = &store.audit().for_subject("reader", lia.id).await.unwrap()[2];
    assert_eq!(ban.actor.name, "Mo Moderator");
    assert_eq!(ban.detail, "Lia → banned: repeated abuse");
}

async fn queue_transitions_reports_and_features(store: TestStore) {
    open_settings(&store).await;
    settings(&store, |s| s.premoderate_first = 1).await;
    let (_, moderator) = editor(&store).await;
    let article_id = article(&store, "queues").await;
    let lia = reader(&store, "Lia").await;
    let ana = reader(&store, "Ana").await;
    let comment = post(&store, article_id, &lia, None, "Pending first", 2)
        .await
        .unwrap();
    let count = |queue| {
        let store = &store;
        async move {
            store
                .comments()
                .moderation_queue(queue, None, 50)
                .await
                .unwrap()
                .len()
        }
    };
    assert_eq!(
        (count(Queue::Pending).await, count(Queue::Approved).await),
        (1, 0)
    );

    // pending → approved: shown, counted, the discussion's cached pages dropped.
    let before = store.changes().latest_id().await.unwrap();
    let approved = store
        .comments()
        .moderate(
            comment.id,
            ModeratorDecision::Approve,
            "",
            &moderator,
            at(3),
        )
        .await
        .unwrap();
    assert_eq!(approved.status, CommentStatus::Approved);
    assert_eq!(
        discussion_changes_since(&store, before, article_id).await,
        1
    );
    assert_eq!(
        (count(Queue::Pending).await, count(Queue::Approved).await),
        (0, 1)
    );

    // Reports: one per reader, never on one's own comment; they fill the reported queue.
    assert!(matches!(
        store
            .comments()
            .report(comment.id, lia.id, ReportReason::Spam, "", at(4))
            .await,
        Err(DbError::Comment(CommentError::OwnReport))
    ));
    store
        .comments()
        .report(
            comment.id,
            ana.id,
            ReportReason::Abuse,
            "  name-calling ",
            at(4),
        )
        .await
        .unwrap();
    store
        .comments()
        .report(comment.id, ana.id, ReportReason::Abuse, "again", at(5))
        .await
        .unwrap();
    let reported = store
        .comments()
        .moderation_queue(Queue::Reported, None, 50)
        .await
        .unwrap();
    assert_eq!(reported.len(), 1);
    assert_eq!(reported[0].comment.report_count, 1);
    assert_eq!(
        reported[0].reports,
        vec![(ReportReason::Abuse, "name-calling".to_owned())]
    );
    assert_eq!(
        store.comments().moderation_counts().await.unwrap()[&Queue::Reported],
        1
    );

    // Feature, then approved → rejected: the decision resolves the reports and drops the pick.
    store
        .comments()
        .set_featured(comment.id, true, &moderator, at(6))
        .await
        .unwrap();
    assert!(store.comments().by_id(comment.id).await.unwrap().featured);
    let before = store.changes().latest_id().await.unwrap();
    let rejected = store
        .comments()
        .moderate(
            comment.id,
            ModeratorDecision::Reject,
            "  personal attack ",
            &moderator,
            at(7),
        )
        .await
        .unwrap();
    assert_eq!(rejected.status, CommentStatus::Rejected);
    assert_eq!(rejected.reject_reason.as_deref(), Some("personal attack"));
    assert!(!rejected.featured);
    assert_eq!(
        discussion_changes_since(&store, before, article_id).await,
        1
    );
    assert_eq!(count(Queue::Reported).await, 0);
    assert_eq!(count(Queue::Rejected).await, 1);
    assert!(
        store
            .comments()
            .set_featured(comment.id, true, &moderator, at(8))
            .await
            .is_err(),
        "only a shown comment can be featured"
    );
    // rejected → approved again (a moderator overturns a decision).
    store
        .comments()
        .moderate(
            comment.id,
            ModeratorDecision::Approve,
            "",
            &moderator,
            at(9),
        )
        .await
        .unwrap();
    assert_eq!(
        audit_actions(&store, "comment", comment.id).await,
        vec![
            "comment.approve",
            "comment.feature",
            "comment.reject",
            "comment.approve"
        ]
    );
    let reject_entry = &store
        .audit()
        .for_subject("comment", comment.id)
        .await
        .unwrap()[2];
    assert_eq!(reject_entry.detail, "comment by Lia: personal attack");

    // A deleted comment is beyond moderation.
    store
        .comments()
        .delete_own(comment.id, lia.id, at(10))
        .await
        .unwrap();
    assert!(matches!(
        store
            .comments()
            .moderate(
                comment.id,
                ModeratorDecision::Approve,
                "",
                &moderator,
                at(11)
            )
            .await,
        Err(DbError::Comment(CommentError::Deleted))
    ));
}

async fn edits_within_the_window_are_moderated_again(store: TestStore) {
    open_settings(&store).await;
    settings(&store, |s| s.suspect_words = vec!["idiot".to_owned()]).await;
    let article_id = article(&store, "edits").await;
    let lia = reader(&store, "Lia").await;
    let ana = reader(&store, "Ana").await;
    let comment = post(&store, article_id, &lia, None, "Frist!", 10)
        .await
        .unwrap();
    assert!(matches!(
        store
            .comments()
            .edit(comment.id, ana.id, "Not mine", at(11))
            .await,
        Err(DbError::NotFound)
    ));
    let edited = store
        .comments()
        .edit(comment.id, lia.id, "First, *properly*.", at(12))
        .await
        .unwrap();
    assert_eq!(edited.body, "First, *properly*.");
    assert_eq!(edited.body_html, "<p>First, <em>properly</em>.</p>\n");
    assert_eq!(edited.edited_at, Some(at(12)));
    assert_eq!(edited.status, CommentStatus::Approved);
    // Still a newcomer under stricter rules, an edit of a shown comment stays shown…
    settings(&store, |s| s.premoderate_first = 5).await;
    let fixed = store
        .comments()
        .edit(comment.id, lia.id, "First, *properly*, really.", at(12))
        .await
        .unwrap();
    assert_eq!(fixed.status, CommentStatus::Approved);
    // …but an edit that adds a suspect word goes back to the queue.
    let requeued = store
        .comments()
        .edit(comment.id, lia.id, "First, idiot.", at(13))
        .await
        .unwrap();
    assert_eq!(requeued.status, CommentStatus::Pending);
    assert_eq!(
        store
            .people()
            .reader_by_id(lia.id)
            .await
            .unwrap()
            .approved_count,
        0
    );
    assert!(matches!(
        store
            .comments()
            .edit(comment.id, lia.id, "Too late", at(16))
            .await,
        Err(DbError::Comment(CommentError::EditWindowPassed))
    ));
    assert_eq!(
        store.comments().by_id(comment.id).await.unwrap().body,
        "First, idiot."
    );
}

async fn deleted_comments_become_tombstones_in_threads(store: TestStore) {
    open_settings(&store).await;
    let article_id = article(&store, "threads").await;
    let lia = reader(&store, "Lia").await;
    let ana = reader(&store, "Ana").await;
    let root = post(&store, article_id, &lia, None, "Root", 1)
        .await
        .unwrap();
    let reply = post(&store, article_id, &ana, Some(root.id), "Reply", 2)
        .await
        .unwrap();
    let deeper = post(&store, article_id, &lia, Some(reply.id), "Deeper", 3)
        .await
        .unwrap();
    let lonely = post(&store, article_id, &ana, None, "Lonely", 4)
        .await
        .unwrap();
    assert_eq!((reply.root_id, reply.depth), (root.id, 1));
    assert_eq!((deeper.root_id, deeper.depth), (root.id, 2));

    // Replying under another article's comment, or under one not shown, is refused.
    let other = article(&store, "other").await;
    assert!(matches!(
        post(&store, other, &ana, Some(root.id), "Wrong place", 5).await,
        Err(DbError::Comment(CommentError::ParentNotShown))
    ));

    store
        .comments()
        .delete_own(root.id, lia.id, at(6))
        .await
        .unwrap();
    store
        .comments()
        .delete_own(lonely.id, ana.id, at(6))
        .await
        .unwrap();
    assert!(matches!(
        post(
            &store,
            article_id,
            &ana,
            Some(root.id),
            "Under a tombstone",
            7
        )
        .await,
        Err(DbError::Comment(CommentError::ParentNotShown))
    ));
    let page = store
        .comments()
        .discussion_page(article_id, DiscussionSort::Oldest, 0, 20)
        .await
        .unwrap();
    // The deleted root stays as a tombstone because replies hang from it; the lonely one goes.
    assert_eq!(page.threads.len(), 1);
    assert_eq!(ids(&page.threads[0]), vec![root.id, reply.id, deeper.id]);
    let tombstone = &page.threads[0][0];
    assert_eq!(tombstone.status, CommentStatus::Deleted);
    assert_eq!(
        (tombstone.body.as_str(), tombstone.body_html.as_str()),
        ("", "")
    );
    assert_eq!(page.approved_count, 2);
    // A deep thread continues on its own page, from any comment in it.
    assert_eq!(
        ids(&store.comments().thread(reply.id).await.unwrap()),
        vec![reply.id, deeper.id]
    );
    assert!(matches!(
        store.comments().thread(lonely.id).await,
        Err(DbError::NotFound)
    ));
}

async fn closing_by_hand_and_after_n_days(store: TestStore) {
    open_settings(&store).await;
    let (_, moderator) = editor(&store).await;
    let old = article(&store, "old-story").await;
    let reopened = article(&store, "reopened-story").await;
    let lia = reader(&store, "Lia").await;

    let before = store.changes().latest_id().await.unwrap();
    store
        .comments()
        .set_article_comments_open(old, false, &moderator, at(1))
        .await
        .unwrap();
    let changes = store.changes().since(before, 10).await.unwrap();
    assert_eq!(changes.len(), 1);
    assert!(changes[0].cache_tags.contains(&cache_tags::article(old)));
    assert!(
        !store
            .comments()
            .article_discussion(old)
            .await
            .unwrap()
            .comments_open
    );
    assert!(matches!(
        post(&store, old, &lia, None, "Too late", 2).await,
        Err(DbError::Comment(CommentError::Closed))
    ));
    store
        .comments()
        .set_article_comments_open(old, true, &moderator, at(3))
        .await
        .unwrap();
    assert!(
        store
            .comments()
            .article_discussion(old)
            .await
            .unwrap()
            .keep_open
    );
    store
        .comments()
        .set_article_comments_open(old, false, &moderator, at(4))
        .await
        .unwrap();

    // Automatic closing: nothing without a setting; then whatever is older than N days, except
    // what an editor reopened by hand.
    let ten_days = SignedDuration::from_hours(24 * 10);
    assert!(
        store
            .comments()
            .close_stale_discussions(base_time() + ten_days)
            .await
            .unwrap()
            .is_empty()
    );
    settings(&store, |s| s.auto_close_days = Some(7)).await;
    store
        .comments()
        .set_article_comments_open(reopened, false, &moderator, at(5))
        .await
        .unwrap();
    store
        .comments()
        .set_article_comments_open(reopened, true, &moderator, at(6))
        .await
        .unwrap();
    let fresh = article(&store, "fresh-story").await;
    assert!(
        store
            .comments()
            .close_stale_discussions(base_time() + SignedDuration::from_hours(24 * 6))
            .await
            .unwrap()
            .is_empty()
    );
    let closed = store
        .comments()
        .close_stale_discussions(base_time() + ten_days)
        .await
        .unwrap();
    assert_eq!(closed, vec![fresh]);
    assert!(
        !store
            .comments()
            .article_discussion(fresh)
            .await
            .unwrap()
            .comments_open
    );
    assert!(
        store
            .comments()
            .article_discussion(reopened)
            .await
            .unwrap()
            .comments_open
    );
    assert_eq!(
        audit_actions(&store, "article", old).await,
        vec![
            "article.comments_close",
            "article.comments_open",
            "article.comments_close"
        ]
    );
    let auto = store.audit().for_subject("article", fresh).await.unwrap();
    assert_eq!(auto.len(), 1);
    assert_eq!(auto[0].actor.name, dateline_db::MODERATION_RULES_ACTOR);
    assert_eq!(auto[0].detail, "automatically, 7 days after publication");
    // Running again closes nothing new.
    assert!(
        store
            .comments()
            .close_stale_discussions(base_time() + ten_days)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn deleting_an_account_keeps_threads_and_forgets_the_reader(store: TestStore) {
    open_settings(&store).await;
    let article_id = article(&store, "forget").await;
    let lia = reader(&store, "Lia").await;
    let ana = reader(&store, "Ana").await;
    let root = post(&store, article_id, &lia, None, "My view", 1)
        .await
        .unwrap();
    let reply = post(&store, article_id, &ana, Some(root.id), "Mine", 2)
        .await
        .unwrap();
    store
        .comments()
        .report(reply.id, lia.id, ReportReason::OffTopic, "", at(3))
        .await
        .unwrap();
    store
        .sessions()
        .create_reader_session(lia.id, "lia-session", "csrf", LIMITS, at(3))
        .await
        .unwrap();

    let export = store.people().reader_export(lia.id).await.unwrap();
    assert_eq!(export.account.email, "lia@readers.example");
    assert_eq!(export.comments.len(), 1);
    assert_eq!(export.comments[0].body, "My view");
    assert_eq!(export.reports.len(), 1);
    assert_eq!(export.reports[0].reason, "off_topic");
    let json = serde_json::to_value(&export).unwrap();
    assert_eq!(json["comments"][0]["body"], "My view");

    let before = store.changes().latest_id().await.unwrap();
    store.people().delete_reader(lia.id, at(4)).await.unwrap();
    assert_eq!(
        discussion_changes_since(&store, before, article_id).await,
        1
    );
    let gone = store.people().reader_by_id(lia.id).await.unwrap();
    assert!(gone.deleted_at.is_some());
    assert_eq!(gone.display_name, "Deleted reader");
    assert!(!gone.email.contains("lia"));
    assert_eq!(
        store.people().reader_password_hash(lia.id).await.unwrap(),
        None
    );
    assert!(
        store
            .people()
            .reader_by_email("lia@readers.example")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .sessions()
            .reader_session("lia-session", LIMITS, at(5))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store.comments().by_id(reply.id).await.unwrap().report_count,
        1
    );
    assert!(
        store
            .people()
            .reader_export(lia.id)
            .await
            .unwrap()
            .reports
            .is_empty()
    );

    let page = store
        .comments()
        .discussion_page(article_id, DiscussionSort::Oldest, 0, 20)
        .await
        .unwrap();
    assert_eq!(ids(&page.threads[0]), vec![root.id, reply.id]);
    assert_eq!(page.threads[0][0].status, CommentStatus::Deleted);
    assert_eq!(page.threads[0][0].body, "");
    assert_eq!(page.approved_count, 1);
    // The address is free to sign up again.
    reader(&store, "Lia").await;
    let entries = store.audit().for_subject("reader", lia.id).await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].action, "reader.delete");
    assert!(!entries[0].detail.contains("lia@"));
}

async fn discussion_pages_sort_paginate_and_count(store: TestStore) {
    open_settings(&store).await;
    let (_, moderator) = editor(&store).await;
    let article_id = article(&store, "busy").await;
    let other = article(&store, "quiet-one").await;
    let readers = [reader(&store, "Lia").await, reader(&store, "Ana").await];
    let mut roots = Vec::new();
    for n in 0..5 {
        let who = &readers[n % 2];
        roots.push(
            post(
                &store,
                article_id,
                who,
                None,
                &format!("Comment number {n}"),
                10 + n as i64,
            )
            .await
            .unwrap(),
        );
    }
    let reply = post(
        &store,
        article_id,
        &readers[1],
        Some(roots[0].id),
        "A reply",
        20,
    )
    .await
    .unwrap();
    store
        .comments()
        .set_featured(roots[3].id, true, &moderator, at(21))
        .await
        .unwrap();
    store
        .comments()
        .set_featured(reply.id, true, &moderator, at(21))
        .await
        .unwrap();

    let first = store
        .comments()
        .discussion_page(article_id, DiscussionSort::Oldest, 0, 2)
        .await
        .unwrap();
    assert_eq!(first.total_entries, 5);
    assert_eq!(first.approved_count, 6);
    assert_eq!(ids(&first.threads[0]), vec![roots[0].id, reply.id]);
    assert_eq!(ids(&first.threads[1]), vec![roots[1].id]);
    let last = store
        .comments()
        .discussion_page(article_id, DiscussionSort::Oldest, 4, 2)
        .await
        .unwrap();
    assert_eq!(ids(&last.threads[0]), vec![roots[4].id]);
    let newest = store
        .comments()
        .discussion_page(article_id, DiscussionSort::Newest, 0, 2)
        .await
        .unwrap();
    assert_eq!(ids(&newest.threads[0]), vec![roots[4].id]);
    assert_eq!(ids(&newest.threads[1]), vec![roots[3].id]);
    let featured = store
        .comments()
        .discussion_page(article_id, DiscussionSort::Featured, 0, 10)
        .await
        .unwrap();
    assert_eq!(featured.total_entries, 2);
    assert_eq!(
        featured.threads,
        vec![
            vec![store.comments().by_id(reply.id).await.unwrap()],
            vec![store.comments().by_id(roots[3].id).await.unwrap()]
        ]
    );

    let counts = store
        .comments()
        .approved_counts(&[article_id, other])
        .await
        .unwrap();
    assert_eq!(counts.get(&article_id), Some(&6));
    assert_eq!(counts.get(&other), None);
    // What a live page's count reads: the ids every reader sees, newest first.
    let newest = store
        .comments()
        .newest_shown_ids(article_id, 1_000)
        .await
        .unwrap()
        .expect("a published article");
    assert_eq!(newest.iter().filter(|id| **id > roots[2].id).count(), 3);
}

async fn staff_replies_are_shown_at_once_with_their_name(store: TestStore) {
    open_settings(&store).await;
    settings(&store, |s| {
        s.mode = ModerationMode::Pre;
        s.premoderate_first = 5;
    })
    .await;
    let (staff, moderator) = editor(&store).await;
    let article_id = article(&store, "staff-reply").await;
    let lia = reader(&store, "Lia").await;
    let question = post(&store, article_id, &lia, None, "Where is the source?", 1)
        .await
        .unwrap();
    store
        .comments()
        .moderate(
            question.id,
            ModeratorDecision::Approve,
            "",
            &moderator,
            at(2),
        )
        .await
        .unwrap();
    let answer = store
        .comments()
        .post(
            &NewComment {
                article_id,
                parent_id: Some(question.id),
                author: CommentAuthor::Staff(staff.id),
                body: "[The report](https://example.org/report) is linked.".to_owned(),
            },
            at(3),
        )
        .await
        .unwrap();
    assert_eq!(answer.status, CommentStatus::Approved);
    assert!(answer.is_staff());
    assert_eq!(answer.author_name, "Mo Moderator");
    assert!(answer.body_html.contains(r#"rel="nofollow ugc noopener""#));
}

/// Every comment in every status, on a published and an unpublished article: what the store
/// hands each viewer one at a time ([`Comments::visible`]) is exactly what the core rule
/// says, and what the discussion pages, threads and counts show everyone is exactly what the
/// rule lets the public see.
async fn one_rule_decides_who_sees_each_comment(store: TestStore) {
    open_settings(&store).await;
    let (_, moderator) = editor(&store).await;
    let shown_article = article(&store, "shown").await;
    let pulled_article = article(&store, "pulled").await;
    let lia = reader(&store, "Lia").await;
    let sam = reader(&store, "Sam").await;
    let mut everything = Vec::new();
    let mut minute = 2;
    for article_id in [shown_article, pulled_article] {
        let root = post(
            &store,
            article_id,
            &lia,
            None,
            &format!("root {article_id}"),
            minute,
        )
        .await
        .unwrap();
        everything.push(root.id);
        for (n, status) in ["approved", "rejected", "deleted"].iter().enumerate() {
            minute += 1;
            let who = if n % 2 == 0 { &lia } else { &sam };
            let reply = post(
                &store,
                article_id,
                who,
                Some(root.id),
                &format!("{status} reply on {article_id}"),
                minute,
            )
            .await
            .unwrap();
            match *status {
                "rejected" => {
                    store
                        .comments()
                        .moderate(
                            reply.id,
                            ModeratorDecision::Reject,
                            "",
                            &moderator,
                            at(minute),
                        )
                        .await
                        .unwrap();
                }
                "deleted" => store
                    .comments()
                    .delete_own(reply.id, who.id, at(minute))
                    .await
                    .unwrap(),
                _ => {}
            }
            everything.push(reply.id);
        }
    }
    // A waiting comment, the way a pre-moderated site leaves it.
    settings(&store, |s| s.mode = ModerationMode::Pre).await;
    for (article_id, who) in [(shown_article, &lia), (pulled_article, &sam)] {
        minute += 1;
        let held = post(
            &store,
            article_id,
            who,
            None,
            &format!("held on {article_id}"),
            minute,
        )
        .await
        .unwrap();
        assert_eq!(held.status, CommentStatus::Pending);
        everything.push(held.id);
    }
    store
        .articles()
        .set_status(
            pulled_article,
            ArticleStatus::Unpublished,
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();

    let mut shown_to_public = Vec::new();
    for &id in &everything {
        let comment = store.comments().by_id(id).await.unwrap();
        let standing = CommentStanding {
            status: comment.status,
            reader_id: comment.reader_id,
            article_published: comment.article_id == shown_article,
        };
        for viewer in [
            Viewer::Public,
            Viewer::Reader(lia.id),
            Viewer::Reader(sam.id),
            Viewer::Staff,
        ] {
            let got = store.comments().visible(id, viewer).await;
            assert_eq!(
                got.is_ok(),
                may_see(viewer, standing),
                "comment {id} ({}, {:?}) for {viewer:?}",
                comment.status,
                comment.reader_id,
            );
            if let Err(error) = got {
                assert!(matches!(error, DbError::NotFound), "{error:?}");
            }
        }
        if may_see(Viewer::Public, standing) {
            shown_to_public.push(id);
        }
    }
    assert!(!shown_to_public.is_empty());
    assert!(
        store
            .comments()
            .visible(i64::MAX, Viewer::Staff)
            .await
            .is_err()
    );

    // What the pages show everyone is exactly that set, for both articles.
    let mut on_pages = Vec::new();
    for article_id in [shown_article, pulled_article] {
        for sort in [DiscussionSort::Oldest, DiscussionSort::Newest] {
            let page = store
                .comments()
                .discussion_page(article_id, sort, 0, 50)
                .await
                .unwrap();
            let texts: Vec<i64> = page
                .threads
                .iter()
                .flatten()
                .filter(|c| c.status != CommentStatus::Deleted)
                .map(|c| c.id)
                .collect();
            assert!(
                page.threads
                    .iter()
                    .flatten()
                    .filter(|c| c.status == CommentStatus::Deleted)
                    .all(|c| c.body.is_empty()),
                "a tombstone shows nothing"
            );
            if sort == DiscussionSort::Oldest {
                on_pages.extend(texts.iter().copied());
                assert_eq!(
                    page.approved_count,
                    i64::try_from(texts.len()).unwrap(),
                    "the count is of what is shown"
                );
            }
        }
        let counts = store
            .comments()
            .approved_counts(&[article_id])
            .await
            .unwrap();
        let live = store
            .comments()
            .newest_shown_ids(article_id, 1_000)
            .await
            .unwrap()
            .map_or(0, |ids| ids.len());
        let expected = shown_to_public
            .iter()
            .filter(|id| everything.contains(id))
            .count();
        if article_id == pulled_article {
            assert_eq!(
                counts.get(&article_id),
                None,
                "nothing counted on a pulled article"
            );
            assert_eq!(
                live, 0,
                "the live count of a pulled article stays at nothing"
            );
            assert!(
                store
                    .comments()
                    .unshown_of_reader(article_id, sam.id)
                    .await
                    .unwrap()
                    .is_empty(),
                "not even one's own words on a pulled article"
            );
        } else {
            assert_eq!(
                counts.get(&article_id).copied(),
                Some(i64::try_from(expected).unwrap())
            );
            assert_eq!(live, expected);
        }
    }
    on_pages.sort_unstable();
    let mut expected = shown_to_public.clone();
    expected.sort_unstable();
    assert_eq!(on_pages, expected);
    // A thread page only opens on something everyone may see.
    for &id in &everything {
        let comment = store.comments().by_id(id).await.unwrap();
        let thread = store.comments().thread(id).await;
        if comment.article_id == pulled_article {
            assert!(matches!(thread, Err(DbError::NotFound)), "thread of {id}");
        }
        if let Ok(thread) = thread {
            assert!(
                thread
                    .iter()
                    .all(|c| shown_to_public.contains(&c.id) || c.status == CommentStatus::Deleted),
                "thread of {id}"
            );
        }
    }
}
