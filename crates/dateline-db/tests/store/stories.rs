//! Story lists: filters, order, pages, exclusions, and what each line carries.

use dateline_core::{ArticleStatus, Author, AuthorRef, Image, Section, SectionRef, StorySummary};
use dateline_db::testing::TestStore;
use dateline_db::{Store, StoryFilter};

use crate::support::{article_input, author, hours_after_base, image, section};

dateline_db::both_backends!(
    filters_list_published_stories_newest_first,
    pages_and_exclusions_cut_the_same_order,
    each_story_carries_its_byline_picture_and_section,
    unpublished_stories_leave_every_list,
    equal_publication_times_are_ordered_newest_id_first,
);

/// Two sections, two authors, two tags, five published stories an hour apart, and stories that
/// must never be listed.
struct Newsroom {
    politics: Section,
    world: Section,
    ann: Author,
    bo: Author,
    photo: Image,
    colombia: i64,
    trade: i64,
    /// Oldest first: p1 (politics), w1 (world), p2, w2, p3.
    p1: i64,
    w1: i64,
    p2: i64,
    w2: i64,
    p3: i64,
}

async fn newsroom(store: &Store) -> Newsroom {
    let politics = section(store, "politics", 1).await;
    let world = section(store, "world", 2).await;
    let ann = author(store, "ann-lee").await;
    let bo = author(store, "bo-chen").await;
    let photo = image(store, "capitol").await;

    let publish = async |section: &Section,
                         slug: &str,
                         authors: &[&Author],
                         tags: &[&str],
                         hero: Option<&Image>,
                         hour: i64,
                         status: ArticleStatus| {
        let author_ids: Vec<i64> = authors.iter().map(|author| author.id).collect();
        let mut input = article_input(section.id, slug, &author_ids);
        input.tags = tags.iter().map(|tag| (*tag).to_owned()).collect();
        input.hero_image_id = hero.map(|image| image.id);
        input.first_published_at = Some(hours_after_base(hour));
        input.status = status;
        store.create_article(&input).await.unwrap().id
    };
    use ArticleStatus::{Draft, Published, Scheduled};
    let p1 = publish(
        &politics,
        "p1",
        &[&ann],
        &["Colombia"],
        Some(&photo),
        1,
        Published,
    )
    .await;
    let w1 = publish(
        &world,
        "w1",
        &[&bo, &ann],
        &["Colombia", "Trade"],
        None,
        2,
        Published,
    )
    .await;
    let p2 = publish(&politics, "p2", &[&bo], &["Trade"], None, 3, Published).await;
    let w2 = publish(&world, "w2", &[&ann], &[], Some(&photo), 4, Published).await;
    let p3 = publish(
        &politics,
        "p3",
        &[&ann, &bo],
        &["Colombia"],
        None,
        5,
        Published,
    )
    .await;
    // Newer than all of them, and never listed.
    publish(&politics, "draft", &[&ann], &["Colombia"], None, 6, Draft).await;
    publish(&world, "scheduled", &[&bo], &["Trade"], None, 7, Scheduled).await;
    let gone = publish(
        &politics,
        "gone",
        &[&ann],
        &["Colombia"],
        None,
        8,
        Published,
    )
    .await;
    store
        .set_article_status(gone, ArticleStatus::Unpublished)
        .await
        .unwrap();

    Newsroom {
        colombia: store.tag_by_slug("colombia").await.unwrap().unwrap().id,
        trade: store.tag_by_slug("trade").await.unwrap().unwrap().id,
        politics,
        world,
        ann,
        bo,
        photo,
        p1,
        w1,
        p2,
        w2,
        p3,
    }
}

async fn ids(
    store: &Store,
    filter: StoryFilter,
    limit: i64,
    offset: i64,
    exclude: &[i64],
) -> Vec<i64> {
    store
        .stories(filter, limit, offset, exclude)
        .await
        .unwrap()
        .iter()
        .map(|story| story.id)
        .collect()
}

async fn filters_list_published_stories_newest_first(store: TestStore) {
    let n = newsroom(&store).await;
    let cases = [
        (StoryFilter::All, vec![n.p3, n.w2, n.p2, n.w1, n.p1]),
        (StoryFilter::Section(n.politics.id), vec![n.p3, n.p2, n.p1]),
        (StoryFilter::Section(n.world.id), vec![n.w2, n.w1]),
        (StoryFilter::Author(n.ann.id), vec![n.p3, n.w2, n.w1, n.p1]),
        (StoryFilter::Author(n.bo.id), vec![n.p3, n.p2, n.w1]),
        (StoryFilter::Tag(n.colombia), vec![n.p3, n.w1, n.p1]),
        (StoryFilter::Tag(n.trade), vec![n.p2, n.w1]),
        (StoryFilter::Section(9_999), vec![]),
        (StoryFilter::Author(9_999), vec![]),
        (StoryFilter::Tag(9_999), vec![]),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            ids(&store, filter, 50, 0, &[]).await,
            expected,
            "{filter:?}"
        );
        let count = store.count_stories(filter).await.unwrap();
        assert_eq!(count, i64::try_from(expected.len()).unwrap(), "{filter:?}");
    }
}

async fn pages_and_exclusions_cut_the_same_order(store: TestStore) {
    let n = newsroom(&store).await;

    assert_eq!(
        ids(&store, StoryFilter::All, 2, 0, &[]).await,
        vec![n.p3, n.w2]
    );
    assert_eq!(
        ids(&store, StoryFilter::All, 2, 2, &[]).await,
        vec![n.p2, n.w1]
    );
    assert_eq!(ids(&store, StoryFilter::All, 2, 4, &[]).await, vec![n.p1]);
    assert!(ids(&store, StoryFilter::All, 2, 6, &[]).await.is_empty());
    assert!(ids(&store, StoryFilter::All, 0, 0, &[]).await.is_empty());

    // "More stories" under the lead: the lead and the ones already shown are left out.
    assert_eq!(
        ids(&store, StoryFilter::All, 10, 0, &[n.p3, n.w1]).await,
        vec![n.w2, n.p2, n.p1]
    );
    assert_eq!(
        ids(&store, StoryFilter::All, 10, 0, &[9_999]).await,
        vec![n.p3, n.w2, n.p2, n.w1, n.p1]
    );
    // Exclusions, a filter and a page together.
    assert_eq!(
        ids(&store, StoryFilter::Author(n.ann.id), 1, 1, &[n.w2]).await,
        vec![n.w1]
    );
    assert_eq!(
        ids(&store, StoryFilter::Tag(n.colombia), 5, 0, &[n.p1, n.p3]).await,
        vec![n.w1]
    );
    assert_eq!(
        ids(&store, StoryFilter::Section(n.politics.id), 5, 1, &[n.p2]).await,
        vec![n.p1]
    );
}

async fn each_story_carries_its_byline_picture_and_section(store: TestStore) {
    let n = newsroom(&store).await;
    let stories = store.stories(StoryFilter::All, 10, 0, &[]).await.unwrap();
    let by_id = |id: i64| -> &StorySummary { stories.iter().find(|story| story.id == id).unwrap() };
    let author_ref = |author: &Author| AuthorRef {
        id: author.id,
        slug: author.slug.clone(),
        name: author.name.clone(),
    };
    let section_ref = |section: &Section| SectionRef {
        id: section.id,
        slug: section.slug.clone(),
        name: section.name.clone(),
    };

    let w1 = by_id(n.w1);
    assert_eq!(w1.slug, "w1");
    assert_eq!(w1.headline, "Headline of w1");
    assert_eq!(w1.standfirst, "Standfirst of w1.");
    assert_eq!(w1.section, section_ref(&n.world));
    assert_eq!(w1.authors, vec![author_ref(&n.bo), author_ref(&n.ann)]);
    assert_eq!(w1.hero, None);
    assert_eq!(w1.first_published_at, hours_after_base(2));
    assert_eq!(w1.updated_at, hours_after_base(2));
    assert_eq!(w1.reading_minutes, 1);

    let p1 = by_id(n.p1);
    assert_eq!(p1.section, section_ref(&n.politics));
    assert_eq!(p1.authors, vec![author_ref(&n.ann)]);
    assert_eq!(p1.hero, Some(n.photo.clone()));
    assert_eq!(by_id(n.w2).hero, Some(n.photo.clone()));
    assert_eq!(
        by_id(n.p3).authors,
        vec![author_ref(&n.ann), author_ref(&n.bo)]
    );

    // The same story reads the same whichever list it is in.
    let in_section = store
        .stories(StoryFilter::Section(n.world.id), 10, 0, &[])
        .await
        .unwrap();
    assert_eq!(&in_section[1], w1);
    let by_tag = store
        .stories(StoryFilter::Tag(n.trade), 10, 0, &[])
        .await
        .unwrap();
    assert_eq!(&by_tag[1], w1);
}

async fn unpublished_stories_leave_every_list(store: TestStore) {
    let n = newsroom(&store).await;
    store
        .set_article_status(n.w1, ArticleStatus::Unpublished)
        .await
        .unwrap();

    for (filter, expected) in [
        (StoryFilter::All, vec![n.p3, n.w2, n.p2, n.p1]),
        (StoryFilter::Section(n.world.id), vec![n.w2]),
        (StoryFilter::Author(n.bo.id), vec![n.p3, n.p2]),
        (StoryFilter::Tag(n.trade), vec![n.p2]),
    ] {
        assert_eq!(
            ids(&store, filter, 50, 0, &[]).await,
            expected,
            "{filter:?}"
        );
        assert_eq!(
            store.count_stories(filter).await.unwrap(),
            i64::try_from(expected.len()).unwrap(),
            "{filter:?}"
        );
    }

    // Published again, it returns to its first publication time's place.
    store
        .set_article_status(n.w1, ArticleStatus::Published)
        .await
        .unwrap();
    assert_eq!(
        ids(&store, StoryFilter::All, 50, 0, &[]).await,
        vec![n.p3, n.w2, n.p2, n.w1, n.p1]
    );
}

async fn equal_publication_times_are_ordered_newest_id_first(store: TestStore) {
    let politics = section(&store, "politics", 1).await;
    let ann = author(&store, "ann-lee").await;
    let mut created = Vec::new();
    for slug in ["a", "b", "c"] {
        let mut input = article_input(politics.id, slug, &[ann.id]);
        input.first_published_at = Some(hours_after_base(1));
        created.push(store.create_article(&input).await.unwrap().id);
    }
    created.reverse();
    assert_eq!(ids(&store, StoryFilter::All, 10, 0, &[]).await, created);
    assert_eq!(
        ids(&store, StoryFilter::All, 1, 1, &[]).await,
        vec![created[1]]
    );
}
