//! The editorial workflow in the store: revisions, conflicts, status changes, scheduling with a
//! controllable clock, and corrections.

use dateline_core::workflow::{WorkflowError, parse_local_date_time, resolve_local_time};
use dateline_core::{ArticleStatus, JobKind, NoteKind, Role, cache_tags};
use dateline_db::testing::TestStore;
use dateline_db::{Actor, ArticleInput, DbError, NewStaff, SCHEDULER_ACTOR, Store, StoryFilter};
use jiff::{SignedDuration, Timestamp};

use crate::support::{
    article_input, author, base_time, hours_after_base, long_after_base, section, tag_set,
};

dateline_db::both_backends!(
    every_save_is_a_revision_with_who_and_when,
    restoring_a_revision_saves_it_again_as_a_new_one,
    a_stale_save_is_a_conflict_and_overwrites_nothing,
    a_newsroom_save_keeps_the_status,
    illegal_transitions_are_refused_and_change_nothing,
    publishing_sets_the_first_publication_time_once_and_is_audited,
    unpublishing_hides_the_article_from_public_lists,
    a_scheduled_article_publishes_at_its_time_and_not_before,
    bogota_time_is_right_while_new_york_changes_its_clocks,
    rescheduling_moves_the_one_waiting_job,
    overdue_articles_publish_at_once_and_exactly_once,
    notes_go_on_published_articles_and_move_updated_at,
    corrections_are_listed_newest_first_across_the_site,
);

async fn editor(store: &Store, email: &str, name: &str) -> Actor {
    let member = store
        .people()
        .create_staff(
            &NewStaff {
                email: email.to_owned(),
                display_name: name.to_owned(),
                role: Role::Editor,
                password_hash: None,
                author_id: None,
            },
            base_time(),
        )
        .await
        .unwrap();
    Actor::staff(member.id, name)
}

/// A section, an author and a draft by them; returns the draft's input and id.
async fn draft(store: &Store, slug: &str) -> (ArticleInput, i64) {
    let politics = match store.site().section_by_slug("politics").await.unwrap() {
        Some(section) => section,
        None => section(store, "politics", 1).await,
    };
    let ann = match store.people().author_by_slug("ann-lee").await.unwrap() {
        Some(author) => author,
        None => author(store, "ann-lee").await,
    };
    let mut input = article_input(politics.id, slug, &[ann.id]);
    input.status = ArticleStatus::Draft;
    let article = store
        .articles()
        .create(&input, jiff::Timestamp::now())
        .await
        .unwrap();
    (input, article.id)
}

async fn every_save_is_a_revision_with_who_and_when(store: TestStore) {
    let ana = editor(&store, "ana@news.example", "Ana Pérez").await;
    let politics = section(&store, "politics", 1).await;
    let ann = author(&store, "ann-lee").await;
    let bo = author(&store, "bo-chen").await;
    let mut input = article_input(politics.id, "petro-invited", &[ann.id]);
    input.status = ArticleStatus::Draft;
    input.tags = vec!["Colombia".to_owned(), "  ".to_owned()];

    let before = Timestamp::now() - SignedDuration::from_secs(1);
    let created = store
        .articles()
        .create_as(&input, &ana, jiff::Timestamp::now())
        .await
        .unwrap();
    input.headline = "Petro invited to the White House".to_owned();
    input.author_ids = vec![bo.id, ann.id];
    input.comments_open = false;
    let saved = store
        .articles()
        .save(
            created.id,
            created.version,
            &input,
            &ana,
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    // An import's save is a revision too, by no person.
    input.body = "A longer body.".to_owned();
    let imported = store
        .articles()
        .update(created.id, saved.version, &input, jiff::Timestamp::now())
        .await
        .unwrap();

    let revisions = store.articles().revisions(created.id).await.unwrap();
    let numbers: Vec<i64> = revisions.iter().map(|r| r.number).collect();
    assert_eq!(numbers, vec![3, 2, 1], "newest first");
    assert_eq!(revisions[2].saved_by, ana);
    assert_eq!(revisions[1].saved_by, ana);
    assert_eq!(revisions[0].saved_by, Actor::system("import"));
    assert_eq!(revisions[1].headline, "Petro invited to the White House");
    assert_eq!(
        revisions
            .iter()
            .map(|r| r.article_version)
            .collect::<Vec<_>>(),
        vec![imported.version, saved.version, created.version]
    );
    for revision in &revisions {
        assert!(revision.saved_at >= before && revision.saved_at <= Timestamp::now());
        assert_eq!(revision.restored_from, None);
    }

    let second = store
        .articles()
        .revision(created.id, 2)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.snapshot.author_ids, vec![bo.id, ann.id]);
    assert_eq!(second.snapshot.tags, vec!["Colombia".to_owned()]);
    assert!(!second.snapshot.comments_open);
    assert_eq!(second.snapshot.section_id, politics.id);
    assert_eq!(
        second.snapshot.dateline_place.as_deref(),
        Some("Washington")
    );
    assert_eq!(second.snapshot.language, "en");
    assert_eq!(
        store
            .articles()
            .latest_revision(created.id)
            .await
            .unwrap()
            .unwrap()
            .snapshot
            .body,
        "A longer body."
    );
    assert!(
        store
            .articles()
            .revision(created.id, 4)
            .await
            .unwrap()
            .is_none()
    );

    let diff = store
        .articles()
        .compare_revisions(created.id, 1, 2)
        .await
        .unwrap();
    let headline = diff.fields.iter().find(|f| f.field == "headline").unwrap();
    assert!(headline.changed);
    assert_eq!(diff.other_changes, vec!["Authors", "Comments"]);
    assert!(matches!(
        store.articles().compare_revisions(created.id, 1, 9).await,
        Err(DbError::NotFound)
    ));

    // The newsroom creates drafts; publishing is a workflow step.
    let mut published = article_input(politics.id, "straight-out", &[ann.id]);
    published.status = ArticleStatus::Published;
    assert!(matches!(
        store
            .articles()
            .create_as(&published, &ana, jiff::Timestamp::now())
            .await,
        Err(DbError::Refused(_))
    ));
}

async fn restoring_a_revision_saves_it_again_as_a_new_one(store: TestStore) {
    let ana = editor(&store, "ana@news.example", "Ana Pérez").await;
    let (mut input, id) = draft(&store, "petro-invited").await;
    let original_headline = input.headline.clone();
    input.headline = "A worse headline".to_owned();
    let v2 = store
        .articles()
        .save(id, 1, &input, &ana, jiff::Timestamp::now())
        .await
        .unwrap();

    let restored = store
        .articles()
        .restore_revision(id, 1, v2.version, &ana, jiff::Timestamp::now())
        .await
        .unwrap();
    assert_eq!(restored.headline, original_headline);
    assert_eq!(restored.version, v2.version + 1);
    assert_eq!(restored.status, ArticleStatus::Draft);
    let revisions = store.articles().revisions(id).await.unwrap();
    assert_eq!(
        revisions.len(),
        3,
        "a restore adds, it never rewrites history"
    );
    assert_eq!(revisions[0].restored_from, Some(1));
    assert_eq!(revisions[0].saved_by, ana);
    assert_eq!(revisions[1].headline, "A worse headline");

    // The optimistic lock applies: restoring from a stale version is a conflict.
    let error = store
        .articles()
        .restore_revision(id, 2, v2.version, &ana, jiff::Timestamp::now())
        .await
        .unwrap_err();
    assert!(
        matches!(error, DbError::Conflict { current_version } if current_version == restored.version),
        "{error:?}"
    );
    assert_eq!(store.articles().revisions(id).await.unwrap().len(), 3);
    assert!(matches!(
        store
            .articles()
            .restore_revision(id, 99, restored.version, &ana, jiff::Timestamp::now())
            .await,
        Err(DbError::NotFound)
    ));
}

async fn a_stale_save_is_a_conflict_and_overwrites_nothing(store: TestStore) {
    let ana = editor(&store, "ana@news.example", "Ana Pérez").await;
    let bo = editor(&store, "bo@news.example", "Bo Chen").await;
    let (input, id) = draft(&store, "petro-invited").await;

    let mut anas = input.clone();
    anas.body = "Ana's careful rewrite.".to_owned();
    let saved = store
        .articles()
        .save(id, 1, &anas, &ana, jiff::Timestamp::now())
        .await
        .unwrap();

    let mut bos = input.clone();
    bos.body = "Bo's rewrite from the old version.".to_owned();
    let error = store
        .articles()
        .save(id, 1, &bos, &bo, jiff::Timestamp::now())
        .await
        .unwrap_err();
    let DbError::Conflict { current_version } = error else {
        panic!("expected a conflict, got {error:?}");
    };
    assert_eq!(current_version, saved.version);
    // What the conflict page shows next to Bo's text: the current revision, Ana's.
    let current = store.articles().latest_revision(id).await.unwrap().unwrap();
    assert_eq!(current.article_version, current_version);
    assert_eq!(current.snapshot.body, "Ana's careful rewrite.");
    assert_eq!(current.saved_by, ana);
    assert_eq!(store.articles().by_id(id).await.unwrap().unwrap(), saved);
    assert_eq!(store.articles().revisions(id).await.unwrap().len(), 2);

    // Bo saves again on top of the current version: now it goes through.
    let merged = store
        .articles()
        .save(id, current_version, &bos, &bo, jiff::Timestamp::now())
        .await
        .unwrap();
    assert_eq!(merged.body, bos.body);
}

async fn a_newsroom_save_keeps_the_status(store: TestStore) {
    let ana = editor(&store, "ana@news.example", "Ana Pérez").await;
    let (mut input, id) = draft(&store, "petro-invited").await;
    input.status = ArticleStatus::Published;
    let saved = store
        .articles()
        .save(id, 1, &input, &ana, jiff::Timestamp::now())
        .await
        .unwrap();
    assert_eq!(saved.status, ArticleStatus::Draft);
    assert_eq!(saved.first_published_at, None);
    assert!(
        store
            .audit()
            .for_subject("article", id)
            .await
            .unwrap()
            .is_empty(),
        "a save is not a publish"
    );
}

async fn illegal_transitions_are_refused_and_change_nothing(store: TestStore) {
    let ana = editor(&store, "ana@news.example", "Ana Pérez").await;
    let (_, id) = draft(&store, "petro-invited").await;
    let now = base_time();

    let error = store
        .articles()
        .transition(id, ArticleStatus::Unpublished, &ana, now)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            DbError::Workflow(WorkflowError::Illegal {
                from: ArticleStatus::Draft,
                to: ArticleStatus::Unpublished
            })
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "an article cannot go from draft to unpublished"
    );
    let published = store
        .articles()
        .transition(id, ArticleStatus::Published, &ana, now)
        .await
        .unwrap();
    let change = store.changes().latest_id().await.unwrap();
    for to in [
        ArticleStatus::Draft,
        ArticleStatus::InReview,
        ArticleStatus::Published,
    ] {
        let error = store
            .articles()
            .transition(id, to, &ana, now)
            .await
            .unwrap_err();
        assert!(
            matches!(error, DbError::Workflow(_)),
            "published → {to}: {error:?}"
        );
    }
    let error = store
        .articles()
        .schedule(id, hours_after_base(5), &ana, now)
        .await
        .unwrap_err();
    assert!(matches!(error, DbError::Workflow(_)), "{error:?}");
    assert!(matches!(
        store
            .articles()
            .transition(id, ArticleStatus::Scheduled, &ana, now)
            .await,
        Err(DbError::Invalid(_))
    ));
    assert_eq!(
        store.articles().by_id(id).await.unwrap().unwrap(),
        published
    );
    assert_eq!(
        store.changes().latest_id().await.unwrap(),
        change,
        "no change recorded"
    );
    assert_eq!(
        store
            .audit()
            .for_subject("article", id)
            .await
            .unwrap()
            .len(),
        1
    );

    // A draft without a byline cannot go out.
    let politics = store
        .site()
        .section_by_slug("politics")
        .await
        .unwrap()
        .unwrap();
    let mut anonymous = article_input(politics.id, "no-byline", &[]);
    anonymous.status = ArticleStatus::Draft;
    let anonymous = store
        .articles()
        .create(&anonymous, jiff::Timestamp::now())
        .await
        .unwrap();
    assert!(matches!(
        store
            .articles()
            .transition(anonymous.id, ArticleStatus::Published, &ana, now)
            .await,
        Err(DbError::Refused(_))
    ));
    assert!(matches!(
        store
            .articles()
            .transition(9_999, ArticleStatus::Published, &ana, now)
            .await,
        Err(DbError::NotFound)
    ));
}

async fn publishing_sets_the_first_publication_time_once_and_is_audited(store: TestStore) {
    let ana = editor(&store, "ana@news.example", "Ana Pérez").await;
    let (_, id) = draft(&store, "petro-invited").await;
    let created = store.articles().by_id(id).await.unwrap().unwrap();

    let in_review = store
        .articles()
        .transition(id, ArticleStatus::InReview, &ana, hours_after_base(1))
        .await
        .unwrap();
    assert_eq!(in_review.first_published_at, None);
    let first = hours_after_base(2);
    let published = store
        .articles()
        .transition(id, ArticleStatus::Published, &ana, first)
        .await
        .unwrap();
    assert_eq!(published.first_published_at, Some(first));
    assert_eq!(published.version, created.version + 2);
    // The draft was written "now", after the fixed clock of this test: "updated" is not
    // moved backwards by publishing.
    assert_eq!(published.updated_at, created.updated_at.max(first));

    store
        .articles()
        .transition(id, ArticleStatus::Unpublished, &ana, hours_after_base(3))
        .await
        .unwrap();
    let again = store
        .articles()
        .transition(id, ArticleStatus::Published, &ana, hours_after_base(4))
        .await
        .unwrap();
    assert_eq!(
        again.first_published_at,
        Some(first),
        "set once, never moved"
    );

    let audit = store.audit().for_subject("article", id).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "article.submit",
            "article.publish",
            "article.unpublish",
            "article.publish"
        ]
    );
    assert!(audit.iter().all(|a| a.actor == ana));
    assert_eq!(audit[1].at, first);
    assert!(
        audit[1].detail.contains("in review → published"),
        "{}",
        audit[1].detail
    );
}

async fn unpublishing_hides_the_article_from_public_lists(store: TestStore) {
    let ana = editor(&store, "ana@news.example", "Ana Pérez").await;
    let (input, id) = draft(&store, "petro-invited").await;
    store
        .articles()
        .transition(id, ArticleStatus::Published, &ana, base_time())
        .await
        .unwrap();
    assert_eq!(
        store
            .public()
            .count_stories(StoryFilter::All, long_after_base())
            .await
            .unwrap(),
        1
    );
    let change = store.changes().latest_id().await.unwrap();

    store
        .articles()
        .transition(id, ArticleStatus::Unpublished, &ana, hours_after_base(1))
        .await
        .unwrap();
    assert_eq!(
        store
            .public()
            .count_stories(StoryFilter::All, long_after_base())
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .public()
            .count_stories(StoryFilter::Section(input.section_id), long_after_base())
            .await
            .unwrap(),
        0
    );
    let changes = store.changes().since(change, 10).await.unwrap();
    assert_eq!(changes.len(), 1);
    let tags = tag_set(&changes[0]);
    for expected in [
        cache_tags::article(id),
        cache_tags::FRONT_LIST.to_owned(),
        cache_tags::section_list(input.section_id),
        cache_tags::author_list(input.author_ids[0]),
    ] {
        assert!(tags.contains(&expected), "{expected} missing from {tags:?}");
    }
}

async fn a_scheduled_article_publishes_at_its_time_and_not_before(store: TestStore) {
    let ana = editor(&store, "ana@news.example", "Ana Pérez").await;
    let (_, id) = draft(&store, "embargoed").await;
    let now = base_time();
    let at = hours_after_base(6);

    // Not in the past.
    assert!(matches!(
        store.articles().schedule(id, now, &ana, now).await,
        Err(DbError::Workflow(WorkflowError::ScheduleInPast { .. }))
    ));
    let scheduled = store.articles().schedule(id, at, &ana, now).await.unwrap();
    assert_eq!(scheduled.status, ArticleStatus::Scheduled);
    assert_eq!(scheduled.scheduled_for, Some(at));
    assert_eq!(
        store
            .public()
            .count_stories(StoryFilter::All, long_after_base())
            .await
            .unwrap(),
        0
    );

    // The embargo holds against a person too.
    let error = store
        .articles()
        .transition(
            id,
            ArticleStatus::Published,
            &ana,
            at - SignedDuration::from_secs(1),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error, DbError::Workflow(WorkflowError::Embargoed { until }) if until == at),
        "{error:?}"
    );
    assert!(
        store
            .articles()
            .publish_due(at - SignedDuration::from_secs(1))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.articles().by_id(id).await.unwrap().unwrap().status,
        ArticleStatus::Scheduled
    );

    let published = store.articles().publish_due(at).await.unwrap();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].id, id);
    assert_eq!(published[0].first_published_at, Some(at));
    assert_eq!(published[0].scheduled_for, None);
    assert_eq!(
        store
            .public()
            .count_stories(StoryFilter::All, long_after_base())
            .await
            .unwrap(),
        1
    );
    let audit = store.audit().for_subject("article", id).await.unwrap();
    assert_eq!(audit[0].action, "article.schedule");
    assert_eq!(audit[0].actor, ana);
    assert_eq!(audit[1].action, "article.publish");
    assert_eq!(audit[1].actor, Actor::system(SCHEDULER_ACTOR));

    // Taking an article off the schedule lifts the embargo (and the job finds nothing).
    let (_, other) = draft(&store, "pulled-back").await;
    store
        .articles()
        .schedule(other, hours_after_base(8), &ana, now)
        .await
        .unwrap();
    let back = store
        .articles()
        .transition(other, ArticleStatus::Draft, &ana, now)
        .await
        .unwrap();
    assert_eq!(back.scheduled_for, None);
    assert!(
        store
            .articles()
            .publish_due(hours_after_base(9))
            .await
            .unwrap()
            .is_empty()
    );
}

async fn bogota_time_is_right_while_new_york_changes_its_clocks(store: TestStore) {
    let ana = editor(&store, "ana@news.example", "Ana Pérez").await;
    // New York springs forward at 02:00 on Sunday 8 March 2026; Bogotá keeps UTC-5 all year.
    // A server or editor in New York must not shift a Bogotá schedule by that hour.
    let clock = Timestamp::from_second(1_772_827_200).unwrap(); // 2026-03-06T20:00Z
    let mut expected = Vec::new();
    for (slug, local) in [
        ("before-the-change", "2026-03-07T07:00"),
        ("on-the-night", "2026-03-08T02:30"),
        ("after-the-change", "2026-03-09T07:00"),
    ] {
        let (_, id) = draft(&store, slug).await;
        let when =
            resolve_local_time(parse_local_date_time(local).unwrap(), "America/Bogota").unwrap();
        assert_eq!(when.repeated, None);
        store
            .articles()
            .schedule(id, when.at, &ana, clock)
            .await
            .unwrap();
        expected.push((id, when.at));
    }
    assert_eq!(
        expected[0].1,
        "2026-03-07T12:00:00Z".parse::<Timestamp>().unwrap()
    );
    // 02:30 does not exist in New York that night; in Bogotá it is an ordinary 07:30 UTC.
    assert_eq!(
        expected[1].1,
        "2026-03-08T07:30:00Z".parse::<Timestamp>().unwrap()
    );
    assert_eq!(
        expected[2].1,
        "2026-03-09T12:00:00Z".parse::<Timestamp>().unwrap()
    );
    assert!(
        resolve_local_time(
            parse_local_date_time("2026-03-08T02:30").unwrap(),
            "America/New_York"
        )
        .is_err()
    );

    // Walk the clock through the New York change: each article goes out at its instant.
    for (id, at) in &expected {
        let early = store
            .articles()
            .publish_due(*at - SignedDuration::from_secs(60))
            .await
            .unwrap();
        assert!(early.iter().all(|a| a.id != *id), "published before {at}");
        let due = store.articles().publish_due(*at).await.unwrap();
        assert_eq!(due.iter().map(|a| a.id).collect::<Vec<_>>(), vec![*id]);
        assert_eq!(due[0].first_published_at, Some(*at));
    }
    // Seen from New York, the third went out at 08:00 local (EDT), not 07:00: Bogotá's clock
    // did not move, New York's did.
    let new_york = jiff::tz::TimeZone::get("America/New_York").unwrap();
    let third = expected[2].1.to_zoned_datetime(new_york);
    assert_eq!(third.strftime("%H:%M %Z").to_string(), "08:00 EDT");
}

async fn rescheduling_moves_the_one_waiting_job(store: TestStore) {
    let ana = editor(&store, "ana@news.example", "Ana Pérez").await;
    let (_, id) = draft(&store, "embargoed").await;
    let now = base_time();
    store
        .articles()
        .schedule(id, hours_after_base(6), &ana, now)
        .await
        .unwrap();
    let moved = store
        .articles()
        .schedule(id, hours_after_base(3), &ana, now)
        .await
        .unwrap();
    assert_eq!(moved.scheduled_for, Some(hours_after_base(3)));
    assert_eq!(
        store.jobs().counts().await.unwrap(),
        vec![("queued".to_owned(), 1)]
    );
    // The job is due at the new, earlier time.
    let kinds = [JobKind::PublishDue.name()];
    let lease = std::time::Duration::from_secs(60);
    assert!(
        store
            .jobs()
            .claim(
                "w",
                &kinds,
                lease,
                hours_after_base(3) - SignedDuration::from_secs(1)
            )
            .await
            .unwrap()
            .is_none()
    );
    let job = store
        .jobs()
        .claim("w", &kinds, lease, hours_after_base(3))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.payload["article_id"], id);
}

async fn overdue_articles_publish_at_once_and_exactly_once(store: TestStore) {
    let ana = editor(&store, "ana@news.example", "Ana Pérez").await;
    let now = base_time();
    let mut ids = Vec::new();
    for (slug, hours) in [("first", 1), ("second", 2), ("later", 48)] {
        let (_, id) = draft(&store, slug).await;
        store
            .articles()
            .schedule(id, hours_after_base(hours), &ana, now)
            .await
            .unwrap();
        ids.push(id);
    }
    // Down for a day: no worker ran. At start-up two nodes catch up at the same moment.
    let restart = hours_after_base(24);
    let (a, b) = tokio::join!(
        store.articles().publish_due(restart),
        store.articles().publish_due(restart)
    );
    let mut published: Vec<i64> = a
        .unwrap()
        .into_iter()
        .chain(b.unwrap())
        .map(|x| x.id)
        .collect();
    published.sort_unstable();
    assert_eq!(
        published,
        vec![ids[0], ids[1]],
        "each overdue article exactly once"
    );
    assert!(
        store
            .articles()
            .publish_due(restart)
            .await
            .unwrap()
            .is_empty()
    );
    for id in &ids[..2] {
        let article = store.articles().by_id(*id).await.unwrap().unwrap();
        assert_eq!(article.status, ArticleStatus::Published);
        assert_eq!(article.first_published_at, Some(restart));
        let publishes = store
            .audit()
            .for_subject("article", *id)
            .await
            .unwrap()
            .into_iter()
            .filter(|a| a.action == "article.publish")
            .count();
        assert_eq!(publishes, 1);
    }
    assert_eq!(
        store
            .articles()
            .by_id(ids[2])
            .await
            .unwrap()
            .unwrap()
            .status,
        ArticleStatus::Scheduled
    );
    assert_eq!(
        store
            .articles()
            .queue_scheduled_publications(jiff::Timestamp::now())
            .await
            .unwrap(),
        1
    );
}

async fn notes_go_on_published_articles_and_move_updated_at(store: TestStore) {
    let ana = editor(&store, "ana@news.example", "Ana Pérez").await;
    let (_, id) = draft(&store, "petro-invited").await;
    assert!(matches!(
        store
            .articles()
            .add_note(id, NoteKind::Correction, "Wrong date.", &ana, base_time())
            .await,
        Err(DbError::Refused(_))
    ));
    let published = store
        .articles()
        .transition(id, ArticleStatus::Published, &ana, base_time())
        .await
        .unwrap();
    assert!(matches!(
        store
            .articles()
            .add_note(id, NoteKind::Update, "   ", &ana, base_time())
            .await,
        Err(DbError::Refused(_))
    ));
    let change = store.changes().latest_id().await.unwrap();

    // Whole seconds: the store keeps microseconds. After the draft's own "now" time.
    let at = Timestamp::from_second(Timestamp::now().as_second() + 7200).unwrap();
    let note = store
        .articles()
        .add_note(
            id,
            NoteKind::Correction,
            "  An earlier version gave the wrong date.  ",
            &ana,
            at,
        )
        .await
        .unwrap();
    assert_eq!(note.text, "An earlier version gave the wrong date.");
    assert_eq!(note.published_at, at);
    let article = store.articles().by_id(id).await.unwrap().unwrap();
    assert_eq!(article.updated_at, at);
    assert_eq!(
        article.version, published.version,
        "an open editor form stays valid"
    );
    let changes = store.changes().since(change, 10).await.unwrap();
    let tags = tag_set(&changes[0]);
    assert!(tags.contains(&cache_tags::article(id)));
    assert!(tags.contains(cache_tags::CORRECTIONS_LIST));

    let later = at + SignedDuration::from_hours(1);
    store
        .articles()
        .add_note(id, NoteKind::Update, "Petro accepted.", &ana, later)
        .await
        .unwrap();
    let page = store.articles().article_page(id).await.unwrap().unwrap();
    let kinds: Vec<NoteKind> = page.notes.iter().map(|n| n.kind).collect();
    assert_eq!(
        kinds,
        vec![NoteKind::Update, NoteKind::Correction],
        "newest first"
    );
    assert_eq!(page.article.updated_at, later);
    let audit = store.audit().for_subject("article", id).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(
        actions,
        vec!["article.publish", "article.correct", "article.update_note"]
    );
    assert!(
        audit[1].detail.contains("wrong date"),
        "{}",
        audit[1].detail
    );
}

async fn corrections_are_listed_newest_first_across_the_site(store: TestStore) {
    let ana = editor(&store, "ana@news.example", "Ana Pérez").await;
    let mut ids = Vec::new();
    for slug in ["one", "two", "three"] {
        let (_, id) = draft(&store, slug).await;
        store
            .articles()
            .transition(id, ArticleStatus::Published, &ana, base_time())
            .await
            .unwrap();
        ids.push(id);
    }
    let note = |id: i64, kind: NoteKind, text: &'static str, hours: i64| {
        let store = store.store.clone();
        let ana = ana.clone();
        async move {
            store
                .articles()
                .add_note(id, kind, text, &ana, hours_after_base(hours))
                .await
                .unwrap()
        }
    };
    note(ids[0], NoteKind::Correction, "oldest", 1).await;
    note(ids[1], NoteKind::Correction, "newest", 5).await;
    note(ids[2], NoteKind::Clarification, "not a correction", 6).await;
    note(ids[0], NoteKind::Correction, "middle", 3).await;

    let texts = |list: Vec<dateline_core::CorrectionEntry>| {
        list.into_iter().map(|c| c.note.text).collect::<Vec<_>>()
    };
    assert_eq!(
        texts(store.articles().corrections(10, 0).await.unwrap()),
        vec!["newest", "middle", "oldest"]
    );
    assert_eq!(
        texts(store.articles().corrections(1, 1).await.unwrap()),
        vec!["middle"]
    );
    assert_eq!(store.articles().count_corrections().await.unwrap(), 3);
    let first = &store.articles().corrections(1, 0).await.unwrap()[0];
    assert_eq!(first.article_path(), "/politics/two");
    assert_eq!(first.section_name, "Politics");

    // An unpublished story's corrections leave the public log with it, and the change says so.
    let change = store.changes().latest_id().await.unwrap();
    store
        .articles()
        .transition(
            ids[0],
            ArticleStatus::Unpublished,
            &ana,
            hours_after_base(7),
        )
        .await
        .unwrap();
    assert_eq!(
        texts(store.articles().corrections(10, 0).await.unwrap()),
        vec!["newest"]
    );
    let changes = store.changes().since(change, 10).await.unwrap();
    assert!(tag_set(&changes[0]).contains(cache_tags::CORRECTIONS_LIST));
}
