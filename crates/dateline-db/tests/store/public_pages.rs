//! The public pages' read models: one store call loads everything a front page, a section,
//! author or tag page, or a feed shows, at the clock it is given.

use dateline_core::Section;
use dateline_db::testing::TestStore;
use dateline_db::{
    Actor, FeedHead, FeedItems, FeedOf, FrontLayout, ListHead, ListLookup, ListOf, ListPage,
    NewEntry, Store,
};
use jiff::Timestamp;

use crate::support::{article_input, author, hours_after_base, long_after_base, section};

dateline_db::both_backends!(
    front_page_shows_each_story_once_and_leaves_out_empty_blocks,
    list_pages_find_their_list_and_page_or_say_which_is_missing,
    feeds_carry_their_list_with_key_events_or_episodes,
);

fn desk() -> Actor {
    Actor::system("live desk")
}

/// Politics (four stories), world (two), sport (none) and culture (one, the newest of all),
/// one author for all of them, published an hour apart. Returns the sections and the story
/// ids by slug, oldest first: p1 p2 p3 p4 w1 w2 c1.
async fn newsroom(store: &Store) -> (Vec<Section>, Vec<i64>) {
    let sections = vec![
        section(store, "politics", 1).await,
        section(store, "world", 2).await,
        section(store, "sport", 3).await,
        section(store, "culture", 4).await,
    ];
    let writer = author(store, "ann-lee").await;
    let mut ids = Vec::new();
    for (hour, (section, slug)) in [
        (0, "p1"),
        (0, "p2"),
        (0, "p3"),
        (0, "p4"),
        (1, "w1"),
        (1, "w2"),
        (3, "c1"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut input = article_input(sections[section].id, slug, &[writer.id]);
        input.tags = vec!["Trade".to_owned()];
        input.first_published_at = Some(hours_after_base(i64::try_from(hour).unwrap() + 1));
        ids.push(
            store
                .articles()
                .create(&input, jiff::Timestamp::now())
                .await
                .unwrap()
                .id,
        );
    }
    (sections, ids)
}

fn story_ids(stories: &[dateline_core::StorySummary]) -> Vec<i64> {
    stories.iter().map(|story| story.id).collect()
}

async fn front_page_shows_each_story_once_and_leaves_out_empty_blocks(store: TestStore) {
    let (sections, ids) = newsroom(&store).await;
    let [_p1, p2, p3, p4, w1, w2, c1] = ids[..] else {
        panic!("seven stories")
    };
    store
        .live()
        .start(p4, &desk(), hours_after_base(8))
        .await
        .unwrap();
    store
        .live()
        .start(w1, &desk(), hours_after_base(8))
        .await
        .unwrap();
    store
        .live()
        .end(w1, &desk(), hours_after_base(9))
        .await
        .unwrap();
    let layout = FrontLayout {
        latest: 2,
        per_section: 2,
    };

    let front = store
        .public()
        .front_page(long_after_base(), layout)
        .await
        .unwrap();
    assert_eq!(story_ids(&front.latest), [c1, w2]);
    let blocks: Vec<(&str, Vec<i64>)> = front
        .sections
        .iter()
        .map(|block| (block.section.slug.as_str(), story_ids(&block.stories)))
        .collect();
    // Sport has no story and culture's only one is the lead: neither has a block.
    assert_eq!(blocks, [("politics", vec![p4, p3]), ("world", vec![w1])]);
    assert_eq!(front.frame.sections, sections, "the navigation, in order");
    assert!(front.frame.logo.is_none() && front.frame.pages.is_empty());
    assert_eq!(
        front.facts.running.iter().copied().collect::<Vec<_>>(),
        [p4],
        "running coverage, not ended coverage"
    );
    assert!(front.facts.comment_counts.is_empty());

    // At an earlier clock the later stories are not out yet, and the blocks fill from below.
    let front = store
        .public()
        .front_page(hours_after_base(5), layout)
        .await
        .unwrap();
    assert_eq!(story_ids(&front.latest), [w1, p4]);
    let blocks: Vec<(&str, Vec<i64>)> = front
        .sections
        .iter()
        .map(|block| (block.section.slug.as_str(), story_ids(&block.stories)))
        .collect();
    assert_eq!(blocks, [("politics", vec![p3, p2])]);
}

async fn found(store: &Store, list: ListOf<'_>, now: Timestamp, page: i64) -> ListPage {
    match store.public().list_page(list, now, page, 3).await.unwrap() {
        ListLookup::Found(page) => *page,
        other => panic!("{list:?} page {page}: {other:?}"),
    }
}

async fn list_pages_find_their_list_and_page_or_say_which_is_missing(store: TestStore) {
    let (_, ids) = newsroom(&store).await;
    let [p1, p2, p3, p4, ..] = ids[..] else {
        panic!("seven stories")
    };
    store
        .live()
        .start(p3, &desk(), hours_after_base(8))
        .await
        .unwrap();
    let now = long_after_base();

    let politics = found(&store, ListOf::Section("politics"), now, 1).await;
    let ListHead::Section(head) = &politics.head else {
        panic!("a section's head: {:?}", politics.head)
    };
    assert_eq!(head.slug, "politics");
    assert_eq!(story_ids(&politics.stories), [p4, p3, p2]);
    assert_eq!(politics.total, 4);
    assert_eq!(
        politics.facts.running.iter().copied().collect::<Vec<_>>(),
        [p3]
    );
    assert_eq!(politics.frame.sections.len(), 4);
    let last = found(&store, ListOf::Section("politics"), now, 2).await;
    assert_eq!((story_ids(&last.stories), last.total), (vec![p1], 4));
    assert!(matches!(
        store
            .public()
            .list_page(ListOf::Section("politics"), now, 3, 3)
            .await
            .unwrap(),
        ListLookup::NoSuchPage
    ));
    // An empty list still has its first page.
    let sport = found(&store, ListOf::Section("sport"), now, 1).await;
    assert_eq!((sport.stories.len(), sport.total), (0, 0));

    let by_ann = found(&store, ListOf::Author("ann-lee"), now, 3).await;
    let ListHead::Author(head) = &by_ann.head else {
        panic!("an author's head: {:?}", by_ann.head)
    };
    assert_eq!(head.profile.author.slug, "ann-lee");
    assert!(head.photo.is_none());
    assert_eq!((story_ids(&by_ann.stories), by_ann.total), (vec![p1], 7));

    let trade = found(&store, ListOf::Tag("trade"), hours_after_base(4), 1).await;
    let ListHead::Tag(head) = &trade.head else {
        panic!("a tag's head: {:?}", trade.head)
    };
    assert_eq!(head.name, "Trade");
    assert_eq!(
        (story_ids(&trade.stories), trade.total),
        (vec![p4, p3, p2], 4),
        "what is out at the clock given"
    );

    for list in [
        ListOf::Section("nowhere"),
        ListOf::Author("nobody"),
        ListOf::Tag("nothing"),
    ] {
        assert!(
            matches!(
                store.public().list_page(list, now, 1, 3).await.unwrap(),
                ListLookup::NoSuchList
            ),
            "{list:?}"
        );
    }
}

async fn feeds_carry_their_list_with_key_events_or_episodes(store: TestStore) {
    let (sections, ids) = newsroom(&store).await;
    let p4 = ids[3];
    store
        .live()
        .start(p4, &desk(), hours_after_base(8))
        .await
        .unwrap();
    let key_event = store
        .live()
        .post(
            p4,
            &NewEntry {
                headline: Some("Vote called".into()),
                body: "The vote is called for Friday.".into(),
                image_id: None,
                embed_url: None,
                key_event: true,
                pinned: false,
                author_id: None,
            },
            &desk(),
            hours_after_base(9),
        )
        .await
        .unwrap();
    let now = long_after_base();

    let site = store
        .public()
        .feed(FeedOf::Site, FeedItems::KeyEvents, now, 3)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(site.head, FeedHead::Site);
    let newest: Vec<i64> = site.articles.iter().map(|a| a.story.id).collect();
    assert_eq!(newest, [ids[6], ids[5], ids[4]]);
    assert_eq!(site.articles[0].tags[0].name, "Trade");
    assert_eq!(
        site.articles[0].body,
        "A short body.\n\nWith two paragraphs."
    );
    assert_eq!(
        site.key_events
            .iter()
            .map(|k| k.entry.id)
            .collect::<Vec<_>>(),
        [key_event.id]
    );
    assert!(site.audio.is_empty());

    let politics = store
        .public()
        .feed(FeedOf::Section("politics"), FeedItems::Episodes, now, 10)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(politics.head, FeedHead::Section(sections[0].clone()));
    assert_eq!(politics.articles.len(), 4);
    // The live entry, posted nine hours after its story, queued that story's narration (it was
    // fresh then); queued is not narrated, so there is no episode to play.
    assert!(
        politics.key_events.is_empty() && politics.audio.iter().all(|a| a.playable().is_none()),
        "a podcast carries narrations only, and nothing is narrated"
    );

    let ann = store
        .public()
        .feed(FeedOf::Author("ann-lee"), FeedItems::KeyEvents, now, 50)
        .await
        .unwrap()
        .unwrap();
    let FeedHead::Author(head) = &ann.head else {
        panic!("an author's feed: {:?}", ann.head)
    };
    assert_eq!(head.slug, "ann-lee");
    assert_eq!(ann.articles.len(), 7);
    assert_eq!(ann.key_events.len(), 1);

    for missing in [FeedOf::Section("nowhere"), FeedOf::Author("nobody")] {
        assert!(
            store
                .public()
                .feed(missing, FeedItems::KeyEvents, now, 10)
                .await
                .unwrap()
                .is_none(),
            "{missing:?}"
        );
    }
}
