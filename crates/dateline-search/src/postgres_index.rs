//! The search index in PostgreSQL full-text search, for several nodes sharing one database: an
//! article indexed by one node is found by all of them, with no index folder to keep in step.
//!
//! Text is analysed here, by the same analyser as the tantivy index, and handed to PostgreSQL as
//! ready-made `tsvector`s and `tsquery`s: both implementations find the same articles for the same
//! words, and no extension (`unaccent`, `pg_trgm`, `fuzzystrmatch`) is needed, so any PostgreSQL
//! the store runs on, managed or not, runs the search too. Typo tolerance comes from a lexicon
//! table kept beside the documents (see `0003_search_index.sql`).
//!
//! Writes go through one transaction the index holds open from the first write to
//! [`commit`](SearchIndex::commit): searches (on other connections) see the index as of the last
//! commit, and a reindex (`clear`, every `upsert`, `commit`) swaps the whole index at once.
//! Documents are written in batches inside that transaction. A failed write rolls the
//! transaction back and drops every write since the last commit; the caller (a job) retries.
//!
//! The trait is synchronous: each call blocks on the given tokio runtime's handle, so async
//! callers call it from `spawn_blocking`, as they do for tantivy.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard};

use serde::Serialize;
use sqlx::{PgPool, Postgres, Transaction};
use tantivy::tokenizer::TextAnalyzer;
use tokio::runtime::{Handle, RuntimeFlavor};

use crate::html::{self, ArticleText};
use crate::reader_query::{self, Clause, STOP_WORDS};
use crate::tantivy_index::analyzer;
use crate::{
    MAX_LIMIT, MAX_OFFSET, Result, SearchDocument, SearchError, SearchHit, SearchIndex,
    SearchOrder, SearchQuery, SearchResults,
};

/// Documents written to the database in one statement.
const BATCH: usize = 200;
/// Articles written in one commit after which the planner's statistics are refreshed.
const ANALYZE_AFTER: usize = 1_000;
/// Lexicon rows written in one statement.
const LEXICON_BATCH: usize = 5_000;
/// Indexed words within one typo of a query word that are looked for (as in the tantivy index).
const MAX_TYPO_EXPANSIONS: usize = 64;
/// Most related articles one call may ask for.
const MAX_RELATED: usize = 50;
/// Words of an article that make its "related" query.
const RELATED_TERMS: i64 = 25;
/// PostgreSQL keeps positions up to this, and this many positions of one lexeme.
const MAX_POSITION: u32 = 16_383;
const MAX_POSITIONS_PER_LEXEME: usize = 256;

/// Weights of `ts_rank_cd` for the labels {D, C, B, A}: headline (A) three times the body (C),
/// standfirst, authors, section and tags (B) half way between, as the tantivy index weighs them.
macro_rules! rank_weights {
    () => {
        "'{0.1, 0.33, 0.5, 1.0}'"
    };
}

/// The section, author and date filters, on parameters `$2` to `$5`.
macro_rules! filters {
    () => {
        " AND ($2::text IS NULL OR section_slug = $2) \
          AND ($3::text IS NULL OR author_slugs @> ARRAY[$3::text]) \
          AND ($4::bigint IS NULL OR first_published_at >= $4) \
          AND ($5::bigint IS NULL OR first_published_at < $5)"
    };
}

/// Best first: the cover-density rank, normalised below 1, plus 1 for each typo-tolerant word
/// spelt exactly as the reader typed it, so the exact spelling outranks a typo match as it does
/// in the tantivy index.
///
/// Ranking reads each candidate's whole `tsvector`, so a word in half the archive would rank
/// half the archive: only the most recent matches (`$9`, at least [`RELEVANCE_CANDIDATES`]) are
/// ranked. For news, the best match among the latest thousands is the one a reader wants.
const SEARCH_BY_RELEVANCE: &str = concat!(
    "SELECT article_id, score FROM (",
    " SELECT article_id, first_published_at,",
    "  (ts_rank_cd(",
    rank_weights!(),
    ", words, $1::text::tsquery, 32)",
    "   + (SELECT count(*) FROM unnest($6::text[]::tsquery[]) AS exact(word)",
    "      WHERE words @@ exact.word))::real AS score",
    " FROM (SELECT article_id, first_published_at, words FROM search_documents",
    "  WHERE words @@ $1::text::tsquery",
    filters!(),
    "  ORDER BY first_published_at DESC, article_id DESC LIMIT $9) AS recent",
    ") AS matches ORDER BY score DESC, first_published_at DESC, article_id DESC",
    " LIMIT $7 OFFSET $8"
);

/// Matches ranked for relevance order (see [`SEARCH_BY_RELEVANCE`]).
const RELEVANCE_CANDIDATES: i64 = 2_000;

const SEARCH_BY_DATE: &str = concat!(
    "SELECT article_id, 0::real AS score FROM search_documents",
    " WHERE words @@ $1::text::tsquery",
    filters!(),
    " ORDER BY first_published_at DESC, article_id DESC LIMIT $6 OFFSET $7"
);

const COUNT: &str = concat!(
    "SELECT count(*) FROM search_documents WHERE words @@ $1::text::tsquery",
    filters!()
);

/// The article's words that say most about it: weighted by where they stand and how rare they
/// are in the archive. Words in more than a fifth of a large archive say little, and would make
/// the query match most of it.
const RELATED_TERMS_SQL: &str = concat!(
    "WITH archive AS (SELECT count(*)::float8 AS articles FROM search_documents)",
    " SELECT t.lexeme FROM search_documents AS d",
    " CROSS JOIN LATERAL unnest(d.words) AS t(lexeme, positions, weights)",
    " JOIN search_lexicon AS l ON l.lexeme = t.lexeme",
    " CROSS JOIN archive",
    " WHERE d.article_id = $1 AND NOT (t.lexeme = ANY($2::text[]))",
    "  AND (archive.articles < 100 OR l.documents * 5 <= archive.articles)",
    " ORDER BY (SELECT sum(CASE w WHEN 'A' THEN 3.0 WHEN 'B' THEN 1.5 ELSE 1.0 END)",
    "           FROM unnest(t.weights) AS w)",
    "   * ln(1.0 + archive.articles / greatest(l.documents, 1)) DESC, t.lexeme",
    " LIMIT $3"
);

/// Ranked among the most recent matches only, for the reason given at [`SEARCH_BY_RELEVANCE`].
const RELATED: &str = concat!(
    "SELECT article_id FROM (SELECT article_id, first_published_at, words",
    "  FROM search_documents",
    "  WHERE words @@ $1::text::tsquery AND article_id <> ALL($2::bigint[])",
    "  ORDER BY first_published_at DESC, article_id DESC LIMIT $4) AS recent",
    " ORDER BY ts_rank(",
    rank_weights!(),
    ", words, $1::text::tsquery) DESC, first_published_at DESC, article_id DESC LIMIT $3"
);

const INSERT_DOCUMENTS: &str = "INSERT INTO search_documents \
    (article_id, headline, standfirst, body_text, authors, author_slugs, section, section_slug, \
     tags, first_published_at, words) \
    SELECT article_id, headline, standfirst, body_text, authors, author_slugs, section, \
     section_slug, tags, first_published_at, words::tsvector \
    FROM jsonb_to_recordset($1::text::jsonb) AS d(article_id bigint, headline text, \
     standfirst text, body_text text, authors text[], author_slugs text[], section text, \
     section_slug text, tags text[], first_published_at bigint, words text) \
    ON CONFLICT (article_id) DO UPDATE SET headline = excluded.headline, \
     standfirst = excluded.standfirst, body_text = excluded.body_text, \
     authors = excluded.authors, author_slugs = excluded.author_slugs, \
     section = excluded.section, section_slug = excluded.section_slug, tags = excluded.tags, \
     first_published_at = excluded.first_published_at, words = excluded.words";

/// In lexeme order, so two nodes committing at once lock lexicon rows in the same order.
const UPDATE_LEXICON: &str = "INSERT INTO search_lexicon (lexeme, variants, documents) \
    SELECT lexeme, variants, documents \
    FROM jsonb_to_recordset($1::text::jsonb) AS l(lexeme text, variants text[], documents bigint) \
    ORDER BY lexeme \
    ON CONFLICT (lexeme) DO UPDATE SET documents = search_lexicon.documents + excluded.documents";

/// The PostgreSQL implementation of [`SearchIndex`].
///
/// Drop it where the runtime is entered (in a task, or under `Runtime::enter`): a connection
/// still held by uncommitted writes goes back to its pool on a runtime task.
pub struct PostgresIndex {
    pool: PgPool,
    runtime: Handle,
    writes: Mutex<Writes>,
}

/// Everything written since the last commit.
#[derive(Default)]
struct Writes {
    transaction: Option<Transaction<'static, Postgres>>,
    /// Not yet sent to the database (the latest version of each article).
    upserts: BTreeMap<i64, IndexedDocument>,
    /// Not yet sent to the database; applied before `upserts`.
    removals: BTreeSet<i64>,
    /// How many more (or fewer) articles hold each lexeme, for the lexicon at commit.
    lexicon: HashMap<String, i64>,
    /// Articles written in this transaction.
    written: usize,
}

/// A document as stored: text cleaned of NUL (which PostgreSQL text cannot hold) and its words
/// as a `tsvector` literal.
#[derive(Debug, Serialize)]
struct IndexedDocument {
    article_id: i64,
    headline: String,
    standfirst: String,
    body_text: String,
    authors: Vec<String>,
    author_slugs: Vec<String>,
    section: String,
    section_slug: String,
    tags: Vec<String>,
    first_published_at: i64,
    words: String,
    #[serde(skip)]
    lexicon: Vec<String>,
}

#[derive(Serialize)]
struct LexiconRow<'a> {
    lexeme: &'a str,
    variants: Vec<String>,
    documents: i64,
}

impl PostgresIndex {
    /// The index in the database of `pool` (migrated by `dateline_db::Store`), run on `runtime`,
    /// which must be multi-threaded: calls block the calling thread while the runtime's threads
    /// drive the connections.
    pub fn new(pool: PgPool, runtime: Handle) -> Result<Self> {
        if runtime.runtime_flavor() == RuntimeFlavor::CurrentThread {
            return Err(SearchError::CurrentThreadRuntime);
        }
        Ok(Self {
            pool,
            runtime,
            writes: Mutex::new(Writes::default()),
        })
    }

    fn writes(&self) -> Result<MutexGuard<'_, Writes>> {
        self.writes.lock().map_err(|_| SearchError::Poisoned)
    }

    /// Runs a write; on failure, rolls back and forgets everything since the last commit, so the
    /// next write starts clean instead of in an aborted transaction.
    fn write<T>(&self, run: impl AsyncFnOnce(&mut Writes, &PgPool) -> Result<T>) -> Result<T> {
        let mut writes = self.writes()?;
        let outcome = self.runtime.block_on(run(&mut writes, &self.pool));
        if outcome.is_err() {
            *writes = Writes::default();
        }
        outcome
    }

    async fn search_async(
        &self,
        query: &SearchQuery,
        clauses: Vec<Clause>,
    ) -> Result<SearchResults> {
        let typos = self.typos(&clauses).await?;
        let mut highlight = BTreeSet::new();
        let mut parts = Vec::with_capacity(clauses.len());
        let mut exact_spellings = Vec::new();
        for clause in &clauses {
            match clause {
                Clause::Word(word) => {
                    highlight.insert(word.term.clone());
                    let near = typos.get(&word.term).filter(|_| word.fuzzy);
                    match near {
                        Some(near) if !near.is_empty() => {
                            exact_spellings.push(quote(&word.term));
                            let spellings: Vec<String> = std::iter::once(&word.term)
                                .chain(near)
                                .map(|term| quote(term))
                                .collect();
                            parts.push(format!("({})", spellings.join(" | ")));
                            highlight.extend(near.iter().cloned());
                        }
                        _ => parts.push(quote(&word.term)),
                    }
                }
                Clause::Phrase(terms) => {
                    highlight.extend(terms.iter().cloned());
                    let terms: Vec<String> = terms.iter().map(|term| quote(term)).collect();
                    parts.push(format!("({})", terms.join(" <-> ")));
                }
            }
        }
        let text_query = parts.join(" & ");

        let section = query.section_slug.as_deref();
        let author = query.author_slug.as_deref();
        let from = query.from.map(|at| at.as_microsecond());
        let until = query.until.map(|at| at.as_microsecond());
        let limit = query.limit.min(MAX_LIMIT);
        let offset = query.offset.min(MAX_OFFSET);
        let count = async || -> Result<usize> {
            let total: i64 = sqlx::query_scalar(COUNT)
                .bind(&text_query)
                .bind(section)
                .bind(author)
                .bind(from)
                .bind(until)
                .fetch_one(&self.pool)
                .await?;
            Ok(usize::try_from(total).unwrap_or_default())
        };
        if limit == 0 {
            return Ok(SearchResults {
                total: count().await?,
                hits: Vec::new(),
            });
        }
        let total = count().await?;
        let (limit, offset) = (limit as i64, offset as i64);
        let page: Vec<(i64, f32)> = match query.order {
            SearchOrder::Relevance => {
                sqlx::query_as(SEARCH_BY_RELEVANCE)
                    .bind(&text_query)
                    .bind(section)
                    .bind(author)
                    .bind(from)
                    .bind(until)
                    .bind(&exact_spellings)
                    .bind(limit)
                    .bind(offset)
                    .bind(RELEVANCE_CANDIDATES.max(offset + limit))
                    .fetch_all(&self.pool)
                    .await?
            }
            SearchOrder::Newest => {
                sqlx::query_as(SEARCH_BY_DATE)
                    .bind(&text_query)
                    .bind(section)
                    .bind(author)
                    .bind(from)
                    .bind(until)
                    .bind(limit)
                    .bind(offset)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        let ids: Vec<i64> = page.iter().map(|(id, _)| *id).collect();
        let texts: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT article_id, headline, standfirst, body_text FROM search_documents \
             WHERE article_id = ANY($1)",
        )
        .bind(&ids)
        .fetch_all(&self.pool)
        .await?;
        let texts: HashMap<i64, (String, String, String)> = texts
            .into_iter()
            .map(|(id, headline, standfirst, body)| (id, (headline, standfirst, body)))
            .collect();
        let mut marker = html::Marker::new(&highlight);
        let hits: Vec<SearchHit> = page
            .iter()
            .filter_map(|(id, score)| {
                let (headline, standfirst, body) = texts.get(id)?;
                Some(html::search_hit(
                    *id,
                    *score,
                    &mut marker,
                    ArticleText {
                        headline,
                        standfirst,
                        body,
                    },
                ))
            })
            .collect();
        Ok(SearchResults { total, hits })
    }

    /// For each typo-tolerant word, the indexed lexemes one typo away (not itself), most common
    /// first: one lexicon look-up for all the words.
    async fn typos(&self, clauses: &[Clause]) -> Result<HashMap<String, Vec<String>>> {
        let fuzzy: Vec<&str> = clauses
            .iter()
            .filter_map(|clause| match clause {
                Clause::Word(word) if word.fuzzy => Some(word.term.as_str()),
                _ => None,
            })
            .collect();
        if fuzzy.is_empty() {
            return Ok(HashMap::new());
        }
        let probes: BTreeSet<String> = fuzzy.iter().flat_map(|word| variants(word)).collect();
        let probes: Vec<String> = probes.into_iter().collect();
        let found: Vec<(String, i64)> = sqlx::query_as(
            "SELECT lexeme, documents FROM search_lexicon WHERE variants && $1::text[] \
             ORDER BY documents DESC, lexeme LIMIT 2000",
        )
        .bind(&probes)
        .fetch_all(&self.pool)
        .await?;
        let common: BTreeSet<&str> = found
            .iter()
            .filter(|(_, documents)| {
                u64::try_from(*documents).unwrap_or_default() >= crate::COMMON_WORD_ARTICLES
            })
            .map(|(lexeme, _)| lexeme.as_str())
            .collect();
        let fuzzy: Vec<&str> = fuzzy
            .into_iter()
            .filter(|word| !common.contains(word))
            .collect();
        let candidates: Vec<String> = found.iter().map(|(lexeme, _)| lexeme.clone()).collect();
        let candidates: Vec<(&String, Vec<char>)> = candidates
            .iter()
            .map(|lexeme| (lexeme, lexeme.chars().collect()))
            .collect();
        Ok(fuzzy
            .iter()
            .map(|word| {
                let chars: Vec<char> = word.chars().collect();
                let near = candidates
                    .iter()
                    .filter(|(lexeme, spelling)| {
                        lexeme.as_str() != *word && within_one_typo(&chars, spelling)
                    })
                    .take(MAX_TYPO_EXPANSIONS)
                    .map(|(lexeme, _)| (*lexeme).clone())
                    .collect();
                ((*word).to_owned(), near)
            })
            .collect())
    }
}

impl Writes {
    async fn transaction(&mut self, pool: &PgPool) -> Result<&mut Transaction<'static, Postgres>> {
        match &mut self.transaction {
            Some(transaction) => Ok(transaction),
            empty => Ok(empty.insert(pool.begin().await?)),
        }
    }

    /// Sends the pending removals and upserts, keeping the lexicon counts in step.
    async fn flush(&mut self, pool: &PgPool) -> Result<()> {
        if self.upserts.is_empty() && self.removals.is_empty() {
            return Ok(());
        }
        let replaced: Vec<i64> = self
            .removals
            .iter()
            .chain(self.upserts.keys())
            .copied()
            .collect();
        let upserts = std::mem::take(&mut self.upserts);
        self.removals.clear();
        self.written += replaced.len();
        let transaction = self.transaction(pool).await?;
        let removed: Vec<Vec<String>> = sqlx::query_scalar(
            "DELETE FROM search_documents WHERE article_id = ANY($1) \
             RETURNING tsvector_to_array(words)",
        )
        .bind(&replaced)
        .fetch_all(&mut **transaction)
        .await?;
        if !upserts.is_empty() {
            let rows: Vec<&IndexedDocument> = upserts.values().collect();
            let json = serde_json::to_string(&rows)
                .map_err(|error| SearchError::Database(sqlx::Error::Encode(Box::new(error))))?;
            sqlx::query(INSERT_DOCUMENTS)
                .bind(json)
                .execute(&mut **transaction)
                .await?;
        }
        for lexeme in removed.iter().flatten().filter(|l| in_lexicon(l)) {
            *self.lexicon.entry(lexeme.clone()).or_default() -= 1;
        }
        for lexeme in upserts.values().flat_map(|doc| &doc.lexicon) {
            *self.lexicon.entry(lexeme.clone()).or_default() += 1;
        }
        Ok(())
    }

    async fn commit(&mut self, pool: &PgPool) -> Result<()> {
        self.flush(pool).await?;
        let mut changed: Vec<(String, i64)> = std::mem::take(&mut self.lexicon)
            .into_iter()
            .filter(|(_, change)| *change != 0)
            .collect();
        changed.sort_unstable();
        let Some(mut transaction) = self.transaction.take() else {
            return Ok(());
        };
        for chunk in changed.chunks(LEXICON_BATCH) {
            let rows: Vec<LexiconRow<'_>> = chunk
                .iter()
                .map(|(lexeme, change)| LexiconRow {
                    lexeme,
                    variants: variants(lexeme),
                    documents: *change,
                })
                .collect();
            let json = serde_json::to_string(&rows)
                .map_err(|error| SearchError::Database(sqlx::Error::Encode(Box::new(error))))?;
            sqlx::query(UPDATE_LEXICON)
                .bind(json)
                .execute(&mut *transaction)
                .await?;
            let lexemes: Vec<&str> = chunk.iter().map(|(lexeme, _)| lexeme.as_str()).collect();
            sqlx::query("DELETE FROM search_lexicon WHERE lexeme = ANY($1) AND documents <= 0")
                .bind(&lexemes)
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
        if self.written >= ANALYZE_AFTER {
            // Fresh statistics right after a reindex, instead of whenever autovacuum comes by:
            // without them the planner scans every row for a word instead of using the index.
            sqlx::query("ANALYZE search_documents")
                .execute(pool)
                .await?;
            sqlx::query("ANALYZE search_lexicon").execute(pool).await?;
        }
        self.written = 0;
        Ok(())
    }
}

impl SearchIndex for PostgresIndex {
    fn upsert(&self, doc: &SearchDocument) -> Result<()> {
        let indexed = indexed_document(doc, &mut analyzer());
        self.write(async |writes, pool| {
            writes.upserts.insert(indexed.article_id, indexed);
            if writes.upserts.len() >= BATCH {
                writes.flush(pool).await?;
            }
            Ok(())
        })
    }

    fn remove(&self, article_id: i64) -> Result<()> {
        self.write(async |writes, _| {
            writes.upserts.remove(&article_id);
            writes.removals.insert(article_id);
            Ok(())
        })
    }

    fn commit(&self) -> Result<()> {
        self.write(async |writes, pool| writes.commit(pool).await)
    }

    fn search(&self, query: &SearchQuery) -> Result<SearchResults> {
        let clauses = reader_query::parse(&query.text, &mut analyzer());
        if clauses.is_empty() {
            return Ok(SearchResults::default());
        }
        self.runtime.block_on(self.search_async(query, clauses))
    }

    fn related(&self, article_id: i64, limit: usize, exclude: &[i64]) -> Result<Vec<i64>> {
        let limit = limit.min(MAX_RELATED);
        if limit == 0 {
            return Ok(Vec::new());
        }
        self.runtime.block_on(async {
            let stop_words: Vec<&str> = STOP_WORDS.to_vec();
            let terms: Vec<String> = sqlx::query_scalar(RELATED_TERMS_SQL)
                .bind(article_id)
                .bind(&stop_words)
                .bind(RELATED_TERMS)
                .fetch_all(&self.pool)
                .await?;
            if terms.is_empty() {
                return Ok(Vec::new());
            }
            let any_term: Vec<String> = terms.iter().map(|term| quote(term)).collect();
            let excluded: Vec<i64> = std::iter::once(article_id)
                .chain(exclude.iter().copied())
                .collect();
            let related: Vec<i64> = sqlx::query_scalar(RELATED)
                .bind(any_term.join(" | "))
                .bind(&excluded)
                .bind(limit as i64)
                .bind(RELEVANCE_CANDIDATES)
                .fetch_all(&self.pool)
                .await?;
            Ok(related)
        })
    }

    fn clear(&self) -> Result<()> {
        self.write(async |writes, pool| {
            writes.upserts.clear();
            writes.removals.clear();
            writes.lexicon.clear();
            let transaction = writes.transaction(pool).await?;
            // DELETE, not TRUNCATE: readers keep the old rows until the commit instead of
            // waiting for an exclusive lock.
            sqlx::query("DELETE FROM search_documents")
                .execute(&mut **transaction)
                .await?;
            sqlx::query("DELETE FROM search_lexicon")
                .execute(&mut **transaction)
                .await?;
            Ok(())
        })
    }

    fn doc_count(&self) -> Result<u64> {
        self.runtime.block_on(async {
            let count: i64 = sqlx::query_scalar("SELECT count(*) FROM search_documents")
                .fetch_one(&self.pool)
                .await?;
            Ok(u64::try_from(count).unwrap_or_default())
        })
    }
}

/// The document as stored, its words labelled by field: A headline; B standfirst, authors,
/// section and tags; C body. Positions run on across fields with a gap, so a quoted phrase never
/// spans two of them.
fn indexed_document(doc: &SearchDocument, analyzer: &mut TextAnalyzer) -> IndexedDocument {
    let clean = |text: &str| text.replace('\0', "");
    let clean_all = |texts: &[String]| texts.iter().map(|text| clean(text)).collect::<Vec<_>>();
    let mut fields: Vec<(&str, char)> = vec![(&doc.headline, 'A'), (&doc.standfirst, 'B')];
    fields.extend(doc.authors.iter().map(|author| (author.as_str(), 'B')));
    fields.push((&doc.section, 'B'));
    fields.extend(doc.tags.iter().map(|tag| (tag.as_str(), 'B')));
    fields.push((&doc.body_text, 'C'));

    let mut positions: BTreeMap<String, Vec<(u32, char)>> = BTreeMap::new();
    let mut next_field = 1;
    for (text, weight) in fields {
        let mut last = next_field;
        let mut stream = analyzer.token_stream(text);
        while let Some(token) = stream.next() {
            let position = u32::try_from(token.position)
                .unwrap_or(MAX_POSITION)
                .saturating_add(next_field)
                .min(MAX_POSITION);
            last = position;
            let at = positions.entry(token.text.clone()).or_default();
            if at.len() < MAX_POSITIONS_PER_LEXEME && at.last().is_none_or(|(p, _)| *p < position) {
                at.push((position, weight));
            }
        }
        next_field = last.saturating_add(2).min(MAX_POSITION);
    }
    let mut words = String::new();
    for (lexeme, at) in &positions {
        if !words.is_empty() {
            words.push(' ');
        }
        words.push_str(&quote(lexeme));
        words.push(':');
        let at: Vec<String> = at.iter().map(|(p, w)| format!("{p}{w}")).collect();
        words.push_str(&at.join(","));
    }
    IndexedDocument {
        article_id: doc.article_id,
        headline: clean(&doc.headline),
        standfirst: clean(&doc.standfirst),
        body_text: clean(&doc.body_text),
        authors: clean_all(&doc.authors),
        author_slugs: clean_all(&doc.author_slugs),
        section: clean(&doc.section),
        section_slug: clean(&doc.section_slug),
        tags: clean_all(&doc.tags),
        first_published_at: doc.first_published_at.as_microsecond(),
        lexicon: positions
            .into_keys()
            .filter(|lexeme| in_lexicon(lexeme))
            .collect(),
        words,
    }
}

/// A lexeme quoted for a `tsvector` or `tsquery` literal, where a quote is doubled and a
/// backslash escapes: whatever the analyser emits stays one lexeme, never an operator.
fn quote(lexeme: &str) -> String {
    let mut quoted = String::with_capacity(lexeme.len() + 2);
    quoted.push('\'');
    for c in lexeme.chars() {
        match c {
            '\'' => quoted.push_str("''"),
            '\\' => quoted.push_str("\\\\"),
            c => quoted.push(c),
        }
    }
    quoted.push('\'');
    quoted
}

/// Lexemes a typo-tolerant word (an analysed word of four characters or more) may be one typo
/// from.
fn in_lexicon(lexeme: &str) -> bool {
    lexeme.chars().count() >= 3 && lexeme.chars().all(char::is_alphanumeric)
}

/// The lexeme and each spelling of it one character shorter. Two words within one typo share
/// one of these: an insertion or deletion leaves the shorter word among the longer one's, a
/// substitution or transposition of neighbours leaves a common shorter spelling.
fn variants(lexeme: &str) -> Vec<String> {
    let chars: Vec<char> = lexeme.chars().collect();
    let mut variants: BTreeSet<String> = (0..chars.len())
        .map(|skip| {
            chars
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != skip)
                .map(|(_, c)| c)
                .collect()
        })
        .collect();
    variants.insert(lexeme.to_owned());
    variants.into_iter().collect()
}

/// One insertion, deletion, substitution, or transposition of neighbours at most (the tantivy
/// index's Levenshtein automaton, with transpositions costing one).
fn within_one_typo(a: &[char], b: &[char]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    match long.len() - short.len() {
        0 => {
            let differ: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
            match differ.as_slice() {
                [] | [_] => true,
                [i, j] => *j == i + 1 && a[*i] == b[*j] && a[*j] == b[*i],
                _ => false,
            }
        }
        1 => {
            let same = short.iter().zip(long).take_while(|(x, y)| x == y).count();
            short[same..] == long[same + 1..]
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(word: &str) -> Vec<char> {
        word.chars().collect()
    }

    #[test]
    fn one_typo_is_an_edit_or_a_swap_of_neighbours() {
        let near = |a: &str, b: &str| within_one_typo(&chars(a), &chars(b));
        assert!(near("colombia", "colombia"));
        assert!(near("colombia", "colmbia"));
        assert!(near("colmbia", "colombia"));
        assert!(near("colombia", "colobmia"));
        assert!(near("colombia", "columbia"));
        assert!(near("havana", "havanna"));
        assert!(!near("colombia", "clmbiaa"));
        assert!(!near("abc", "bca"));
        assert!(!near("colombia", "colombiaaa"));
        assert!(!near("abcd", "badc"));
    }

    #[test]
    fn words_one_typo_apart_share_a_variant() {
        let shared = |a: &str, b: &str| {
            let a = variants(a);
            variants(b).iter().any(|v| a.contains(v))
        };
        for (a, b) in [
            ("colombia", "colmbia"),
            ("colombia", "colobmia"),
            ("colombia", "columbia"),
            ("havana", "havanna"),
            ("stage", "state"),
        ] {
            assert!(shared(a, b), "{a} {b}");
        }
        assert!(!shared("colombia", "havana"));
    }

    #[test]
    fn lexemes_are_quoted_as_one_lexeme() {
        assert_eq!(quote("colombia"), "'colombia'");
        assert_eq!(quote(r"o'neil\&"), r"'o''neil\\&'");
    }

    #[test]
    fn words_are_labelled_by_field_and_phrases_do_not_span_fields() {
        let doc = SearchDocument {
            article_id: 1,
            headline: "Peace talks".to_owned(),
            standfirst: "Talks\0 resume".to_owned(),
            body_text: "Peace".to_owned(),
            authors: vec!["Ana".to_owned()],
            author_slugs: vec!["ana".to_owned()],
            section: "World".to_owned(),
            section_slug: "world".to_owned(),
            tags: Vec::new(),
            first_published_at: jiff::Timestamp::UNIX_EPOCH,
        };
        let indexed = indexed_document(&doc, &mut analyzer());
        assert_eq!(
            indexed.words,
            "'ana':7B 'peac':1A,11C 'resum':5B 'talk':2A,4B 'world':9B"
        );
        assert_eq!(indexed.standfirst, "Talks resume");
        assert_eq!(
            indexed.lexicon,
            vec!["ana", "peac", "resum", "talk", "world"]
        );
    }
}
