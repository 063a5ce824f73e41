//! The discussion's use cases: readers act only on comments the one visibility rule shows them,
//! the desk's decisions need the moderator's role, and a refused change writes nothing.

// The workspace denies `unwrap` outside tests; these are plain `async fn`s the macro wraps.
#![allow(clippy::unwrap_used)]

use dateline_core::comments::{CommentError, CommentStatus, ModerationMode};
use dateline_core::{Action, ArticleStatus, ModerationRefusal, Refusal, Role};
use dateline_db::testing::TestStore;
use dateline_db::{
    ArticleInput, AuthorInput, NewReader, NewStaff, Reader, ReaderLinkPurpose, SectionInput,
};
use dateline_storage::MediaStore;
use dateline_usecases::comments::{self, RulesDraft};
use dateline_usecases::{Actor, Context, UseCaseError};
use jiff::{SignedDuration, Timestamp};

dateline_db::both_backends!(
    comments_readers_act_only_on_what_they_may_see,
    comments_the_desk_needs_the_moderators_role,
    comments_bad_rules_are_refused_all_at_once_and_nothing_is_written,
    comments_a_reply_answers_only_a_shown_comment_on_its_article,
);

struct Discussion {
    ctx: Context,
    _store: TestStore,
    _media: tempfile::TempDir,
    article_id: i64,
    other_article_id: i64,
    lia: Reader,
    max: Reader,
    author: Actor,
    editor: Actor,
}

fn now() -> Timestamp {
    Timestamp::from_second(1_767_614_400).unwrap()
}

async fn staff(ctx: &Context, name: &str, role: Role) -> Actor {
    let member = ctx
        .store
        .people()
        .create_staff(
            &NewStaff {
                email: format!("{}@dateline.test", name.to_lowercase()),
                display_name: name.to_owned(),
                role,
                password_hash: None,
                author_id: None,
            },
            now(),
        )
        .await
        .unwrap();
    Actor::staff(member)
}

async fn reader(ctx: &Context, name: &str) -> Reader {
    let store = &ctx.store;
    let reader = store
        .people()
        .create_reader(
            &NewReader {
                email: format!("{}@readers.test", name.to_lowercase()),
                display_name: name.to_owned(),
                password_hash: "not-used".into(),
            },
            now(),
        )
        .await
        .unwrap();
    let token = format!("verify-{}", reader.id);
    let purpose = ReaderLinkPurpose::Verify;
    store
        .sessions()
        .create_reader_link(
            reader.id,
            &token,
            purpose,
            SignedDuration::from_hours(1),
            now(),
        )
        .await
        .unwrap();
    store
        .sessions()
        .use_reader_link(&token, purpose, now())
        .await
        .unwrap();
    store.people().reader_by_id(reader.id).await.unwrap()
}

async fn article(ctx: &Context, section_id: i64, author_id: i64, slug: &str) -> i64 {
    ctx.store
        .articles()
        .create(
            &ArticleInput {
                section_id,
                slug: slug.into(),
                headline: slug.replace('-', " "),
                standfirst: String::new(),
                body: "Text.".into(),
                dateline_place: None,
                hero_image_id: None,
                author_ids: vec![author_id],
                tags: Vec::new(),
                language: "en".into(),
                comments_open: true,
                status: ArticleStatus::Published,
                first_published_at: None,
                updated_at: None,
            },
            jiff::Timestamp::now(),
        )
        .await
        .unwrap()
        .id
}

/// Two published stories under post-moderation that holds a reader's first comment.
async fn discussion(store: TestStore) -> Discussion {
    let media = tempfile::tempdir().unwrap();
    let ctx = Context::new(
        store.store.clone(),
        MediaStore::local(media.path()).unwrap(),
    );
    let section = ctx
        .store
        .site()
        .create_section(
            &SectionInput {
                slug: "city".into(),
                name: "City".into(),
                description: String::new(),
                position: 0,
            },
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    let byline = ctx
        .store
        .people()
        .create_author(
            &AuthorInput {
                slug: "desk".into(),
                name: "Desk".into(),
                role: String::new(),
                bio: String::new(),
            },
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    let article_id = article(&ctx, section.id, byline.id, "the-bridge").await;
    let other_article_id = article(&ctx, section.id, byline.id, "the-tunnel").await;
    let editor = staff(&ctx, "Cleo", Role::Editor).await;
    let rules = RulesDraft {
        mode: "post".into(),
        premoderate_first: "1".into(),
        ..RulesDraft::default()
    };
    comments::save_rules(&ctx, &editor, &rules, now())
        .await
        .unwrap();
    Discussion {
        lia: reader(&ctx, "Lia").await,
        max: reader(&ctx, "Max").await,
        author: staff(&ctx, "Ada", Role::Author).await,
        editor,
        article_id,
        other_article_id,
        ctx,
        _store: store,
        _media: media,
    }
}

fn refused_with(result: Result<impl std::fmt::Debug, UseCaseError>, expected: Refusal) {
    match result {
        Err(UseCaseError::Refused(refusals)) => {
            assert_eq!(refusals.first(), &expected, "{refusals}");
        }
        other => panic!("expected {expected:?}, got {other:?}"),
    }
}

async fn comments_readers_act_only_on_what_they_may_see(store: TestStore) {
    let d = discussion(store).await;
    let ctx = &d.ctx;
    let held = comments::post(ctx, &d.lia, d.article_id, None, "First words.", now())
        .await
        .unwrap();
    assert_eq!(held.status, CommentStatus::Pending, "a first comment waits");

    // Max cannot see Lia's waiting comment, so to him it does not exist: no edit, delete or
    // report, and none of them tells him it is there.
    for result in [
        comments::edit(ctx, &d.max, held.id, "Hijacked.", now())
            .await
            .map(|_| ()),
        comments::delete(ctx, &d.max, held.id, now()).await,
        comments::report(ctx, &d.max, held.id, "spam", "", now()).await,
    ] {
        assert!(matches!(result, Err(UseCaseError::NotFound)), "{result:?}");
    }
    assert_eq!(
        ctx.store.comments().by_id(held.id).await.unwrap().body,
        "First words."
    );

    // Lia edits her own waiting comment.
    let edited = comments::edit(ctx, &d.lia, held.id, "First words, fixed.", now())
        .await
        .unwrap();
    assert_eq!(edited.body, "First words, fixed.");

    // Once approved, Max may report it, for a reason the form offers; Lia not her own.
    comments::moderate(ctx, &d.editor, held.id, "approve", "", now())
        .await
        .unwrap();
    refused_with(
        comments::report(ctx, &d.max, held.id, "because", "", now()).await,
        ModerationRefusal::ReportReasonMissing.into(),
    );
    comments::report(ctx, &d.max, held.id, "spam", "selling", now())
        .await
        .unwrap();
    refused_with(
        comments::report(ctx, &d.lia, held.id, "spam", "", now()).await,
        CommentError::OwnReport.into(),
    );

    // A banned reader is told so before anything else.
    comments::set_standing(ctx, &d.editor, d.max.id, "banned", None, "abuse", now())
        .await
        .unwrap();
    let max = ctx.store.people().reader_by_id(d.max.id).await.unwrap();
    refused_with(comments::may_post(&max, now()), CommentError::Banned.into());
    refused_with(
        comments::post(ctx, &max, d.article_id, None, "Let me in.", now()).await,
        CommentError::Banned.into(),
    );

    // Lia takes hers back: a tombstone.
    comments::delete(ctx, &d.lia, held.id, now()).await.unwrap();
    assert_eq!(
        ctx.store.comments().by_id(held.id).await.unwrap().status,
        CommentStatus::Deleted
    );
}

async fn comments_the_desk_needs_the_moderators_role(store: TestStore) {
    let d = discussion(store).await;
    let ctx = &d.ctx;
    let held = comments::post(ctx, &d.lia, d.article_id, None, "Held.", now())
        .await
        .unwrap();
    let not_permitted = |result: Result<(), UseCaseError>| match result {
        Err(UseCaseError::NotPermitted { action, role }) => {
            assert!(
                matches!(
                    action,
                    Action::ModerateComments | Action::ConfigureModeration
                ),
                "{action:?}"
            );
            assert_eq!(role, Some(Role::Author));
        }
        other => panic!("expected NotPermitted, got {other:?}"),
    };
    let a = &d.author;
    not_permitted(
        comments::moderate(ctx, a, held.id, "approve", "", now())
            .await
            .map(|_| ()),
    );
    not_permitted(comments::feature(ctx, a, held.id, true, now()).await);
    not_permitted(
        comments::reply_as_staff(ctx, a, held.id, "Thanks.", now())
            .await
            .map(|_| ()),
    );
    not_permitted(
        comments::set_standing(ctx, a, d.lia.id, "banned", None, "", now())
            .await
            .map(|_| ()),
    );
    not_permitted(comments::open_discussion(ctx, a, d.article_id, false, now()).await);
    not_permitted(comments::set_discussion_mode(ctx, a, d.article_id, "pre", now()).await);
    not_permitted(
        comments::save_rules(ctx, a, &RulesDraft::default(), now())
            .await
            .map(|_| ()),
    );
    assert_eq!(
        ctx.store.comments().by_id(held.id).await.unwrap().status,
        CommentStatus::Pending,
        "nothing changed"
    );

    // The editor may; an unknown article is not found, an unknown mode refused.
    let e = &d.editor;
    comments::set_discussion_mode(ctx, e, d.article_id, "pre", now())
        .await
        .unwrap();
    assert_eq!(
        ctx.store
            .comments()
            .article_discussion(d.article_id)
            .await
            .unwrap()
            .mode,
        Some(ModerationMode::Pre)
    );
    refused_with(
        comments::set_discussion_mode(ctx, e, d.article_id, "sometimes", now()).await,
        ModerationRefusal::ModeUnknown.into(),
    );
    assert!(matches!(
        comments::open_discussion(ctx, e, 999_999, false, now()).await,
        Err(UseCaseError::NotFound)
    ));
    // A waiting comment is no editor's pick; a shown one is.
    refused_with(
        comments::feature(ctx, e, held.id, true, now()).await,
        ModerationRefusal::FeatureNeedsApproved.into(),
    );
    comments::moderate(ctx, e, held.id, "approve", "", now())
        .await
        .unwrap();
    comments::feature(ctx, e, held.id, true, now())
        .await
        .unwrap();
    assert!(ctx.store.comments().by_id(held.id).await.unwrap().featured);
    refused_with(
        comments::set_standing(ctx, e, d.lia.id, "suspended", Some(0), "", now()).await,
        ModerationRefusal::SuspensionDays { max: 365 }.into(),
    );
    let suspended = comments::set_standing(ctx, e, d.lia.id, "suspended", None, "", now())
        .await
        .unwrap();
    assert_eq!(
        suspended.suspended_until,
        Some(now() + SignedDuration::from_hours(24 * 7)),
        "a week when no length is named"
    );
}

async fn comments_bad_rules_are_refused_all_at_once_and_nothing_is_written(store: TestStore) {
    let d = discussion(store).await;
    let before = d.ctx.store.comments().settings().await.unwrap();
    let bad = RulesDraft {
        mode: "sometimes".into(),
        premoderate_first: "1001".into(),
        banned_words: vec!["scoundrel".into()],
        suspect_words: Vec::new(),
        premoderate_links: true,
        auto_close_days: "forever".into(),
    };
    match comments::save_rules(&d.ctx, &d.editor, &bad, now()).await {
        Err(UseCaseError::Refused(refusals)) => assert_eq!(
            refusals.codes(),
            [
                "moderation_mode_unknown",
                "premoderate_first_too_many",
                "auto_close_days_invalid"
            ]
        ),
        other => panic!("expected refusals, got {other:?}"),
    }
    assert_eq!(d.ctx.store.comments().settings().await.unwrap(), before);

    let good = RulesDraft {
        mode: " pre ".into(),
        premoderate_first: "1000".into(),
        banned_words: vec!["  scoundrel ".into(), String::new()],
        auto_close_days: "3650".into(),
        ..bad
    };
    let saved = comments::save_rules(&d.ctx, &d.editor, &good, now())
        .await
        .unwrap();
    assert_eq!(saved.mode, ModerationMode::Pre);
    assert_eq!(saved.banned_words, ["scoundrel"]);
    assert_eq!(saved.auto_close_days, Some(3650));
    assert_eq!(d.ctx.store.comments().settings().await.unwrap(), saved);
}

async fn comments_a_reply_answers_only_a_shown_comment_on_its_article(store: TestStore) {
    let d = discussion(store).await;
    let ctx = &d.ctx;
    let held = comments::post(ctx, &d.lia, d.article_id, None, "Held.", now())
        .await
        .unwrap();
    let not_shown = || Refusal::from(CommentError::ParentNotShown);
    let id = held.id.to_string();
    // Waiting (and, to Max, invisible), unreadable, or on another story: all the same refusal.
    for (reader, article, parent) in [
        (&d.max, d.article_id, id.as_str()),
        (&d.lia, d.article_id, id.as_str()),
        (&d.lia, d.article_id, "12abc"),
    ] {
        refused_with(
            comments::post(ctx, reader, article, Some(parent), "A reply.", now()).await,
            not_shown(),
        );
    }
    comments::moderate(ctx, &d.editor, held.id, "approve", "", now())
        .await
        .unwrap();
    refused_with(
        comments::post(
            ctx,
            &d.max,
            d.other_article_id,
            Some(&id),
            "Elsewhere.",
            now(),
        )
        .await,
        not_shown(),
    );
    let reply = comments::post(ctx, &d.max, d.article_id, Some(&id), "A reply.", now())
        .await
        .unwrap();
    assert_eq!(reply.parent_id, Some(held.id));
    let staff_reply = comments::reply_as_staff(ctx, &d.editor, held.id, "From the desk.", now())
        .await
        .unwrap();
    assert_eq!(staff_reply.status, CommentStatus::Approved);
    assert!(staff_reply.is_staff());
    assert!(matches!(
        comments::reply_as_staff(ctx, &Actor::system("cli"), held.id, "Hm.", now()).await,
        Err(UseCaseError::NotPermitted { .. })
    ));
}
