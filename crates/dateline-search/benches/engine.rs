//! `bench/search-engine`: build time and query latency of the search index on a generated archive.
//!
//! The archive recombines the demo newsroom's own writing (`dateline-demo/demo/newsroom.toml`):
//! each article takes its headline from two demo headlines, a demo standfirst, and a body of
//! sentences drawn from every demo body, so the words, their frequencies and their neighbours are
//! those of real news copy. Queries are drawn the same way: one, two or three words from one
//! sentence, some misspelt (words of five letters or more, one typo) and some quoted phrases.
//!
//! `cargo bench -p dateline-search --bench engine` (see `bench/README.md`). Environment:
//! `ARTICLES` (100000), `QUERIES` (400 per class), `LIMIT` (20 hits a page),
//! `DATELINE_TEST_POSTGRES_URL` to measure the PostgreSQL index too (in a fresh schema on that
//! server, left behind).

use std::collections::BTreeMap;
use std::error::Error;
use std::time::{Duration, Instant};

use dateline_search::{SearchDocument, SearchIndex, SearchQuery, TantivyIndex};
use serde::Deserialize;

type BenchResult<T = ()> = Result<T, Box<dyn Error>>;

#[derive(Deserialize)]
struct Newsroom {
    section: Vec<DemoSection>,
    author: Vec<DemoAuthor>,
    article: Vec<DemoArticle>,
}

#[derive(Deserialize)]
struct DemoSection {
    slug: String,
    name: String,
}

#[derive(Deserialize)]
struct DemoAuthor {
    slug: String,
    name: String,
}

#[derive(Deserialize)]
struct DemoArticle {
    headline: String,
    standfirst: String,
    body: String,
    tags: Vec<String>,
}

/// splitmix64: reproducible runs without a dependency.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n.max(1) as u64)).unwrap_or(0)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

struct Corpus {
    newsroom: Newsroom,
    sentences: Vec<String>,
}

const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
    "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
    "they", "this", "to", "was", "will", "with",
];

impl Corpus {
    fn load() -> BenchResult<Self> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../dateline-demo/demo/newsroom.toml"
        );
        let newsroom: Newsroom = toml::from_str(&std::fs::read_to_string(path)?)?;
        let sentences = newsroom
            .article
            .iter()
            .flat_map(|a| a.body.split("\n\n"))
            .flat_map(|paragraph| paragraph.split_inclusive(". "))
            .map(|s| s.trim().to_owned())
            .filter(|s| s.split_whitespace().count() >= 4)
            .collect();
        Ok(Self {
            newsroom,
            sentences,
        })
    }

    fn article(&self, article_id: i64, random: &mut Random) -> SearchDocument {
        let demo = &self.newsroom.article;
        let first: Vec<&str> = random.pick(demo).headline.split_whitespace().collect();
        let second: Vec<&str> = random.pick(demo).headline.split_whitespace().collect();
        let headline = first[..first.len() / 2]
            .iter()
            .chain(&second[second.len() / 2..])
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        let paragraphs = 4 + random.below(5);
        let body_text = (0..paragraphs)
            .map(|_| {
                (0..3 + random.below(4))
                    .map(|_| random.pick(&self.sentences).as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect::<Vec<_>>()
            .join("\n\n");
        let bylines: Vec<&DemoAuthor> = (0..1 + random.below(2))
            .map(|_| random.pick(&self.newsroom.author))
            .collect();
        let section = random.pick(&self.newsroom.section);
        let tags = random.pick(demo).tags.clone();
        // Five years of archive, to the second.
        let seconds = 1_640_995_200 + i64::try_from(random.below(5 * 365 * 86_400)).unwrap_or(0);
        SearchDocument {
            article_id,
            headline,
            standfirst: random.pick(demo).standfirst.clone(),
            body_text,
            authors: bylines.iter().map(|a| a.name.clone()).collect(),
            author_slugs: bylines.iter().map(|a| a.slug.clone()).collect(),
            section: section.name.clone(),
            section_slug: section.slug.clone(),
            tags,
            first_published_at: jiff::Timestamp::from_second(seconds).unwrap_or_default(),
        }
    }

    /// `words` searchable words (or one quoted phrase plus words) from one sentence, as a reader
    /// would type them; some misspelt.
    fn query(&self, words: usize, random: &mut Random) -> String {
        loop {
            let sentence: Vec<String> = random
                .pick(&self.sentences)
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| w.len() >= 3 && !STOP_WORDS.contains(&w.to_lowercase().as_str()))
                .map(str::to_owned)
                .collect();
            if sentence.len() < words + 1 {
                continue;
            }
            let start = random.below(sentence.len() - words);
            if words >= 2 && random.chance(15) {
                // A quoted phrase of two neighbouring words, plus any remaining word.
                let mut query = format!("\"{} {}\"", sentence[start], sentence[start + 1]);
                for word in &sentence[start + 2..start + words] {
                    query.push(' ');
                    query.push_str(word);
                }
                return query;
            }
            let mut chosen: Vec<String> = (0..words)
                .map(|_| sentence[random.below(sentence.len())].clone())
                .collect();
            if random.chance(20)
                && let Some(word) = chosen.iter_mut().find(|w| w.chars().count() >= 5)
            {
                *word = misspell(word, random);
            }
            return chosen.join(" ");
        }
    }
}

/// One typo: a letter dropped, doubled, swapped with its neighbour or replaced.
fn misspell(word: &str, random: &mut Random) -> String {
    let mut chars: Vec<char> = word.chars().collect();
    let at = 1 + random.below(chars.len() - 2);
    match random.below(4) {
        0 => {
            chars.remove(at);
        }
        1 => chars.insert(at, chars[at]),
        2 => chars.swap(at, at + 1),
        _ => chars[at] = if chars[at] == 'e' { 'a' } else { 'e' },
    }
    chars.into_iter().collect()
}

struct Latencies {
    name: String,
    samples: Vec<Duration>,
    hits: usize,
}

impl Latencies {
    fn percentile(&self, percent: usize) -> Duration {
        let mut sorted = self.samples.clone();
        sorted.sort_unstable();
        let at = (sorted.len() * percent / 100).min(sorted.len().saturating_sub(1));
        sorted.get(at).copied().unwrap_or_default()
    }

    fn row(&self) -> String {
        let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1000.0);
        format!(
            "| {:<22} | {:>6} | {:>9} | {:>9} | {:>9} | {:>9} | {:>9} |",
            self.name,
            self.samples.len(),
            ms(self.percentile(50)),
            ms(self.percentile(95)),
            ms(self.percentile(99)),
            ms(self.samples.iter().copied().max().unwrap_or_default()),
            self.hits / self.samples.len().max(1),
        )
    }
}

fn measure(name: &str, queries: &[SearchQuery], index: &dyn SearchIndex) -> BenchResult<Latencies> {
    let mut samples = Vec::with_capacity(queries.len());
    let mut hits = 0;
    for query in queries {
        let started = Instant::now();
        let results = index.search(query)?;
        samples.push(started.elapsed());
        hits += results.total;
    }
    Ok(Latencies {
        name: name.to_owned(),
        samples,
        hits,
    })
}

/// Segments in the tantivy index folder's last commit.
fn segments(folder: &std::path::Path) -> usize {
    std::fs::read_to_string(folder.join("meta.json"))
        .ok()
        .and_then(|meta| serde_json::from_str::<serde_json::Value>(&meta).ok())
        .and_then(|meta| meta["segments"].as_array().map(Vec::len))
        .unwrap_or(0)
}

/// Waits (at most two minutes) until the background merges that follow a reindex have settled,
/// so queries measure a steady index rather than one being merged under them.
fn settle(folder: &std::path::Path) {
    let started = Instant::now();
    let mut last = (segments(folder), Instant::now());
    while started.elapsed() < Duration::from_secs(120) && last.1.elapsed() < Duration::from_secs(5)
    {
        std::thread::sleep(Duration::from_millis(250));
        let now = segments(folder);
        if now != last.0 {
            last = (now, Instant::now());
        }
    }
    println!(
        "merges settled after {:.1} s: {} segments",
        started.elapsed().as_secs_f64(),
        last.0
    );
}

fn bench(
    engine: &str,
    index: &dyn SearchIndex,
    corpus: &Corpus,
    articles: usize,
    settle_folder: Option<&std::path::Path>,
) -> BenchResult {
    let mut random = Random(2026);
    let started = Instant::now();
    index.clear()?;
    for id in 1..=articles {
        index.upsert(&corpus.article(i64::try_from(id)?, &mut random))?;
    }
    index.commit()?;
    let built = started.elapsed();
    println!(
        "\n{engine}: {} articles indexed in {:.1} s ({:.0} articles/s)",
        index.doc_count()?,
        built.as_secs_f64(),
        articles as f64 / built.as_secs_f64()
    );
    if let Some(folder) = settle_folder {
        println!("segments at commit: {}", segments(folder));
        settle(folder);
    }

    let per_class: usize = std::env::var("QUERIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    let limit: usize = std::env::var("LIMIT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let mut random = Random(7);
    let mut classes: BTreeMap<usize, Vec<SearchQuery>> = BTreeMap::new();
    for words in 1..=3 {
        classes.insert(
            words,
            (0..per_class)
                .map(|_| SearchQuery {
                    limit,
                    ..SearchQuery::new(corpus.query(words, &mut random))
                })
                .collect(),
        );
    }
    // Warm the caches the way a running server has them warm.
    for query in classes.values().flatten().take(100) {
        index.search(query)?;
    }

    println!(
        "| {:<22} | {:>6} | {:>9} | {:>9} | {:>9} | {:>9} | {:>9} |",
        "queries", "count", "p50", "p95", "p99", "max", "avg total"
    );
    println!("|{}|", ["---"; 7].join("|"));
    let mut all = Latencies {
        name: "mix (1-, 2-, 3-word)".to_owned(),
        samples: Vec::new(),
        hits: 0,
    };
    for (words, queries) in &classes {
        let latencies = measure(&format!("{words}-word"), queries, index)?;
        println!("{}", latencies.row());
        all.samples.extend(&latencies.samples);
        all.hits += latencies.hits;
    }
    println!("{}", all.row());
    let newest: Vec<SearchQuery> = classes
        .values()
        .flatten()
        .step_by(3)
        .map(|q| SearchQuery {
            order: dateline_search::SearchOrder::Newest,
            ..q.clone()
        })
        .collect();
    println!("{}", measure("mix, newest first", &newest, index)?.row());

    let mut related = Vec::new();
    for _ in 0..200 {
        let id = i64::try_from(1 + random.below(articles))?;
        let started = Instant::now();
        index.related(id, 5, &[])?;
        related.push(started.elapsed());
    }
    println!(
        "{}",
        Latencies {
            name: "related (5)".to_owned(),
            samples: related,
            hits: 5 * 200,
        }
        .row()
    );
    Ok(())
}

fn main() -> BenchResult {
    let articles: usize = std::env::var("ARTICLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let corpus = Corpus::load()?;
    println!(
        "bench/search-engine: {articles} articles recombined from {} demo sentences",
        corpus.sentences.len()
    );

    let folder = tempfile::tempdir()?;
    let search_folder = folder.path().join("search");
    let tantivy = TantivyIndex::open(&search_folder)?;
    bench("tantivy", &tantivy, &corpus, articles, Some(&search_folder))?;
    drop(tantivy);

    if std::env::var_os(dateline_db::testing::POSTGRES_URL_VAR).is_some() {
        bench_postgres(&corpus, articles)?;
    }
    Ok(())
}

/// On the server `DATELINE_TEST_POSTGRES_URL` points at, in a fresh schema (left behind).
fn bench_postgres(corpus: &Corpus, articles: usize) -> BenchResult {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let store = runtime.block_on(dateline_db::testing::postgres());
    let pool = store
        .postgres_pool()
        .ok_or("not a PostgreSQL store")?
        .clone();
    let index = dateline_search::PostgresIndex::new(pool, runtime.handle().clone())?;
    let outcome = bench("postgresql", &index, corpus, articles, None);
    let _entered = runtime.enter();
    drop(index);
    drop(store);
    outcome
}
