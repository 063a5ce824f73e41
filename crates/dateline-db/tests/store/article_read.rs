//! The read model of an article page: one call brings the story and everything its page shows
//! from the store, for a published address; an old address says where the story went.

use dateline_core::ArticleStatus;
use dateline_db::testing::TestStore;
use dateline_db::{ArticleReadLookup, ArticleShown, CommentAuthor, NewComment};

use crate::support::{article_input, author, hours_after_base, section};

dateline_db::both_backends!(one_call_reads_an_article_page_and_what_it_shows_around_the_story,);

const SHOWN: ArticleShown = ArticleShown {
    more_in_section: 2,
    discussion_threads: 10,
    live_page: 1,
};

async fn one_call_reads_an_article_page_and_what_it_shows_around_the_story(store: TestStore) {
    let politics = section(&store, "politics", 1).await;
    let ann = author(&store, "ann").await;
    let mut ids = Vec::new();
    for (hour, slug) in [(1, "first"), (2, "second"), (3, "third"), (4, "lead")] {
        let mut input = article_input(politics.id, slug, &[ann.id]);
        input.status = ArticleStatus::Published;
        input.first_published_at = Some(hours_after_base(hour));
        ids.push(
            store
                .articles()
                .create(&input, hours_after_base(hour))
                .await
                .unwrap()
                .id,
        );
    }
    let lead = ids[3];
    let editor =
        dateline_db::testing::staff_member(&store, "Eda", dateline_core::Role::Editor, None).await;
    store
        .comments()
        .post(
            &NewComment {
                article_id: lead,
                parent_id: None,
                author: CommentAuthor::Staff(editor.id),
                body: "We have updated the figures.".into(),
            },
            hours_after_base(5),
        )
        .await
        .unwrap();

    let ArticleReadLookup::Found(read) = store
        .public()
        .article("politics", "lead", SHOWN, hours_after_base(6))
        .await
        .unwrap()
    else {
        panic!("the lead is published");
    };
    assert_eq!(read.page.article.id, lead);
    assert_eq!(
        read.frame
            .sections
            .iter()
            .map(|s| s.slug.as_str())
            .collect::<Vec<_>>(),
        ["politics"],
        "the frame comes with it"
    );
    // "More in Politics": the newest others, never the story itself, as many as asked.
    assert_eq!(
        read.more_in_section
            .iter()
            .map(|s| s.id)
            .collect::<Vec<_>>(),
        [ids[2], ids[1]]
    );
    assert_eq!(read.discussion.approved_count, 1);
    assert_eq!(read.discussion.threads.len(), 1);
    assert!(read.live.is_none(), "a story has no entries");

    assert!(matches!(
        store
            .public()
            .article("politics", "nowhere", SHOWN, hours_after_base(6))
            .await
            .unwrap(),
        ArticleReadLookup::NotFound
    ));
    // A story that moved answers with its new address.
    let mut moved = store.articles().by_id(lead).await.unwrap().unwrap();
    let mut input = article_input(politics.id, "the-lead", &[ann.id]);
    input.status = ArticleStatus::Published;
    input.first_published_at = moved.first_published_at;
    moved = store
        .articles()
        .update(lead, moved.version, &input, hours_after_base(7))
        .await
        .unwrap();
    assert_eq!(moved.slug, "the-lead");
    match store
        .public()
        .article("politics", "lead", SHOWN, hours_after_base(8))
        .await
        .unwrap()
    {
        ArticleReadLookup::MovedTo(path) => assert_eq!(path, "/politics/the-lead"),
        other => panic!("expected a move, got {other:?}"),
    }
}
