//! The search index through its public API, on a small newsroom archive.

use dateline_search::{
    SearchDocument, SearchIndex, SearchOrder, SearchQuery, SearchResults, TantivyIndex,
};
use jiff::Timestamp;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn at(day: u8) -> Timestamp {
    format!("2026-03-{day:02}T09:00:00Z")
        .parse()
        .expect("valid fixture date")
}

#[allow(clippy::too_many_arguments)]
fn article(
    article_id: i64,
    headline: &str,
    standfirst: &str,
    body_text: &str,
    section_slug: &str,
    author_slug: &str,
    day: u8,
) -> SearchDocument {
    let title = |slug: &str| {
        slug.split('-')
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_uppercase().chain(c).collect::<String>())
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    SearchDocument {
        article_id,
        headline: headline.to_owned(),
        standfirst: standfirst.to_owned(),
        body_text: body_text.to_owned(),
        authors: vec![title(author_slug)],
        author_slugs: vec![author_slug.to_owned()],
        section: title(section_slug),
        section_slug: section_slug.to_owned(),
        tags: Vec::new(),
        first_published_at: at(day),
    }
}

fn archive() -> Vec<SearchDocument> {
    vec![
        article(
            1,
            "Colombia signs peace talks deal with rebels in Havana",
            "Negotiators end four years of talks.",
            "The government of Colombia and the rebels signed the deal in Havana on Tuesday. \
             Peace talks began in 2012 and were often suspended.",
            "world",
            "ana-torres",
            1,
        ),
        article(
            2,
            "Coffee farmers count the cost of the drought",
            "Harvests in the highlands fell by a third.",
            "Farmers say the talks about peace matter less than the rain. Colombia exports \
             most of its coffee to the United States.",
            "business",
            "luis-mendez",
            5,
        ),
        article(
            3,
            "Bogotá opens its first metro line",
            "Decades of plans, one line of trains.",
            "The metro will carry a million passengers a day across the capital.",
            "world",
            "luis-mendez",
            10,
        ),
        article(
            4,
            "Lima hosts the Pacific summit",
            "Leaders meet in Peru.",
            "Trade ministers gathered in Lima for two days of meetings on fishing quotas.",
            "world",
            "ana-torres",
            15,
        ),
        article(
            5,
            "A review of the season's theatre",
            "Our critic's picks.",
            "Nothing here is about South America or its capitals.",
            "culture",
            "mia-chen",
            20,
        ),
    ]
}

fn indexed(docs: &[SearchDocument]) -> Result<TantivyIndex, Box<dyn std::error::Error>> {
    let index = TantivyIndex::in_memory()?;
    for doc in docs {
        index.upsert(doc)?;
    }
    index.commit()?;
    Ok(index)
}

fn ids(results: &SearchResults) -> Vec<i64> {
    results.hits.iter().map(|hit| hit.article_id).collect()
}

fn search(index: &TantivyIndex, text: &str) -> Result<SearchResults, Box<dyn std::error::Error>> {
    Ok(index.search(&SearchQuery::new(text))?)
}

#[test]
fn headline_matches_rank_above_body_matches() -> TestResult {
    let index = indexed(&archive())?;
    let results = search(&index, "colombia")?;
    assert_eq!(ids(&results), vec![1, 2]);
    assert_eq!(results.total, 2);
    assert!(results.hits[0].score > results.hits[1].score);
    Ok(())
}

#[test]
fn all_words_must_match_in_any_order() -> TestResult {
    let index = indexed(&archive())?;
    assert_eq!(ids(&search(&index, "havana colombia")?), vec![1]);
    assert_eq!(ids(&search(&index, "metro coffee")?), Vec::<i64>::new());
    Ok(())
}

#[test]
fn quoted_phrases_need_adjacent_words() -> TestResult {
    let index = indexed(&archive())?;
    let words = search(&index, "peace talks")?;
    assert_eq!(ids(&words), vec![1, 2]);
    let phrase = search(&index, "\"peace talks\"")?;
    assert_eq!(ids(&phrase), vec![1]);
    let reversed = search(&index, "\"talks peace\"")?;
    assert_eq!(ids(&reversed), Vec::<i64>::new());
    Ok(())
}

#[test]
fn one_typo_is_forgiven_in_long_words_only() -> TestResult {
    let index = indexed(&archive())?;
    assert_eq!(ids(&search(&index, "Colmbia")?), vec![1, 2]);
    assert_eq!(
        ids(&search(&index, "Colobmia")?),
        vec![1, 2],
        "transposition"
    );
    assert_eq!(ids(&search(&index, "Havanna")?), vec![1]);
    // Four letters: "Lina" is not "Lima".
    assert_eq!(ids(&search(&index, "Lina")?), Vec::<i64>::new());
    assert_eq!(ids(&search(&index, "Lima")?), vec![4]);
    // Two typos are too many.
    assert_eq!(ids(&search(&index, "Clmbiaa")?), Vec::<i64>::new());
    Ok(())
}

#[test]
fn exact_spelling_ranks_above_a_typo_match() -> TestResult {
    let mut docs = archive();
    // The misspelt word sits in a headline, which weighs more than a body.
    docs.push(article(
        6,
        "Cartagana carnival",
        "",
        "Dancing.",
        "culture",
        "mia-chen",
        21,
    ));
    docs.push(article(
        7,
        "Ports",
        "",
        "Ships call at Cartagena.",
        "business",
        "mia-chen",
        22,
    ));
    let index = indexed(&docs)?;
    assert_eq!(ids(&search(&index, "cartagena")?), vec![7, 6]);
    assert_eq!(ids(&search(&index, "cartagana")?), vec![6, 7]);
    Ok(())
}

#[test]
fn case_and_accents_do_not_matter_and_words_are_stemmed() -> TestResult {
    let index = indexed(&archive())?;
    assert_eq!(ids(&search(&index, "BOGOTA")?), vec![3]);
    assert_eq!(ids(&search(&index, "bogotá")?), vec![3]);
    assert_eq!(ids(&search(&index, "farmer")?), vec![2]);
    assert_eq!(ids(&search(&index, "passenger")?), vec![3]);
    Ok(())
}

#[test]
fn authors_sections_and_tags_are_searchable() -> TestResult {
    let mut docs = archive();
    docs[4].tags = vec!["Stage".to_owned()];
    let index = indexed(&docs)?;
    let mut by_author = ids(&search(&index, "mendez")?);
    by_author.sort_unstable();
    assert_eq!(by_author, vec![2, 3]);
    assert_eq!(ids(&search(&index, "culture")?), vec![5]);
    // The tag first, then "United States" one typo away.
    assert_eq!(ids(&search(&index, "stage")?), vec![5, 2]);
    Ok(())
}

#[test]
fn filters_narrow_by_section_author_and_date() -> TestResult {
    let index = indexed(&archive())?;
    let base = SearchQuery {
        order: SearchOrder::Newest,
        ..SearchQuery::new("the")
    };
    // "the" alone is a stop word: nothing to search for.
    assert_eq!(index.search(&base)?.total, 0);

    let section = SearchQuery {
        section_slug: Some("world".to_owned()),
        ..SearchQuery::new("colombia")
    };
    assert_eq!(ids(&index.search(&section)?), vec![1]);

    let author = SearchQuery {
        author_slug: Some("luis-mendez".to_owned()),
        ..SearchQuery::new("colombia")
    };
    assert_eq!(ids(&index.search(&author)?), vec![2]);

    // "world" is the section name of articles 1, 3 and 4.
    let in_march = |from: Option<u8>, until: Option<u8>| SearchQuery {
        text: "world".to_owned(),
        from: from.map(at),
        until: until.map(at),
        ..base.clone()
    };
    assert_eq!(ids(&index.search(&in_march(None, None))?), vec![4, 3, 1]);
    assert_eq!(ids(&index.search(&in_march(Some(10), None))?), vec![4, 3]);
    // `until` is exclusive: the article of the 10th is not before the 10th.
    assert_eq!(ids(&index.search(&in_march(None, Some(10)))?), vec![1]);
    assert_eq!(ids(&index.search(&in_march(Some(2), Some(15)))?), vec![3]);
    assert_eq!(
        ids(&index.search(&SearchQuery {
            section_slug: Some("nowhere".to_owned()),
            ..in_march(None, None)
        })?),
        Vec::<i64>::new()
    );
    Ok(())
}

#[test]
fn newest_order_and_pagination() -> TestResult {
    let docs: Vec<SearchDocument> = (1..=25)
        .map(|i| {
            article(
                i,
                &format!("Election night {i}"),
                "",
                "Votes are counted.",
                "politics",
                "ana-torres",
                u8::try_from(i).unwrap_or(1),
            )
        })
        .collect();
    let index = indexed(&docs)?;
    let page = |offset: usize, limit: usize| SearchQuery {
        order: SearchOrder::Newest,
        offset,
        limit,
        ..SearchQuery::new("election")
    };
    let first = index.search(&page(0, 10))?;
    assert_eq!(first.total, 25);
    assert_eq!(ids(&first), (16..=25).rev().collect::<Vec<_>>());
    let last = index.search(&page(20, 10))?;
    assert_eq!(last.total, 25);
    assert_eq!(ids(&last), vec![5, 4, 3, 2, 1]);
    let beyond = index.search(&page(30, 10))?;
    assert_eq!((beyond.total, beyond.hits.len()), (25, 0));
    let count_only = index.search(&page(0, 0))?;
    assert_eq!((count_only.total, count_only.hits.len()), (25, 0));
    let huge = index.search(&page(0, 1_000_000))?;
    assert_eq!(huge.hits.len(), 25);

    // Relevance pages do not overlap either.
    let by_relevance = |offset| SearchQuery {
        offset,
        limit: 10,
        ..SearchQuery::new("election")
    };
    let mut seen: Vec<i64> = Vec::new();
    for offset in [0, 10, 20] {
        seen.extend(ids(&index.search(&by_relevance(offset))?));
    }
    seen.sort_unstable();
    assert_eq!(seen, (1..=25).collect::<Vec<_>>());
    Ok(())
}

#[test]
fn remove_upsert_and_clear_take_effect_at_commit() -> TestResult {
    let index = indexed(&archive())?;
    assert_eq!(index.doc_count()?, 5);

    index.remove(3)?;
    assert_eq!(ids(&search(&index, "metro")?), vec![3], "not yet committed");
    index.commit()?;
    assert_eq!(ids(&search(&index, "metro")?), Vec::<i64>::new());
    assert_eq!(index.doc_count()?, 4);
    index.remove(999)?;
    index.commit()?;

    let mut rewritten = archive()[3].clone();
    rewritten.headline = "Quito hosts the Andean summit".to_owned();
    rewritten.body_text = "Ministers gathered in Quito.".to_owned();
    index.upsert(&rewritten)?;
    index.upsert(&rewritten)?;
    index.commit()?;
    assert_eq!(index.doc_count()?, 4);
    assert_eq!(ids(&search(&index, "quito")?), vec![4]);
    assert_eq!(ids(&search(&index, "lima")?), Vec::<i64>::new());

    index.clear()?;
    assert_eq!(index.doc_count()?, 4, "not yet committed");
    index.upsert(&archive()[0])?;
    index.commit()?;
    assert_eq!(index.doc_count()?, 1);
    assert_eq!(ids(&search(&index, "quito")?), Vec::<i64>::new());
    assert_eq!(ids(&search(&index, "havana")?), vec![1]);
    Ok(())
}

#[test]
fn related_finds_similar_articles_and_excludes_itself_and_the_list() -> TestResult {
    let mut docs = archive();
    docs.push(article(
        8,
        "Rebels and government resume peace talks",
        "Negotiators return to Havana.",
        "Talks between the government of Colombia and the rebels resumed in Havana.",
        "world",
        "ana-torres",
        25,
    ));
    docs.push(article(
        9,
        "Peace deal vote in Colombia",
        "Voters will approve or reject the Havana deal.",
        "The rebels and the government of Colombia await the vote on the deal.",
        "world",
        "luis-mendez",
        26,
    ));
    let index = indexed(&docs)?;

    let related = index.related(1, 3, &[])?;
    assert!(!related.contains(&1), "{related:?}");
    assert!(related.len() <= 3);
    assert!(
        related[..2].contains(&8) && related[..2].contains(&9),
        "{related:?}"
    );

    let excluding = index.related(1, 3, &[8])?;
    assert!(!excluding.contains(&1) && !excluding.contains(&8));
    assert_eq!(excluding.first(), Some(&9));

    assert_eq!(index.related(999, 3, &[])?, Vec::<i64>::new());
    assert_eq!(index.related(1, 0, &[])?, Vec::<i64>::new());
    Ok(())
}

#[test]
fn hostile_queries_are_harmless() -> TestResult {
    let index = indexed(&archive())?;
    let long = "Colombia ".repeat(1_200);
    let random: String = (0..10_000)
        .map(|i| char::from_u32(0x20 + (i * 7919) % 0x2FF).unwrap_or('?'))
        .collect();
    for text in [
        "",
        "   ",
        "AND OR NOT (((",
        "title:foo",
        "headline:colombia",
        "\"",
        "\"\"",
        "\"colombia",
        "colombia\"",
        "*",
        "colo*",
        "~2",
        "colombia~2",
        "+colombia -havana",
        "[a TO z]",
        "\\",
        "\u{0}",
        "🇨🇴 🎉",
        "ﷺ",
        long.as_str(),
        random.as_str(),
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ] {
        let results = index.search(&SearchQuery::new(text));
        assert!(results.is_ok(), "{text:?}: {results:?}");
    }
    assert_eq!(search(&index, "")?.total, 0);
    assert_eq!(search(&index, "AND OR NOT (((")?.total, 0);
    assert_eq!(ids(&search(&index, "\"colombia")?), vec![1, 2]);
    assert_eq!(ids(&search(&index, &long)?), vec![1, 2]);
    Ok(())
}

#[test]
fn snippets_mark_matches_and_escape_everything_else() -> TestResult {
    let mut docs = archive();
    docs.push(article(
        10,
        "<script>alert('Colombia')</script> & friends",
        "",
        "In Colombia, <script>alert(1)</script> is just text & so is <b>this</b>.",
        "world",
        "mia-chen",
        27,
    ));
    let index = indexed(&docs)?;
    let results = search(&index, "colombia")?;
    let hit = results
        .hits
        .iter()
        .find(|hit| hit.article_id == 10)
        .ok_or("article 10 not found")?;
    assert_eq!(
        hit.headline_html,
        "&lt;script&gt;alert(&#39;<mark>Colombia</mark>&#39;)&lt;/script&gt; &amp; friends"
    );
    assert!(
        hit.snippet_html.contains("<mark>Colombia</mark>"),
        "{hit:?}"
    );
    assert!(!hit.snippet_html.contains("<script"), "{hit:?}");
    assert!(!hit.snippet_html.contains("<b>"), "{hit:?}");

    // A typo still marks the word as spelt in the article.
    let fuzzy = search(&index, "colmbia")?;
    assert!(
        fuzzy
            .hits
            .iter()
            .all(|hit| hit.snippet_html.contains("<mark>Colombia</mark>")),
        "{fuzzy:?}"
    );
    // A match only in the headline still shows a snippet: the standfirst.
    let metro = search(&index, "metro")?;
    assert_eq!(
        metro.hits[0].headline_html,
        "Bogotá opens its first <mark>metro</mark> line"
    );
    assert!(!metro.hits[0].snippet_html.is_empty());
    Ok(())
}

#[test]
fn an_index_on_disk_survives_reopening() -> TestResult {
    let folder = tempfile::tempdir()?;
    let path = folder.path().join("search");
    {
        let index = TantivyIndex::open(&path)?;
        for doc in archive() {
            index.upsert(&doc)?;
        }
        index.commit()?;
    }
    let index = TantivyIndex::open(&path)?;
    assert_eq!(index.doc_count()?, 5);
    assert_eq!(ids(&search(&index, "havana")?), vec![1]);
    Ok(())
}

#[test]
fn the_trait_is_object_safe_for_sharing() -> TestResult {
    let index: std::sync::Arc<dyn SearchIndex> = std::sync::Arc::new(indexed(&archive())?);
    let clone = std::sync::Arc::clone(&index);
    let count = std::thread::spawn(move || clone.doc_count()).join();
    assert!(matches!(count, Ok(Ok(5))));
    Ok(())
}

#[test]
fn a_folder_has_one_writer() -> TestResult {
    let folder = tempfile::tempdir()?;
    let _first = TantivyIndex::open(folder.path())?;
    let second = TantivyIndex::open(folder.path());
    assert!(
        matches!(second, Err(dateline_search::SearchError::Locked { .. })),
        "{:?}",
        second.err()
    );
    Ok(())
}
