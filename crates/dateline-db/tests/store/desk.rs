//! The newsroom's article list and the ownership rule, on both backends.

use dateline_core::{ArticleStatus, Role};
use dateline_db::testing::TestStore;
use dateline_db::{Actor, DeskFilter, NewStaff, Owner, Store};

use crate::support::{article_input, author, image, section};

dateline_db::both_backends!(
    the_desk_filters_by_status_section_author_and_headline,
    ownership_is_the_byline_or_the_first_revision,
    recent_images_are_newest_first,
);

async fn staff(store: &Store, email: &str, author_id: Option<i64>) -> Actor {
    let member = store
        .people()
        .create_staff(
            &NewStaff {
                email: email.to_owned(),
                display_name: email.to_owned(),
                role: Role::Contributor,
                password_hash: None,
                author_id,
            },
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    Actor::staff(member.id, member.display_name)
}

async fn the_desk_filters_by_status_section_author_and_headline(store: TestStore) {
    let politics = section(&store, "politics", 0).await;
    let world = section(&store, "world", 1).await;
    let ada = author(&store, "ada").await;
    let bo = author(&store, "bo").await;
    let mut input = article_input(politics.id, "budget", &[ada.id]);
    input.headline = "Budget 100% agreed".into();
    input.status = ArticleStatus::Draft;
    let budget = store
        .articles()
        .create(&input, jiff::Timestamp::now())
        .await
        .unwrap();
    let mut input = article_input(world.id, "summit", &[bo.id, ada.id]);
    input.headline = "Summit_opens".into();
    let summit = store
        .articles()
        .create(&input, jiff::Timestamp::now())
        .await
        .unwrap();
    let mut input = article_input(world.id, "ports", &[bo.id]);
    input.headline = "Ports reopen".into();
    input.status = ArticleStatus::InReview;
    let ports = store
        .articles()
        .create(&input, jiff::Timestamp::now())
        .await
        .unwrap();

    let ids = |filter: DeskFilter| {
        let store = store.store.clone();
        async move {
            let list = store.articles().desk(&filter, 10, 0).await.unwrap();
            assert_eq!(
                store.articles().count_desk(&filter).await.unwrap(),
                i64::try_from(list.len()).unwrap()
            );
            list.into_iter().map(|a| a.id).collect::<Vec<_>>()
        }
    };
    // Newest change first: the last created is the most recently updated.
    assert_eq!(
        ids(DeskFilter::default()).await,
        vec![ports.id, summit.id, budget.id]
    );
    let drafts = DeskFilter {
        status: Some(ArticleStatus::Draft),
        ..Default::default()
    };
    assert_eq!(ids(drafts).await, vec![budget.id]);
    let in_world = DeskFilter {
        section_id: Some(world.id),
        ..Default::default()
    };
    assert_eq!(ids(in_world).await, vec![ports.id, summit.id]);
    let by_ada = DeskFilter {
        author_id: Some(ada.id),
        ..Default::default()
    };
    assert_eq!(ids(by_ada).await, vec![summit.id, budget.id]);
    let text = |q: &str| DeskFilter {
        headline_contains: Some(q.into()),
        ..Default::default()
    };
    assert_eq!(ids(text("BUDGET")).await, vec![budget.id]);
    assert_eq!(ids(text("100%")).await, vec![budget.id]);
    assert_eq!(ids(text("t%o")).await, Vec::<i64>::new(), "% is literal");
    assert_eq!(ids(text("s_r")).await, Vec::<i64>::new(), "_ is literal");
    assert_eq!(ids(text("Summit_")).await, vec![summit.id]);
    let page = store
        .articles()
        .desk(&DeskFilter::default(), 2, 2)
        .await
        .unwrap();
    assert_eq!(
        page.iter().map(|a| a.id).collect::<Vec<_>>(),
        vec![budget.id]
    );
    let summit_line = store
        .articles()
        .desk(
            &DeskFilter {
                section_id: Some(world.id),
                status: Some(ArticleStatus::Published),
                ..Default::default()
            },
            10,
            0,
        )
        .await
        .unwrap();
    let names: Vec<&str> = summit_line[0]
        .authors
        .iter()
        .map(|a| a.slug.as_str())
        .collect();
    assert_eq!(names, vec!["bo", "ada"], "byline order");
}

async fn ownership_is_the_byline_or_the_first_revision(store: TestStore) {
    let politics = section(&store, "politics", 0).await;
    let ada = author(&store, "ada").await;
    let bo = author(&store, "bo").await;
    let ada_staff = staff(&store, "ada@example.org", Some(ada.id)).await;
    let unlinked = staff(&store, "new@example.org", None).await;
    let mut input = article_input(politics.id, "by-ada", &[ada.id]);
    input.status = ArticleStatus::Draft;
    // Started by the unlinked writer, bylined to Ada.
    let started = store
        .articles()
        .create_as(&input, &unlinked, jiff::Timestamp::now())
        .await
        .unwrap();
    let mut input = article_input(politics.id, "by-bo", &[bo.id]);
    input.status = ArticleStatus::Draft;
    let others = store
        .articles()
        .create_as(&input, &ada_staff, jiff::Timestamp::now())
        .await
        .unwrap();
    let mut input = article_input(politics.id, "nobodys", &[bo.id]);
    input.status = ArticleStatus::Draft;
    let nobodys = store
        .articles()
        .create(&input, jiff::Timestamp::now())
        .await
        .unwrap();

    let ada_owner = Owner {
        staff_id: ada_staff.staff_id.unwrap(),
        author_id: Some(ada.id),
    };
    let unlinked_owner = Owner {
        staff_id: unlinked.staff_id.unwrap(),
        author_id: None,
    };
    assert!(
        store
            .articles()
            .owned_by(started.id, ada_owner)
            .await
            .unwrap(),
        "on the byline"
    );
    assert!(
        store
            .articles()
            .owned_by(others.id, ada_owner)
            .await
            .unwrap(),
        "started it"
    );
    assert!(
        !store
            .articles()
            .owned_by(nobodys.id, ada_owner)
            .await
            .unwrap()
    );
    assert!(
        store
            .articles()
            .owned_by(started.id, unlinked_owner)
            .await
            .unwrap()
    );
    assert!(
        !store
            .articles()
            .owned_by(others.id, unlinked_owner)
            .await
            .unwrap()
    );

    let own = |owner| DeskFilter {
        owned_by: Some(owner),
        ..Default::default()
    };
    let list = store.articles().desk(&own(ada_owner), 10, 0).await.unwrap();
    assert_eq!(
        list.iter().map(|a| a.id).collect::<Vec<_>>(),
        vec![others.id, started.id]
    );
    let list = store
        .articles()
        .desk(&own(unlinked_owner), 10, 0)
        .await
        .unwrap();
    assert_eq!(
        list.iter().map(|a| a.id).collect::<Vec<_>>(),
        vec![started.id]
    );
}

async fn recent_images_are_newest_first(store: TestStore) {
    let first = image(&store, "a.jpg").await;
    let second = image(&store, "b.jpg").await;
    let choices = store.library().recent_images(10).await.unwrap();
    assert_eq!(
        choices.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![second.id, first.id]
    );
    assert_eq!(choices[0].alt, second.alt);
    assert_eq!(store.library().recent_images(1).await.unwrap().len(), 1);
}
