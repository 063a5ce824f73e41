//! The search index through its public API, on a small newsroom archive: one contract, run on
//! both implementations (tantivy, and PostgreSQL on the test server `scripts/test` starts).

use dateline_db::testing::TestStore;
use dateline_search::{
    PostgresIndex, SearchDocument, SearchIndex, SearchOrder, SearchQuery, SearchResults,
    TantivyIndex,
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

/// The implementations every contract test runs on.
#[derive(Debug, Clone, Copy)]
enum Engine {
    Tantivy,
    Postgres,
}

/// An index under test, with what keeps it alive: for PostgreSQL a fresh schema on the test
/// server and the runtime its connections run on.
struct Fixture {
    index: Option<Box<dyn SearchIndex>>,
    postgres: Option<(TestStore, tokio::runtime::Runtime)>,
}

impl Fixture {
    fn new(engine: Engine) -> Result<Self, Box<dyn std::error::Error>> {
        match engine {
            Engine::Tantivy => Ok(Self {
                index: Some(Box::new(TantivyIndex::in_memory()?)),
                postgres: None,
            }),
            Engine::Postgres => {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()?;
                let store = runtime.block_on(dateline_db::testing::postgres());
                let mut fixture = Self {
                    index: None,
                    postgres: Some((store, runtime)),
                };
                fixture.index = Some(Box::new(fixture.another_node()?));
                Ok(fixture)
            }
        }
    }

    /// A second PostgreSQL index on the same database, as another node has.
    fn another_node(&self) -> Result<PostgresIndex, Box<dyn std::error::Error>> {
        let (store, runtime) = self.postgres.as_ref().ok_or("not PostgreSQL")?;
        let pool = store.postgres_pool().ok_or("not a PostgreSQL store")?;
        Ok(PostgresIndex::new(pool.clone(), runtime.handle().clone())?)
    }
}

impl std::ops::Deref for Fixture {
    type Target = dyn SearchIndex;
    fn deref(&self) -> &Self::Target {
        self.index.as_deref().expect("index present until drop")
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        // Connections go back to their pool on a runtime task.
        if let Some((store, runtime)) = self.postgres.take() {
            let _entered = runtime.enter();
            drop(self.index.take());
            drop(store);
        }
    }
}

fn indexed(engine: Engine, docs: &[SearchDocument]) -> Result<Fixture, Box<dyn std::error::Error>> {
    let index = Fixture::new(engine)?;
    for doc in docs {
        index.upsert(doc)?;
    }
    index.commit()?;
    Ok(index)
}

fn ids(results: &SearchResults) -> Vec<i64> {
    results.hits.iter().map(|hit| hit.article_id).collect()
}

fn search(
    index: &dyn SearchIndex,
    text: &str,
) -> Result<SearchResults, Box<dyn std::error::Error>> {
    Ok(index.search(&SearchQuery::new(text))?)
}

fn headline_matches_rank_above_body_matches(engine: Engine) -> TestResult {
    let index = indexed(engine, &archive())?;
    let results = search(&*index, "colombia")?;
    assert_eq!(ids(&results), vec![1, 2]);
    assert_eq!(results.total, 2);
    assert!(results.hits[0].score > results.hits[1].score);
    Ok(())
}

fn all_words_must_match_in_any_order(engine: Engine) -> TestResult {
    let index = indexed(engine, &archive())?;
    assert_eq!(ids(&search(&*index, "havana colombia")?), vec![1]);
    assert_eq!(ids(&search(&*index, "metro coffee")?), Vec::<i64>::new());
    Ok(())
}

fn quoted_phrases_need_adjacent_words(engine: Engine) -> TestResult {
    let index = indexed(engine, &archive())?;
    let words = search(&*index, "peace talks")?;
    assert_eq!(ids(&words), vec![1, 2]);
    let phrase = search(&*index, "\"peace talks\"")?;
    assert_eq!(ids(&phrase), vec![1]);
    let reversed = search(&*index, "\"talks peace\"")?;
    assert_eq!(ids(&reversed), Vec::<i64>::new());
    Ok(())
}

fn one_typo_is_forgiven_in_long_words_only(engine: Engine) -> TestResult {
    let index = indexed(engine, &archive())?;
    assert_eq!(ids(&search(&*index, "Colmbia")?), vec![1, 2]);
    assert_eq!(
        ids(&search(&*index, "Colobmia")?),
        vec![1, 2],
        "transposition"
    );
    assert_eq!(ids(&search(&*index, "Havanna")?), vec![1]);
    // Four letters: "Lina" is not "Lima".
    assert_eq!(ids(&search(&*index, "Lina")?), Vec::<i64>::new());
    assert_eq!(ids(&search(&*index, "Lima")?), vec![4]);
    // Two typos are too many.
    assert_eq!(ids(&search(&*index, "Clmbiaa")?), Vec::<i64>::new());
    Ok(())
}

fn exact_spelling_ranks_above_a_typo_match(engine: Engine) -> TestResult {
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
    let index = indexed(engine, &docs)?;
    assert_eq!(ids(&search(&*index, "cartagena")?), vec![7, 6]);
    assert_eq!(ids(&search(&*index, "cartagana")?), vec![6, 7]);
    Ok(())
}

fn case_and_accents_do_not_matter_and_words_are_stemmed(engine: Engine) -> TestResult {
    let index = indexed(engine, &archive())?;
    assert_eq!(ids(&search(&*index, "BOGOTA")?), vec![3]);
    assert_eq!(ids(&search(&*index, "bogotá")?), vec![3]);
    assert_eq!(ids(&search(&*index, "farmer")?), vec![2]);
    assert_eq!(ids(&search(&*index, "passenger")?), vec![3]);
    Ok(())
}

fn authors_sections_and_tags_are_searchable(engine: Engine) -> TestResult {
    let mut docs = archive();
    docs[4].tags = vec!["Stage".to_owned()];
    let index = indexed(engine, &docs)?;
    let mut by_author = ids(&search(&*index, "mendez")?);
    by_author.sort_unstable();
    assert_eq!(by_author, vec![2, 3]);
    assert_eq!(ids(&search(&*index, "culture")?), vec![5]);
    // The tag first, then "United States" one typo away.
    assert_eq!(ids(&search(&*index, "stage")?), vec![5, 2]);
    Ok(())
}

fn filters_narrow_by_section_author_and_date(engine: Engine) -> TestResult {
    let index = indexed(engine, &archive())?;
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
    // Bounds far outside any engine's calendar are fine: the year 245 and the year 9999.
    let ancient: Timestamp = "0245-03-12T00:00:00Z".parse()?;
    let far: Timestamp = "9999-12-30T00:00:00Z".parse()?;
    let wide = SearchQuery {
        from: Some(ancient),
        until: Some(far),
        ..in_march(None, None)
    };
    assert_eq!(ids(&index.search(&wide)?), vec![4, 3, 1]);
    let before_history = SearchQuery {
        until: Some(ancient),
        ..in_march(None, None)
    };
    assert_eq!(ids(&index.search(&before_history)?), Vec::<i64>::new());
    assert_eq!(
        ids(&index.search(&SearchQuery {
            section_slug: Some("nowhere".to_owned()),
            ..in_march(None, None)
        })?),
        Vec::<i64>::new()
    );
    Ok(())
}

fn newest_order_and_pagination(engine: Engine) -> TestResult {
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
    let index = indexed(engine, &docs)?;
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

fn remove_upsert_and_clear_take_effect_at_commit(engine: Engine) -> TestResult {
    let index = indexed(engine, &archive())?;
    assert_eq!(index.doc_count()?, 5);

    index.remove(3)?;
    assert_eq!(
        ids(&search(&*index, "metro")?),
        vec![3],
        "not yet committed"
    );
    index.commit()?;
    assert_eq!(ids(&search(&*index, "metro")?), Vec::<i64>::new());
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
    assert_eq!(ids(&search(&*index, "quito")?), vec![4]);
    assert_eq!(ids(&search(&*index, "lima")?), Vec::<i64>::new());

    index.clear()?;
    assert_eq!(index.doc_count()?, 4, "not yet committed");
    index.upsert(&archive()[0])?;
    // What a rebuild does after clearing: adds without replacing.
    index.add_new(&archive()[1])?;
    index.commit()?;
    assert_eq!(index.doc_count()?, 2);
    assert_eq!(ids(&search(&*index, "quito")?), Vec::<i64>::new());
    assert_eq!(ids(&search(&*index, "havana")?), vec![1]);
    assert_eq!(
        ids(&search(&*index, &archive()[1].headline)?),
        vec![2],
        "an added article is found once"
    );
    // A later edit of an added article replaces it.
    let mut edited = archive()[1].clone();
    edited.headline = "Lima edited".to_owned();
    index.upsert(&edited)?;
    index.commit()?;
    assert_eq!(index.doc_count()?, 2);
    Ok(())
}

fn related_finds_similar_articles_and_excludes_itself_and_the_list(engine: Engine) -> TestResult {
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
    let index = indexed(engine, &docs)?;

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

fn hostile_queries_are_harmless(engine: Engine) -> TestResult {
    let index = indexed(engine, &archive())?;
    let long = "Colombia ".repeat(1_200);
    let random: String = (0..10_000)
        .map(|i| char::from_u32(0x20 + (i * 7919) % 0x2FF).unwrap_or('?'))
        .collect();
    let kilobytes = "x".repeat(10_240);
    for text in [
        "",
        "   ",
        "AND OR NOT (((",
        "the of and to in",
        "title:foo",
        "headline:colombia",
        "\"",
        "\"\"",
        "\"colombia",
        "colombia\"",
        "*",
        "colo*",
        "colombia:*",
        "~2",
        "colombia~2",
        "+colombia -havana",
        "[a TO z]",
        "& | ! ( ) : * \\ '",
        "colombia & | havana",
        "!colombia",
        "'colombia'",
        "o'neil's",
        "colombia <-> havana",
        "colombia <2> havana",
        "\\",
        "\u{0}",
        "colombia\u{0}havana",
        "\u{0}\u{0}\u{0}",
        "🇨🇴 🎉",
        "ﷺ",
        long.as_str(),
        random.as_str(),
        kilobytes.as_str(),
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ] {
        for order in [SearchOrder::Relevance, SearchOrder::Newest] {
            let results = index.search(&SearchQuery {
                order,
                ..SearchQuery::new(text)
            });
            assert!(results.is_ok(), "{text:?}: {results:?}");
        }
    }
    assert_eq!(search(&*index, "")?.total, 0);
    assert_eq!(search(&*index, "AND OR NOT (((")?.total, 0);
    assert_eq!(search(&*index, "the of and to in")?.total, 0);
    assert_eq!(search(&*index, "& | ! ( ) : * \\ '")?.total, 0);
    assert_eq!(ids(&search(&*index, "colombia & | havana")?), vec![1]);
    assert_eq!(ids(&search(&*index, "!colombia")?), vec![1, 2]);
    assert_eq!(ids(&search(&*index, "colombia\u{0}havana")?), vec![1]);
    assert_eq!(ids(&search(&*index, "\"colombia")?), vec![1, 2]);
    assert_eq!(ids(&search(&*index, &long)?), vec![1, 2]);
    Ok(())
}

fn snippets_mark_matches_and_escape_everything_else(engine: Engine) -> TestResult {
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
    let index = indexed(engine, &docs)?;
    let results = search(&*index, "colombia")?;
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
    let fuzzy = search(&*index, "colmbia")?;
    assert!(
        fuzzy
            .hits
            .iter()
            .all(|hit| hit.snippet_html.contains("<mark>Colombia</mark>")),
        "{fuzzy:?}"
    );
    // A match only in the headline still shows a snippet: the standfirst.
    let metro = search(&*index, "metro")?;
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

fn the_trait_is_object_safe_for_sharing(engine: Engine) -> TestResult {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<TantivyIndex>();
    shareable::<PostgresIndex>();
    let fixture = indexed(engine, &archive())?;
    let index: &dyn SearchIndex = &*fixture;
    let count = std::thread::scope(|scope| scope.spawn(|| index.doc_count()).join());
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

#[test]
fn hostile_documents_are_indexed_and_found() -> TestResult {
    for engine in [Engine::Tantivy, Engine::Postgres] {
        let mut doc = archive()[0].clone();
        doc.headline = "O'Neil\\ & | ! ( ) : * <-> 'quoted' \u{0}Colombia".to_owned();
        doc.body_text = "nul\u{0}byte and a long word ".to_owned() + &"z".repeat(5_000);
        doc.tags = vec!["\u{0}".to_owned(), String::new()];
        let index = indexed(engine, &[doc])?;
        assert_eq!(
            ids(&search(&*index, "o'neil colombia")?),
            vec![1],
            "{engine:?}"
        );
        assert_eq!(ids(&search(&*index, "quoted")?), vec![1], "{engine:?}");
        assert_eq!(ids(&search(&*index, "byte")?), vec![1], "{engine:?}");
    }
    Ok(())
}

/// Two nodes on one database: what one commits, the other finds; what one has not committed,
/// nobody sees, and a reindex swaps the whole index at once.
#[test]
fn postgres_nodes_share_one_index() -> TestResult {
    let first = indexed(Engine::Postgres, &archive())?;
    let second = first.another_node()?;
    assert_eq!(second.doc_count()?, 5);
    assert_eq!(ids(&second.search(&SearchQuery::new("havana"))?), vec![1]);

    second.clear()?;
    second.upsert(&archive()[2])?;
    assert_eq!(first.doc_count()?, 5, "not yet committed");
    assert_eq!(ids(&search(&*first, "havana")?), vec![1]);
    second.commit()?;
    assert_eq!(first.doc_count()?, 1);
    assert_eq!(ids(&search(&*first, "havana")?), Vec::<i64>::new());
    assert_eq!(ids(&search(&*first, "metro")?), vec![3]);

    // The lexicon follows: a word no article holds any more is no typo candidate.
    assert_eq!(ids(&search(&*first, "metrro")?), vec![3]);
    assert_eq!(ids(&search(&*first, "havanna")?), Vec::<i64>::new());
    first.upsert(&archive()[0])?;
    first.commit()?;
    assert_eq!(ids(&second.search(&SearchQuery::new("havanna"))?), vec![1]);
    first.remove(1)?;
    first.commit()?;
    assert_eq!(
        ids(&second.search(&SearchQuery::new("havanna"))?),
        Vec::<i64>::new()
    );
    Ok(())
}

#[test]
fn postgres_index_needs_a_multi_threaded_runtime() -> TestResult {
    let fixture = Fixture::new(Engine::Postgres)?;
    let (store, _) = fixture.postgres.as_ref().ok_or("not PostgreSQL")?;
    let pool = store
        .postgres_pool()
        .ok_or("not a PostgreSQL store")?
        .clone();
    let single = tokio::runtime::Builder::new_current_thread().build()?;
    let index = PostgresIndex::new(pool, single.handle().clone());
    assert!(
        matches!(
            index,
            Err(dateline_search::SearchError::CurrentThreadRuntime)
        ),
        "{:?}",
        index.err()
    );
    Ok(())
}

/// A full reindex larger than one write batch, and paging through it.
fn a_reindex_larger_than_a_batch_swaps_at_commit(engine: Engine) -> TestResult {
    let index = indexed(engine, &archive())?;
    index.clear()?;
    for i in 1..=450 {
        let mut doc = archive()[(i % 5) as usize].clone();
        doc.article_id = i;
        doc.headline = format!("{} number{i}", doc.headline);
        index.upsert(&doc)?;
    }
    assert_eq!(index.doc_count()?, 5, "not yet committed");
    index.commit()?;
    assert_eq!(index.doc_count()?, 450);
    assert_eq!(search(&*index, "havana")?.total, 90);
    assert_eq!(ids(&search(&*index, "number321")?), vec![321]);
    Ok(())
}

/// A word in `COMMON_WORD_ARTICLES` articles is taken as spelt as meant; a rarer one still
/// forgives a typo.
fn common_words_are_taken_as_spelt(engine: Engine) -> TestResult {
    let common = usize::try_from(dateline_search::COMMON_WORD_ARTICLES)?;
    let mut docs: Vec<SearchDocument> = (1..common)
        .map(|i| {
            let mut doc = archive()[4].clone();
            doc.article_id = i64::try_from(i).unwrap_or_default();
            doc.headline = "Election night".to_owned();
            doc
        })
        .collect();
    let mut selection = archive()[4].clone();
    selection.article_id = 5_000;
    selection.headline = "Selection committee".to_owned();
    docs.push(selection.clone());
    let index = indexed(engine, &docs)?;
    // One article short of common: "election" still reaches "selection", ranked last.
    let below = search(&*index, "elections")?;
    assert_eq!(below.total, common);
    let by_date = index.search(&SearchQuery {
        order: SearchOrder::Newest,
        limit: 1,
        offset: common - 1,
        ..SearchQuery::new("elections")
    })?;
    assert_eq!(by_date.total, common);
    assert_eq!(ids(&search(&*index, "selaction")?), vec![5_000]);

    let mut one_more = archive()[4].clone();
    one_more.article_id = 6_000;
    one_more.headline = "Election night".to_owned();
    index.upsert(&one_more)?;
    index.commit()?;
    assert_eq!(search(&*index, "elections")?.total, common);
    assert_eq!(ids(&search(&*index, "selaction")?), vec![5_000]);
    // A rare word keeps its tolerance, even towards a common one; the exact spelling first.
    let selection = search(&*index, "selection")?;
    assert_eq!(selection.total, common + 1);
    assert_eq!(
        selection.hits.first().map(|hit| hit.article_id),
        Some(5_000)
    );
    Ok(())
}

/// Each contract test, once per implementation.
macro_rules! contract {
    ($($name:ident),+ $(,)?) => {
        mod tantivy {
            $(
                #[test]
                fn $name() -> super::TestResult {
                    super::$name(super::Engine::Tantivy)
                }
            )+
        }
        mod postgres {
            $(
                #[test]
                fn $name() -> super::TestResult {
                    super::$name(super::Engine::Postgres)
                }
            )+
        }
    };
}

/// "Related" asks the same question on every call. An article with more equally telling words
/// than the question uses (40 made-up words, each in one other article) must not leave the
/// choice to chance: tantivy's MoreLikeThis kept tied words in a `HashMap`'s random order, so
/// two calls, or two nodes over the same archive, could answer differently.
fn related_is_the_same_on_every_call(engine: Engine) -> TestResult {
    let words: Vec<String> = [
        "bram", "crol", "dusk", "frin", "glom", "hask", "jurn", "klap",
    ]
    .iter()
    .flat_map(|a| ["vot", "zim", "pax", "lud", "quam"].map(|b| format!("{a}{b}")))
    .collect();
    let mut docs = vec![article(
        1,
        "A catalogue of rare words",
        "",
        &words.join(" "),
        "world",
        "ana-torres",
        1,
    )];
    for (n, word) in words.iter().enumerate() {
        docs.push(article(
            n as i64 + 2,
            &format!("Note {n}"),
            "",
            word,
            "world",
            "ana-torres",
            2,
        ));
    }
    let index = indexed(engine, &docs)?;
    let first = index.related(1, 5, &[])?;
    assert_eq!(first.len(), 5, "{first:?}");
    for _ in 0..30 {
        assert_eq!(index.related(1, 5, &[])?, first);
    }
    Ok(())
}

contract!(
    related_is_the_same_on_every_call,
    headline_matches_rank_above_body_matches,
    all_words_must_match_in_any_order,
    quoted_phrases_need_adjacent_words,
    one_typo_is_forgiven_in_long_words_only,
    exact_spelling_ranks_above_a_typo_match,
    case_and_accents_do_not_matter_and_words_are_stemmed,
    authors_sections_and_tags_are_searchable,
    filters_narrow_by_section_author_and_date,
    newest_order_and_pagination,
    remove_upsert_and_clear_take_effect_at_commit,
    related_finds_similar_articles_and_excludes_itself_and_the_list,
    hostile_queries_are_harmless,
    snippets_mark_matches_and_escape_everything_else,
    the_trait_is_object_safe_for_sharing,
    a_reindex_larger_than_a_batch_swaps_at_commit,
    common_words_are_taken_as_spelt,
);
