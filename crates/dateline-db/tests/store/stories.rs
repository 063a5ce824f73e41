//! Story lists: filters, order, pages, exclusions, and what each line carries.

use dateline_core::{ArticleStatus, Author, AuthorRef, Image, Section, SectionRef, StorySummary};
use dateline_db::testing::TestStore;
use dateline_db::{Actor, Store, StoryFilter};

use crate::support::{article_input, author, hours_after_base, image, long_after_base, section};

dateline_db::both_backends!(
    filters_list_published_stories_newest_first,
    pages_and_exclusions_cut_the_same_order,
    each_story_carries_its_byline_picture_and_section,
    unpublished_stories_leave_every_list,
    equal_publication_times_are_ordered_newest_id_first,
    every_page_of_every_list_cuts_one_order_from_either_end,
    a_story_listed_before_its_time_waits_for_it,
    a_new_byline_or_tag_moves_the_story_between_lists,
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
        store
            .articles()
            .create(&input, jiff::Timestamp::now())
            .await
            .unwrap()
            .id
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
        .articles()
        .set_status(gone, ArticleStatus::Unpublished, jiff::Timestamp::now())
        .await
        .unwrap();

    Newsroom {
        colombia: store
            .site()
            .tag_by_slug("colombia")
            .await
            .unwrap()
            .unwrap()
            .id,
        trade: store.site().tag_by_slug("trade").await.unwrap().unwrap().id,
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

async fn ids(store: &Store, filter: StoryFilter, limit: i64, exclude: &[i64]) -> Vec<i64> {
    store
        .public()
        .stories(filter, long_after_base(), limit, exclude)
        .await
        .unwrap()
        .iter()
        .map(|story| story.id)
        .collect()
}

/// The ids on page `page` of `per_page` and the list's size, or `None` for no such page.
async fn page_ids(
    store: &Store,
    filter: StoryFilter,
    page: i64,
    per_page: i64,
) -> Option<(Vec<i64>, i64)> {
    let page = store
        .public()
        .story_page(filter, long_after_base(), page, per_page)
        .await
        .unwrap()?;
    Some((page.stories.iter().map(|s| s.id).collect(), page.total))
}

async fn count(store: &Store, filter: StoryFilter) -> i64 {
    store
        .public()
        .count_stories(filter, long_after_base())
        .await
        .unwrap()
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
        assert_eq!(ids(&store, filter, 50, &[]).await, expected, "{filter:?}");
        let total = i64::try_from(expected.len()).unwrap();
        assert_eq!(count(&store, filter).await, total, "{filter:?}");
        assert_eq!(
            page_ids(&store, filter, 1, 50).await,
            Some((expected, total)),
            "{filter:?}"
        );
    }
}

async fn pages_and_exclusions_cut_the_same_order(store: TestStore) {
    let n = newsroom(&store).await;
    let all = StoryFilter::All;

    assert_eq!(
        page_ids(&store, all, 1, 2).await,
        Some((vec![n.p3, n.w2], 5))
    );
    assert_eq!(
        page_ids(&store, all, 2, 2).await,
        Some((vec![n.p2, n.w1], 5))
    );
    assert_eq!(page_ids(&store, all, 3, 2).await, Some((vec![n.p1], 5)));
    // Past the last page, or not a page at all: no page.
    for page in [4, 0, -1, i64::MAX] {
        assert_eq!(page_ids(&store, all, page, 2).await, None, "{page}");
    }
    // An empty list still has its first page.
    assert_eq!(
        page_ids(&store, StoryFilter::Tag(9_999), 1, 2).await,
        Some((vec![], 0))
    );
    assert_eq!(page_ids(&store, StoryFilter::Tag(9_999), 2, 2).await, None);
    assert_eq!(
        page_ids(&store, StoryFilter::Author(n.ann.id), 2, 3).await,
        Some((vec![n.p1], 4))
    );
    assert!(ids(&store, all, 0, &[]).await.is_empty());

    // "More stories" under the lead: the lead and the ones already shown are left out.
    assert_eq!(
        ids(&store, all, 10, &[n.p3, n.w1]).await,
        vec![n.w2, n.p2, n.p1]
    );
    assert_eq!(
        ids(&store, all, 10, &[9_999]).await,
        vec![n.p3, n.w2, n.p2, n.w1, n.p1]
    );
    assert_eq!(ids(&store, all, 2, &[n.p3]).await, vec![n.w2, n.p2]);
    // Exclusions and a filter together.
    assert_eq!(
        ids(&store, StoryFilter::Author(n.ann.id), 2, &[n.w2]).await,
        vec![n.p3, n.w1]
    );
    assert_eq!(
        ids(&store, StoryFilter::Tag(n.colombia), 5, &[n.p1, n.p3]).await,
        vec![n.w1]
    );
    assert_eq!(
        ids(&store, StoryFilter::Section(n.politics.id), 5, &[n.p2]).await,
        vec![n.p3, n.p1]
    );
}

async fn each_story_carries_its_byline_picture_and_section(store: TestStore) {
    let n = newsroom(&store).await;
    let stories = store
        .public()
        .stories(StoryFilter::All, long_after_base(), 10, &[])
        .await
        .unwrap();
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
        .public()
        .stories(StoryFilter::Section(n.world.id), long_after_base(), 10, &[])
        .await
        .unwrap();
    assert_eq!(&in_section[1], w1);
    let by_tag = store
        .public()
        .stories(StoryFilter::Tag(n.trade), long_after_base(), 10, &[])
        .await
        .unwrap();
    assert_eq!(&by_tag[1], w1);
}

async fn unpublished_stories_leave_every_list(store: TestStore) {
    let n = newsroom(&store).await;
    store
        .articles()
        .set_status(n.w1, ArticleStatus::Unpublished, jiff::Timestamp::now())
        .await
        .unwrap();

    for (filter, expected) in [
        (StoryFilter::All, vec![n.p3, n.w2, n.p2, n.p1]),
        (StoryFilter::Section(n.world.id), vec![n.w2]),
        (StoryFilter::Author(n.bo.id), vec![n.p3, n.p2]),
        (StoryFilter::Tag(n.trade), vec![n.p2]),
    ] {
        assert_eq!(ids(&store, filter, 50, &[]).await, expected, "{filter:?}");
        assert_eq!(
            count(&store, filter).await,
            i64::try_from(expected.len()).unwrap(),
            "{filter:?}"
        );
    }

    // Published again, it returns to its first publication time's place.
    store
        .articles()
        .set_status(n.w1, ArticleStatus::Published, jiff::Timestamp::now())
        .await
        .unwrap();
    assert_eq!(
        ids(&store, StoryFilter::All, 50, &[]).await,
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
        created.push(
            store
                .articles()
                .create(&input, jiff::Timestamp::now())
                .await
                .unwrap()
                .id,
        );
    }
    created.reverse();
    assert_eq!(ids(&store, StoryFilter::All, 10, &[]).await, created);
    assert_eq!(
        page_ids(&store, StoryFilter::All, 2, 1).await,
        Some((vec![created[1]], 3))
    );
}

/// Twenty-three stories, three to a publication time (ties broken by id), over two sections,
/// two authors and two tags, with a draft and a scheduled story among them. Whatever the page
/// size, the pages of each list, read one after the other, are the list: nothing skipped or
/// repeated at a boundary, whether a page is reached from the newest end or the oldest.
async fn every_page_of_every_list_cuts_one_order_from_either_end(store: TestStore) {
    let politics = section(&store, "politics", 1).await;
    let world = section(&store, "world", 2).await;
    let ann = author(&store, "ann-lee").await;
    let bo = author(&store, "bo-chen").await;
    struct Listed {
        id: i64,
        hour: i64,
        section_id: i64,
        authors: Vec<i64>,
        tags: Vec<&'static str>,
    }
    let mut listed: Vec<Listed> = Vec::new();
    for n in 0..25_i64 {
        let home = if n % 2 == 0 { &politics } else { &world };
        let mut authors = vec![ann.id];
        if n % 3 == 0 {
            authors.insert(0, bo.id);
        }
        let tags: Vec<&'static str> = match n % 4 {
            0 => vec!["Colombia"],
            1 => vec!["Colombia", "Trade"],
            2 => vec!["Trade"],
            _ => vec![],
        };
        let mut input = article_input(home.id, &format!("story-{n}"), &authors);
        input.tags = tags.iter().map(|t| (*t).to_owned()).collect();
        let hour = n / 3;
        input.first_published_at = Some(hours_after_base(hour));
        input.status = match n {
            7 => ArticleStatus::Draft,
            16 => ArticleStatus::Scheduled,
            _ => ArticleStatus::Published,
        };
        let id = store
            .articles()
            .create(&input, jiff::Timestamp::now())
            .await
            .unwrap()
            .id;
        if input.status == ArticleStatus::Published {
            listed.push(Listed {
                id,
                hour,
                section_id: home.id,
                authors,
                tags,
            });
        }
    }
    listed.sort_by_key(|story| std::cmp::Reverse((story.hour, story.id)));
    let colombia = store
        .site()
        .tag_by_slug("colombia")
        .await
        .unwrap()
        .unwrap()
        .id;
    let trade = store.site().tag_by_slug("trade").await.unwrap().unwrap().id;
    let lists = [
        (StoryFilter::All, None),
        (StoryFilter::Section(politics.id), None),
        (StoryFilter::Section(world.id), None),
        (StoryFilter::Author(ann.id), None),
        (StoryFilter::Author(bo.id), None),
        (StoryFilter::Tag(colombia), Some("Colombia")),
        (StoryFilter::Tag(trade), Some("Trade")),
    ];
    for (filter, tag_name) in lists {
        let expected: Vec<i64> = listed
            .iter()
            .filter(|story| match filter {
                StoryFilter::All => true,
                StoryFilter::Section(id) => story.section_id == id,
                StoryFilter::Author(id) => story.authors.contains(&id),
                StoryFilter::Tag(_) => tag_name.is_some_and(|name| story.tags.contains(&name)),
            })
            .map(|story| story.id)
            .collect();
        let total = i64::try_from(expected.len()).unwrap();
        assert!(total >= 6, "{filter:?} is long enough to have a middle");
        assert_eq!(ids(&store, filter, 100, &[]).await, expected, "{filter:?}");
        for per_page in [1, 2, 4, 5, 7, total, total + 3] {
            let pages = (total + per_page - 1) / per_page;
            let mut read = Vec::new();
            for page in 1..=pages {
                let (ids, size) = page_ids(&store, filter, page, per_page)
                    .await
                    .unwrap_or_else(|| panic!("{filter:?}: page {page} of {pages}"));
                assert_eq!(size, total, "{filter:?}");
                assert!(!ids.is_empty(), "{filter:?}: page {page} is empty");
                read.extend(ids);
            }
            assert_eq!(read, expected, "{filter:?}, {per_page} a page");
            assert_eq!(
                page_ids(&store, filter, pages + 1, per_page).await,
                None,
                "{filter:?}: a page past the last"
            );
        }
    }
}

/// A story published with a time still to come (an import, a backdated or forward-dated
/// entry) appears in no list, count or sitemap until the clock reaches it.
async fn a_story_listed_before_its_time_waits_for_it(store: TestStore) {
    let politics = section(&store, "politics", 1).await;
    let ann = author(&store, "ann-lee").await;
    let bo = author(&store, "bo-chen").await;
    let mut input = article_input(politics.id, "out-now", &[ann.id]);
    input.tags = vec!["Colombia".to_owned()];
    input.first_published_at = Some(hours_after_base(1));
    let out = store
        .articles()
        .create(&input, jiff::Timestamp::now())
        .await
        .unwrap()
        .id;
    let mut input = article_input(politics.id, "coming", &[ann.id, bo.id]);
    input.tags = vec!["Colombia".to_owned(), "Later".to_owned()];
    input.first_published_at = Some(hours_after_base(10));
    let coming = store
        .articles()
        .create(&input, jiff::Timestamp::now())
        .await
        .unwrap()
        .id;
    let colombia = store
        .site()
        .tag_by_slug("colombia")
        .await
        .unwrap()
        .unwrap()
        .id;
    let later = store.site().tag_by_slug("later").await.unwrap().unwrap().id;

    for (now, expected) in [
        (hours_after_base(5), vec![out]),
        (hours_after_base(10), vec![coming, out]),
    ] {
        for filter in [
            StoryFilter::All,
            StoryFilter::Section(politics.id),
            StoryFilter::Author(ann.id),
            StoryFilter::Tag(colombia),
        ] {
            let listed: Vec<i64> = store
                .public()
                .stories(filter, now, 10, &[])
                .await
                .unwrap()
                .iter()
                .map(|s| s.id)
                .collect();
            assert_eq!(listed, expected, "{filter:?} at {now}");
            let page = store
                .public()
                .story_page(filter, now, 1, 10)
                .await
                .unwrap()
                .unwrap();
            let total = i64::try_from(expected.len()).unwrap();
            assert_eq!(page.total, total, "{filter:?} at {now}");
            assert_eq!(
                store.public().count_stories(filter, now).await.unwrap(),
                total
            );
        }
        let only_coming = usize::from(expected.contains(&coming));
        for filter in [StoryFilter::Author(bo.id), StoryFilter::Tag(later)] {
            assert_eq!(
                store
                    .public()
                    .stories(filter, now, 10, &[])
                    .await
                    .unwrap()
                    .len(),
                only_coming,
                "{filter:?} at {now}"
            );
        }
        let months = store.public().sitemap_months(now).await.unwrap();
        assert_eq!(months.len(), 1);
        assert_eq!((months[0].year, months[0].month), (2026, 1));
        assert_eq!(months[0].articles, i64::try_from(expected.len()).unwrap());
        let range = months[0].range().unwrap();
        let in_sitemap: Vec<i64> = store
            .public()
            .sitemap_articles(range, now, 100, 0)
            .await
            .unwrap()
            .iter()
            .map(|a| a.id)
            .collect();
        let mut oldest_first = expected.clone();
        oldest_first.reverse();
        assert_eq!(in_sitemap, oldest_first, "at {now}");
        let bylines: Vec<String> = store
            .public()
            .sitemap_authors(now)
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.slug)
            .collect();
        let mut expected_bylines = vec!["ann-lee".to_owned()];
        if only_coming == 1 {
            expected_bylines.push("bo-chen".to_owned());
        }
        assert_eq!(bylines, expected_bylines, "at {now}");
    }
}

/// A saved byline or tag list moves the story out of the old author's and tag's lists and into
/// the new ones, in its place by publication time.
async fn a_new_byline_or_tag_moves_the_story_between_lists(store: TestStore) {
    let politics = section(&store, "politics", 1).await;
    let ann = author(&store, "ann-lee").await;
    let bo = author(&store, "bo-chen").await;
    let mut input = article_input(politics.id, "older", &[bo.id]);
    input.tags = vec!["Trade".to_owned()];
    input.first_published_at = Some(hours_after_base(1));
    let older = store
        .articles()
        .create(&input, jiff::Timestamp::now())
        .await
        .unwrap()
        .id;
    let mut input = article_input(politics.id, "newer", &[ann.id]);
    input.tags = vec!["Colombia".to_owned()];
    input.first_published_at = Some(hours_after_base(2));
    let created = store
        .articles()
        .create(&input, jiff::Timestamp::now())
        .await
        .unwrap();
    let colombia = store
        .site()
        .tag_by_slug("colombia")
        .await
        .unwrap()
        .unwrap()
        .id;
    let trade = store.site().tag_by_slug("trade").await.unwrap().unwrap().id;

    input.author_ids = vec![bo.id];
    input.tags = vec!["Trade".to_owned()];
    store
        .articles()
        .save(
            created.id,
            created.version,
            &input,
            &Actor::system("test"),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    for (filter, expected) in [
        (StoryFilter::Author(ann.id), vec![]),
        (StoryFilter::Author(bo.id), vec![created.id, older]),
        (StoryFilter::Tag(colombia), vec![]),
        (StoryFilter::Tag(trade), vec![created.id, older]),
    ] {
        assert_eq!(ids(&store, filter, 10, &[]).await, expected, "{filter:?}");
        assert_eq!(
            count(&store, filter).await,
            i64::try_from(expected.len()).unwrap()
        );
    }
}
